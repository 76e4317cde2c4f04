"""PostgreSQL connections (subgraphs/kernel/db.py): a pooled connection is pinged only after
sitting idle, so a server that dropped it (a restart, an idle timeout) costs no request; reads
run outside a transaction."""
from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from subgraphs.kernel.db import Database
from subgraphs.rewards.adapters.tables import metadata
from tests.support.runtimes import POSTGRES, migrated_database

pytestmark = pytest.mark.scaleout


async def _drop_connections_of(database: str) -> int:
    """What a PostgreSQL restart does to the pool: every backend of the database is ended."""
    server = await asyncpg.connect(POSTGRES)
    try:
        return len(await server.fetch("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                      "WHERE datname = $1 AND pid <> pg_backend_pid()", database))
    finally:
        await server.close()


@pytest.fixture
async def database(tmp_path: Path):  # noqa: ANN201
    async with migrated_database("rewards", "postgresql", tmp_path) as url:
        db = Database(url, metadata, ping_after_idle_seconds=0.2)
        try:
            yield db
        finally:
            await db.dispose()


async def _read_one(db: Database) -> int:
    async with db.reading() as connection:
        return int(await connection.scalar(sa.text("SELECT 1")))


async def test_a_connection_dropped_while_idle_is_replaced_before_the_next_read(database: Database) -> None:
    assert await asyncio.gather(*(_read_one(database) for _ in range(4))) == [1, 1, 1, 1]  # a few pooled
    name = database.engine.url.database
    assert await _drop_connections_of(name) >= 1
    await asyncio.sleep(0.3)  # idle past the threshold: pinged, found dead, replaced
    assert await asyncio.gather(*(_read_one(database) for _ in range(4))) == [1, 1, 1, 1]
    async with database.unit_of_work() as uow:  # writers too
        assert int(await uow.connection.scalar(sa.text("SELECT 2"))) == 2


async def test_a_connection_dropped_mid_use_fails_that_statement_and_the_pool_starts_afresh(
        database: Database) -> None:
    assert await _read_one(database) == 1
    await _drop_connections_of(database.engine.url.database)
    try:  # used a moment ago: not pinged; the statement meets the dropped connection
        await _read_one(database)
    except DBAPIError as error:
        assert error.connection_invalidated
    assert await _read_one(database) == 1  # and the next request is served


async def _state_of(pid: int) -> str:
    server = await asyncpg.connect(POSTGRES)
    try:
        return await server.fetchval("SELECT state FROM pg_stat_activity WHERE pid = $1", pid)
    finally:
        await server.close()


async def test_reads_run_outside_a_transaction(database: Database) -> None:
    async with database.reading() as connection:  # no BEGIN (and no ROLLBACK): a round trip each
        pid = await connection.scalar(sa.text("SELECT pg_backend_pid()"))
        assert await _state_of(pid) == "idle"
    async with database.unit_of_work() as uow:  # writers keep their transaction
        pid = await uow.connection.scalar(sa.text("SELECT pg_backend_pid()"))
        assert await _state_of(pid) == "idle in transaction"
