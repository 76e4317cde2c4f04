"""Hosting subgraphs: migrate, wire consumers to the bus, start relays and jobs, serve.

`SubgraphHost(["profile", "ledger", "rewards", "inventory"])` is the embedded
mode (one process, the in-process bus); a host with one name is one process of
the scale-out mode. Tests use the same host on free ports.
"""
from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Sequence
from functools import partial

from core.clock import Clock
from core.serving import ServerGroup
from core.settings import SUBGRAPHS, Settings

from .app import create_subgraph_app
from .bus import EventBus, create_bus
from .migrations import migrate
from .outbox import OutboxRelay
from .privacy import KERNEL_JOBS
from .runtime import Job, Runtime, SubgraphSpec

log = logging.getLogger(__name__)


def load_spec(name: str) -> SubgraphSpec:
    if name not in SUBGRAPHS:
        raise ValueError(f"unknown subgraph {name!r}; expected one of {', '.join(SUBGRAPHS)}")
    return importlib.import_module(f"subgraphs.{name}").SPEC


class SubgraphHost:
    def __init__(self, names: Sequence[str], settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.bus: EventBus = create_bus(settings.bus_url, stream=settings.bus_stream,
                                        namespace=settings.bus_namespace,
                                        max_age_seconds=settings.bus_max_age_hours * 3600)
        self.runtimes = [Runtime(load_spec(n), settings, self.bus, clock) for n in names]
        self.relays = [OutboxRelay(rt.db, self.bus) for rt in self.runtimes]
        self.servers = ServerGroup()
        self._tasks: list[asyncio.Task[None]] = []

    def runtime(self, name: str) -> Runtime:
        return next(rt for rt in self.runtimes if rt.name == name)

    async def start(self, *, relays: bool = True, jobs: bool = True) -> None:
        """Everything but the HTTP servers: migrations, consumers, bus, relays, jobs.

        Without relay loops the caller publishes with `flush()` (the seed does,
        between its phases); without jobs it runs them itself (tests moving a clock)."""
        try:
            for rt in self.runtimes:
                rt.db.claim_writer()
        except Exception:
            for rt in self.runtimes:
                rt.db.release_writer()
            raise
        for rt in self.runtimes:
            await migrate(rt.name, rt.db.url)
        for rt in self.runtimes:
            for consumer in rt.spec.consumers:
                await self.bus.consume(f"{rt.name}.{consumer.durable}", consumer.subject, partial(consumer.handle, rt))
        await self.bus.start()
        for relay in self.relays if relays else ():
            relay.start()
        for rt in self.runtimes if jobs else ():
            for job in (*rt.spec.jobs, *KERNEL_JOBS):
                self._tasks.append(asyncio.create_task(_run_job(rt, job), name=f"job:{rt.name}:{job.name}"))
        for rt in self.runtimes:
            self.servers.add(
                create_subgraph_app(rt), self.settings.host, self.settings.subgraph_ports[rt.name],
                log_level="warning",
            )

    async def flush(self) -> int:
        """Publish every pending outbox row now (seeding, tests); returns how many."""
        total = 0
        for relay in self.relays:
            total += await relay.publish_pending()
        return total

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for relay in self.relays:
            await relay.stop()
        await self.bus.close()
        for rt in self.runtimes:
            await rt.close()

    async def run(self, *, handle_signals: bool = True) -> None:
        await self.start()
        try:
            await self.servers.serve(handle_signals=handle_signals)
        finally:
            await self.stop()


async def _run_job(runtime: Runtime, job: Job) -> None:
    while True:
        await asyncio.sleep(job.every_seconds)
        try:
            await job.run(runtime)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a job failure is logged and retried next round
            log.exception("job %s of %s failed", job.name, runtime.name)
