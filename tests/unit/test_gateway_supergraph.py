"""Supergraph.from_sdl on supergraphs written by Apollo's composer (join v0.3), and its errors."""
from __future__ import annotations

import pytest
from graphql import print_schema

from gateway.planner import Unplannable
from gateway.supergraph.model import FieldJoin, Key, Supergraph, SupergraphError
from tests.unit.test_gateway_schemas import plan

# In the style of @apollo/composition 2.x output: directive definitions first, types
# sorted by name, `{` on its own line, join v0.3 for EXECUTION.
APOLLO_SUPERGRAPH = '''schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
{
  query: Query
}

directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

interface Animal
  @join__type(graph: A)
  @join__type(graph: B)
{
  id: ID!
}

type Cat implements Animal
  @join__implements(graph: A, interface: "Animal")
  @join__implements(graph: B, interface: "Animal")
  @join__type(graph: A, key: "id")
  @join__type(graph: B, key: "id")
{
  id: ID!
  name: String @join__field(graph: A) @join__field(graph: B, external: true)
  age: Int @join__field(graph: B)
}

type Dog implements Animal
  @join__implements(graph: A, interface: "Animal")
  @join__type(graph: A, key: "id")
{
  id: ID!
  barks: Boolean
}

input Filter
  @join__type(graph: A)
  @join__type(graph: B)
{
  term: String
  debug: Boolean @inaccessible
}

enum Mood
  @join__type(graph: B)
{
  HAPPY @join__enumValue(graph: B)
  GRUMPY @join__enumValue(graph: B)
  SECRET @join__enumValue(graph: B) @inaccessible
}

scalar join__FieldSet

enum join__Graph
{
  A @join__graph(name: "a", url: "http://a.example/graphql")
  B @join__graph(name: "b", url: "http://b.example/graphql")
}

scalar link__Import

enum link__Purpose
{
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}

type Owner
  @join__type(graph: A, key: "id", resolvable: false)
  @join__type(graph: B, key: "id")
{
  id: ID!
  since: Int @join__field(graph: A)
  pets: [Pet!]! @join__field(graph: B)
  mood: Mood @join__field(graph: B)
  internal: String @join__field(graph: B) @inaccessible
}

union Pet
  @join__type(graph: A)
  @join__type(graph: B)
  @join__unionMember(graph: A, member: "Cat")
  @join__unionMember(graph: A, member: "Dog")
  @join__unionMember(graph: B, member: "Cat")
 = Cat | Dog

type Query
  @join__type(graph: A)
  @join__type(graph: B)
{
  animals(filter: Filter, trace: Boolean @inaccessible): [Animal!]! @join__field(graph: A)
  owner: Owner @join__field(graph: A)
  ownerB: Owner @join__field(graph: B)
  cats: [Cat!]! @join__field(graph: B, provides: "name")
  strays: [Cat!]! @join__field(graph: B)
}
'''


def _lines(document: str) -> list[str]:
    return [line.strip() for line in document.splitlines()]


@pytest.fixture(scope="module")
def apollo() -> Supergraph:
    return Supergraph.from_sdl(APOLLO_SUPERGRAPH)


def test_graphs_and_urls(apollo: Supergraph) -> None:
    assert apollo.graph_urls == {"a": "http://a.example/graphql", "b": "http://b.example/graphql"}
    assert apollo.graph_by_enum == {"A": "a", "B": "b"}
    assert apollo.graph_order == ["a", "b"]
    assert apollo.join.version == "v0.3"


def test_keys_and_resolvable_false(apollo: Supergraph) -> None:
    assert apollo.keys("Owner", "a") == [Key("a", "id", False)]
    assert apollo.resolvable_keys("Owner", "a") == []
    assert apollo.resolvable_keys("Owner", "b") == [Key("b", "id", True)]
    assert apollo.keys("Cat", "b") == [Key("b", "id", True)]
    assert apollo.keys("Dog", "b") == []
    assert apollo.type_graphs("Dog") == ["a"]
    assert apollo.is_entity("Owner") and not apollo.is_entity("Animal")


def test_field_joins_with_external(apollo: Supergraph) -> None:
    assert apollo.field_joins("Cat", "name") == [FieldJoin("a"), FieldJoin("b", external=True)]
    assert apollo.field_join("Cat", "name", "b").resolvable is False
    assert apollo.field_join("Cat", "name", "a").resolvable is True
    # No @join__field: every subgraph of the type resolves it.
    assert apollo.field_joins("Cat", "id") == [FieldJoin("a"), FieldJoin("b")]
    assert apollo.field_joins("Dog", "barks") == [FieldJoin("a")]
    assert apollo.field_joins("Query", "cats") == [FieldJoin("b", provides="name")]
    assert apollo.field_joins("Owner", "since") == [FieldJoin("a")]


def test_possible_types_per_subgraph(apollo: Supergraph) -> None:
    assert apollo.possible_types("Pet") == ["Cat", "Dog"]
    assert apollo.possible_types_in("a", "Pet") == ["Cat", "Dog"]
    assert apollo.possible_types_in("b", "Pet") == ["Cat"]
    assert apollo.possible_types_in("a", "Animal") == ["Cat", "Dog"]
    assert apollo.possible_types_in("b", "Animal") == ["Cat"]
    assert apollo.implements["Cat"] == {"a": {"Animal"}, "b": {"Animal"}}


def test_enum_values(apollo: Supergraph) -> None:
    assert apollo.enum_values["Mood"] == {"HAPPY": {"b"}, "GRUMPY": {"b"}, "SECRET": {"b"}}


def test_api_schema_hides_inaccessible_and_join_elements(apollo: Supergraph) -> None:
    api = apollo.api_schema
    assert list(api.get_type("Mood").values) == ["HAPPY", "GRUMPY"]
    assert sorted(api.get_type("Owner").fields) == ["id", "mood", "pets", "since"]
    assert list(api.get_type("Filter").fields) == ["term"]
    assert sorted(api.query_type.fields["animals"].args) == ["filter"]
    for hidden in ("join__Graph", "join__FieldSet", "link__Purpose", "link__Import"):
        assert api.get_type(hidden) is None
    assert sorted(d.name for d in api.directives) == ["deprecated", "include", "oneOf", "skip", "specifiedBy"]
    text = print_schema(api)
    assert "SECRET" not in text and "internal" not in text and "debug" not in text and "trace" not in text


def test_supergraph_schema_keeps_inaccessible_elements(apollo: Supergraph) -> None:
    schema = apollo.schema
    assert list(schema.get_type("Mood").values) == ["HAPPY", "GRUMPY", "SECRET"]
    assert "internal" in schema.get_type("Owner").fields
    assert list(schema.get_type("Filter").fields) == ["term", "debug"]
    assert sorted(schema.query_type.fields["animals"].args) == ["filter", "trace"]
    assert schema.get_type("join__Graph") is not None


def test_planning_on_apollo_output_enters_only_resolvable_keys(apollo: Supergraph) -> None:
    # a's key for Owner is `resolvable: false`: b can be entered from a, a cannot be entered from b.
    from_a = plan("{ owner { since pets { __typename } } }", sg=apollo)
    assert [(f.graph, f.path, f.depends_on) for f in from_a.fetches] == [("a", (), ()), ("b", ("owner",), (0,))]
    with pytest.raises(Unplannable, match="Owner.since"):
        plan("{ ownerB { since } }", sg=apollo)


def test_planning_on_apollo_output_trusts_external(apollo: Supergraph) -> None:
    provided = plan("{ cats { name age } }", sg=apollo)
    assert [f.graph for f in provided.fetches] == ["b"]
    not_provided = plan("{ strays { name age } }", sg=apollo)
    assert [(f.graph, f.path) for f in not_provided.fetches] == [("b", ()), ("a", ("strays", "@"))]
    assert "name" in _lines(not_provided.fetches[1].document)
    assert "name" not in _lines(not_provided.fetches[0].document)
    assert "age" in _lines(not_provided.fetches[0].document)


def test_namespaced_join_link_is_read_through_as() -> None:
    sdl = APOLLO_SUPERGRAPH.replace("join__", "j__").replace(
        '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)',
        '@link(url: "https://specs.apollo.dev/join/v0.3", as: "j", for: EXECUTION)',
    )
    sg = Supergraph.from_sdl(sdl)
    assert sg.graph_urls == {"a": "http://a.example/graphql", "b": "http://b.example/graphql"}
    assert sg.keys("Owner", "a") == [Key("a", "id", False)]
    assert sg.field_joins("Cat", "name") == [FieldJoin("a"), FieldJoin("b", external=True)]
    assert sg.api_schema.get_type("j__Graph") is None


def test_document_without_join_link_is_rejected() -> None:
    with pytest.raises(SupergraphError, match="no @link to the join spec"):
        Supergraph.from_sdl("type Query { hello: String }")
    with pytest.raises(SupergraphError, match="no @link to the join spec"):
        Supergraph.from_sdl(APOLLO_SUPERGRAPH.replace(
            '  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)\n', ""))


def test_unsupported_join_version_is_rejected() -> None:
    with pytest.raises(SupergraphError, match="join spec v0.1 is not supported"):
        Supergraph.from_sdl(APOLLO_SUPERGRAPH.replace("join/v0.3", "join/v0.1"))


def test_empty_join_graph_is_rejected() -> None:
    empty = APOLLO_SUPERGRAPH.replace(
        '  A @join__graph(name: "a", url: "http://a.example/graphql")\n'
        '  B @join__graph(name: "b", url: "http://b.example/graphql")\n',
        "  A\n",
    )
    with pytest.raises(SupergraphError, match="names no subgraphs"):
        Supergraph.from_sdl(empty)
