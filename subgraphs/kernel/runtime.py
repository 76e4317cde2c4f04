"""A subgraph at run time: its database, the bus, settings, clock and service clients.

Each subgraph package exports a `SubgraphSpec` (what it is); the host turns it
into a `Runtime` (what it runs with) and serves it.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
import strawberry

from core.clock import Clock, SystemClock
from core.settings import Settings

from .bus import EventBus
from .client import ServiceClient
from .db import Database, UnitOfWork
from .events import Event
from .live import LiveHub
from .metrics import SubgraphMetrics

LIVE_ALL = "*"  # the key of every event on a `Runtime.live_all` hub


@dataclass(frozen=True)
class Consumer:
    """A durable consumer: `handle(runtime, event)` runs at least once per event;
    it records the event id in its inbox within its own unit of work."""

    durable: str
    subject: str
    handle: Callable[[Runtime, Event], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    """A periodic background job (expiry, saga resumption, ...)."""

    name: str
    every_seconds: float
    run: Callable[[Runtime], Awaitable[object]]


@dataclass(frozen=True)
class SubgraphSpec:
    name: str
    metadata: sa.MetaData
    schema: strawberry.federation.Schema
    consumers: tuple[Consumer, ...] = ()
    jobs: tuple[Job, ...] = field(default_factory=tuple)


class Runtime:
    def __init__(self, spec: SubgraphSpec, settings: Settings, bus: EventBus, clock: Clock | None = None) -> None:
        self.spec = spec
        self.name = spec.name
        self.settings = settings
        self.bus = bus
        self.clock: Clock = clock or SystemClock()
        self.db = Database(settings.database_url_for(spec.name), spec.metadata,
                           busy_seconds=settings.sqlite_busy_seconds)
        self.services = ServiceClient(settings, caller=spec.name)
        self.metrics = SubgraphMetrics(spec.name)
        # Adapters a composition root swaps in (the seed posts to the ledger in-process, say).
        self.adapters: dict[str, object] = {}
        self.cache: dict[str, object] = {}  # small per-process caches a subgraph keeps (e.g. its program)
        self._live: dict[str, LiveHub] = {}
        self._live_all: dict[str, LiveHub] = {}

    def live(self, subject: str) -> LiveHub:
        """The process-wide fan-out of live events on `subject` (for subscriptions)."""
        if subject not in self._live:
            self._live[subject] = LiveHub(self.bus, subject, remember=self.settings.live_recent_event_ids)
        return self._live[subject]

    def live_all(self, subject: str) -> LiveHub:
        """The process-wide fan-out of every live event on `subject`, whatever its member (one
        listener however many subscribe); subscribe with the key `LIVE_ALL`."""
        if subject not in self._live_all:
            self._live_all[subject] = LiveHub(self.bus, subject, key=lambda _event: LIVE_ALL,
                                              remember=self.settings.live_recent_event_ids)
        return self._live_all[subject]

    def unit_of_work(self) -> UnitOfWork:
        return self.db.unit_of_work()

    async def close(self) -> None:
        await self.services.close()
        await self.db.dispose()
