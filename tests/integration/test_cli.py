"""The `loyalty` command's offline parts: compose, plan, token, train."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def loyalty(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "loyalty", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)


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


def test_train_writes_the_model_and_its_card(tmp_path: Path) -> None:
    result = loyalty("train", "--members", "4000", "--seed", "7", "--output", str(tmp_path), timeout=600)
    assert result.returncode == 0, result.stderr
    assert "holdout AUC 0." in result.stdout and "(floor 0.70)" in result.stdout
    import orjson

    from subgraphs.profile.domain.churn import model_from_document

    document = orjson.loads((tmp_path / "churn.json").read_bytes())
    assert model_from_document(document).version == document["version"]
    card = (tmp_path / "CARD.md").read_text()
    assert f"Version `{document['version']}`" in card
    assert f"| ROC AUC | **{document['metrics']['auc']:.4f}**" in card
    assert "loyalty train --members 4000 --seed 7 --horizon 90" in card
    assert "## Limits" in card and "## Data" in card and "## Features" in card


def test_train_refuses_what_it_cannot_learn_from(tmp_path: Path) -> None:
    for args in (("--members", "10"), ("--horizon", "0"), ("--horizon", "400")):
        refused = loyalty("train", *args, "--output", str(tmp_path))
        assert refused.returncode == 2 and "--members 100 or more" in refused.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written
