"""The gateway's own federation tests: one scenario for each semantics the
Federation Gateway Audit checks (our schemas, data and queries, written here),
compared as the audit compares: the data exactly, errors only where a case says."""
from __future__ import annotations

import pytest

from .conftest import Federation, all_scenarios

CASES = [(s.name, i) for s in all_scenarios() for i in range(len(s.cases))]


@pytest.mark.parametrize(("scenario", "index"), CASES, ids=[f"{s}-{i}" for s, i in CASES])
async def test_scenario(federation: Federation, scenario: str, index: int) -> None:
    case = federation.scenarios[scenario].cases[index]
    response = await federation.ask(scenario, case.query)
    assert response.get("data") == case.data, response
    if case.errors is not None:
        assert bool(response.get("errors")) is case.errors, response
