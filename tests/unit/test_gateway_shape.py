"""Shaping (gateway.execution.shape.Shaper): the merged tree -> the client's response."""
from __future__ import annotations

from typing import Any

from gateway.execution.shape import Shaper
from gateway.operation import NField, NFragment
from tests.unit.test_gateway_schemas import normalize, supergraph


def shape(query: str, data: dict[str, Any] | None, errors: list[dict[str, Any]] | None = None,
          variables: dict[str, Any] | None = None) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    _, root, selections, _ = normalize(query, variables)
    errors = [] if errors is None else errors
    return Shaper(supergraph().api_schema, errors).response(root, selections, data), errors


def error(message: str, path: list[Any]) -> dict[str, Any]:
    return {"message": message, "path": path, "extensions": {"code": "INTERNAL"}}


# --- missing values ---------------------------------------------------------------------


def test_missing_fields_become_null() -> None:
    data, errors = shape('{ product(upc: "1") { name price category } }', {"product": {"upc": "1"}})
    assert data == {"product": {"name": None, "price": None, "category": None}}
    assert errors == []


def test_missing_nullable_root_field_becomes_null() -> None:
    data, errors = shape('{ product(upc: "1") { name } me { name } }', {"me": {"name": "ann"}})
    assert data == {"product": None, "me": {"name": "ann"}}
    assert errors == []


def test_no_data_at_all() -> None:
    assert shape("{ me { name } }", None) == ({"me": None}, [])


# --- non-null violations ----------------------------------------------------------------


def test_null_in_non_null_field_nulls_the_nearest_nullable_parent() -> None:
    data, errors = shape(
        '{ product(upc: "1") { name reviews { body } } me { name } }',
        {"product": {"name": "p", "reviews": [{"body": "ok"}, {"body": None}]}, "me": {"name": "ann"}},
    )
    assert data == {"product": None, "me": {"name": "ann"}}
    assert errors == [error("Cannot return null for non-nullable field Review.body.", ["product", "reviews", 1, "body"])]


def test_missing_non_null_list_nulls_its_parent() -> None:
    data, errors = shape('{ product(upc: "1") { name reviews { body } } }', {"product": {"name": "p"}})
    assert data == {"product": None}
    assert errors == [error("Cannot return null for non-nullable field Product.reviews.", ["product", "reviews"])]


def test_null_bubbles_up_to_data() -> None:
    data, errors = shape("{ topProducts { name } me { name } }",
                         {"topProducts": [{"name": "a"}, None], "me": {"name": "ann"}})
    assert data is None
    assert errors == [error("Cannot return null for non-nullable field Query.topProducts.", ["topProducts", 1])]


def test_upstream_error_at_the_path_is_not_repeated() -> None:
    upstream = [{"message": "reviews failed", "path": ["product", "reviews"], "extensions": {"code": "X"}}]
    data, errors = shape('{ product(upc: "1") { reviews { body } } }', {"product": {}}, errors=list(upstream))
    assert data == {"product": None}
    assert errors == upstream


def test_upstream_error_without_path_explains_every_null() -> None:
    upstream = [{"message": "subgraph down", "extensions": {"code": "SUBGRAPH_UNAVAILABLE"}}]
    data, errors = shape('{ product(upc: "1") { reviews { body } } }', {"product": {}}, errors=list(upstream))
    assert data == {"product": None}
    assert errors == upstream


def test_an_entity_a_subgraph_nulled_is_null_with_only_its_error() -> None:
    # The reviews subgraph answered `_entities: [null]` for this product, with an error inside
    # it (relocated by the executor): its fields are missing because the entity was nulled,
    # not because they are null. `reviews` is non-null, yet no second error is invented.
    upstream = [{"message": "reviewCount failed", "path": ["product", "reviewCount"],
                 "extensions": {"code": "BAD_USER_INPUT"}}]
    _, root, selections, _ = normalize('{ product(upc: "1") { name reviews { body } reviewCount } me { name } }')
    errors = list(upstream)
    data = Shaper(supergraph().api_schema, errors, nulled={("product",)}).response(
        root, selections, {"product": {"upc": "1", "name": "p"}, "me": {"name": "ann"}})
    assert data == {"product": None, "me": {"name": "ann"}}
    assert errors == upstream


def test_a_nulled_entity_in_a_non_null_position_nulls_its_parent() -> None:
    upstream = [{"message": "failed", "path": ["topProducts", 1, "reviews"], "extensions": {"code": "X"}}]
    _, root, selections, _ = normalize("{ topProducts { name reviews { body } } me { name } }")
    errors = list(upstream)
    data = Shaper(supergraph().api_schema, errors, nulled={("topProducts", 1)}).response(
        root, selections, {"topProducts": [{"name": "a", "reviews": []}, {"name": "b"}], "me": {"name": "ann"}})
    assert data is None  # Query.topProducts: [Product!]! -- the null reaches `data`
    assert errors == upstream


# --- values the API does not have -------------------------------------------------------


def test_enum_value_unknown_to_the_api_becomes_null_with_an_error() -> None:
    data, errors = shape('{ product(upc: "1") { name category } }', {"product": {"name": "p", "category": "HIDDEN"}})
    assert data == {"product": {"name": "p", "category": None}}
    assert errors == [error("Enum Category cannot represent value 'HIDDEN'.", ["product", "category"])]


def test_known_enum_value_passes() -> None:
    assert shape('{ product(upc: "1") { category } }', {"product": {"category": "TOYS"}}) == (
        {"product": {"category": "TOYS"}}, [])


def test_abstract_type_resolved_to_a_type_the_api_lacks_becomes_null() -> None:
    data, errors = shape('{ node(id: "1") { id } }', {"node": {"__typename": "Podcast", "id": "1"}})
    assert data == {"node": None}
    assert errors == [error("Abstract type Node resolved to 'Podcast', which this API does not have", ["node"])]


def test_union_resolved_to_an_unknown_type_becomes_null() -> None:
    data, errors = shape("{ featured { __typename } }", {"featured": {"__typename": "Song"}})
    assert data == {"featured": None}
    assert errors == [error("Abstract type Media resolved to 'Song', which this API does not have", ["featured"])]


# --- what is copied out, and in which order ---------------------------------------------


def test_response_key_order_follows_the_query() -> None:
    data, _ = shape(
        '{ me { name username } product(upc: "1") { price name upc } }',
        {"product": {"upc": "1", "name": "n", "price": 3}, "me": {"username": "u", "name": "ann"}},
    )
    assert data == {"me": {"name": "ann", "username": "u"}, "product": {"price": 3, "name": "n", "upc": "1"}}
    assert list(data) == ["me", "product"]
    assert list(data["me"]) == ["name", "username"]
    assert list(data["product"]) == ["price", "name", "upc"]


def test_internal_keys_are_not_copied_out() -> None:
    data, _ = shape(
        '{ product(upc: "1") { name } }',
        {"product": {"name": "n", "upc": "1", "_upc1": "1", "_price_r1": 3, "_id_r1": "x", "__typename": "Product"}},
    )
    assert data == {"product": {"name": "n"}}


def test_typename_is_answered_when_asked_even_under_an_alias() -> None:
    data, _ = shape('{ product(upc: "1") { t: __typename __typename name } }', {"product": {"name": "n"}})
    assert data == {"product": {"t": "Product", "__typename": "Product", "name": "n"}}
    assert shape("{ __typename }", {}) == ({"__typename": "Query"}, [])


def test_aliases_are_read_and_written_by_response_key() -> None:
    data, _ = shape('{ p: product(upc: "1") { n: name name } }', {"p": {"n": "alias", "name": "plain"}})
    assert data == {"p": {"n": "alias", "name": "plain"}}


# --- fragments on abstract types --------------------------------------------------------


def test_fragments_on_a_union_apply_by_typename() -> None:
    data, errors = shape(
        "{ media { ... on Book { title } ... on Movie { director } } }",
        {"media": [
            {"__typename": "Book", "title": "t", "director": "leaked", "id": "1"},
            {"__typename": "Movie", "director": "d", "title": "leaked"},
        ]},
    )
    assert data == {"media": [{"title": "t"}, {"director": "d"}]}
    assert errors == []


def test_fragment_on_an_interface_applies_to_its_implementations() -> None:
    # `... on Node` inside the union Media, built by hand.
    sg = supergraph()
    media = NField("media", "media", (), (), "Query", "Media", [
        NField("__typename", "__typename", (), (), "Media", "String"),
        NFragment("Node", [NField("id", "id", (), (), "Node", "ID")]),
        NFragment("Movie", [NField("director", "director", (), (), "Movie", "String")]),
    ])
    data = Shaper(sg.api_schema, []).response("Query", [media], {"media": [
        {"__typename": "Book", "id": "1", "title": "t"},
        {"__typename": "Movie", "id": "2", "director": "d"},
    ]})
    assert data == {"media": [
        {"__typename": "Book", "id": "1"},
        {"__typename": "Movie", "id": "2", "director": "d"},
    ]}


def test_non_matching_fragment_adds_no_key_and_matching_one_yields_null_for_missing_data() -> None:
    data, _ = shape('{ node(id: "1") { id ... on Book { title } } }', {"node": {"__typename": "Book", "id": "1"}})
    assert data == {"node": {"id": "1", "title": None}}
    data, _ = shape('{ node(id: "1") { id ... on Book { title } } }', {"node": {"__typename": "Movie", "id": "1"}})
    assert data == {"node": {"id": "1"}}


def test_skipped_fields_are_not_in_the_response() -> None:
    data, _ = shape("query($s: Boolean!) { me { name username @skip(if: $s) } }",
                    {"me": {"name": "ann", "username": "u"}}, variables={"s": True})
    assert data == {"me": {"name": "ann"}}


def test_a_failed_fetch_explains_the_nulls_below_it_once() -> None:
    # The reviews subgraph is down: the executor reports it once at `product`; the non-null
    # `reviews` it would have filled is missing, which nulls `product` with no second error.
    upstream = [{"message": "subgraph reviews is unavailable", "path": ["product"],
                 "extensions": {"code": "SUBGRAPH_UNAVAILABLE", "serviceName": "reviews"}}]
    data, errors = shape('{ product(upc: "1") { name reviews { body } } }', {"product": {"name": "p"}},
                         errors=list(upstream))
    assert data == {"product": None}
    assert errors == upstream


def test_another_error_above_a_null_does_not_explain_it() -> None:
    upstream = [{"message": "odd", "path": ["product"], "extensions": {"code": "BAD_USER_INPUT"}}]
    _, errors = shape('{ product(upc: "1") { name reviews { body } } }', {"product": {"name": "p"}},
                      errors=list(upstream))
    assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT", "INTERNAL"]
