"""The kernel's part of erasure (kernel/privacy.py) on both databases: the erasure consumer
every subgraph registers, the outbox rows it deletes and the ones it keeps, the outbox
retention job, SQLite's files after a deletion, and late events that must bring
nothing back."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.clock import utcnow
from subgraphs.inventory import privacy as inventory_privacy
from subgraphs.kernel import privacy
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime
from subgraphs.rewards import handlers as rewards
from subgraphs.rewards import privacy as rewards_privacy
from subgraphs.rewards.adapters import repository as rewards_repository
from subgraphs.rewards.adapters.tables import member_identifiers, members
from tests.support.privacy import find_in_files
from tests.support.runtimes import BACKENDS, runtime_on

from .test_event_order import enrolled

AT = datetime(2026, 11, 30, 9, tzinfo=UTC)


def erasure_requested(member_id: str, request_id: str = "era_1") -> Event:
    return Event(privacy.ERASURE_REQUESTED, "profile", member_id,
                 payload={"request_id": request_id, "member_id": member_id, "member_ids": [member_id]})


async def outbox(runtime: Runtime) -> list[tuple[str, str | None]]:
    """(event type, member id) of the outbox rows, oldest first."""
    async with runtime.db.reading() as connection:
        bodies = (await connection.execute(sa.select(runtime.db.outbox.c.body).order_by(runtime.db.outbox.c.seq)))
        return [(event.type, event.member_id) for event in map(Event.from_json, bodies.scalars())]


@pytest.fixture(params=BACKENDS)
async def inventory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Runtime]:
    async with runtime_on("inventory", request.param, tmp_path) as runtime:
        yield runtime


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Runtime]:
    async with runtime_on("rewards", request.param, tmp_path) as runtime:
        yield runtime


async def test_the_erasure_consumer_erases_each_per_member_table_and_confirms_once(
        inventory: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table holding rows per member is one line in PER_MEMBER_TABLES: erased, and exported."""
    interest = sa.Table("product_interest_test", sa.MetaData(), sa.Column("member_id", sa.String(40)),
                        sa.Column("sku", sa.String(64)))
    async with inventory.db.engine.begin() as connection:
        await connection.run_sync(interest.metadata.create_all)
        await connection.execute(interest.insert(), [{"member_id": "mbr_gone", "sku": "JKT"},
                                                     {"member_id": "mbr_gone", "sku": "CAP"},
                                                     {"member_id": "mbr_stays", "sku": "JKT"}])
    monkeypatch.setattr(inventory_privacy, "PER_MEMBER_TABLES", (interest,))
    async with inventory.db.reading() as connection:
        exported = await privacy.export_rows(connection, inventory_privacy.PER_MEMBER_TABLES, ["mbr_gone"])
    assert exported == {"product_interest_test": {"rows": [{"member_id": "mbr_gone", "sku": "JKT"},
                                                           {"member_id": "mbr_gone", "sku": "CAP"}],
                                                  "total": 2, "truncated": False}}
    async with inventory.unit_of_work() as uow:
        uow.publish(Event("ProductViewed", "inventory", "mbr_gone", {"sku": "JKT"}))
        uow.publish(Event("ProductViewed", "inventory", "mbr_stays", {"sku": "JKT"}))
        await uow.commit()

    event = erasure_requested("mbr_gone")
    for _ in range(2):  # a redelivery does nothing
        await inventory_privacy.CONSUMER.handle(inventory, event)

    async with inventory.db.reading() as connection:
        left = (await connection.execute(sa.select(interest.c.member_id, interest.c.sku))).all()
        assert await privacy.is_erased(connection, "mbr_gone")
        assert not await privacy.is_erased(connection, "mbr_stays")
    assert left == [("mbr_stays", "JKT")]
    assert await outbox(inventory) == [("ProductViewed", "mbr_stays"), ("MemberErased", "mbr_gone")]
    async with inventory.db.reading() as connection:
        [body] = (await connection.execute(sa.select(inventory.db.outbox.c.body).where(
            inventory.db.outbox.c.subject == "loyalty.inventory.MemberErased"))).scalars()
    assert Event.from_json(body).payload == {"request_id": "era_1", "member_id": "mbr_gone", "subgraph": "inventory"}


async def test_an_erasure_keeps_the_erasure_events_in_the_outbox(inventory: Runtime) -> None:
    """They carry ids only and must still reach every subgraph, published or not."""
    async with inventory.unit_of_work() as uow:
        uow.publish(Event("ProductViewed", "inventory", "mbr_gone", {"sku": "JKT"}))
        uow.publish(Event(privacy.ERASED, "inventory", "mbr_gone", {"request_id": "era_0"}))
        await uow.commit()
    async with inventory.unit_of_work() as uow:
        assert await privacy.forget_outbox(uow, ["mbr_gone"]) == 1
        await uow.commit()
    assert await outbox(inventory) == [("MemberErased", "mbr_gone")]


async def test_published_outbox_rows_are_deleted_after_the_retention(inventory: Runtime) -> None:
    outbox_table = inventory.db.outbox
    now = utcnow()
    rows = {"old-published": now - timedelta(hours=25), "young-published": now - timedelta(hours=23),
            "old-unpublished": None}
    async with inventory.unit_of_work() as uow:
        for event_id, published_at in rows.items():
            await uow.execute(outbox_table.insert().values(event_id=event_id, subject="loyalty.inventory.X", body=b"{}",
                                                           created_at=now - timedelta(hours=30),
                                                           published_at=published_at))
        await uow.commit()
    assert inventory.settings.outbox_retention_hours == 24
    assert await privacy.prune_outbox(inventory) == 1
    async with inventory.db.reading() as connection:
        left = set((await connection.execute(sa.select(outbox_table.c.event_id))).scalars())
    assert left == {"young-published", "old-unpublished"}


async def test_sqlite_files_hold_no_deleted_data_after_a_compaction(tmp_path: Path) -> None:
    """Deleted content is zeroed (secure_delete) and the write-ahead log, with the page
    images from before the deletion, is emptied into the database file."""
    async with runtime_on("inventory", "sqlite", tmp_path) as runtime:
        stores = runtime.spec.metadata.tables["stores"]
        async with runtime.unit_of_work() as uow:
            await uow.execute(stores.insert(), [{"id": "st_gone", "name": "Quillfeather Corner", "city": "Bend"},
                                                {"id": "st_kept", "name": "Meyer Market", "city": "Salem"}])
            await uow.commit()
        async with runtime.unit_of_work() as uow:
            await uow.execute(stores.delete().where(stores.c.id == "st_gone"))
            await uow.commit()
        assert await runtime.db.compact()
        assert await find_in_files(tmp_path / "inventory.db", ["Quillfeather", "Meyer Market"]) == {
            "Quillfeather": [], "Meyer Market": ["inventory.db"]}  # the log, emptied into the file, holds neither


async def test_an_enrolment_arriving_after_the_erasure_brings_nothing_back(engine: Runtime) -> None:
    """NATS delivers each subject to its own durable consumer: the erasure may be handled
    before the enrolment it follows."""
    await rewards_privacy.CONSUMER.handle(engine, erasure_requested("mbr_late"))
    await rewards.on_member_enrolled(engine, enrolled("mbr_late", profiling=True, at=AT))
    async with engine.db.reading() as connection:
        member = (await connection.execute(sa.select(members)
                                           .where(members.c.member_id == "mbr_late"))).one()
        identifiers = await connection.scalar(sa.select(sa.func.count()).select_from(member_identifiers))
    assert (member.status, member.birthday, member.home_store_id) == ("ERASED", None, None)
    assert identifiers == 0


async def test_an_erasure_removes_what_the_engine_knew(engine: Runtime) -> None:
    await rewards.on_member_enrolled(engine, enrolled("mbr_known", profiling=True, at=AT))
    await rewards.on_member_enrolled(engine, enrolled("mbr_other", profiling=True, at=AT))
    await rewards_privacy.CONSUMER.handle(engine, erasure_requested("mbr_known"))
    async with engine.db.reading() as connection:
        identifiers = (await connection.execute(sa.select(member_identifiers.c.member_id))).scalars()
        assert list(identifiers) == ["mbr_other"]
        assert (await rewards_repository.known_member(connection, "mbr_known")).status == "ERASED"
