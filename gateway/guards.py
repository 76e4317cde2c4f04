"""Guards: limits on what one operation may ask, checked before planning.

Depth counts nested field selections (fragments followed); aliases count the
fields a client renamed (the cheapest way to multiply work); cost counts
every field, times 10 for each list it sits in. Introspection is answered by
the gateway itself and is not counted.
"""
from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)

from subgraphs.kernel.errors import ErrorCode

from .operation import RequestError, error

LIST_FACTOR = 10


@dataclass(frozen=True)
class Limits:
    max_depth: int = 15
    max_aliases: int = 30
    max_cost: int = 50_000


@dataclass(frozen=True)
class Measure:
    depth: int
    aliases: int
    cost: int


def measure(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode) -> Measure:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root = {"query": schema.query_type, "mutation": schema.mutation_type,
            "subscription": schema.subscription_type}[operation.operation.value]
    aliases = 0

    def walk(selection_set: SelectionSetNode, parent: object, multiplier: int, seen: frozenset[str]
             ) -> tuple[int, int]:
        nonlocal aliases
        depth = cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                if selection.alias is not None:
                    aliases += 1
                field_type = None
                if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)) and name in parent.fields:
                    field_type = parent.fields[name].type
                lists = 0
                unwrapped = field_type
                while isinstance(unwrapped, (GraphQLNonNull, GraphQLList)):
                    lists += isinstance(unwrapped, GraphQLList)
                    unwrapped = unwrapped.of_type
                here = multiplier * LIST_FACTOR ** lists
                cost += multiplier
                if selection.selection_set is not None:
                    d, c = walk(selection.selection_set, get_named_type(field_type) if field_type else None, here, seen)
                    depth, cost = max(depth, d + 1), cost + c
                else:
                    depth = max(depth, 1)
            elif isinstance(selection, InlineFragmentNode):
                condition = schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                d, c = walk(selection.selection_set, condition, multiplier, seen)
                depth, cost = max(depth, d), cost + c
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in seen or name not in fragments:
                    continue  # validation refuses cycles; be safe anyway
                fragment = fragments[name]
                d, c = walk(fragment.selection_set, schema.get_type(fragment.type_condition.name.value), multiplier,
                            seen | {name})
                depth, cost = max(depth, d), cost + c
        return depth, cost

    depth, cost = walk(operation.selection_set, root, 1, frozenset())
    return Measure(depth, aliases, cost)


def check(measured: Measure, limits: Limits) -> None:
    for limit, actual, maximum in (("depth", measured.depth, limits.max_depth),
                                   ("aliases", measured.aliases, limits.max_aliases),
                                   ("cost", measured.cost, limits.max_cost)):
        if actual > maximum:
            raise RequestError([error(
                f"the operation's {limit} is {actual}, above this gateway's limit of {maximum}",
                ErrorCode.BAD_USER_INPUT, limit=limit, actual=actual, maximum=maximum,
            )])
