"""Julia's journey on PostgreSQL + NATS JetStream, one process per subgraph, seeded with the
demo campaigns (tests/integration/test_journey.py says what it checks)."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.test_journey import julias_journey
from tests.support.processes import ProcessStack

pytestmark = pytest.mark.scaleout


@pytest.fixture(scope="module")
async def journey_processes(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ProcessStack]:
    running = ProcessStack(tmp_path_factory.mktemp("journey-scaleout"), campaigns=True)
    try:
        await running.start()
        yield running
    finally:
        await running.stop()


async def test_julias_journey_scales_out(journey_processes: ProcessStack) -> None:
    await julias_journey(journey_processes)
