"""The event bus: how outbox events reach consumers and live subscribers.

Two ways to receive, for two different needs:

- `consume(durable, subject, handler)`: at-least-once delivery to one of the
  replicas that share the durable name (work distribution). Handlers record
  event ids in their inbox, so a redelivery does nothing.
- `listen(subject)`: every event, live, to every process that listens (fan-out).
  GraphQL subscriptions use it, so any replica can serve any subscriber.

`create_bus("memory://")` is the embedded default; `create_bus("nats://...")`
the scale-out one (NATS JetStream, publish dedup by event id).
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from ..events import Event

Handler = Callable[[Event], Awaitable[None]]


class EventBus(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, event: Event) -> None:
        """Returns once the bus has accepted the event (the outbox may then mark it published)."""

    async def consume(self, durable: str, subject: str, handler: Handler) -> None:
        """Register a durable consumer; call before the relays start."""

    def listen(self, subject: str) -> AsyncIterator[Event]:
        """Live events from now on; the iterator ends when the bus closes."""


def create_bus(url: str, *, stream: str = "LOYALTY", namespace: str = "loyalty",
               max_age_seconds: float | None = None) -> EventBus:
    """`max_age_seconds`: how long NATS keeps events (None: the bus's default, 7 days)."""
    if url.startswith("memory"):
        from .memory import InProcessBus

        return InProcessBus()
    if url.startswith("nats"):
        from .nats import NatsJetStreamBus

        retention = {} if max_age_seconds is None else {"max_age_seconds": max_age_seconds}
        return NatsJetStreamBus(url, stream=stream, namespace=namespace, **retention)
    raise ValueError(f"unknown bus url {url!r} (expected memory:// or nats://host:port)")
