"""Planning (gateway.planner): normalized operations -> fetches against the shared subgraphs."""
from __future__ import annotations

import pytest
from graphql import OperationType

from gateway.operation import NField, NFragment
from gateway.planner import Fetch, QueryPlan, Unplannable
from gateway.planner.selections import RepField, RepSelection
from gateway.supergraph.compose import SubgraphSource, compose
from gateway.supergraph.model import Supergraph
from tests.unit.test_gateway_schemas import FED2, normalize, plan

ENTITIES_HEAD = "query($representations: [_Any!]!) { _entities(representations: $representations) {"


def summary(query_plan: QueryPlan) -> list[tuple[int, str, tuple[str, ...], tuple[int, ...]]]:
    return [(f.id, f.graph, f.path, f.depends_on) for f in query_plan.fetches]


def reps(fetch: Fetch) -> dict[str, str]:
    return {typename: rep.describe() for typename, rep in fetch.representations.items()}


def lines(fetch: Fetch) -> list[str]:
    return [line.strip() for line in fetch.document.splitlines()]


# --- one subgraph -----------------------------------------------------------------------


def test_root_field_of_one_subgraph_is_one_fetch() -> None:
    query_plan = plan("{ topProducts { name price } }")
    assert query_plan.kind is OperationType.QUERY
    assert query_plan.root_type == "Query"
    assert len(query_plan.steps) == 1
    assert summary(query_plan) == [(0, "products", (), ())]
    (fetch,) = query_plan.fetches
    assert fetch.entity is False
    assert fetch.operation_kind is OperationType.QUERY
    assert fetch.representations == {}
    assert fetch.variable_names == ()
    assert fetch.document.startswith("query {")
    assert lines(fetch) == ["query {", "topProducts {", "name", "price", "}", "}"]


def test_root_fields_of_one_subgraph_share_one_fetch() -> None:
    query_plan = plan('{ topProducts { name } product(upc: "1") { price } }')
    assert summary(query_plan) == [(0, "products", (), ())]
    assert 'product(upc: "1") {' in query_plan.fetches[0].document


def test_root_fields_of_two_subgraphs_are_two_independent_fetches() -> None:
    query_plan = plan("{ topProducts { name } me { name } }")
    assert summary(query_plan) == [(0, "products", (), ()), (1, "accounts", (), ())]
    assert len(query_plan.steps) == 1
    assert "me {" not in query_plan.fetches[0].document
    assert "topProducts" not in query_plan.fetches[1].document


def test_root_typename_needs_no_fetch() -> None:
    query_plan = plan("{ __typename }")
    assert query_plan.steps == [[]]


# --- entity jumps -----------------------------------------------------------------------


def test_field_of_another_subgraph_is_an_entities_fetch_at_the_list_path() -> None:
    query_plan = plan("{ topProducts { name reviewCount } }")
    assert summary(query_plan) == [(0, "products", (), ()), (1, "reviews", ("topProducts", "@"), (0,))]
    root, jump = query_plan.fetches
    assert lines(root) == ["query {", "topProducts {", "name", "upc", "__typename", "}", "}"]
    assert jump.entity is True
    assert jump.position_type == "Product"
    assert reps(jump) == {"Product": "{ upc __typename }"}
    assert jump.representations["Product"] == RepSelection(
        [RepField("upc", "upc"), RepField("__typename", "__typename")])
    assert jump.representation_typenames == {"Product": "Product"}
    assert jump.document.startswith(ENTITIES_HEAD)
    assert "... on Product {" in jump.document
    assert "reviewCount" in lines(jump)
    assert "reviewCount" not in lines(root)
    assert "Fetch #1 reviews at topProducts/@ after [0]" in query_plan.describe()


def test_jump_at_a_single_object_has_no_list_step() -> None:
    query_plan = plan('{ product(upc: "1") { reviewCount } }')
    assert summary(query_plan) == [(0, "products", (), ()), (1, "reviews", ("product",), (0,))]


def test_two_jumped_fields_to_one_subgraph_share_one_fetch() -> None:
    query_plan = plan("{ topProducts { reviewCount reviews { body } } }")
    assert summary(query_plan) == [(0, "products", (), ()), (1, "reviews", ("topProducts", "@"), (0,))]
    assert lines(query_plan.fetches[1])[1:] == [
        "... on Product {", "reviewCount", "reviews {", "body", "}", "}", "} }",
    ]


def test_jumps_to_two_subgraphs_both_depend_on_the_root() -> None:
    query_plan = plan("{ topProducts { reviewCount inStock } }")
    assert summary(query_plan) == [
        (0, "products", (), ()),
        (1, "reviews", ("topProducts", "@"), (0,)),
        (2, "inventory", ("topProducts", "@"), (0,)),
    ]


def test_nested_jump_depends_on_the_fetch_that_reached_the_object() -> None:
    query_plan = plan("{ topProducts { reviews { reviewer { name } } } }")
    assert summary(query_plan) == [
        (0, "products", (), ()),
        (1, "reviews", ("topProducts", "@"), (0,)),
        (2, "accounts", ("topProducts", "@", "reviews", "@", "reviewer"), (1,)),
    ]
    assert reps(query_plan.fetches[2]) == {"User": "{ id __typename }"}
    assert lines(query_plan.fetches[1])[1:] == [
        "... on Product {", "reviews {", "reviewer {", "id", "__typename", "}", "}", "}", "} }",
    ]


def test_fragment_fields_are_planned_like_plain_fields() -> None:
    inline = plan("{ topProducts { name ... on Product { reviewCount } } }")
    named = plan("query { topProducts { ...F } } fragment F on Product { name reviewCount }")
    for query_plan in (inline, named):
        assert summary(query_plan) == [(0, "products", (), ()), (1, "reviews", ("topProducts", "@"), (0,))]
        assert "reviewCount" in lines(query_plan.fetches[1])


# --- @requires --------------------------------------------------------------------------


def test_requires_sends_the_required_field_in_the_representation() -> None:
    query_plan = plan("{ topProducts { inStock } }")
    assert summary(query_plan) == [(0, "products", (), ()), (1, "inventory", ("topProducts", "@"), (0,))]
    root, inventory = query_plan.fetches
    assert lines(root) == ["query {", "topProducts {", "upc", "price", "__typename", "}", "}"]
    assert reps(inventory) == {"Product": "{ upc price __typename }"}
    assert "inStock" in lines(inventory)
    assert "price" not in lines(inventory)


def test_two_requiring_fields_share_one_fetch_with_all_requirements() -> None:
    query_plan = plan("{ topProducts { name shippingEstimate inStock } }")
    assert summary(query_plan) == [(0, "products", (), ()), (1, "inventory", ("topProducts", "@"), (0,))]
    assert reps(query_plan.fetches[1]) == {"Product": "{ upc price weight __typename }"}
    assert lines(query_plan.fetches[0]) == [
        "query {", "topProducts {", "name", "upc", "price", "weight", "__typename", "}", "}",
    ]


def test_required_field_is_fetched_from_its_owner_when_the_parent_fetch_lacks_it() -> None:
    # Product is reached through reviews, which has no `price`: products supplies it, under an internal alias.
    query_plan = plan("{ me { reviews { product { inStock } } } }")
    by_graph = {f.graph: f for f in query_plan.fetches}
    assert sorted(by_graph) == ["accounts", "inventory", "products", "reviews"]
    at = ("me", "reviews", "@", "product")
    products, inventory = by_graph["products"], by_graph["inventory"]
    assert products.path == at and inventory.path == at
    assert products.depends_on == (by_graph["reviews"].id,)
    assert inventory.depends_on == tuple(sorted((by_graph["reviews"].id, products.id)))
    assert reps(products) == {"Product": "{ upc __typename }"}
    assert reps(inventory) == {"Product": "{ upc price<-_price_r1 __typename }"}
    assert "_price_r1: price" in lines(products)
    assert "inStock" in lines(inventory)


def test_requirement_takes_an_internal_alias_when_the_client_uses_its_name() -> None:
    query_plan = plan("{ topProducts { price: name inStock } }")
    root, inventory = query_plan.fetches
    assert "price: name" in lines(root)
    assert "_price1: price" in lines(root)
    assert reps(inventory) == {"Product": "{ upc price<-_price1 __typename }"}


# --- @provides --------------------------------------------------------------------------


def test_provided_external_field_is_local() -> None:
    query_plan = plan("{ topProducts { reviews { author { username } } } }")
    assert summary(query_plan) == [(0, "products", (), ()), (1, "reviews", ("topProducts", "@"), (0,))]
    assert "username" in lines(query_plan.fetches[1])


def test_external_field_outside_provides_needs_its_owner() -> None:
    query_plan = plan("{ topProducts { reviews { reviewer { username } } } }")
    assert summary(query_plan) == [
        (0, "products", (), ()),
        (1, "reviews", ("topProducts", "@"), (0,)),
        (2, "accounts", ("topProducts", "@", "reviews", "@", "reviewer"), (1,)),
    ]
    assert "username" not in lines(query_plan.fetches[1])
    assert "username" in lines(query_plan.fetches[2])


def test_provides_with_a_type_condition_applies_to_that_type_only() -> None:
    query_plan = plan("{ topRated { ... on Book { title stars } ... on Movie { director stars } } }")
    assert summary(query_plan) == [(0, "ratings", (), ()), (1, "media", ("topRated", "@"), (0,))]
    assert "title" in lines(query_plan.fetches[0])
    assert reps(query_plan.fetches[1]) == {"Movie": "{ id __typename }"}
    assert "director" in lines(query_plan.fetches[1])
    assert "title" not in lines(query_plan.fetches[1])


# --- mutations --------------------------------------------------------------------------


def test_mutation_root_fields_are_sequential_steps() -> None:
    query_plan = plan(
        'mutation { a: addProduct(name: "x") { name } login(name: "y") { name } '
        'b: addProduct(name: "z") { reviewCount } }'
    )
    assert query_plan.kind is OperationType.MUTATION
    assert query_plan.root_type == "Mutation"
    assert [[f.graph for f in step] for step in query_plan.steps] == [
        ["products"], ["accounts"], ["products", "reviews"],
    ]
    (a,), (login,), (third, entities) = query_plan.steps
    assert a.document.startswith("mutation {") and 'a: addProduct(name: "x")' in a.document
    assert "b: addProduct" not in a.document
    assert login.document.startswith("mutation {") and 'login(name: "y")' in login.document
    assert third.document.startswith("mutation {") and 'b: addProduct(name: "z")' in third.document
    assert "a: addProduct" not in third.document
    assert entities.document.startswith(ENTITIES_HEAD)
    assert entities.operation_kind is OperationType.QUERY
    assert (entities.path, entities.depends_on) == (("b",), (third.id,))
    assert len({f.id for f in query_plan.fetches}) == 4


# --- @skip / @include -------------------------------------------------------------------


SKIP_REVIEWS = "query($s: Boolean!) { topProducts { name reviews @skip(if: $s) { body } } }"


def test_skip_with_a_variable_removes_the_field_and_its_fetch() -> None:
    skipped = plan(SKIP_REVIEWS, {"s": True})
    assert summary(skipped) == [(0, "products", (), ())]
    assert lines(skipped.fetches[0]) == ["query {", "topProducts {", "name", "}", "}"]
    kept = plan(SKIP_REVIEWS, {"s": False})
    assert summary(kept) == [(0, "products", (), ()), (1, "reviews", ("topProducts", "@"), (0,))]
    for fetch in kept.fetches:
        assert "@skip" not in fetch.document and "$s" not in fetch.document
        assert fetch.variable_names == ()


def test_include_default_value_applies() -> None:
    query = "query($on: Boolean = false) { topProducts { name reviewCount @include(if: $on) } }"
    assert summary(plan(query)) == [(0, "products", (), ())]
    assert summary(plan(query, {"on": True}))[1] == (1, "reviews", ("topProducts", "@"), (0,))


def test_skip_on_fragments_removes_their_fields() -> None:
    query = ("query($s: Boolean!) { topProducts { name ... on Product @skip(if: $s) { inStock } ...R @skip(if: $s) } }"
             " fragment R on Product { reviewCount }")
    assert summary(plan(query, {"s": True})) == [(0, "products", (), ())]
    assert [f.graph for f in plan(query, {"s": False}).fetches] == ["products", "inventory", "reviews"]


def test_skip_removes_the_requirement_chain() -> None:
    query = "query($s: Boolean!) { topProducts { name inStock @skip(if: $s) } }"
    skipped = plan(query, {"s": True})
    assert summary(skipped) == [(0, "products", (), ())]
    assert "price" not in lines(skipped.fetches[0])


# --- aliases and variables --------------------------------------------------------------


def test_aliases_and_variables_survive_into_the_root_document() -> None:
    query_plan = plan("query($n: Int) { best: topProducts(first: $n) { title: name cheap: price } }", {"n": 3})
    (fetch,) = query_plan.fetches
    assert fetch.variable_names == ("n",)
    assert lines(fetch) == [
        "query($n: Int) {", "best: topProducts(first: $n) {", "title: name", "cheap: price", "}", "}",
    ]


def test_aliases_survive_into_entity_documents_and_paths() -> None:
    query_plan = plan(
        "query($n: Int = 2) { best: topProducts { count: reviewCount a: reviews(limit: 1) { body } "
        "b: reviews(limit: $n) { text: body } } }"
    )
    assert summary(query_plan) == [(0, "products", (), ()), (1, "reviews", ("best", "@"), (0,))]
    entities = query_plan.fetches[1]
    assert entities.document.startswith(
        "query($representations: [_Any!]!, $n: Int = 2) { _entities(representations: $representations) {")
    assert entities.variable_names == ("n",)
    assert "count: reviewCount" in lines(entities)
    assert "a: reviews(limit: 1) {" in lines(entities)
    assert "b: reviews(limit: $n) {" in lines(entities)
    assert "text: body" in lines(entities)
    assert query_plan.fetches[0].variable_names == ()


def test_client_alias_on_a_key_name_moves_the_key_to_an_internal_alias() -> None:
    query_plan = plan("{ topProducts { upc: name reviewCount } }")
    root, jump = query_plan.fetches
    assert "upc: name" in lines(root)
    assert "_upc1: upc" in lines(root)
    assert reps(jump) == {"Product": "{ upc<-_upc1 __typename }"}


def test_each_fetch_declares_only_the_variables_it_uses() -> None:
    query_plan = plan("query($n: Int, $m: Int) { topProducts(first: $n) { reviews(limit: $m) { body } } }",
                      {"n": 1, "m": 2})
    root, jump = query_plan.fetches
    assert (root.variable_names, jump.variable_names) == (("n",), ("m",))
    assert root.document.startswith("query($n: Int) {") and "$m" not in root.document
    assert jump.document.startswith("query($representations: [_Any!]!, $m: Int) {") and "$n" not in jump.document


# --- abstract types ---------------------------------------------------------------------


def test_union_fields_are_planned_per_concrete_type() -> None:
    query_plan = plan("{ media { ... on Book { title stars } ... on Movie { director } } }")
    assert summary(query_plan) == [(0, "media", (), ()), (1, "ratings", ("media", "@"), (0,))]
    root, ratings = query_plan.fetches
    assert lines(root) == [
        "query {", "media {", "__typename",
        "... on Book {", "title", "id", "__typename", "}",
        "... on Movie {", "director", "}",
        "}", "}",
    ]
    assert reps(ratings) == {"Book": "{ id __typename }"}
    assert "... on Book {" in ratings.document and "... on Movie" not in ratings.document


def test_interface_fields_are_planned_per_concrete_type() -> None:
    query_plan = plan('{ node(id: "1") { id } }')
    (fetch,) = query_plan.fetches
    assert lines(fetch) == [
        'query {', 'node(id: "1") {', "__typename",
        "... on Book {", "id", "}", "... on Movie {", "id", "}", "... on Podcast {", "id", "}",
        "}", "}",
    ]


def test_jump_from_an_interface_position_carries_every_concrete_type() -> None:
    query_plan = plan('{ node(id: "1") { id ... on Book { stars } ... on Movie { stars } } }')
    assert summary(query_plan) == [(0, "media", (), ()), (1, "ratings", ("node",), (0,))]
    ratings = query_plan.fetches[1]
    assert reps(ratings) == {"Book": "{ id __typename }", "Movie": "{ id __typename }"}
    assert ratings.representation_typenames == {"Book": "Book", "Movie": "Movie"}
    assert "... on Book {" in ratings.document and "... on Movie {" in ratings.document


def test_typename_only_on_a_union_stays_in_the_root_fetch() -> None:
    query_plan = plan("{ featured { __typename } }")
    assert summary(query_plan) == [(0, "media", (), ())]
    assert lines(query_plan.fetches[0]) == ["query {", "featured {", "__typename", "}", "}"]


def test_interface_fragment_inside_a_union_is_planned() -> None:
    query_plan = plan("{ media { ... on Node { id } } }")
    assert summary(query_plan) == [(0, "media", (), ())]
    assert "id" in lines(query_plan.fetches[0])


# --- shareable root fields and unplannable fields ----------------------------------------


@pytest.fixture(scope="module")
def shared_root() -> Supergraph:
    return Supergraph.from_sdl(compose([
        SubgraphSource("a", "http://a", FED2 + 'type Item @key(fields: "id") { id: ID! name: String } '
                       "type Money @shareable { amount: Int } type Query { item: Item @shareable price: Money }"),
        SubgraphSource("b", "http://b", FED2 + 'type Item @key(fields: "id") { id: ID! price: Int cost: Int } '
                       "type Money @shareable { amount: Int currency: String } type Query { item: Item @shareable }"),
    ]))


def test_shareable_root_field_goes_to_the_subgraph_covering_most(shared_root: Supergraph) -> None:
    assert summary(plan("{ item { name } }", sg=shared_root)) == [(0, "a", (), ())]
    assert summary(plan("{ item { price } }", sg=shared_root)) == [(0, "b", (), ())]
    assert summary(plan("{ item { id } }", sg=shared_root)) == [(0, "a", (), ())]  # tie: declared order
    assert summary(plan("{ item { name price cost } }", sg=shared_root)) == [(0, "b", (), ()), (1, "a", ("item",), (0,))]


def test_shareable_root_field_is_chosen_per_alias(shared_root: Supergraph) -> None:
    query_plan = plan("{ x: item { name } y: item { price } }", sg=shared_root)
    assert summary(query_plan) == [(0, "a", (), ()), (1, "b", (), ())]
    assert "x: item {" in lines(query_plan.fetches[0]) and "y: item {" in lines(query_plan.fetches[1])


def test_value_type_field_owned_elsewhere_is_unplannable(shared_root: Supergraph) -> None:
    with pytest.raises(Unplannable, match="Money.currency"):
        plan("{ price { currency } }", sg=shared_root)


# --- the normalized operation -----------------------------------------------------------


def test_normalized_selections_merge_fields_and_keep_partial_fragments() -> None:
    _, root, selections, _ = normalize(
        "{ node(id: 1) { id ... on Book { title } ... on Node { id } ... on Book { id } } }")
    assert root == "Query"
    (node,) = selections
    assert isinstance(node, NField) and (node.key, node.name, node.type_name) == ("node", "node", "Node")
    assert [type(s).__name__ for s in node.selections] == ["NField", "NFragment"]
    book = node.selections[1]
    assert isinstance(book, NFragment) and book.type_condition == "Book"
    assert [s.key for s in book.selections] == ["title", "id"]


def test_plan_keeps_the_normalized_selections_for_shaping() -> None:
    query_plan = plan("{ t: topProducts { name } }")
    (field,) = query_plan.selections
    assert isinstance(field, NField) and (field.key, field.name, field.parent_type) == ("t", "topProducts", "Query")
