"""Shared federation subgraphs for the gateway unit tests, and helpers that run the
pure stages (compose -> supergraph -> operation -> normalize -> plan) without servers.

The other `test_gateway_*` modules import from here; the tests below only check
that the shared fixture itself is what those modules assume.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from graphql import DirectiveNode, DocumentNode, OperationType, parse, print_ast

from gateway.operation import DocumentCache, Normalizer, NSelection, coerce_variables, select_operation
from gateway.planner import Planner, QueryPlan
from gateway.supergraph.compose import SubgraphSource, compose
from gateway.supergraph.model import Supergraph

FED2 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", '
    'import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible"])\n'
)

PRODUCTS = FED2 + """
type Product @key(fields: "upc") {
  upc: String!
  name: String
  price: Int
  weight: Int
  category: Category
  secret: String @inaccessible
}

enum Category { BOOKS TOYS HIDDEN @inaccessible }

type Query {
  topProducts(first: Int = 5): [Product!]!
  product(upc: String!): Product
}

type Mutation { addProduct(name: String!): Product! }
"""

REVIEWS = FED2 + """
type Product @key(fields: "upc") {
  upc: String!
  reviews(limit: Int): [Review!]!
  reviewCount: Int
}

type Review {
  id: ID!
  body: String!
  author: User @provides(fields: "username")
  reviewer: User
  product: Product
}

type User @key(fields: "id") {
  id: ID!
  username: String @external
  reviews: [Review!]!
}
"""

INVENTORY = FED2 + """
type Product @key(fields: "upc") {
  upc: String!
  price: Int @external
  weight: Int @external
  inStock: Boolean @requires(fields: "price")
  shippingEstimate: Int @requires(fields: "price weight")
}
"""

ACCOUNTS = FED2 + """
type User @key(fields: "id") {
  id: ID!
  username: String
  name: String
}

type Query { me: User }

type Mutation { login(name: String!): User }
"""

MEDIA = FED2 + """
interface Node { id: ID! }

type Book implements Node @key(fields: "id") { id: ID! title: String }
type Movie implements Node @key(fields: "id") { id: ID! director: String }
type Podcast implements Node @key(fields: "id") @inaccessible { id: ID! }

union Media = Book | Movie

type Query {
  media: [Media!]!
  node(id: ID!): Node
  featured: Media
}
"""

RATINGS = FED2 + """
type Book @key(fields: "id") { id: ID! stars: Int title: String @external }
type Movie @key(fields: "id") { id: ID! stars: Int }

union Media = Book | Movie

type Query { topRated: [Media!]! @provides(fields: "... on Book { title }") }
"""

SUBGRAPHS = {
    "products": PRODUCTS,
    "reviews": REVIEWS,
    "inventory": INVENTORY,
    "accounts": ACCOUNTS,
    "media": MEDIA,
    "ratings": RATINGS,
}


def sources(subgraphs: dict[str, str] | None = None) -> list[SubgraphSource]:
    return [SubgraphSource(name, f"http://{name}.test/graphql", sdl)
            for name, sdl in (subgraphs or SUBGRAPHS).items()]


@lru_cache(maxsize=1)
def supergraph_sdl() -> str:
    return compose(sources())


@lru_cache(maxsize=1)
def supergraph() -> Supergraph:
    return Supergraph.from_sdl(supergraph_sdl())


def directives_of(sdl: str | DocumentNode, type_name: str, field_name: str | None = None,
                  value_name: str | None = None) -> list[str]:
    """The printed directives on a type (or one of its fields / enum values) of an SDL."""
    document = parse(sdl) if isinstance(sdl, str) else sdl
    definition = next(d for d in document.definitions if getattr(d, "name", None) and d.name.value == type_name)
    node: Any = definition
    if field_name is not None:
        node = next(f for f in definition.fields if f.name.value == field_name)
    if value_name is not None:
        node = next(v for v in definition.values if v.name.value == value_name)
    directives: tuple[DirectiveNode, ...] = tuple(node.directives or ())
    return [print_ast(d) for d in directives]


def normalize(query: str, variables: dict[str, Any] | None = None, operation_name: str | None = None,
              sg: Supergraph | None = None) -> tuple[OperationType, str, list[NSelection], Any]:
    """(kind, root type, normalized selections, variable definitions), as Gateway.prepare chains them."""
    sg = sg or supergraph()
    document = DocumentCache(sg.api_schema).get(query)
    operation = select_operation(document, operation_name)
    coerced = coerce_variables(sg.api_schema, operation, variables)
    root = {
        OperationType.QUERY: sg.schema.query_type,
        OperationType.MUTATION: sg.schema.mutation_type,
        OperationType.SUBSCRIPTION: sg.schema.subscription_type,
    }[operation.operation]
    assert root is not None
    selections = Normalizer(sg, document, coerced).normalize(operation.selection_set, root.name)
    return operation.operation, root.name, selections, operation.variable_definitions


def plan(query: str, variables: dict[str, Any] | None = None, operation_name: str | None = None,
         sg: Supergraph | None = None) -> QueryPlan:
    sg = sg or supergraph()
    kind, root, selections, definitions = normalize(query, variables, operation_name, sg)
    return Planner(sg).plan(kind, root, selections, definitions)


# --- the fixture itself -----------------------------------------------------------------


def test_fixture_names_every_subgraph_with_its_url() -> None:
    assert supergraph().graph_urls == {
        "products": "http://products.test/graphql",
        "reviews": "http://reviews.test/graphql",
        "inventory": "http://inventory.test/graphql",
        "accounts": "http://accounts.test/graphql",
        "media": "http://media.test/graphql",
        "ratings": "http://ratings.test/graphql",
    }
    assert supergraph().graph_order == ["products", "reviews", "inventory", "accounts", "media", "ratings"]


def test_fixture_root_types() -> None:
    sg = supergraph()
    assert sg.api_schema.query_type is not None and sg.api_schema.query_type.name == "Query"
    assert sg.api_schema.mutation_type is not None and sg.api_schema.mutation_type.name == "Mutation"
    assert sg.api_schema.subscription_type is None
    assert sorted(sg.api_schema.query_type.fields) == [
        "featured", "me", "media", "node", "product", "topProducts", "topRated",
    ]
    assert sorted(sg.api_schema.mutation_type.fields) == ["addProduct", "login"]
