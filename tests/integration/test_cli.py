"""The `loyalty` command's offline parts: compose and plan."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def loyalty(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "loyalty", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_compose_prints_a_join_supergraph() -> None:
    result = loyalty("compose")
    assert result.returncode == 0, result.stderr
    assert '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)' in result.stdout
    assert 'type Member @join__type(graph: PROFILE, key: "id") @join__type(graph: LEDGER, key: "id")' in result.stdout


def test_plan_prints_the_fetches() -> None:
    result = loyalty("plan", "{ me { givenName points { available } } }")
    assert result.returncode == 0, result.stderr
    assert "Fetch #0 profile at <root>" in result.stdout
    assert "Fetch #1 ledger at me after [0]" in result.stdout
    assert "representations Member { id __typename }" in result.stdout


def test_plan_reports_a_bad_operation() -> None:
    result = loyalty("plan", "{ nope }")
    assert result.returncode == 1
    assert "GRAPHQL_VALIDATION_FAILED: Cannot query field 'nope' on type 'Query'." in result.stderr


def test_a_cashier_token_needs_the_store() -> None:
    refused = loyalty("token", "--role", "cashier")
    assert refused.returncode == 2
    assert "a cashier's token names their store" in refused.stderr
    issued = loyalty("token", "--role", "cashier", "--store", "st_portland")
    assert issued.returncode == 0 and issued.stdout.count(".") == 2
