"""Composition (gateway.supergraph.compose) and the round trip through Supergraph.from_sdl."""
from __future__ import annotations

import pytest
from graphql import print_schema

from gateway.operation import DocumentCache, RequestError
from gateway.supergraph.compose import CompositionError, SubgraphSource, compose
from gateway.supergraph.model import FieldJoin, Key, Supergraph
from tests.unit.test_gateway_schemas import FED2, directives_of, sources, supergraph, supergraph_sdl


def _compose(**subgraphs: str) -> str:
    return compose([SubgraphSource(name, f"http://{name}.test", sdl) for name, sdl in subgraphs.items()])


def _problems(**subgraphs: str) -> list[str]:
    with pytest.raises(CompositionError) as caught:
        _compose(**subgraphs)
    return caught.value.problems


# --- join__type -----------------------------------------------------------------------


def test_join_type_per_subgraph_with_key() -> None:
    sdl = supergraph_sdl()
    assert directives_of(sdl, "Product") == [
        '@join__type(graph: PRODUCTS, key: "upc")',
        '@join__type(graph: REVIEWS, key: "upc")',
        '@join__type(graph: INVENTORY, key: "upc")',
    ]
    assert directives_of(sdl, "User") == [
        '@join__type(graph: REVIEWS, key: "id")',
        '@join__type(graph: ACCOUNTS, key: "id")',
    ]
    assert directives_of(sdl, "Review") == ["@join__type(graph: REVIEWS)"]
    assert directives_of(sdl, "Query") == [
        "@join__type(graph: PRODUCTS)",
        "@join__type(graph: ACCOUNTS)",
        "@join__type(graph: MEDIA)",
        "@join__type(graph: RATINGS)",
    ]


def test_join_graph_enum_lists_every_subgraph() -> None:
    sdl = supergraph_sdl()
    assert '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)' in sdl
    assert directives_of(sdl, "join__Graph", value_name="PRODUCTS") == [
        '@join__graph(name: "products", url: "http://products.test/graphql")'
    ]
    assert directives_of(sdl, "join__Graph", value_name="RATINGS") == [
        '@join__graph(name: "ratings", url: "http://ratings.test/graphql")'
    ]


def test_join_type_keeps_resolvable_false() -> None:
    sdl = _compose(
        catalog=FED2 + 'type Product @key(fields: "upc") { upc: String! name: String } type Query { products: [Product] }',
        pins=FED2 + 'type Product @key(fields: "upc", resolvable: false) { upc: String! } type Query { pinned: Product }',
    )
    assert directives_of(sdl, "Product") == [
        '@join__type(graph: CATALOG, key: "upc")',
        '@join__type(graph: PINS, key: "upc", resolvable: false)',
    ]
    sg = Supergraph.from_sdl(sdl)
    assert sg.keys("Product", "pins") == [Key("pins", "upc", False)]
    assert sg.resolvable_keys("Product", "pins") == []
    assert sg.resolvable_keys("Product", "catalog") == [Key("catalog", "upc", True)]


def test_join_type_marks_extensions_and_clears_their_external_key() -> None:
    sdl = _compose(
        base=FED2 + 'type Product @key(fields: "upc") { upc: String! } type Query { products: [Product] }',
        ext=FED2 + 'extend type Product @key(fields: "upc") { upc: String! @external extra: Int }',
    )
    assert directives_of(sdl, "Product") == [
        '@join__type(graph: BASE, key: "upc")',
        '@join__type(graph: EXT, key: "upc", extension: true)',
    ]
    assert directives_of(sdl, "Product", "upc") == []  # key of an extension: not really external
    assert directives_of(sdl, "Product", "extra") == ["@join__field(graph: EXT)"]


def test_renamed_and_namespaced_federation_directives_are_recognized() -> None:
    renamed = ('extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", '
               'import: [{name: "@key", as: "@primaryKey"}])\n')
    sdl = _compose(
        a=renamed + 'type Product @primaryKey(fields: "upc") { upc: String! name: String @federation__shareable }'
                    " type Query { products: [Product] }",
        b=FED2 + 'type Product @key(fields: "upc") { upc: String! name: String @shareable }',
    )
    assert directives_of(sdl, "Product") == [
        '@join__type(graph: A, key: "upc")',
        '@join__type(graph: B, key: "upc")',
    ]
    assert directives_of(sdl, "Product", "name") == []


# --- join__field ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "field_name", "expected"),
    [
        ("Product", "upc", []),  # in every subgraph that has Product
        ("Product", "name", ["@join__field(graph: PRODUCTS)"]),
        ("Product", "price", ["@join__field(graph: PRODUCTS)", "@join__field(graph: INVENTORY, external: true)"]),
        ("Product", "inStock", ['@join__field(graph: INVENTORY, requires: "price")']),
        ("Product", "shippingEstimate", ['@join__field(graph: INVENTORY, requires: "price weight")']),
        ("Product", "reviews", ["@join__field(graph: REVIEWS)"]),
        ("Product", "secret", ["@join__field(graph: PRODUCTS)", "@inaccessible"]),
        ("Review", "body", []),  # Review lives in one subgraph only
        ("Review", "author", ['@join__field(graph: REVIEWS, provides: "username")']),
        ("User", "id", []),
        ("User", "username", ["@join__field(graph: REVIEWS, external: true)", "@join__field(graph: ACCOUNTS)"]),
        ("Query", "topProducts", ["@join__field(graph: PRODUCTS)"]),
        ("Query", "topRated", ['@join__field(graph: RATINGS, provides: "... on Book { title }")']),
        ("Book", "title", ["@join__field(graph: MEDIA)", "@join__field(graph: RATINGS, external: true)"]),
        ("Book", "stars", ["@join__field(graph: RATINGS)"]),
    ],
)
def test_join_field_only_where_needed(type_name: str, field_name: str, expected: list[str]) -> None:
    assert directives_of(supergraph_sdl(), type_name, field_name) == expected


def test_join_field_type_when_nullability_differs() -> None:
    sdl = _compose(
        a=FED2 + 'type Product @key(fields: "id") { id: ID! name: String! @shareable } type Query { a: Product }',
        b=FED2 + 'type Product @key(fields: "id") { id: ID! name: String @shareable }',
    )
    sg = Supergraph.from_sdl(sdl)
    assert str(sg.schema.get_type("Product").fields["name"].type) == "String"
    assert directives_of(sdl, "Product", "name") == [
        '@join__field(graph: A, type: "String!")',
        '@join__field(graph: B, type: "String")',
    ]


# --- unions, interfaces, enums ----------------------------------------------------------


def test_union_members_and_implements_per_subgraph() -> None:
    sdl = supergraph_sdl()
    assert directives_of(sdl, "Media") == [
        "@join__type(graph: MEDIA)",
        "@join__type(graph: RATINGS)",
        '@join__unionMember(graph: MEDIA, member: "Book")',
        '@join__unionMember(graph: MEDIA, member: "Movie")',
        '@join__unionMember(graph: RATINGS, member: "Book")',
        '@join__unionMember(graph: RATINGS, member: "Movie")',
    ]
    assert directives_of(sdl, "Book") == [
        '@join__type(graph: MEDIA, key: "id")',
        '@join__type(graph: RATINGS, key: "id")',
        '@join__implements(graph: MEDIA, interface: "Node")',
    ]
    assert directives_of(sdl, "Podcast") == [
        '@join__type(graph: MEDIA, key: "id")',
        '@join__implements(graph: MEDIA, interface: "Node")',
        "@inaccessible",
    ]


def test_enum_values_are_unioned_with_join_enum_value() -> None:
    sdl = _compose(
        a=FED2 + "enum Color { RED GREEN } type Query { paint: Color }",
        b=FED2 + "enum Color { BLUE RED } type Query { ink: Color }",
    )
    assert directives_of(sdl, "Color") == ["@join__type(graph: A)", "@join__type(graph: B)"]
    assert directives_of(sdl, "Color", value_name="RED") == [
        "@join__enumValue(graph: A)", "@join__enumValue(graph: B)",
    ]
    assert directives_of(sdl, "Color", value_name="GREEN") == ["@join__enumValue(graph: A)"]
    assert directives_of(sdl, "Color", value_name="BLUE") == ["@join__enumValue(graph: B)"]
    sg = Supergraph.from_sdl(sdl)
    assert sg.enum_values["Color"] == {"RED": {"a", "b"}, "GREEN": {"a"}, "BLUE": {"b"}}
    assert list(sg.api_schema.get_type("Color").values) == ["RED", "GREEN", "BLUE"]


def test_inaccessible_enum_value_is_joined_but_hidden() -> None:
    sdl = supergraph_sdl()
    assert directives_of(sdl, "Category", value_name="HIDDEN") == [
        "@join__enumValue(graph: PRODUCTS)", "@inaccessible",
    ]
    sg = supergraph()
    assert list(sg.schema.get_type("Category").values) == ["BOOKS", "TOYS", "HIDDEN"]
    assert list(sg.api_schema.get_type("Category").values) == ["BOOKS", "TOYS"]


def test_input_only_enum_values_are_intersected() -> None:
    sdl = _compose(
        a=FED2 + "enum Color { RED GREEN } type Query { paint(color: Color): Int }",
        b=FED2 + "enum Color { BLUE RED } type Query { ink(color: Color): Int }",
    )
    sg = Supergraph.from_sdl(sdl)
    assert list(sg.api_schema.get_type("Color").values) == ["RED"]


# --- @inaccessible ----------------------------------------------------------------------


def test_inaccessible_elements_are_absent_from_the_api_schema_only() -> None:
    sg = supergraph()
    api = print_schema(sg.api_schema)
    full = print_schema(sg.schema)
    assert "secret: String" not in api
    assert "HIDDEN" not in api
    assert "Podcast" not in api
    assert "secret: String" in full
    assert "HIDDEN" in full
    assert "type Podcast implements Node" in full
    assert "join__" not in api and "link__" not in api and "@inaccessible" not in api
    assert "secret" not in sg.api_schema.get_type("Product").fields
    assert sg.api_schema.get_type("Podcast") is None
    assert sg.schema.get_type("Podcast") is not None


def test_operations_on_inaccessible_fields_fail_validation() -> None:
    cache = DocumentCache(supergraph().api_schema)
    with pytest.raises(RequestError) as caught:
        cache.get('{ product(upc: "1") { secret } }')
    assert [e.extensions["code"] for e in caught.value.errors] == ["GRAPHQL_VALIDATION_FAILED"]
    assert "secret" in caught.value.errors[0].message


def test_inaccessible_type_and_its_field_are_hidden() -> None:
    sdl = _compose(a=FED2 + """
        type Internal @inaccessible { x: Int }
        type Query { visible: Int internal: Internal @inaccessible }
    """)
    sg = Supergraph.from_sdl(sdl)
    assert sorted(sg.api_schema.query_type.fields) == ["visible"]
    assert sg.api_schema.get_type("Internal") is None
    assert sorted(sg.schema.query_type.fields) == ["internal", "visible"]


def test_inaccessible_argument_is_hidden() -> None:
    sdl = _compose(a=FED2 + """
        type Query { product(upc: String!, trace: Boolean @inaccessible): String }
    """)
    assert directives_of(sdl, "Query", "product") == []  # the field itself is fine
    sg = Supergraph.from_sdl(sdl)
    assert sorted(sg.schema.query_type.fields["product"].args) == ["trace", "upc"]
    assert sorted(sg.api_schema.query_type.fields["product"].args) == ["upc"]


def test_optional_input_field_missing_in_one_subgraph_is_dropped() -> None:
    sdl = _compose(
        c=FED2 + "type Query { search(f: Filter): Int } input Filter { term: String! page: Int }",
        d=FED2 + "type Query { search2(f: Filter): Int } input Filter { term: String! }",
    )
    sg = Supergraph.from_sdl(sdl)
    assert list(sg.schema.get_type("Filter").fields) == ["term"]
    assert directives_of(sdl, "Filter") == ["@join__type(graph: C)", "@join__type(graph: D)"]


# --- errors -----------------------------------------------------------------------------


def test_field_in_two_subgraphs_without_shareable_is_an_error() -> None:
    problems = _problems(
        a=FED2 + "type Money { amount: Int currency: String @shareable } type Query { price: Money }",
        b=FED2 + "type Money { amount: Int currency: String @shareable } type Query { other: Money }",
    )
    assert len(problems) == 2
    assert problems[0].startswith("[a] field Money.amount is also resolved by b;")
    assert problems[1].startswith("[b] field Money.amount is also resolved by a;")
    assert not any("currency" in p for p in problems)


def test_shareable_only_on_one_side_names_the_other_subgraph() -> None:
    problems = _problems(
        a=FED2 + "type Money { amount: Int @shareable } type Query { price: Money }",
        b=FED2 + "type Money { amount: Int } type Query { other: Money }",
    )
    assert len(problems) == 1
    assert problems[0].startswith("[b] field Money.amount ")
    assert "@shareable" in problems[0]


def test_root_field_in_two_subgraphs_without_shareable_is_an_error() -> None:
    problems = _problems(a=FED2 + "type Query { ping: Int }", b=FED2 + "type Query { ping: Int }")
    assert [p.split(";")[0] for p in problems] == [
        "[a] field Query.ping is also resolved by b",
        "[b] field Query.ping is also resolved by a",
    ]


def test_shareable_value_type_composes_without_join_field() -> None:
    sdl = _compose(
        a=FED2 + "type Money @shareable { amount: Int } type Query { price: Money }",
        b=FED2 + "type Money { amount: Int @shareable } type Query { other: Money }",
    )
    assert directives_of(sdl, "Money", "amount") == []
    assert directives_of(sdl, "Money") == ["@join__type(graph: A)", "@join__type(graph: B)"]


def test_external_copy_does_not_need_shareable() -> None:
    sdl = _compose(
        a=FED2 + 'type P @key(fields: "id") { id: ID! x: Int } type Query { p: P }',
        b=FED2 + 'type P @key(fields: "id") { id: ID! x: Int @external y: Int @requires(fields: "x") }',
    )
    assert directives_of(sdl, "P", "x") == ["@join__field(graph: A)", "@join__field(graph: B, external: true)"]


def test_required_input_field_missing_in_one_subgraph_is_an_error() -> None:
    problems = _problems(
        c=FED2 + "type Query { search(f: Filter): Int } input Filter { limit: Int page: Int! }",
        d=FED2 + "type Query { search2(f: Filter): Int } input Filter { limit: Int }",
    )
    assert problems == ["[c] input field Filter.page is required but missing in d"]


def test_incompatible_field_types_are_an_error() -> None:
    problems = _problems(
        a=FED2 + "type V @shareable { n: Int } type Query { a: V }",
        b=FED2 + "type V @shareable { n: String } type Query { b: V }",
    )
    assert problems == ["field V.n has incompatible types: Int in a, String in b"]


def test_kind_mismatch_is_an_error() -> None:
    problems = _problems(
        a=FED2 + "type Thing { n: Int } type Query { a: Thing }",
        b=FED2 + "input Thing { n: Int } type Query { b(t: Thing): Int }",
    )
    assert problems == ["type Thing has different kinds: object in a, input in b"]


def test_field_typed_by_a_union_member_in_one_subgraph_takes_the_union() -> None:
    sdl = _compose(
        a=FED2 + "type Query { a: Visit } type Lion @shareable { n: Int } type Visit @shareable { pick: Lion }",
        b=FED2 + "type Query { b: Visit } type Lion @shareable { n: Int } type Seal { n: Int } union Pet = Lion | Seal "
                 "type Visit @shareable { pick: Pet! }",
    )
    assert 'pick: Pet @join__field(graph: A, type: "Lion") @join__field(graph: B, type: "Pet!")' in sdl


def test_field_types_that_are_not_sub_and_supertype_stay_an_error() -> None:
    problems = _problems(
        a=FED2 + "type Query { a: Visit } type Lion { n: Int } type Visit @shareable { pick: Lion }",
        b=FED2 + "type Query { b: Visit } type Seal { n: Int } union Pet = Seal type Visit @shareable { pick: Pet }",
    )
    assert problems == ["field Visit.pick has incompatible types: Lion in a, Pet in b"]


FED2_IO = FED2.replace('"@key"', '"@key", "@interfaceObject"')


def test_interface_object_adds_its_fields_to_every_implementation() -> None:
    sdl = _compose(
        a=FED2 + 'type Query { boats: [Boat!]! } interface Boat @key(fields: "id") { id: ID! } '
                 'type Yacht implements Boat @key(fields: "id") { id: ID! length: Int }',
        b=FED2_IO + 'type Boat @key(fields: "id") @interfaceObject { id: ID! crew: Int }',
    )
    assert '@join__type(graph: B, key: "id", isInterfaceObject: true)' in sdl
    yacht = sdl[sdl.index("type Yacht"):]
    assert "crew: Int @join__field\n" in yacht[: yacht.index("}") + 1]
    assert Supergraph.from_sdl(sdl).is_interface_object("Boat", "b")


def test_interface_object_without_the_interface_is_an_error() -> None:
    problems = _problems(
        a=FED2 + "type Query { a: Int }",
        b=FED2_IO + 'type Boat @key(fields: "id") @interfaceObject { id: ID! crew: Int } type Query { b: Boat }',
    )
    assert problems == ["[b] type Boat is an @interfaceObject, but no subgraph defines interface Boat"]


def test_inaccessible_enum_value_may_be_missing_from_an_input_and_output_enum() -> None:
    sdl = _compose(
        a=FED2 + "type Query { a: S } enum S { ON OFF GONE @inaccessible }",
        b=FED2 + "type Query { b(s: S!): Int } enum S { ON OFF }",
    )
    assert "GONE @join__enumValue(graph: A) @inaccessible" in sdl
    problems = _problems(
        a=FED2 + "type Query { a: S } enum S { ON OFF GONE }",
        b=FED2 + "type Query { b(s: S!): Int } enum S { ON OFF }",
    )
    assert problems[0].startswith("enum S is used as an input and an output")


def test_duplicate_subgraph_names_and_no_subgraphs_are_errors() -> None:
    with pytest.raises(CompositionError, match="no subgraphs"):
        compose([])
    with pytest.raises(CompositionError, match="subgraph names must be unique"):
        compose([SubgraphSource("a", "http://a", FED2 + "type Query { a: Int }")] * 2)


def test_unparsable_subgraph_names_the_subgraph() -> None:
    problems = _problems(broken="type Query {")
    assert len(problems) == 1
    assert problems[0].startswith("[broken] SDL does not parse")


# --- round trip through Supergraph.from_sdl -------------------------------------------


def test_round_trip_keys() -> None:
    sg = supergraph()
    assert sg.keys("Product", "products") == [Key("products", "upc", True)]
    assert sg.keys("Product", "reviews") == [Key("reviews", "upc", True)]
    assert sg.keys("Product", "accounts") == []
    assert sg.keys("User", "accounts") == [Key("accounts", "id", True)]
    assert sg.resolvable_keys("Book", "ratings") == [Key("ratings", "id", True)]
    assert sg.type_graphs("Product") == ["products", "reviews", "inventory"]
    assert sg.is_entity("Product") and not sg.is_entity("Review")


def test_round_trip_field_joins() -> None:
    sg = supergraph()
    assert sg.field_joins("Product", "upc") == [
        FieldJoin("products"), FieldJoin("reviews"), FieldJoin("inventory"),
    ]
    assert sg.field_joins("Product", "price") == [FieldJoin("products"), FieldJoin("inventory", external=True)]
    assert sg.field_joins("Product", "inStock") == [FieldJoin("inventory", requires="price")]
    assert sg.field_joins("Review", "author") == [FieldJoin("reviews", provides="username")]
    assert sg.field_joins("Query", "topRated") == [FieldJoin("ratings", provides="... on Book { title }")]
    assert sg.field_join("User", "username", "reviews") == FieldJoin("reviews", external=True)
    assert sg.field_join("User", "username", "reviews").resolvable is False
    assert sg.field_join("User", "username", "products") is None


def test_round_trip_possible_types() -> None:
    sg = supergraph()
    assert sg.possible_types("Node") == ["Book", "Movie", "Podcast"]
    assert sg.possible_types_in("media", "Node") == ["Book", "Movie", "Podcast"]
    assert sg.possible_types_in("ratings", "Node") == []  # ratings does not declare Node
    assert sg.possible_types_in("ratings", "Media") == ["Book", "Movie"]
    assert sg.possible_types_in("accounts", "User") == ["User"]
    assert sg.possible_types_in("products", "User") == []


def test_round_trip_of_a_partial_union() -> None:
    sdl = _compose(
        a=FED2 + 'union U = X | Y type X @key(fields: "id") { id: ID! } type Y { n: Int } type Query { u: U }',
        b=FED2 + 'union U = X type X @key(fields: "id") { id: ID! } type Query { ub: U }',
    )
    sg = Supergraph.from_sdl(sdl)
    assert sg.union_members["U"] == {"a": {"X", "Y"}, "b": {"X"}}
    assert sg.possible_types_in("a", "U") == ["X", "Y"]
    assert sg.possible_types_in("b", "U") == ["X"]


def test_composition_is_deterministic() -> None:
    assert compose(sources()) == supergraph_sdl()
