from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.stack import Stack, make_settings


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """The embedded stack (SQLite, in-process bus) with the demo program, shared by the session."""
    running = Stack(make_settings(tmp_path_factory.mktemp("embedded")))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
