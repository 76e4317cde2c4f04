"""Operation stage: a GraphQL request -> a validated, normalized operation.

Normalization makes planning simple: named fragments are inlined, `@skip` and
`@include` applied, fields merged by response key, fragments that can never
match dropped and fragments that always match flattened. What is left is a
tree of `NField` and `NFragment` nodes over supergraph types.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_directive_values, get_variable_values
from graphql.type import GraphQLIncludeDirective, GraphQLSkipDirective

from core.errors import ErrorCode
from core.lru import ByteBoundedLRU
from core.operation_limits import Limits, exceeded_in

from .supergraph.model import Supergraph


class RequestError(Exception):
    """The request cannot be executed at all: parse, validation or variable errors."""

    def __init__(self, errors: Sequence[GraphQLError], status: int = 400) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)
        self.status = status


def error(message: str, code: ErrorCode | str, **extra: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": str(code), **extra})


def with_code(e: GraphQLError, code: ErrorCode | str) -> GraphQLError:
    """The same error (message, locations), with an `extensions.code`."""
    return GraphQLError(e.message, nodes=e.nodes, source=e.source, positions=e.positions,
                        extensions={**(e.extensions or {}), "code": str(code)})


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None


@dataclass(eq=False, slots=True)
class NField:
    key: str  # response key: the alias, or the name
    name: str
    arguments: tuple[ArgumentNode, ...]
    directives: tuple[DirectiveNode, ...]  # forwarded as they are (skip/include are already applied)
    parent_type: str  # the supergraph type this field is selected on
    type_name: str  # the field's named type in the supergraph
    selections: list[NSelection] | None = None


@dataclass(eq=False, slots=True)
class NFragment:
    type_condition: str
    selections: list[NSelection] = field(default_factory=list)


NSelection = NField | NFragment


# Memory a cached document holds per character of its query text, measured with
# tracemalloc on graphql-core 3.3 (the AST with its token list and locations): 56 for
# `{ __typename __typename ... }`, 84 for a wallet query, 194 for `{ tiers { id id ... } }`,
# 210 for one-letter aliases, 1 to 2 for long strings and whitespace. Sizes are estimated
# as query length times the densest figure, so the budget errs on the safe side.
DOCUMENT_BYTES_PER_CHAR = 250


class DocumentCache:
    """Parsed and validated documents by query text; bounded by approximate bytes
    (query length x DOCUMENT_BYTES_PER_CHAR), least recently used dropped first.

    Parsing stops at `limits.max_tokens`, and the field-merging validation rule at
    `limits.validation_budget`: a document does bounded work before it is refused."""

    def __init__(self, schema: GraphQLSchema, max_bytes: int = 64_000_000, limits: Limits | None = None) -> None:
        self.schema = schema
        self.limits = limits or Limits()
        self._parse_options = self.limits.parse_options()
        self._rules = self.limits.validation_rules()
        self._entries: ByteBoundedLRU[str, DocumentNode] = ByteBoundedLRU(max_bytes)

    def get(self, query: str) -> DocumentNode:
        document = self._entries.get(query)
        if document is not None:
            return document
        try:
            document = parse(query, **self._parse_options)
        except GraphQLError as e:
            raise RequestError([self._coded(e, ErrorCode.GRAPHQL_PARSE_FAILED)]) from e
        problems = validate(self.schema, document, self._rules)
        if problems:
            raise RequestError([self._coded(p, ErrorCode.GRAPHQL_VALIDATION_FAILED) for p in problems])
        self._entries.put(query, document, len(query) * DOCUMENT_BYTES_PER_CHAR)
        return document

    def _coded(self, problem: GraphQLError, code: ErrorCode) -> GraphQLError:
        """`problem` with its code; a limit graphql-core stopped on is a refusal naming it."""
        exceeded = exceeded_in(problem, self.limits)
        if exceeded is not None:
            return error(exceeded.message("this gateway's"), ErrorCode.BAD_USER_INPUT, **exceeded.extensions())
        return with_code(problem, code)


def select_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        found = [o for o in operations if o.name and o.name.value == operation_name]
        if not found:
            raise RequestError([error(f"Unknown operation named '{operation_name}'.", ErrorCode.BAD_USER_INPUT)])
        return found[0]
    if len(operations) != 1:
        raise RequestError([error("Must provide operation name if query contains multiple operations.",
                                  ErrorCode.BAD_USER_INPUT)])
    return operations[0]


def coerce_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, inputs: dict[str, Any] | None
) -> VariableValues:
    """Coerced values (defaults applied); `.coerced` is the dict sent on to subgraphs."""
    coerced = get_variable_values(schema, operation.variable_definitions or (), inputs or {})
    if isinstance(coerced, list):
        raise RequestError([with_code(e, ErrorCode.BAD_USER_INPUT) for e in coerced])
    return coerced


def variables_in_conditions(document: DocumentNode) -> tuple[str, ...]:
    """Variables that @skip/@include read: they shape the plan, so they are part of its cache key."""
    names: set[str] = set()

    def visit(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            for directive in selection.directives or ():
                if directive.name.value in ("skip", "include"):
                    for argument in directive.arguments or ():
                        if argument.value.kind == "variable":
                            names.add(argument.value.name.value)  # type: ignore[attr-defined]
            visit(getattr(selection, "selection_set", None))

    for definition in document.definitions:
        visit(getattr(definition, "selection_set", None))
    return tuple(sorted(names))


class Normalizer:
    def __init__(self, supergraph: Supergraph, document: DocumentNode, variables: VariableValues) -> None:
        self.supergraph = supergraph
        self.schema = supergraph.schema
        self.variables = variables
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        # For each list of selections being built, its entries by response key (fields) or by
        # type condition (fragments): merging a selection is one lookup, not a scan of the list
        # (30,000 aliases stay linear). Keyed by the list's id, and holding the list so that
        # the id cannot be reused while this normalizer lives.
        self._slots: dict[int, tuple[list[NSelection], dict[str | tuple[str], NSelection]]] = {}
        self._possible_types: dict[str, set[str]] = {}

    def _slot(self, into: list[NSelection]) -> dict[str | tuple[str], NSelection]:
        held = self._slots.get(id(into))
        if held is None:
            held = self._slots[id(into)] = (into, {})
        return held[1]

    def _included(self, node: FieldNode | InlineFragmentNode | FragmentSpreadNode) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def normalize(self, selection_set: SelectionSetNode, parent_type: str) -> list[NSelection]:
        result: list[NSelection] = []
        self._collect(selection_set, parent_type, result)
        return result

    def _possible(self, type_name: str) -> set[str]:
        possible = self._possible_types.get(type_name)
        if possible is None:
            possible = self._possible_types[type_name] = set(self.supergraph.possible_types(type_name))
        return possible

    def _collect(self, selection_set: SelectionSetNode, parent_type: str, into: list[NSelection]) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):  # type: ignore[arg-type]
                continue
            if isinstance(selection, FieldNode):
                self._add_field(selection, parent_type, into)
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                condition = fragment.type_condition.name.value
                inner = fragment.selection_set
            else:
                assert isinstance(selection, InlineFragmentNode)
                condition = selection.type_condition.name.value if selection.type_condition else parent_type
                inner = selection.selection_set
            parent_possible = self._possible(parent_type)
            condition_possible = self._possible(condition)
            parent_is_object = isinstance(self.schema.get_type(parent_type), GraphQLObjectType)
            if condition == parent_type or (parent_is_object and parent_type in condition_possible):
                # Always matches, and the parent has every field of the condition: flatten.
                self._collect(inner, parent_type, into)
            elif parent_possible & condition_possible:
                slot = self._slot(into)
                fragment_node = slot.get((condition,))
                if fragment_node is None:
                    fragment_node = slot[(condition,)] = NFragment(condition)
                    into.append(fragment_node)
                assert isinstance(fragment_node, NFragment)
                self._collect(inner, condition, fragment_node.selections)
            # else: it can never match here: dropped

    def _add_field(self, node: FieldNode, parent_type: str, into: list[NSelection]) -> None:
        key = node.alias.value if node.alias else node.name.value
        name = node.name.value
        slot = self._slot(into)
        existing = slot.get(key)
        if existing is None:
            if name == "__typename":
                type_name = "String"
            elif name in ("__schema", "__type"):
                type_name = "__Schema" if name == "__schema" else "__Type"
            else:
                parent = self.schema.get_type(parent_type)
                assert isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)), parent_type
                type_name = get_named_type(parent.fields[name].type).name
            existing = NField(
                key=key,
                name=name,
                arguments=tuple(node.arguments or ()),
                directives=tuple(d for d in node.directives or () if d.name.value not in ("skip", "include")),
                parent_type=parent_type,
                type_name=type_name,
                selections=[] if node.selection_set else None,
            )
            slot[key] = existing
            into.append(existing)
        assert isinstance(existing, NField)
        if node.selection_set is not None and existing.selections is not None:
            if existing.name in ("__schema", "__type"):
                return  # introspection is answered from the API schema, not planned
            self._collect(node.selection_set, existing.type_name, existing.selections)
