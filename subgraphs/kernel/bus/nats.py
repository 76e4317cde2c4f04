"""The scale-out bus: NATS JetStream.

One stream (`LOYALTY`, subjects `loyalty.>`) keeps every event. A namespace
other than `loyalty` (LOYALTY_BUS_NAMESPACE) maps every subject onto its own
prefix, so two deployments (or test runs) can share one NATS server. Publishing sets
`Nats-Msg-Id` to the event id, so a relay that publishes a row twice (a crash
before it could mark the row, two replicas racing) is deduplicated by the
server. Durable pull consumers give at-least-once delivery shared across the
replicas of a subgraph; live listeners are plain core-NATS subscriptions,
which see every message the stream captures.

The stream keeps events for `max_age_seconds` (LOYALTY_BUS_MAX_AGE_HOURS, 7 days
by default), then the server deletes them. Event bodies may carry personal data
(MemberEnrolled carries names, email, phone), and an erasure cannot reach into
the stream: that data stays there at most this long (README "Privacy"). A
consumer that is away for longer misses the events that expired meanwhile.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator

import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError

from ..events import SUBJECT_PREFIX, Event
from . import Handler

log = logging.getLogger(__name__)

DUPLICATE_WINDOW_SECONDS = 600.0
DEFAULT_MAX_AGE_SECONDS = 7 * 24 * 3600.0  # Settings.bus_max_age_hours' default
FETCH_BATCH = 64
FETCH_RETRY_SECONDS = 0.5
FETCH_RETRY_MAX_SECONDS = 30.0


def _durable_name(durable: str, subject: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"{durable}__{subject}")


class NatsJetStreamBus:
    def __init__(self, url: str, stream: str = "LOYALTY", namespace: str = SUBJECT_PREFIX,
                 max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS) -> None:
        if max_age_seconds < DUPLICATE_WINDOW_SECONDS:
            raise ValueError(f"the stream must keep events at least {DUPLICATE_WINDOW_SECONDS:.0f} s "
                             "(its publish dedup window)")
        self.url = url
        self.stream = stream
        self.namespace = namespace
        self.max_age_seconds = max_age_seconds
        self._nc: nats.NATS | None = None
        self._pending: list[tuple[str, str, Handler]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._pull_subscriptions: list[object] = []
        self._closing = asyncio.Event()

    async def start(self) -> None:
        self._nc = await nats.connect(self.url, name="loyalty", max_reconnect_attempts=-1)
        self._js = self._nc.jetstream()
        config = StreamConfig(
            name=self.stream,
            subjects=[f"{self.namespace}.>"],
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            max_age=self.max_age_seconds,
        )
        try:
            await self._js.stream_info(self.stream)
            await self._js.update_stream(config)
        except NotFoundError:
            await self._js.add_stream(config)
        for durable, subject, handler in self._pending:
            self._start_consumer(durable, subject, handler)
        self._pending.clear()

    def _wire(self, subject: str) -> str:
        """`loyalty.ledger.X` as it travels in this namespace."""
        return self.namespace + subject[len(SUBJECT_PREFIX):]

    async def delete_stream(self) -> None:
        """Drop the stream and its consumers (tests clean up their namespace)."""
        await self._js.delete_stream(self.stream)

    async def close(self) -> None:
        self._closing.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # A pull subscription whose fetch was cancelled never drains: without this, drain()
        # waited out its 30 s timeout on every shutdown (and a restart waited with it).
        for subscription in self._pull_subscriptions:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()  # type: ignore[attr-defined]
        if self._nc is not None:
            await self._nc.drain()

    async def publish(self, event: Event) -> None:
        assert self._nc is not None, "bus not started"
        await self._js.publish(self._wire(event.subject), event.to_json(), headers={"Nats-Msg-Id": event.id})

    async def consume(self, durable: str, subject: str, handler: Handler) -> None:
        if self._nc is None:
            self._pending.append((durable, subject, handler))
        else:
            self._start_consumer(durable, subject, handler)

    def _start_consumer(self, durable: str, subject: str, handler: Handler) -> None:
        self._tasks.append(asyncio.create_task(self._consume_loop(durable, subject, handler)))

    async def _resume_point(self, name: str) -> int | None:
        """Where a durable consumer must start again when a process died holding some of its
        messages (fetched, never acknowledged): the stream sequence after its ack floor, the
        consumer recreated from there. Left alone, the server hands those messages out again
        only after `ack_wait` (30 s), after the events that came later: a member's events would
        be handled out of order (a webhook receiver would get the 5th purchase before the 4th).
        Replaying from the floor hands them out first, in stream order; what after the floor
        was handled already is handled again, which every handler tolerates (the inbox, or a
        row per event id). None: nothing was left pending, the consumer goes on as it is.
        With several replicas sharing the consumer, one starting replays what the others hold
        (again at least once, never lost)."""
        try:
            info = await self._js.consumer_info(self.stream, name)
        except NotFoundError:
            return None
        if not info.num_ack_pending:
            return None
        floor = info.ack_floor.stream_seq if info.ack_floor and info.ack_floor.stream_seq else 0
        await self._js.delete_consumer(self.stream, name)
        log.warning("consumer %s: %d messages were left unacknowledged (a process stopped holding them); "
                    "replaying from stream sequence %d, in order", name, info.num_ack_pending, floor + 1)
        return floor + 1

    async def _consume_loop(self, durable: str, subject: str, handler: Handler) -> None:
        name = _durable_name(durable, subject)
        resume_at = await self._resume_point(name)
        subscription = await self._js.pull_subscribe(
            self._wire(subject),
            durable=name,
            stream=self.stream,
            config=ConsumerConfig(
                durable_name=name,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL if resume_at is None else DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=resume_at,
                ack_wait=30,
                max_ack_pending=1000,
            ),
        )
        self._pull_subscriptions.append(subscription)
        failing_since: float | None = None
        backoff = FETCH_RETRY_SECONDS
        while not self._closing.is_set():
            try:
                messages = await subscription.fetch(FETCH_BATCH, timeout=1)
            except (NatsTimeout, TimeoutError):
                continue  # nothing to fetch: the normal state of an idle consumer
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - a broken connection must not end the loop
                if failing_since is None:  # said once, with context; then quiet until it recovers
                    failing_since = time.monotonic()
                    log.error("consumer %s cannot fetch from %s (%s: %s); retrying with backoff", name,
                                self.url, error.__class__.__name__, error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, FETCH_RETRY_MAX_SECONDS)
                continue
            if failing_since is not None:
                log.warning("consumer %s fetches again after %.0f s", name, time.monotonic() - failing_since)
                failing_since, backoff = None, FETCH_RETRY_SECONDS
            for message in messages:
                try:
                    await handler(Event.from_json(message.data))
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 - retried by redelivery
                    attempts = message.metadata.num_delivered if message.metadata else 1
                    log.exception("handler %s failed (attempt %s); will be redelivered", name, attempts)
                    await message.nak(delay=min(30.0, 0.5 * 2**attempts))
                else:
                    await message.ack()

    async def listen(self, subject: str) -> AsyncIterator[Event]:
        assert self._nc is not None, "bus not started"
        subscription = await self._nc.subscribe(self._wire(subject))
        try:
            async for message in subscription.messages:
                try:
                    event = Event.from_json(message.data)
                except (ValueError, KeyError, TypeError):  # one malformed message must not end the listener
                    log.warning("ignoring a message on %s that is not an event", message.subject)
                    continue
                yield event
        finally:
            try:
                await subscription.unsubscribe()
            except Exception:  # noqa: BLE001 - the connection may already be closed
                pass
