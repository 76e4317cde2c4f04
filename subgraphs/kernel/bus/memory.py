"""The in-process bus of the embedded mode.

`publish` delivers to every matching durable consumer and waits for its
handler: the relay marks an outbox row published only after every consumer
has handled it. A crash in between means a re-publish at the next start, and
the consumers' inboxes absorb the repeat. No event is lost, none is applied twice.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from ..events import Event, subject_matches
from . import Handler

log = logging.getLogger(__name__)

LISTENER_QUEUE_SIZE = 1000


@dataclass
class _Consumer:
    durable: str
    subject: str
    handler: Handler


class InProcessBus:
    def __init__(self) -> None:
        self._consumers: list[_Consumer] = []
        self._listeners: list[tuple[str, asyncio.Queue[Event | None]]] = []
        self._closed = False

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        self._closed = True
        for _, queue in self._listeners:
            queue.put_nowait(None)

    async def publish(self, event: Event) -> None:
        for consumer in self._consumers:
            if subject_matches(consumer.subject, event.subject):
                # A failing handler fails the publish; the relay retries the row later.
                await consumer.handler(event)
        for subject, queue in self._listeners:
            if subject_matches(subject, event.subject):
                if queue.full():
                    log.warning("dropping an event for a slow live listener on %s", subject)
                    continue
                queue.put_nowait(event)

    async def consume(self, durable: str, subject: str, handler: Handler) -> None:
        if any(c.durable == durable and c.subject == subject for c in self._consumers):
            raise ValueError(f"durable consumer {durable} on {subject} is already registered")
        self._consumers.append(_Consumer(durable, subject, handler))

    async def listen(self, subject: str) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue(LISTENER_QUEUE_SIZE)
        entry = (subject, queue)
        self._listeners.append(entry)
        try:
            while not self._closed:
                item = await queue.get()
                if item is None:
                    return
                yield item
        finally:
            self._listeners.remove(entry)
