"""Data-driven Apollo Federation v2 subgraphs for the gateway's own federation
tests: a subgraph is an SDL plus Python data (root values and entity lookups),
executed by graphql-core and served over real HTTP.

    Subgraph(
        sdl='''
          extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
          type Query { topBooks: [Book!]! }
          type Book @key(fields: "isbn") { isbn: ID! title: String }
        ''',
        root={"topBooks": lambda args: [{"isbn": "1", "title": "Dune"}]},
        entities={"Book": lambda rep: BOOKS.get(rep["isbn"])},
    )

Values are dicts; a value that is callable is called with the field's arguments
(and, for root fields, only the arguments). Objects of abstract types say their
`__typename`. An entity lookup gets the representation (key and required fields)
and returns a dict (with a concrete `__typename` for an interface) or None.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_ast_schema,
    graphql,
    parse,
)
from starlette.requests import Request
from starlette.responses import Response

FEDERATION_DEFINITIONS = """
directive @key(fields: _FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @requires(fields: _FieldSet!) on FIELD_DEFINITION
directive @provides(fields: _FieldSet!) on FIELD_DEFINITION
directive @external on FIELD_DEFINITION | OBJECT
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @override(from: String!) on FIELD_DEFINITION
directive @interfaceObject on OBJECT
directive @extends on OBJECT | INTERFACE
directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @link(url: String!, import: [String]) repeatable on SCHEMA
scalar _FieldSet
scalar _Any
type _Service { sdl: String! }
"""

Resolver = Callable[..., Any]


@dataclass
class Subgraph:
    sdl: str
    root: Mapping[str, Any] = field(default_factory=dict)
    entities: Mapping[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)

    def schema(self) -> GraphQLSchema:
        base = parse(FEDERATION_DEFINITIONS + self.sdl)
        probe = build_ast_schema(base, assume_valid=True)
        entity_types = [
            t.name for t in probe.type_map.values()
            if isinstance(t, GraphQLObjectType) and t.ast_node is not None
            and any(d.name.value == "key" for d in (t.ast_node.directives or ()))
        ]
        extra = "extend type Query { _service: _Service! " + (
            "_entities(representations: [_Any!]!): [_Entity]! }" if entity_types else "}"
        )
        if entity_types:
            extra += "\nunion _Entity = " + " | ".join(entity_types)
        if probe.query_type is None:
            extra = extra.replace("extend type Query", "type Query")
        schema = build_ast_schema(parse(FEDERATION_DEFINITIONS + self.sdl + "\n" + extra), assume_valid=True)
        for type_ in schema.type_map.values():
            if isinstance(type_, GraphQLUnionType) or hasattr(type_, "resolve_type"):
                type_.resolve_type = _resolve_type  # type: ignore[union-attr]
        return schema

    def asgi(self) -> Callable[..., Any]:
        schema = self.schema()
        sdl = self.sdl

        def field_resolver(source: Any, info: Any, **args: Any) -> Any:
            if info.parent_type is schema.query_type or info.parent_type is schema.mutation_type:
                if info.field_name == "_service":
                    return {"sdl": sdl}
                if info.field_name == "_entities":
                    return [self._entity(rep, schema) for rep in args["representations"]]
                value = self.root.get(info.field_name)
                return value(args) if callable(value) else value
            value = source.get(info.field_name) if isinstance(source, Mapping) else getattr(source, info.field_name,
                                                                                            None)
            return value(args) if callable(value) else value

        async def app(request: Request) -> Response:
            body = orjson.loads(await request.body())
            result = await graphql(schema, body["query"], variable_values=body.get("variables"),
                                   operation_name=body.get("operationName"), field_resolver=field_resolver)
            payload: dict[str, Any] = {"data": result.data}
            if result.errors:
                payload["errors"] = [e.formatted for e in result.errors]
            return Response(orjson.dumps(payload), media_type="application/json")

        return app

    def _entity(self, representation: dict[str, Any], schema: GraphQLSchema) -> Any:
        typename = representation["__typename"]
        lookup = self.entities.get(typename)
        if lookup is None:
            return None
        found = lookup(representation)
        if found is None:
            return None
        found = dict(found)
        if "__typename" not in found or isinstance(schema.get_type(found["__typename"]), type(None)):
            found["__typename"] = typename
        return found


def _resolve_type(value: Any, info: Any, abstract_type: Any) -> str | None:
    return value.get("__typename") if isinstance(value, Mapping) else None
