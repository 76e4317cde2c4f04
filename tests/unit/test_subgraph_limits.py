"""A subgraph's own guards (subgraphs/kernel/limits.py): the gateway's limits at the
subgraph's port, a body-size limit, and no introspection in prod. Each subgraph app
is built as the host builds it (Runtime + create_subgraph_app) and called over ASGI."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from core.settings import Settings
from subgraphs.kernel.app import create_subgraph_app
from subgraphs.kernel.bus import create_bus
from subgraphs.kernel.host import load_spec
from subgraphs.kernel.limits import subgraph_limits, subgraph_max_body_bytes
from subgraphs.kernel.runtime import Runtime

PROD = {"env": "prod", "jwt_secret": "a-real-secret-for-this-test-and-long-enough"}


@contextlib.asynccontextmanager
async def subgraph(name: str, data_dir: Path, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    runtime = Runtime(load_spec(name), Settings(data_dir=data_dir, **settings), create_bus("memory://"))
    transport = httpx.ASGITransport(app=create_subgraph_app(runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://subgraph") as client:
            yield client
    finally:
        await runtime.close()


async def ask(client: httpx.AsyncClient, query: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    response = await client.post("/graphql", content=orjson.dumps({"query": query, **extra}),
                                 headers={"content-type": "application/json"})
    return response.status_code, response.json()


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or ()]


def stock_chain(levels: int) -> str:
    """`{ product { stock { product { stock ... } } } }` in inventory: `levels` fields deep,
    a list (stock) every other level."""
    fields = ['product(sku: "X")'] + ['stock(storeId: "st")' if i % 2 else "product" for i in range(1, levels - 1)]
    leaf = "available" if fields[-1].startswith("stock") else "sku"
    return "{ " + " { ".join(fields) + " { " + leaf + " }" * len(fields) + " }"


# --- introspection ------------------------------------------------------------------------


async def test_introspection_is_off_in_prod_but_service_sdl_answers(tmp_path: Path) -> None:
    async with subgraph("ledger", tmp_path, **PROD) as ledger:
        for query in ("{ __schema { mutationType { fields { name } } } }",
                      '{ __type(name: "Mutation") { fields { name } } }'):
            _, body = await ask(ledger, query)
            assert set(codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}, body
            assert "postEarning" not in orjson.dumps(body).decode() and not body.get("data")
        _, body = await ask(ledger, "{ _service { sdl } __typename }")
        assert codes(body) == [] and "type Tier" in body["data"]["_service"]["sdl"]  # the gateway composes from it
        page = await ledger.get("/graphql", headers={"accept": "text/html"})
        assert "graphiql" not in page.text.lower()


async def test_introspection_stays_on_in_dev(tmp_path: Path) -> None:
    async with subgraph("ledger", tmp_path) as ledger:
        _, body = await ask(ledger, "{ __schema { mutationType { fields { name } } } }")
        assert codes(body) == []
        assert "debitPoints" in [f["name"] for f in body["data"]["__schema"]["mutationType"]["fields"]]
        page = await ledger.get("/graphql", headers={"accept": "text/html"})
        assert "graphiql" in page.text.lower()


# --- operation limits ---------------------------------------------------------------------


async def test_a_deep_operation_is_refused_with_the_limit_named(tmp_path: Path) -> None:
    async with subgraph("inventory", tmp_path) as inventory:
        _, body = await ask(inventory, stock_chain(52))
        assert codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["extensions"] | {"actual": 0} == {
            "code": "BAD_USER_INPUT", "limit": "depth", "actual": 0, "maximum": 20}
        assert body.get("data") is None


async def test_aliases_cost_and_tokens_are_refused(tmp_path: Path) -> None:
    async with subgraph("inventory", tmp_path, subgraph_max_aliases=3, subgraph_max_cost=1000,
                        subgraph_max_tokens=200) as inventory:
        _, aliased = await ask(inventory, "{ a: __typename b: __typename c: __typename d: __typename }")
        assert aliased["errors"][0]["extensions"]["limit"] == "aliases"
        _, costly = await ask(inventory, stock_chain(8))  # four lists deep: 10^4
        assert costly["errors"][0]["extensions"]["limit"] == "cost"
        _, wordy = await ask(inventory, "{" + " __typename" * 250 + " }")
        assert codes(wordy) == ["BAD_USER_INPUT"] and wordy["errors"][0]["extensions"]["limit"] == "tokens"
        _, fine = await ask(inventory, "{ a: __typename b: __typename _service { sdl } }")
        assert codes(fine) == [], fine


async def test_many_same_named_fields_stop_at_the_validation_budget(tmp_path: Path) -> None:
    async with subgraph("inventory", tmp_path) as inventory:
        _, body = await ask(inventory, "{" + " stores { id }" * 1500 + " }")  # a million pairs to compare
        assert body["errors"][0]["extensions"] | {"actual": 0} == {
            "code": "BAD_USER_INPUT", "limit": "validation_budget", "actual": 0, "maximum": 80_000}


async def test_limits_are_derived_from_the_gateways_unless_set() -> None:
    derived = subgraph_limits(Settings(gateway_max_depth=10, gateway_max_cost=100))
    assert (derived.max_depth, derived.max_aliases, derived.max_cost, derived.max_tokens) == (15, 80, 10_000, 41_000)
    own = subgraph_limits(Settings(subgraph_max_depth=7))
    assert own.max_depth == 7
    assert subgraph_max_body_bytes(Settings()) == 4_000_000


# --- body size ----------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_body_over_the_limit_is_refused_with_413(tmp_path: Path, chunked: bool) -> None:
    body = orjson.dumps({"query": "{ tiers { id } }", "pad": "x" * 5_000_000})

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 65_536):
            yield body[start:start + 65_536]

    async with subgraph("ledger", tmp_path) as ledger:
        response = await ledger.post("/graphql", content=chunks() if chunked else body,
                                     headers={"content-type": "application/json"})
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"] == {
            "code": "BAD_USER_INPUT", "limit": "body_bytes", "maximum": 4_000_000}
        status, fine = await ask(ledger, "{ __typename }", pad="x" * 1_000_000)
        assert (status, fine) == (200, {"data": {"__typename": "Query"}})


# --- the document cache -------------------------------------------------------------------


async def test_documents_are_parsed_and_validated_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import strawberry.schema.schema as strawberry_schema

    from subgraphs.kernel import limits

    parsed, validated = [], []
    real_parse, real_validate = strawberry_schema.parse, limits.validate_document
    monkeypatch.setattr(strawberry_schema, "parse", lambda *a, **k: parsed.append(1) or real_parse(*a, **k))
    monkeypatch.setattr(limits, "validate_document", lambda *a: validated.append(1) or real_validate(*a))
    async with subgraph("ledger", tmp_path, subgraph_document_cache_bytes=1_000_000) as ledger:
        for _ in range(3):
            assert (await ask(ledger, "query Once { _service { sdl } }"))[1]["data"]["_service"]["sdl"]
        assert (len(parsed), len(validated)) == (1, 1)
        big = "query Big { __typename }" + " " * 5_000  # 5 KB x 250 > 1 MB: never kept
        for _ in range(2):
            assert (await ask(ledger, big))[1] == {"data": {"__typename": "Query"}}
        assert (len(parsed), len(validated)) == (3, 3)


async def test_a_syntax_error_leaves_with_its_code(tmp_path: Path) -> None:
    # Strawberry's ParserCache parsed inside its own hook, where ErrorCodes never saw the error.
    async with subgraph("ledger", tmp_path) as ledger:
        assert codes((await ask(ledger, "{ tiers { id }"))[1]) == ["GRAPHQL_PARSE_FAILED"]


async def test_distinct_documents_do_not_accumulate(tmp_path: Path) -> None:
    import gc
    import tracemalloc

    async with subgraph("ledger", tmp_path, subgraph_document_cache_bytes=1_000_000) as ledger:
        await ask(ledger, "{ __typename }")
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for i in range(3):  # dense documents: 40 KB of text, 2.5 MB parsed, 10 MB estimated
                await ask(ledger, f"query Q{i} {{" + " __typename" * 4_000 + " }")
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
    print(f"3 distinct 4,000-token documents: the subgraph keeps {grown / 1e6:.1f} MB more")
    assert grown < 3_000_000  # Strawberry's ParserCache kept them all, by count
