"""Each subgraph's migrations build exactly the tables its code declares (tables.py),
on SQLite and on PostgreSQL: a column added to a table without a migration (or the
other way round) fails here, not in production."""
from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.settings import SUBGRAPHS
from subgraphs.kernel.db import create_engine
from subgraphs.kernel.host import load_spec
from tests.support.runtimes import BACKENDS, migrated_database


def _differences(connection, metadata):  # noqa: ANN001, ANN202 - run inside run_sync
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, metadata) if not _is_alembic_bookkeeping(d)]


def _is_alembic_bookkeeping(difference: object) -> bool:
    return isinstance(difference, tuple) and difference[0] == "remove_table" and \
        difference[1].name == "alembic_version"


@pytest.mark.parametrize("subgraph", SUBGRAPHS)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_migrations_match_the_tables(subgraph: str, backend: str, tmp_path: Path) -> None:
    async with migrated_database(subgraph, backend, tmp_path) as url:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                differences = await connection.run_sync(_differences, load_spec(subgraph).metadata)
        finally:
            await engine.dispose()
    assert differences == []
