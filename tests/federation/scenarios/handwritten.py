"""Helpers for scenarios that need more than `Subgraph` + our composer:

- `supergraph_sdl`: the fixed part of a join v0.3 supergraph (as `@apollo/composition`
  prints it) around hand-written type definitions, with `{url:<subgraph>}` placeholders;
- `MarkedSubgraph`: a subgraph whose answers carry a marker `__typename` wherever it
  would say the name of one of its `@interfaceObject` types (an interface in the
  supergraph: never a name the client may see).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..subgraph import Subgraph

_DEFINITIONS = '''
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM \
| ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, \
external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, \
resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM \
| INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

scalar join__FieldSet

scalar link__Import

enum link__Purpose {
  SECURITY
  EXECUTION
}
'''


def supergraph_sdl(graphs: list[str], types: str) -> str:
    """A join v0.3 supergraph: `graphs` are subgraph names (enum values are their upper
    case), `types` the hand-written definitions with their @join__* directives."""
    enum = "\n".join(f'  {g.upper()} @join__graph(name: "{g}", url: "{{url:{g}}}")' for g in graphs)
    return (
        'schema\n  @link(url: "https://specs.apollo.dev/link/v1.0")\n'
        '  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)\n'
        '  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)\n'
        "{\n  query: Query\n}\n" + _DEFINITIONS + "\nenum join__Graph {\n" + enum + "\n}\n\n" + types
    )


@dataclass
class MarkedSubgraph(Subgraph):
    """Every string value in its answers equal to one of `interface_objects` becomes `marker`."""

    interface_objects: tuple[str, ...] = ()
    marker: str = "Nope"

    def asgi(self) -> Callable[..., Any]:
        inner = super().asgi()
        names = set(self.interface_objects)
        marker = self.marker

        def mark(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: (marker if isinstance(v, str) and v in names else mark(v)) for k, v in value.items()}
            if isinstance(value, list):
                return [mark(v) for v in value]
            return value

        async def app(request: Request) -> Response:
            response = await inner(request)
            payload = orjson.loads(response.body)
            payload["data"] = mark(payload.get("data"))
            return Response(orjson.dumps(payload), media_type="application/json")

        return app
