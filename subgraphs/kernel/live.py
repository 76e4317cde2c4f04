"""Live events for GraphQL subscriptions: one bus listener per process and
subject, fanned out to subscribers by key (usually the member id), so a
thousand wallets cost one listener, not a thousand."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable

from .bus import EventBus
from .events import Event

log = logging.getLogger(__name__)

SUBSCRIBER_QUEUE_SIZE = 256
_CLOSED = object()


class LiveHub:
    def __init__(self, bus: EventBus, subject: str, key: Callable[[Event], str | None] = lambda e: e.member_id):
        self.bus = bus
        self.subject = subject
        self.key = key
        self._subscribers: dict[str, set[asyncio.Queue[object]]] = defaultdict(set)
        self._pump_task: asyncio.Task[None] | None = None

    async def subscribe(self, key: str) -> AsyncIterator[Event]:
        queue: asyncio.Queue[object] = asyncio.Queue(SUBSCRIBER_QUEUE_SIZE)
        self._subscribers[key].add(queue)
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = asyncio.create_task(self._pump(), name=f"live:{self.subject}")
        try:
            while True:
                item = await queue.get()
                if item is _CLOSED:
                    return
                yield item  # type: ignore[misc]
        finally:
            subscribers = self._subscribers.get(key)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._subscribers[key]

    async def _pump(self) -> None:
        try:
            async for event in self.bus.listen(self.subject):
                key = self.key(event)
                for queue in tuple(self._subscribers.get(key, ())) if key else ():
                    if queue.full():
                        log.warning("subscriber of %s for %s is too slow; dropping an event", self.subject, key)
                        continue
                    queue.put_nowait(event)
        finally:
            # The bus closed: end every subscription so clients hear about it instead of silence.
            for queues in self._subscribers.values():
                for queue in queues:
                    with contextlib.suppress(asyncio.QueueFull):
                        queue.put_nowait(_CLOSED)
