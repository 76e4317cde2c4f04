"""The outbox relay: publishes committed outbox rows to the bus, in order.

It wakes when a unit of work commits events (low latency) and also polls (rows
left behind by a crash or another process). Rows are marked published only
after the bus accepted them; a row published twice is harmless (NATS dedups by
event id, inboxes dedup on the consumer side).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

import sqlalchemy as sa

from .bus import EventBus
from .clock import utcnow
from .db import Database
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
        outbox = self.db.outbox
        total = 0
        while True:
            async with self.db.reading() as connection:
                rows = (
                    await connection.execute(
                        sa.select(outbox.c.seq, outbox.c.body)
                        .where(outbox.c.published_at.is_(None))
                        .order_by(outbox.c.seq)
                        .limit(self.batch_size)
                    )
                ).all()
            if not rows:
                return total
            published: list[int] = []
            try:
                for seq, body in rows:
                    await self.bus.publish(Event.from_json(body))
                    published.append(seq)
            finally:
                if published:
                    async with self.db.unit_of_work() as uow:
                        await uow.execute(
                            outbox.update().where(outbox.c.seq.in_(published)).values(published_at=utcnow())
                        )
                        await uow.commit()
                    total += len(published)
