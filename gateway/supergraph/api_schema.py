"""The API schema: the supergraph as clients see it.

Everything federation-internal is removed (join/link directives and types),
and every `@inaccessible` type, field, argument, enum value, input field and
union member. Operations are validated against this schema and introspection
is answered from it.
"""
from __future__ import annotations

from dataclasses import replace

from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    GraphQLSchema,
    NamedTypeNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    build_ast_schema,
    get_named_type,
)
from graphql.language import DirectiveLocation

from .links import Link

KEPT_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "oneOf"})
EXECUTABLE_LOCATIONS = frozenset({
    DirectiveLocation.QUERY.name, DirectiveLocation.MUTATION.name, DirectiveLocation.SUBSCRIPTION.name,
    DirectiveLocation.FIELD.name, DirectiveLocation.FRAGMENT_DEFINITION.name,
    DirectiveLocation.FRAGMENT_SPREAD.name, DirectiveLocation.INLINE_FRAGMENT.name,
    DirectiveLocation.VARIABLE_DEFINITION.name,
})


def _named(type_node) -> str:  # noqa: ANN001
    while not isinstance(type_node, NamedTypeNode):
        type_node = type_node.type
    return type_node.name.value


def build_api_schema(document: DocumentNode, join: Link, inaccessible: str | None) -> GraphQLSchema:
    def hidden(node) -> bool:  # noqa: ANN001
        return bool(inaccessible) and any(d.name.value == inaccessible for d in node.directives or ())

    internal_prefixes = (f"{join.namespace}__", "link__")
    removed_types = {
        d.name.value
        for d in document.definitions
        if isinstance(d, TypeDefinitionNode) and (d.name.value.startswith(internal_prefixes) or hidden(d))
    }

    def keep_directives(node):  # noqa: ANN001, ANN202
        return tuple(d for d in node.directives or () if d.name.value in KEPT_DIRECTIVES)

    definitions = []
    for definition in document.definitions:
        if isinstance(definition, DirectiveDefinitionNode):
            locations = {loc.value for loc in definition.locations}
            if locations & EXECUTABLE_LOCATIONS and not definition.name.value.startswith(internal_prefixes):
                definitions.append(definition)
            continue
        if isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
            operation_types = tuple(
                op for op in definition.operation_types or () if op.type.name.value not in removed_types
            )
            definitions.append(SchemaDefinitionNode(operation_types=operation_types, directives=()))
            continue
        if not isinstance(definition, TypeDefinitionNode) or definition.name.value in removed_types:
            continue
        changes: dict[str, object] = {"directives": keep_directives(definition)}
        if getattr(definition, "fields", None) is not None:
            fields = []
            for fdef in definition.fields:
                if hidden(fdef) or _named(fdef.type) in removed_types:
                    continue
                changes_f: dict[str, object] = {"directives": keep_directives(fdef)}
                if getattr(fdef, "arguments", None) is not None:
                    changes_f["arguments"] = tuple(
                        replace(a, directives=keep_directives(a))
                        for a in fdef.arguments
                        if not hidden(a) and _named(a.type) not in removed_types
                    )
                fields.append(replace(fdef, **changes_f))
            changes["fields"] = tuple(fields)
        if getattr(definition, "values", None) is not None:
            changes["values"] = tuple(
                replace(v, directives=keep_directives(v)) for v in definition.values if not hidden(v)
            )
        if getattr(definition, "interfaces", None) is not None:
            changes["interfaces"] = tuple(i for i in definition.interfaces if i.name.value not in removed_types)
        if getattr(definition, "types", None) is not None:
            changes["types"] = tuple(t for t in definition.types if t.name.value not in removed_types)
        definitions.append(replace(definition, **changes))
    api = build_ast_schema(DocumentNode(definitions=tuple(definitions)), assume_valid_sdl=True)
    # Drop types nothing reaches any more (e.g. an input only an inaccessible field used).
    return _prune(api)


def _prune(schema: GraphQLSchema) -> GraphQLSchema:
    from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, GraphQLUnionType

    reachable: set[str] = set()
    stack = [t for t in (schema.query_type, schema.mutation_type, schema.subscription_type) if t]
    while stack:
        typ = stack.pop()
        if typ.name in reachable:
            continue
        reachable.add(typ.name)
        if isinstance(typ, (GraphQLObjectType, GraphQLInterfaceType)):
            for f in typ.fields.values():
                stack.append(get_named_type(f.type))
                stack += [get_named_type(a.type) for a in f.args.values()]
            stack += list(typ.interfaces)
            if isinstance(typ, GraphQLInterfaceType):
                stack += list(schema.get_possible_types(typ))
        elif isinstance(typ, GraphQLUnionType):
            stack += list(typ.types)
        elif isinstance(typ, GraphQLInputObjectType):
            stack += [get_named_type(f.type) for f in typ.fields.values()]
    types = [t for name, t in schema.type_map.items() if name in reachable or name.startswith("__")]
    return GraphQLSchema(
        query=schema.query_type, mutation=schema.mutation_type, subscription=schema.subscription_type,
        types=types, directives=schema.directives,
    )
