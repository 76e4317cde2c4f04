"""Operation limits: how much one GraphQL operation may ask of a server,
measured with work bounded by the document's size, never by what it expands to.

The gateway (`gateway/guards.py`) and every subgraph (`subgraphs/kernel/limits.py`)
apply the same limits with this one module:

- **tokens**: lexical tokens of the document, and apart from them its comments;
  enforced by graphql-core's parser (`parse_options`), so a huge document is
  refused while it is read, before anything else looks at it;
- **validation budget**: the work graphql-core's field-merging rule
  (OverlappingFieldsCanBeMerged, quadratic on many fields sharing a response
  name) may do before validation is aborted (`validation_rules`);
  `exceeded_in` recognises both refusals among graphql-core's errors;
- **depth**: nested field selections, fragments followed;
- **aliases**: aliased fields, each time it is selected (a fragment spread twice
  counts its aliases twice);
- **cost**: every selection (a field, `__typename` included, a fragment spread,
  an inline fragment) counts 1, times 10 for each list it sits in. Spreads count
  because inlining them is work too: a chain of spreads costs what it expands to.

`__schema` and `__type` are not counted: servers answer them from their schema,
and graphql-core's MaxIntrospectionDepthRule bounds them during validation.

`measure` counts each fragment once (a memo by name: a fragment's figures do not
depend on where it is spread) and stops as soon as a limit is passed. A "bomb"
`fragment F0 on T { ...F1 ...F1 } fragment F1 on T { ...F2 ...F2 } ...` 40
levels deep expands to 2^40 selections and takes 40 steps here.

This module imports graphql-core only.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    specified_rules,
)
from graphql.validation import ASTValidationRule, OverlappingFieldsCanBeMergedRule, ValidationContext
from graphql.validation.validate import ValidationAbortedError

LIST_FACTOR = 10
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


@dataclass(frozen=True)
class Limits:
    max_depth: int = 15
    max_aliases: int = 30
    max_cost: int = 50_000
    max_tokens: int = 10_000
    # graphql-core's own default is 500,000 units, about 1.5 s of one core on a 13 KB
    # document of repeated fields; real operations use tens (see README, Configuration).
    validation_budget: int = 20_000

    def parse_options(self) -> dict[str, int]:
        """Keyword arguments for graphql-core's `parse`: tokens, and comments apart (they are
        kept in the token list too, so they cost memory)."""
        return {"max_lexical_tokens": self.max_tokens, "max_comments": self.max_tokens}

    def validation_rules(self, rules: Collection[type[ASTValidationRule]] = specified_rules
                         ) -> tuple[type[ASTValidationRule], ...]:
        """`rules` with the field-merging rule held to this budget (the same classes for the
        same budget, so validation caches keyed by rules keep hitting)."""
        budgeted = _budgeted_overlap_rule(self.validation_budget)
        return tuple(budgeted if rule is OverlappingFieldsCanBeMergedRule else rule for rule in rules)


@functools.cache
def _budgeted_overlap_rule(budget: int) -> type[ASTValidationRule]:
    class BudgetedOverlappingFieldsRule(OverlappingFieldsCanBeMergedRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            # Read by the rule as it spends. graphql-core documents its budget as adjustable
            # through a module attribute, which would change it for every caller in the process.
            self.rule_context.remaining_complexity_budget = budget

    return BudgetedOverlappingFieldsRule


@dataclass(frozen=True)
class Exceeded:
    limit: str  # "depth", "aliases", "cost" or "tokens"
    actual: int  # at least this much: counting stops once past the maximum
    maximum: int

    def message(self, whose: str) -> str:
        return f"the operation's {self.limit} is at least {self.actual}, above {whose} limit of {self.maximum}"

    def extensions(self) -> dict[str, Any]:
        return {"limit": self.limit, "actual": self.actual, "maximum": self.maximum}


@dataclass(frozen=True)
class Measure:
    """What an operation asks. When a limit was passed the walk stopped there:
    `exceeded` says which, and the figures are lower bounds."""

    depth: int
    aliases: int
    cost: int
    exceeded: Exceeded | None = None


class _Stop(Exception):
    def __init__(self, limit: str, actual: int) -> None:
        super().__init__(limit)
        self.limit = limit
        self.actual = actual


def measure(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
            limits: Limits | None = None) -> Measure:
    """Depth, aliases and cost of `operation`, stopping at the first limit passed
    (without `limits`, the whole figures: still one step per selection written).

    Meant for a validated document (graphql-core bounds its nesting, fragments
    followed, to 200); unknown fragments and cycles are skipped all the same."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    # name -> (depth, aliases, cost) of the fragment's selections, cost as if it sat in no list
    summaries: dict[str, tuple[int, int, int]] = {}
    in_progress: set[str] = set()
    maxima = {"depth": math.inf, "aliases": math.inf, "cost": math.inf} if limits is None else {
        "depth": limits.max_depth, "aliases": limits.max_aliases, "cost": limits.max_cost}
    max_depth, max_aliases, max_cost = maxima["depth"], maxima["aliases"], maxima["cost"]

    def fragment(name: str, level: int) -> tuple[int, int, int] | None:
        summary = summaries.get(name)
        if summary is None:
            definition = fragments.get(name)
            if definition is None or name in in_progress:
                return None  # validation refuses both; nothing to count
            in_progress.add(name)
            summary = summaries[name] = walk(definition.selection_set,
                                              schema.get_type(definition.type_condition.name.value), level)
            in_progress.discard(name)
        return summary

    def walk(selection_set: SelectionSetNode, parent: GraphQLNamedType | None, level: int
             ) -> tuple[int, int, int]:
        """(depth, aliases, cost) of one selection set whose fields sit at `level` (root fields: 1).
        Cost is counted as if the set sat in no list; the caller multiplies. Every partial sum
        is a lower bound of the operation's figure, so passing a limit here passes it there."""
        depth = aliases = cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name in INTROSPECTION_FIELDS:
                    continue
                if level > max_depth:
                    raise _Stop("depth", level)
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
                cost += 1
                if selection.selection_set is None:
                    depth = max(depth, 1)
                else:
                    d, a, c = walk(selection.selection_set, get_named_type(field_type) if field_type else None,
                                   level + 1)
                    depth, aliases, cost = max(depth, d + 1), aliases + a, cost + LIST_FACTOR ** lists * c
            elif isinstance(selection, InlineFragmentNode):
                condition = (schema.get_type(selection.type_condition.name.value) if selection.type_condition
                             else parent)
                d, a, c = walk(selection.selection_set, condition, level)
                depth, aliases, cost = max(depth, d), aliases + a, cost + 1 + c
            elif isinstance(selection, FragmentSpreadNode):
                summary = fragment(selection.name.value, level)
                if summary is None:
                    continue
                d, a, c = summary
                if d and level + d - 1 > max_depth:  # its deepest field, spread here
                    raise _Stop("depth", level + d - 1)
                depth, aliases, cost = max(depth, d), aliases + a, cost + 1 + c
            if aliases > max_aliases:
                raise _Stop("aliases", aliases)
            if cost > max_cost:
                raise _Stop("cost", cost)
        return depth, aliases, cost

    root = {"query": schema.query_type, "mutation": schema.mutation_type,
            "subscription": schema.subscription_type}[operation.operation.value]
    try:
        depth, aliases, cost = walk(operation.selection_set, root, 1)
    except _Stop as stop:
        figures = {"depth": 0, "aliases": 0, "cost": 0, stop.limit: stop.actual}
        return Measure(**figures, exceeded=Exceeded(stop.limit, stop.actual, int(maxima[stop.limit])))
    return Measure(depth, aliases, cost)


def exceeded_in(error: GraphQLError, limits: Limits) -> Exceeded | None:
    """The limit graphql-core stopped on, if this error says so (only in words):
    the parser's "Document contains more than N tokens. Parsing aborted." (or comments),
    and validation's "Validation aborted." when the field-merging budget ran out (or
    graphql-core's own budget for fragments, which is not configurable)."""
    message = error.message
    if "Document contains more than" in message and "Parsing aborted." in message:
        return Exceeded("tokens", limits.max_tokens + 1, limits.max_tokens)
    if isinstance(error, ValidationAbortedError) and message == "Validation aborted.":
        return Exceeded("validation_budget", limits.validation_budget + 1, limits.validation_budget)
    return None
