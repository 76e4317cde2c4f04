"""Merging subgraph JSON (gateway.execution.merge) and building representations
(gateway.execution.executor.representation); one plan run against an in-memory client."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import OperationType

from gateway.execution.executor import Execution, representation
from gateway.execution.merge import deep_merge, flatten, objects_at
from gateway.execution.shape import Shaper
from gateway.planner import Fetch
from gateway.planner.selections import RepField, RepSelection
from tests.unit.test_gateway_schemas import plan, supergraph

# --- deep_merge -------------------------------------------------------------------------


def test_deep_merge_merges_nested_objects_in_place() -> None:
    inner = {"b": 1, "c": {"d": 1}}
    target = {"a": inner, "keep": True}
    deep_merge(target, {"a": {"c": {"e": 2}, "f": 3}, "new": [1]})
    assert target == {"a": {"b": 1, "c": {"d": 1, "e": 2}, "f": 3}, "keep": True, "new": [1]}
    assert target["a"] is inner


def test_deep_merge_merges_lists_index_by_index() -> None:
    first = {"x": 1}
    target = {"l": [first, {"x": 2}]}
    deep_merge(target, {"l": [{"y": 1}, {"y": 2}, {"y": 3}]})
    assert target == {"l": [{"x": 1, "y": 1}, {"x": 2, "y": 2}, {"y": 3}]}
    assert target["l"][0] is first


def test_deep_merge_null_list_item_changes_nothing() -> None:
    target = {"l": [{"x": 1}, {"x": 2}]}
    deep_merge(target, {"l": [None, {"y": 2}]})
    assert target == {"l": [{"x": 1}, {"x": 2, "y": 2}]}


def test_deep_merge_never_overwrites_a_concrete_typename() -> None:
    target = {"node": {"__typename": "Book", "id": "1"}}
    deep_merge(target, {"node": {"__typename": "Node", "title": "t"}})
    assert target == {"node": {"__typename": "Book", "id": "1", "title": "t"}}


def test_deep_merge_sets_a_missing_or_null_typename() -> None:
    missing: dict[str, Any] = {"id": "1"}
    deep_merge(missing, {"__typename": "Book"})
    assert missing == {"id": "1", "__typename": "Book"}
    null: dict[str, Any] = {"__typename": None}
    deep_merge(null, {"__typename": "Movie"})
    assert null == {"__typename": "Movie"}


def test_deep_merge_overwrites_scalars() -> None:
    target = {"n": 1, "s": "a"}
    deep_merge(target, {"n": 2})
    assert target == {"n": 2, "s": "a"}


# --- objects_at -------------------------------------------------------------------------


def test_objects_at_walks_list_steps_and_skips_nulls() -> None:
    a, c = {"upc": "1"}, {"upc": "3"}
    found = [(o, flatten(w)) for o, w in objects_at({"topProducts": [a, None, c]}, ("topProducts", "@"))]
    assert found == [(a, ("topProducts", 0)), (c, ("topProducts", 2))]
    assert found[0][0] is a and found[1][0] is c


def test_objects_at_nested_lists() -> None:
    data = {"a": [{"b": [{"c": 1}]}, {"b": None}, {"b": [{"c": 2}, None, {"c": 3}]}, None]}
    assert [flatten(path) for _, path in objects_at(data, ("a", "@", "b", "@"))] == [
        ("a", 0, "b", 0), ("a", 2, "b", 0), ("a", 2, "b", 2),
    ]
    assert [obj["c"] for obj, _ in objects_at(data, ("a", "@", "b", "@"))] == [1, 2, 3]


def test_objects_at_single_objects_and_missing_parts() -> None:
    product = {"upc": "1"}
    assert [(o, flatten(w)) for o, w in objects_at({"product": product}, ("product",))] == [(product, ("product",))]
    assert list(objects_at({"product": None}, ("product",))) == []
    assert list(objects_at({}, ("product",))) == []
    assert list(objects_at(None, ("product",))) == []
    assert list(objects_at({"me": {"best": None}}, ("me", "best", "@"))) == []
    assert list(objects_at({"product": {"upc": "1"}}, ("product", "@"))) == []  # not a list


def test_objects_at_root_and_unspelled_list() -> None:
    data = {"x": 1}
    assert [(o, flatten(w)) for o, w in objects_at(data, ())] == [(data, ())]
    items = [{"i": 0}, None, {"i": 2}]
    assert [flatten(path) for _, path in objects_at({"l": items}, ("l",))] == [("l", 0), ("l", 2)]


# --- representation ---------------------------------------------------------------------


def entity_fetch(representations: dict[str, RepSelection], typenames: dict[str, str] | None = None,
                 position_type: str = "Product") -> Fetch:
    return Fetch(
        id=1, graph="g", operation_kind=OperationType.QUERY, document="", variable_names=(),
        path=("topProducts", "@"), entity=True, position_type=position_type,
        representations=representations,
        representation_typenames=typenames or {t: t for t in representations},
    )


KEY_UPC = RepSelection([RepField("upc", "upc"), RepField("__typename", "__typename")])


def test_representation_has_typename_and_key_fields_only() -> None:
    fetch = entity_fetch({"Product": KEY_UPC})
    rep = representation({"upc": "1", "name": "n", "__typename": "Product", "_x": 1}, fetch)
    assert rep == {"upc": "1", "__typename": "Product"}


def test_representation_uses_the_position_type_without_typename() -> None:
    fetch = entity_fetch({"Product": RepSelection([RepField("upc", "upc")])})
    assert representation({"upc": "7"}, fetch) == {"upc": "7", "__typename": "Product"}


def test_representation_is_none_when_a_key_is_missing() -> None:
    fetch = entity_fetch({"Product": KEY_UPC})
    assert representation({"name": "n", "__typename": "Product"}, fetch) is None
    assert representation({}, fetch) is None


def test_representation_reads_internal_aliases_and_writes_field_names() -> None:
    fetch = entity_fetch({"Product": RepSelection([
        RepField("upc", "_upc1"), RepField("price", "_price_r1"), RepField("__typename", "__typename"),
    ])})
    rep = representation({"upc": "client alias", "_upc1": "1", "_price_r1": 5, "__typename": "Product"}, fetch)
    assert rep == {"upc": "1", "price": 5, "__typename": "Product"}


def test_representation_is_none_for_a_type_the_fetch_does_not_enter() -> None:
    fetch = entity_fetch({"Book": RepSelection([RepField("id", "id")])}, position_type="Media")
    assert representation({"__typename": "Movie", "id": "1"}, fetch) is None
    assert representation({"__typename": "Book", "id": "1"}, fetch) == {"id": "1", "__typename": "Book"}


def test_representation_rewrites_the_typename_sent() -> None:
    fetch = entity_fetch({"Book": RepSelection([RepField("id", "id"), RepField("__typename", "__typename")])},
                         typenames={"Book": "Node"}, position_type="Node")
    assert representation({"__typename": "Book", "id": "1"}, fetch) == {"id": "1", "__typename": "Node"}


def test_representation_reads_nested_selections_lists_and_fragments() -> None:
    selection = RepSelection(
        fields=[
            RepField("id", "id"),
            RepField("items", "_items_r1", RepSelection([RepField("sku", "sku")])),
            RepField("owner", "owner", RepSelection([RepField("id", "_id_r2")])),
        ],
        fragments={"Book": RepSelection([RepField("isbn", "isbn")])},
    )
    fetch = entity_fetch({"Book": selection, "Movie": selection}, position_type="Media")
    book = {"__typename": "Book", "id": "1", "isbn": "978", "owner": {"_id_r2": "u1", "name": "x"},
            "_items_r1": [{"sku": "a", "x": 1}, None]}
    assert representation(book, fetch) == {
        "id": "1", "items": [{"sku": "a"}, None], "owner": {"id": "u1"}, "isbn": "978", "__typename": "Book",
    }
    movie = {"__typename": "Movie", "id": "2", "isbn": "ignored", "owner": None, "_items_r1": []}
    assert representation(movie, fetch) == {"id": "2", "items": [], "owner": None, "__typename": "Movie"}
    assert representation({**book, "owner": {"name": "no id"}}, fetch) is None


def test_nested_values_read_through_type_conditions_carry_their_typename() -> None:
    # @requires(fields: "pass { holder ... on SeasonPass { region } }"): the receiving subgraph
    # must be able to tell a day pass (no region) from a season pass.
    holder = RepSelection([RepField("holder", "holder")], fragments={"SeasonPass": RepSelection([
        RepField("region", "region")])})
    fetch = entity_fetch({"Visit": RepSelection([RepField("id", "id"), RepField("pass", "pass", holder)])},
                         position_type="Visit")
    season = {"__typename": "SeasonPass", "holder": "Ana", "region": "north"}
    day = {"__typename": "DayPass", "holder": "Bo"}
    assert representation({"id": "v1", "pass": season}, fetch)["pass"] == {
        "holder": "Ana", "__typename": "SeasonPass", "region": "north"}
    assert representation({"id": "v2", "pass": day}, fetch)["pass"] == {"holder": "Bo", "__typename": "DayPass"}
    plain = entity_fetch({"Visit": RepSelection([RepField("pass", "pass", RepSelection([
        RepField("holder", "holder")]))])}, position_type="Visit")
    assert representation({"pass": day}, plain)["pass"] == {"holder": "Bo"}  # no type conditions: as asked


def test_representation_from_a_planned_requires_fetch() -> None:
    query_plan = plan("{ me { reviews { product { inStock } } } }")
    inventory = next(f for f in query_plan.fetches if f.graph == "inventory")
    product = {"upc": "1", "_price_r1": 5, "__typename": "Product"}
    assert representation(product, inventory) == {"upc": "1", "price": 5, "__typename": "Product"}
    assert representation({"upc": "1", "__typename": "Product"}, inventory) is None


# --- a whole run against an in-memory client ---------------------------------------------


class FakeClient:
    def __init__(self, answers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    async def post(self, graph: str, document: str, variables: dict[str, Any],
                   headers: Mapping[str, str]) -> dict[str, Any]:
        self.calls.append((graph, document, variables))
        return self.answers[graph](variables)


async def test_execution_dedups_representations_and_maps_entity_error_paths() -> None:
    query_plan = plan("{ topProducts { name reviewCount } }")
    counts = {"1": 10, "2": 20}

    def reviews(variables: dict[str, Any]) -> dict[str, Any]:
        return {
            "data": {"_entities": [{"reviewCount": counts[r["upc"]]} for r in variables["representations"]]},
            "errors": [{"message": "slow", "path": ["_entities", 1, "reviewCount"]}],
        }

    client = FakeClient({
        "products": lambda _: {"data": {"topProducts": [
            {"name": "a", "upc": "1", "__typename": "Product"},
            {"name": "b", "upc": "2", "__typename": "Product"},
            {"name": "c", "upc": "1", "__typename": "Product"},
        ]}},
        "reviews": reviews,
    })
    execution = Execution(client, {}, {})  # type: ignore[arg-type]
    await execution.run(query_plan)
    assert [graph for graph, _, _ in client.calls] == ["products", "reviews"]
    assert client.calls[1][2] == {"representations": [
        {"upc": "1", "__typename": "Product"}, {"upc": "2", "__typename": "Product"},
    ]}
    assert [p["reviewCount"] for p in execution.data["topProducts"]] == [10, 20, 10]
    assert execution.errors == [{
        "message": "slow", "path": ["topProducts", 1, "reviewCount"],
        "extensions": {"code": "INTERNAL", "serviceName": "reviews"},
    }]
    response = Shaper(supergraph().api_schema, execution.errors).response(
        query_plan.root_type, query_plan.selections, execution.data)
    assert response == {"topProducts": [
        {"name": "a", "reviewCount": 10}, {"name": "b", "reviewCount": 20}, {"name": "c", "reviewCount": 10},
    ]}


async def test_execution_skips_entities_call_without_representations() -> None:
    query_plan = plan('{ product(upc: "1") { reviewCount } }')
    client = FakeClient({"products": lambda _: {"data": {"product": None}}})
    execution = Execution(client, {}, {})  # type: ignore[arg-type]
    await execution.run(query_plan)
    assert [graph for graph, _, _ in client.calls] == ["products"]
    assert execution.data == {"product": None}
    assert execution.errors == []


async def test_an_entities_item_nulled_by_an_error_is_recorded_for_the_shaper() -> None:
    query_plan = plan('{ product(upc: "1") { name reviews { body } reviewCount } me { name } }')
    client = FakeClient({
        "products": lambda _: {"data": {"product": {"name": "p", "upc": "1", "__typename": "Product"}}},
        "accounts": lambda _: {"data": {"me": {"name": "ann"}}},
        "reviews": lambda _: {"data": {"_entities": [None]},
                              "errors": [{"message": "no", "path": ["_entities", 0, "reviews", 0, "body"],
                                          "extensions": {"code": "FORBIDDEN"}}]},
    })
    execution = Execution(client, {}, {})  # type: ignore[arg-type]
    await execution.run(query_plan)
    assert execution.nulled == {("product",)}
    response = Shaper(supergraph().api_schema, execution.errors, execution.nulled).response(
        query_plan.root_type, query_plan.selections, execution.data)
    assert response == {"product": None, "me": {"name": "ann"}}
    assert [(e["path"], e["extensions"]["code"]) for e in execution.errors] == [
        (["product", "reviews", 0, "body"], "FORBIDDEN")]


async def test_an_entities_item_null_without_an_error_changes_nothing() -> None:
    query_plan = plan('{ product(upc: "1") { name reviewCount } }')
    client = FakeClient({
        "products": lambda _: {"data": {"product": {"name": "p", "upc": "1", "__typename": "Product"}}},
        "reviews": lambda _: {"data": {"_entities": [None]}},
    })
    execution = Execution(client, {}, {})  # type: ignore[arg-type]
    await execution.run(query_plan)
    assert execution.nulled == set()
    response = Shaper(supergraph().api_schema, execution.errors, execution.nulled).response(
        query_plan.root_type, query_plan.selections, execution.data)
    assert response == {"product": {"name": "p", "reviewCount": None}}
