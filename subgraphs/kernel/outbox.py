"""The outbox relay: publishes committed outbox rows to the bus, in order.

It wakes when a unit of work commits events (low latency) and also polls (rows
left behind by a crash or another process). Rows are marked published only
after the bus accepted them; a row published twice is harmless to consumers
(NATS dedups by event id, inboxes dedup on the consumer side), but live
listeners would see it twice. So on PostgreSQL, where several replicas of a
subgraph each run a relay, a relay claims the rows it publishes
(`FOR UPDATE SKIP LOCKED`, held until it marks them): two relays never publish
the same row. An embedded SQLite database has one process and one relay.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import sqlalchemy as sa

from core.clock import utcnow

from .bus import EventBus
from .db import Database, UnitOfWork
from .events import Event

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, db: Database, bus: EventBus, *, poll_seconds: float = 1.0, batch_size: int = 200) -> None:
        self.db = db
        self.bus = bus
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay:{self.db.url}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.db.outbox_written.wait(), self.poll_seconds)
            self.db.outbox_written.clear()
            try:
                await self.publish_pending()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep relaying; the rows stay for the next round
                log.exception("outbox relay round failed")
                await asyncio.sleep(self.poll_seconds)

    async def publish_pending(self) -> int:
        """Publish every unpublished row; returns how many were published."""
        total = 0
        while True:
            published = await (self._publish_batch() if self.db.is_sqlite else self._publish_claimed_batch())
            if not published:
                return total
            total += published

    def _unpublished(self) -> sa.Select:
        outbox = self.db.outbox
        return (sa.select(outbox.c.seq, outbox.c.body).where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.seq).limit(self.batch_size))

    async def _publish_batch(self) -> int:
        async with self.db.reading() as connection:
            rows = (await connection.execute(self._unpublished())).all()
        if not rows:
            return 0
        published, failure = await self._publish_rows(rows)
        if published:
            async with self.db.unit_of_work() as uow:
                await self._mark(uow, published)
                await uow.commit()
        if failure is not None:
            raise failure
        return len(published)

    async def _publish_claimed_batch(self) -> int:
        """Claim a batch (row locks other relays skip), publish it, mark it, in one transaction."""
        async with self.db.unit_of_work() as uow:
            rows = (await uow.execute(self._unpublished().with_for_update(skip_locked=True))).all()
            if not rows:
                return 0
            published, failure = await self._publish_rows(rows)
            if published:
                await self._mark(uow, published)
                await uow.commit()
        if failure is not None:
            raise failure
        return len(published)

    async def _publish_rows(self, rows: list[Any]) -> tuple[list[int], Exception | None]:
        """Publish rows in order, up to the first failure: what went out (to be marked) and
        the failure (raised once they are marked)."""
        published: list[int] = []
        for seq, body in rows:
            try:
                await self.bus.publish(Event.from_json(body))
            except Exception as error:  # noqa: BLE001 - the caller marks what went out, then raises it
                return published, error
            published.append(seq)
        return published, None

    async def _mark(self, uow: UnitOfWork, seqs: list[int]) -> None:
        outbox = self.db.outbox
        await uow.execute(outbox.update().where(outbox.c.seq.in_(seqs)).values(published_at=utcnow()))
