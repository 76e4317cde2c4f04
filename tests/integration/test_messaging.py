"""Outbox, relay, inbox and the two buses: events are published only with the
state change that caused them, effectively once per consumer."""
from __future__ import annotations

import asyncio
import logging
import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa

from subgraphs.kernel.bus import create_bus
from subgraphs.kernel.bus.memory import InProcessBus
from subgraphs.kernel.bus.nats import NatsJetStreamBus
from subgraphs.kernel.db import Database, messaging_tables
from subgraphs.kernel.events import Event
from subgraphs.kernel.outbox import OutboxRelay


def make_db(tmp_path: Path) -> tuple[Database, sa.Table]:
    metadata = sa.MetaData()
    messaging_tables(metadata)
    counters = sa.Table("counters", metadata, sa.Column("name", sa.String, primary_key=True),
                        sa.Column("value", sa.Integer, nullable=False))
    return Database(f"sqlite+aiosqlite:///{tmp_path}/messaging.db", metadata), counters


async def test_events_commit_with_their_state_and_are_handled_once(tmp_path: Path) -> None:
    db, counters = make_db(tmp_path)
    async with db.engine.begin() as connection:
        await connection.run_sync(db.metadata.create_all)
        await connection.execute(counters.insert().values(name="greetings", value=0))
    bus = InProcessBus()

    async def count_greeting(event: Event) -> None:
        async with db.unit_of_work() as uow:
            if not await uow.mark_handled("greeter", event.id):
                return
            await uow.execute(counters.update().values(value=counters.c.value + 1))
            await uow.commit()

    await bus.consume("greeter", "loyalty.test.*", count_greeting)
    relay = OutboxRelay(db, bus)

    async with db.unit_of_work() as uow:  # rolled back: its event never leaves
        uow.publish(Event("Greeted", "test", None, {"who": "nobody"}))
    async with db.unit_of_work() as uow:
        uow.publish(Event("Greeted", "test", None, {"who": "julia"}))
        await uow.commit()
    assert await relay.publish_pending() == 1
    # A crash before the relay marked the row: it is published again, the inbox absorbs it.
    async with db.unit_of_work() as uow:
        await uow.execute(db.outbox.update().values(published_at=None))
        await uow.commit()
    assert await relay.publish_pending() == 1
    async with db.reading() as connection:
        assert await connection.scalar(sa.select(counters.c.value)) == 1
        assert await connection.scalar(sa.select(sa.func.count()).select_from(db.outbox)) == 1
    await db.dispose()


async def test_a_failing_consumer_keeps_the_row_for_the_next_round(tmp_path: Path) -> None:
    db, _ = make_db(tmp_path)
    async with db.engine.begin() as connection:
        await connection.run_sync(db.metadata.create_all)
    bus = InProcessBus()
    attempts: list[str] = []

    async def flaky(event: Event) -> None:
        attempts.append(event.id)
        if len(attempts) == 1:
            raise RuntimeError("down for a moment")

    await bus.consume("flaky", "loyalty.test.*", flaky)
    relay = OutboxRelay(db, bus)
    async with db.unit_of_work() as uow:
        uow.publish(Event("Tried", "test", None, {}))
        await uow.commit()
    with pytest.raises(RuntimeError):
        await relay.publish_pending()
    assert await relay.publish_pending() == 1
    assert len(attempts) == 2 and attempts[0] == attempts[1]
    await db.dispose()


@pytest.mark.scaleout
async def test_nats_dedups_publishes_and_redelivers_failures() -> None:
    suffix = secrets.token_hex(4)
    bus = NatsJetStreamBus("nats://127.0.0.1:4222", stream=f"LOYALTY_T{suffix}", namespace=f"loyaltyt{suffix}")
    received: list[str] = []
    failed_once: set[str] = set()

    async def handler(event: Event) -> None:
        if event.payload.get("fail") and event.id not in failed_once:
            failed_once.add(event.id)
            raise RuntimeError("first delivery fails")
        received.append(event.id)

    await bus.consume("test", "loyalty.test.*", handler)
    await bus.start()
    try:
        live = bus.listen("loyalty.test.*")
        first_live = asyncio.ensure_future(anext(live))
        await asyncio.sleep(0.2)
        event = Event("Published", "test", None, {})
        await bus.publish(event)
        await bus.publish(event)  # a relay publishing the same row twice
        flaky = Event("Published", "test", None, {"fail": True})
        await bus.publish(flaky)
        assert (await asyncio.wait_for(first_live, 5)).id == event.id
        for _ in range(100):
            if len(received) >= 2:
                break
            await asyncio.sleep(0.1)
        assert sorted(received) == sorted([event.id, flaky.id])  # once each; the failure redelivered
        await asyncio.sleep(0.5)
        assert len(received) == 2
        await live.aclose()
    finally:
        await bus.delete_stream()
        await bus.close()


@pytest.mark.scaleout
async def test_messages_a_stopped_consumer_held_come_first_and_in_order() -> None:
    """A process stops (here: closes) while handling the 2nd of four events it fetched: the next
    process on the same durable consumer gets 2, 3, 4 before the 5th published since, not after
    the server's 30 s ack wait (a member's events out of order; webhooks promise their order)."""
    suffix = secrets.token_hex(4)
    stream, namespace = f"LOYALTY_T{suffix}", f"loyaltyt{suffix}"
    stopped = NatsJetStreamBus("nats://127.0.0.1:4222", stream=stream, namespace=namespace)
    holding = asyncio.Event()

    async def stops_on_the_second(event: Event) -> None:
        if event.payload["n"] == 2:
            holding.set()
            await asyncio.Event().wait()  # never acknowledged: the process goes away here

    await stopped.consume("test", "loyalty.test.*", stops_on_the_second)
    await stopped.start()
    for n in (1, 2, 3, 4):
        await stopped.publish(Event("Numbered", "test", None, {"n": n}))
    await asyncio.wait_for(holding.wait(), 10)
    await stopped.close()
    following = NatsJetStreamBus("nats://127.0.0.1:4222", stream=stream, namespace=namespace)
    handled: list[int] = []

    async def records(event: Event) -> None:
        handled.append(event.payload["n"])

    await following.consume("test", "loyalty.test.*", records)
    await following.start()
    try:
        await following.publish(Event("Numbered", "test", None, {"n": 5}))
        for _ in range(450):  # without the replay, 2-4 would come only after the 30 s ack wait
            if len(handled) >= 4:
                break
            await asyncio.sleep(0.1)
        assert handled[:4] == [2, 3, 4, 5]
    finally:
        await following.delete_stream()
        await following.close()


@pytest.mark.scaleout
async def test_two_relays_on_one_postgres_outbox_publish_each_row_once() -> None:
    """Two replicas of a subgraph each run a relay: a row is claimed by one of them,
    so live listeners (which see every publish) never get an event twice."""
    import asyncpg

    name = f"loyalty_t{secrets.token_hex(4)}_outbox"
    server = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await server.execute(f'CREATE DATABASE "{name}"')
    replicas: list[Database] = []
    try:
        for _ in range(2):
            db, _counters = make_db_at(f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}")
            replicas.append(db)
        async with replicas[0].engine.begin() as connection:
            await connection.run_sync(replicas[0].metadata.create_all)
        async with replicas[0].unit_of_work() as uow:
            for n in range(600):
                uow.publish(Event("Counted", "test", None, {"n": n}))
            await uow.commit()
        bus = InProcessBus()
        published: list[str] = []

        async def slow_consumer(event: Event) -> None:
            published.append(event.id)
            await asyncio.sleep(0)  # a real bus awaits the network: the relays interleave

        await bus.consume("counter", "loyalty.test.*", slow_consumer)
        relays = [OutboxRelay(db, bus, batch_size=50) for db in replicas]
        totals = await asyncio.gather(*(relay.publish_pending() for relay in relays))
        assert sum(totals) == 600
        assert len(published) == 600 and len(set(published)) == 600
        assert all(total > 0 for total in totals), totals  # both relays took a share
    finally:
        for db in replicas:
            await db.dispose()
        await server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await server.close()


def make_db_at(url: str) -> tuple[Database, sa.Table]:
    metadata = sa.MetaData()
    messaging_tables(metadata)
    counters = sa.Table("counters", metadata, sa.Column("name", sa.String(40), primary_key=True),
                        sa.Column("value", sa.Integer, nullable=False))
    return Database(url, metadata), counters


@pytest.mark.scaleout
async def test_idle_nats_consumers_log_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """An empty fetch is the normal state of an idle consumer, not an error to log; and a
    bus that consumed for a while closes at once (it used to wait out a 30 s drain timeout)."""
    suffix = secrets.token_hex(4)
    bus = NatsJetStreamBus("nats://127.0.0.1:4222", stream=f"LOYALTY_T{suffix}", namespace=f"loyaltyt{suffix}")

    async def handler(_event: Event) -> None:
        pass

    for n in range(6):
        await bus.consume(f"idle{n}", "loyalty.test.*", handler)
    with caplog.at_level(logging.INFO):
        await bus.start()
        try:
            await asyncio.sleep(12)  # 6 consumers x 12 one-second fetches, all empty
        finally:
            await bus.delete_stream()
            await asyncio.wait_for(bus.close(), 10)
    assert [r.getMessage() for r in caplog.records if r.name.startswith(("subgraphs.kernel.bus", "nats"))
            and r.levelno >= logging.INFO] == []


@pytest.mark.scaleout
async def test_the_nats_stream_keeps_events_only_for_its_retention() -> None:
    """Events may carry personal data (README "Privacy"): the stream deletes them after
    LOYALTY_BUS_MAX_AGE_HOURS, and a stream created with another retention is updated."""
    suffix = secrets.token_hex(4)
    stream, namespace = f"LOYALTY_T{suffix}", f"loyaltyt{suffix}"
    for hours in (168, 2):
        bus = create_bus("nats://127.0.0.1:4222", stream=stream, namespace=namespace, max_age_seconds=hours * 3600)
        await bus.start()
        try:
            info = await bus._js.stream_info(stream)  # type: ignore[attr-defined]
            assert info.config.max_age == hours * 3600
        finally:
            if hours == 2:
                await bus.delete_stream()  # type: ignore[attr-defined]
            await bus.close()
    with pytest.raises(ValueError, match="at least 600 s"):
        create_bus("nats://127.0.0.1:4222", max_age_seconds=60)
