"""A subgraph's runtime in the test process, on a fresh database of either kind:
for tests of handlers against the real SQLite and PostgreSQL (no HTTP)."""
from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from core.clock import Clock
from core.settings import Settings
from subgraphs.kernel.bus import EventBus
from subgraphs.kernel.bus.memory import InProcessBus
from subgraphs.kernel.host import load_spec
from subgraphs.kernel.migrations import migrate
from subgraphs.kernel.runtime import Runtime

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
# Parametrize a fixture with this: the PostgreSQL case is marked like the other scale-out tests.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.scaleout)]


@asynccontextmanager
async def migrated_database(subgraph: str, backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a fresh database of this kind at the subgraph's latest migration; a
    PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/{subgraph}.db"
    else:
        name = f"loyalty_t{secrets.token_hex(4)}_{subgraph}"
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    await migrate(subgraph, url)
    try:
        yield url
    finally:
        if backend == "postgresql":
            server = await asyncpg.connect(POSTGRES)
            await server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await server.close()


@asynccontextmanager
async def runtime_on(subgraph: str, backend: str, tmp_path: Path, *, clock: Clock | None = None,
                     bus: EventBus | None = None, **settings: Any) -> AsyncIterator[Runtime]:
    async with migrated_database(subgraph, backend, tmp_path) as url:
        runtime = Runtime(load_spec(subgraph), Settings(database_urls={subgraph: url}, **settings),
                          bus or InProcessBus(), clock)
        try:
            yield runtime
        finally:
            await runtime.close()
