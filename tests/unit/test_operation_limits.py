"""core.operation_limits: what an operation asks (depth, aliases, cost), measured in
work proportional to the document, and the parser and validation bounds."""
from __future__ import annotations

import time

import pytest
from graphql import GraphQLError, build_schema, parse, validate

from core.operation_limits import Limits, measure

SCHEMA = build_schema("""
type Query { shop: Shop shops: [Shop!]! node: Node }
type Shop { id: ID! name: String items: [Item!]! owner: Shop }
type Item { sku: ID! tags: [String!]! shop: Shop }
interface Node { id: ID! }
""")

UNLIMITED = None


def figures(query: str, limits: Limits | None = UNLIMITED) -> tuple[int, int, int, str | None]:
    document = parse(query)
    assert validate(SCHEMA, document) == []
    operation = next(d for d in document.definitions if d.kind == "operation_definition")
    measured = measure(SCHEMA, document, operation, limits)
    return measured.depth, measured.aliases, measured.cost, measured.exceeded and measured.exceeded.limit


def bomb(levels: int, leaf: str = "id") -> str:
    """`fragment F0 { ...F1 ...F1 }` ... : 2^levels leaves in under 30 bytes a level."""
    spreads = "\n".join(f"fragment F{i} on Shop {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"{{ shop {{ ...F0 }} }}\n{spreads}\nfragment F{levels} on Shop {{ {leaf} }}"


# --- what is counted ----------------------------------------------------------------------


def test_fields_count_one_times_ten_per_enclosing_list() -> None:
    # shop 1, id 1, shops 1, items 10, sku 100, tags 100
    assert figures("{ shop { id } shops { items { sku tags } } }") == (3, 0, 213, None)


def test_typename_costs_like_any_field_and_its_aliases_count() -> None:
    assert figures("{ __typename shops { __typename } }") == (2, 0, 12, None)
    assert figures("{ a: __typename b: __typename shop { c: __typename } }") == (2, 3, 4, None)


def test_fragment_spreads_and_inline_fragments_count_where_they_are_spread() -> None:
    # shops 1 + spread 10 + id 10; node 1 + inline fragment 1 + id 1
    assert figures("{ shops { ...S } node { ... on Node { id } } } fragment S on Shop { id }") == (2, 0, 24, None)


def test_a_fragment_spread_twice_counts_twice() -> None:
    assert figures("{ shop { ...S ...S } } fragment S on Shop { a: id b: name }") == (2, 4, 7, None)


def test_introspection_is_not_counted() -> None:
    assert figures("{ __schema { types { fields { name } } } shop { id } }") == (2, 0, 2, None)


# --- bounded work -------------------------------------------------------------------------


@pytest.mark.timeout(10)
@pytest.mark.parametrize("leaf", ["id", "__typename"])
def test_a_fragment_bomb_is_measured_in_steps_per_level(leaf: str) -> None:
    started = time.perf_counter()
    depth, aliases, cost, exceeded = figures(bomb(40, leaf))
    print(f"40-level bomb ({leaf}) measured in {(time.perf_counter() - started) * 1000:.2f} ms")
    # 1 (shop) + spreads: 2 + 4 + ... + 2^40, + leaves 2^40
    assert (depth, aliases, exceeded) == (2, 0, None)
    assert cost == 1 + (2 ** 41 - 2) + 1 + 2 ** 40


@pytest.mark.timeout(10)
def test_measuring_stops_at_the_first_limit_passed() -> None:
    depth, _, cost, exceeded = figures(bomb(60), Limits(max_cost=1000))
    assert exceeded == "cost" and 1000 < cost < 10_000  # stopped soon after passing, not at 2^60


def test_depth_counts_a_fragment_again_where_it_is_spread_deeper() -> None:
    query = "{ shop { ...S owner { owner { owner { ...S } } } } } fragment S on Shop { items { shop { id } } }"
    assert figures(query)[0] == 7
    assert figures(query, Limits(max_depth=6))[3] == "depth"
    assert figures(query, Limits(max_depth=7))[3] is None


def test_each_limit_is_named_with_the_figure_reached() -> None:
    document = parse("{ a: shop { id } b: shop { id } c: shop { id } }")
    measured = measure(SCHEMA, document, document.definitions[0], Limits(max_aliases=2))
    assert measured.exceeded is not None
    assert measured.exceeded.extensions() == {"limit": "aliases", "actual": 3, "maximum": 2}
    assert measured.exceeded.message("this server's") == (
        "the operation's aliases is at least 3, above this server's limit of 2")


# --- the parser and validation bounds -----------------------------------------------------


def test_parse_options_stop_reading_at_the_token_limit() -> None:
    limits = Limits(max_tokens=100)
    parse("{ " + "shop { id } " * 20 + "}", **limits.parse_options())
    with pytest.raises(GraphQLError, match="more than 100 tokens"):
        parse("{ " + "shop { id } " * 30 + "}", **limits.parse_options())
    with pytest.raises(GraphQLError, match="more than 100 comments"):
        parse("{ shop { id } }" + "\n#" * 101, **limits.parse_options())


@pytest.mark.timeout(30)
def test_validation_of_many_same_named_fields_stops_at_the_budget() -> None:
    # OverlappingFieldsCanBeMerged compares every pair of fields sharing a response name.
    document = parse("{" + " shops { items { sku } }" * 2000 + " }")
    started = time.perf_counter()
    errors = validate(SCHEMA, document, Limits(validation_budget=20_000).validation_rules())
    print(f"2,000 same-named fields: validation aborted after {(time.perf_counter() - started) * 1000:.0f} ms")
    assert [e.message for e in errors] == ["Validation aborted."]
    assert validate(SCHEMA, parse("{ shops { id } shops { name } }"), Limits().validation_rules()) == []
