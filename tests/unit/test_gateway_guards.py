"""The gateway's guards (gateway.guards, gateway.operation.DocumentCache, Gateway.prepare):
hostile operations are refused after bounded work, and nothing exponential or quadratic
reaches the normaliser, the planner or the caches."""
from __future__ import annotations

import gc
import time
import tracemalloc

import pytest
from graphql import DocumentNode, FieldNode, NameNode, OperationDefinitionNode, OperationType, SelectionSetNode

from gateway.execution.fetch import SubgraphClient
from gateway.guards import Limits
from gateway.operation import GraphQLRequest, Normalizer, RequestError, coerce_variables
from gateway.service import Gateway
from tests.unit.test_gateway_schemas import supergraph


def gateway(**options: object) -> Gateway:
    sg = supergraph()
    return Gateway(sg, SubgraphClient(sg.graph_urls, timeout_seconds=1), **options)  # type: ignore[arg-type]


def refused(gw: Gateway, query: str) -> dict[str, object]:
    started = time.perf_counter()
    with pytest.raises(RequestError) as caught:
        gw.prepare(GraphQLRequest(query))
    print(f"{len(query):,} bytes refused in {(time.perf_counter() - started) * 1000:.1f} ms")
    [problem] = caught.value.errors
    return {"message": problem.message, **(problem.extensions or {})}


def bomb(levels: int, leaf: str) -> str:
    spreads = "\n".join(f"fragment F{i} on Product {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f'{{ product(upc: "1") {{ ...F0 }} }}\n{spreads}\nfragment F{levels} on Product {{ {leaf} }}'


# --- fragment bombs ---------------------------------------------------------------------


@pytest.mark.timeout(20)
@pytest.mark.parametrize("introspection", [True, False])  # off: the introspection check walks it first
def test_a_40_level_fragment_bomb_is_refused_at_once(introspection: bool) -> None:
    query = bomb(40, "name")
    assert len(query) < 2000
    problem = refused(gateway(introspection=introspection), query)
    assert problem["code"] == "BAD_USER_INPUT" and problem["limit"] == "cost"


@pytest.mark.timeout(20)
def test_a_bomb_of_typename_is_costed_like_any_field_and_never_planned() -> None:
    problem = refused(gateway(), bomb(18, "__typename"))
    assert problem["limit"] == "cost" and problem["maximum"] == 50_000


# --- aliases ----------------------------------------------------------------------------


def test_aliases_of_typename_count() -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    assert refused(gateway(), query) | {"message": ""} == {
        "message": "", "code": "BAD_USER_INPUT", "limit": "aliases", "actual": 31, "maximum": 30}


@pytest.mark.timeout(20)
def test_thirty_thousand_aliases_stop_at_the_token_limit() -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(30_000)) + " }"
    assert len(query) > 500_000
    problem = refused(gateway(), query)
    assert (problem["code"], problem["limit"], problem["maximum"]) == ("BAD_USER_INPUT", "tokens", 10_000)


@pytest.mark.timeout(20)
def test_many_same_named_fields_stop_at_the_validation_budget() -> None:
    # Validation compares every pair of fields sharing a response name (2,000 here: 2 million pairs).
    problem = refused(gateway(), "{" + " topProducts { name }" * 2000 + " }")
    assert (problem["code"], problem["limit"], problem["maximum"]) == ("BAD_USER_INPUT", "validation_budget", 20_000)


@pytest.mark.timeout(20)
def test_normalisation_is_linear_in_the_number_of_fields() -> None:
    # 50,000 distinct response keys, built as an AST (no parse, no validation): each
    # field is merged by a lookup, not by scanning the fields already collected.
    count = 50_000
    fields = tuple(FieldNode(alias=NameNode(value=f"a{i}"), name=NameNode(value="__typename")) for i in range(count))
    operation = OperationDefinitionNode(operation=OperationType.QUERY, selection_set=SelectionSetNode(selections=fields))
    sg = supergraph()
    variables = coerce_variables(sg.api_schema, operation, None)
    started = time.perf_counter()
    selections = Normalizer(sg, DocumentNode(definitions=(operation,)), variables).normalize(
        operation.selection_set, "Query")
    print(f"{count:,} aliases normalised in {(time.perf_counter() - started) * 1000:.0f} ms")
    assert len(selections) == count and selections[-1].key == f"a{count - 1}"


def test_limits_are_the_gateways_own() -> None:
    strict = gateway(limits=Limits(max_depth=2))
    assert refused(strict, '{ product(upc: "1") { reviews { body } } }')["limit"] == "depth"
    assert gateway().prepare(GraphQLRequest('{ product(upc: "1") { reviews { body } } }')).plan.fetches


# --- caches bounded in bytes ------------------------------------------------------------


def test_byte_bounded_lru_drops_the_least_recently_used() -> None:
    from core.lru import ByteBoundedLRU

    lru: ByteBoundedLRU[str, int] = ByteBoundedLRU(100)
    lru.put("a", 1, 40)
    lru.put("b", 2, 40)
    assert lru.get("a") == 1  # a is now the most recently used
    lru.put("c", 3, 40)
    assert (lru.get("a"), lru.get("b"), lru.get("c"), lru.bytes) == (1, None, 3, 80)
    lru.put("huge", 4, 101)  # larger than the whole budget: not kept, nothing dropped
    assert (lru.get("huge"), len(lru), lru.bytes) == (None, 2, 80)
    lru.put("a", 5, 10)
    assert (lru.get("a"), lru.bytes) == (5, 50)


def test_distinct_large_queries_do_not_accumulate_in_the_caches() -> None:
    gw = gateway()
    gw.prepare(GraphQLRequest('{ product(upc: "0") { name } }'))  # warm up what every plan shares
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(20):  # each query made here, so that what the caches keep of it is traced
            gw.prepare(GraphQLRequest(f'query Q{i} {{ product(upc: "{i}") {{ name }} }}' + " " * 300_000))
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    print(f"20 distinct 300 KB queries: the gateway holds {grown / 1e6:.1f} MB more")
    assert grown < 3_000_000  # a cache bounded by entry count held all 20: 6 MB of query text alone
