"""Serving helpers for the scenarios in keys.py, externals.py, provides.py and anchors.py.

`ExtensionSubgraph` serves an SDL that extends types it never defines (Fed 1 style
`extend type Book @key(...)`). graphql-core's `build_ast_schema` silently drops an
extension of an undefined type, so `Subgraph.schema()` would serve no `Book` at all.
Here the first extension of each such type is served as its definition; the SDL given
to the composer (`Subgraph.sdl`) is left exactly as written.
"""
from __future__ import annotations

from typing import Any, NoReturn

from graphql import (
    DocumentNode,
    GraphQLSchema,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    parse,
    print_ast,
)

from ..subgraph import Subgraph

_AS_DEFINITION = {
    ObjectTypeExtensionNode: ObjectTypeDefinitionNode,
    InterfaceTypeExtensionNode: InterfaceTypeDefinitionNode,
}


def served_sdl(sdl: str) -> str:
    document = parse(sdl)
    defined = {d.name.value for d in document.definitions
               if isinstance(d, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode))}
    definitions = []
    for node in document.definitions:
        definition = _AS_DEFINITION.get(type(node))
        if definition is not None and node.name.value not in defined:
            defined.add(node.name.value)
            node = definition(name=node.name, interfaces=node.interfaces, directives=node.directives,
                              fields=node.fields)
        definitions.append(node)
    return print_ast(DocumentNode(definitions=tuple(definitions)))


class ExtensionSubgraph(Subgraph):
    def schema(self) -> GraphQLSchema:
        return Subgraph(sdl=served_sdl(self.sdl), root=self.root, entities=self.entities).schema()


def refuse(message: str) -> Any:
    """A resolver (or entity lookup) that must never run: it fails the subgraph response."""

    def resolver(*_: Any) -> NoReturn:
        raise RuntimeError(message)

    return resolver
