"""The house rules of the code base (DESIGN.md "Processes and parts"): the gateway and the
wallet know the subgraphs only through the public API, never their code; `core/` is the
shared vocabulary and imports nothing of the project."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("core", "gateway", "subgraphs", "wallet_ui", "loyalty", "seed", "bench", "tests")


def imported_modules(source: str) -> set[str]:
    """Absolute module names a source imports (relative imports stay inside their package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def imports_of(package: str) -> dict[str, set[str]]:
    return {str(path.relative_to(ROOT)): imported_modules(path.read_text())
            for path in sorted((ROOT / package).rglob("*.py"))}


def _names(modules: set[str], *packages: str) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in packages)


@pytest.mark.parametrize("package", ["gateway", "wallet_ui", "core"])
def test_the_gateway_the_wallet_and_core_never_import_the_subgraphs(package: str) -> None:
    offending = {path: _names(modules, "subgraphs") for path, modules in imports_of(package).items()}
    assert {path: names for path, names in offending.items() if names} == {}


def test_core_imports_nothing_of_the_project() -> None:
    others = [p for p in PROJECT_PACKAGES if p != "core"]
    offending = {path: _names(modules, *others) for path, modules in imports_of("core").items()}
    assert {path: names for path, names in offending.items() if names} == {}


def test_the_rule_sees_every_form_of_import() -> None:
    source = """
import subgraphs.kernel.db
from subgraphs.kernel import db
from subgraphs import ledger as books
from .sibling import thing
def later():
    from gateway.app import create_gateway_app
"""
    assert _names(imported_modules(source), "subgraphs") == [
        "subgraphs", "subgraphs.kernel", "subgraphs.kernel.db", "subgraphs.ledger"]
    assert _names(imported_modules(source), "gateway") == ["gateway.app", "gateway.app.create_gateway_app"]
