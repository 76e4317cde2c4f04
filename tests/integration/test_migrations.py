"""Each subgraph's migrations build exactly the tables its code declares (tables.py),
on SQLite and on PostgreSQL: a column added to a table without a migration (or the
other way round) fails here, not in production."""
from __future__ import annotations

import secrets
from pathlib import Path

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.settings import SUBGRAPHS
from subgraphs.kernel.db import create_engine
from subgraphs.kernel.host import load_spec
from subgraphs.kernel.migrations import migrate


def _differences(connection, metadata):  # noqa: ANN001, ANN202 - run inside run_sync
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, metadata) if not _is_alembic_bookkeeping(d)]


def _is_alembic_bookkeeping(difference: object) -> bool:
    return isinstance(difference, tuple) and difference[0] == "remove_table" and \
        difference[1].name == "alembic_version"


@pytest.mark.parametrize("subgraph", SUBGRAPHS)
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.scaleout)])
async def test_migrations_match_the_tables(subgraph: str, backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/{subgraph}.db"
    else:
        name = f"loyalty_t{secrets.token_hex(4)}_{subgraph}"
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    await migrate(subgraph, url)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences, load_spec(subgraph).metadata)
    finally:
        await engine.dispose()
        if backend == "postgresql":
            server = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
            await server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await server.close()
    assert differences == []
