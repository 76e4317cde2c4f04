from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.processes import ProcessStack


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ProcessStack]:
    """Scale-out: one process per subgraph on PostgreSQL, NATS JetStream (shadows the embedded `stack`)."""
    running = ProcessStack(tmp_path_factory.mktemp("scaleout"))
    try:
        await running.start()
        yield running
    finally:
        await running.stop()
