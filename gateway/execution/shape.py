"""Shaping: the client's response, read from the merged tree along the
normalized operation (no second GraphQL execution).

Missing values become null; a null (or an invalid enum value, or an object of
a type the API does not show) in a non-null position nulls the nearest
nullable parent, as the GraphQL spec says; nothing internal (keys fetched
for jumps, internal aliases) is copied out.
"""
from __future__ import annotations

from collections.abc import Set
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
)

from core.errors import ErrorCode

from ..operation import NField, NFragment, NSelection
from .merge import Where, flatten


class _Invalid:
    """A non-null position got null: the parent must become null."""


INVALID = _Invalid()

class Shaper:
    """`nulled`: response paths of objects a subgraph nulled for an error inside them (see
    `Execution.nulled`). Such an object is null here too, whatever the other subgraphs gave it,
    and the null goes on up to the nearest nullable field, explained by that error alone."""

    def __init__(self, schema: GraphQLSchema, errors: list[dict[str, Any]],
                 nulled: Set[tuple[str | int, ...]] = frozenset()) -> None:
        self.schema = schema
        self.errors = errors
        self.nulled = nulled
        self._error_paths = {tuple(e["path"]) for e in errors if e.get("path")}
        self._unplaced = any(not e.get("path") for e in errors)
        # A fetch that failed whole (the subgraph down or too slow) is reported once, at the
        # top of what it would have filled: every null below that is explained by it.
        self._unavailable = {tuple(e["path"]) for e in errors if e.get("path") and
                             (e.get("extensions") or {}).get("code") == str(ErrorCode.SUBGRAPH_UNAVAILABLE)}

    def response(self, root_type: str, selections: list[NSelection], data: dict[str, Any] | None
                 ) -> dict[str, Any] | None:
        root = self.schema.get_type(root_type)
        assert isinstance(root, GraphQLObjectType)
        shaped = self._object(selections, data or {}, root, ())
        return shaped if isinstance(shaped, dict) else None

    def _error(self, where: Where, message: str, code: ErrorCode = ErrorCode.INTERNAL) -> None:
        # One error explains a null: an upstream error at (or under) this path already does,
        # so does an upstream error without a path (it may stand for anything), and so does
        # a failed fetch above it.
        path = flatten(where)
        if self._unplaced or any(p[: len(path)] == path for p in self._error_paths) or \
                any(path[: len(p)] == p for p in self._unavailable):
            return
        self._error_paths.add(path)
        self.errors.append({"message": message, "path": list(path), "extensions": {"code": str(code)}})

    def _concrete(self, data: dict[str, Any], declared: Any, where: Where
                  ) -> GraphQLObjectType | GraphQLInterfaceType | None:
        """The object type the data is, or the declared interface when no subgraph said
        which (an interface object answers with interface fields only: nothing more was
        asked of it)."""
        if isinstance(declared, GraphQLObjectType):
            return declared
        typename = data.get("__typename")
        concrete = self.schema.get_type(typename) if isinstance(typename, str) else None
        if isinstance(concrete, GraphQLObjectType) and self.schema.is_sub_type(declared, concrete):
            return concrete
        if (typename is None or concrete is declared) and isinstance(declared, GraphQLInterfaceType):
            return declared
        self._error(where, f"Abstract type {declared.name} resolved to {typename!r}, which this API does not have")
        return None

    def _object(self, selections: list[NSelection], data: dict[str, Any], declared: Any,
                where: Where) -> dict[str, Any] | _Invalid | None:
        concrete = self._concrete(data, declared, where)
        if concrete is None:
            return None
        out: dict[str, Any] = {}
        if not self._fill(selections, data, concrete, where, out):
            return None
        return out

    def _fill(self, selections: list[NSelection], data: dict[str, Any],
              concrete: GraphQLObjectType | GraphQLInterfaceType, where: Where, out: dict[str, Any]) -> bool:
        fields = concrete.fields
        for item in selections:
            if isinstance(item, NFragment):
                condition = self.schema.get_type(item.type_condition)
                if condition is None:
                    continue
                if condition is concrete or (
                    isinstance(concrete, GraphQLObjectType)
                    and isinstance(condition, (GraphQLInterfaceType, GraphQLUnionType))
                    and self.schema.is_sub_type(condition, concrete)
                ):
                    if not self._fill(item.selections, data, concrete, where, out):
                        return False
                continue
            key = item.key
            name = item.name
            definition = fields.get(name)
            if definition is None:
                if name == "__typename":
                    if isinstance(concrete, GraphQLInterfaceType):
                        self._error((where, key), f"the concrete type of this {concrete.name} is unknown")
                        return False
                    out[key] = concrete.name
                elif name in ("__schema", "__type"):
                    out[key] = data.get(key)
                continue
            value = self._complete(definition.type, data.get(key), item, (where, key), concrete.name)
            if value is INVALID:
                return False
            previous = out.get(key)
            if isinstance(previous, dict) and isinstance(value, dict):
                _merge_shaped(previous, value)
            else:
                out[key] = value
        return True

    def _complete(self, field_type: GraphQLOutputType, value: Any, item: NField, where: Where,
                  parent_name: str) -> Any:
        non_null = isinstance(field_type, GraphQLNonNull)
        if non_null:
            field_type = field_type.of_type  # type: ignore[union-attr]
        if value is None:
            completed: Any = None
        elif isinstance(field_type, GraphQLScalarType):
            return value  # scalars pass through as the subgraph serialized them
        elif isinstance(field_type, GraphQLList):
            if isinstance(value, list):
                item_type = field_type.of_type
                items = [self._complete(item_type, v, item, (where, i), parent_name) for i, v in enumerate(value)]
                completed = None if any(v is INVALID for v in items) else items
            else:
                self._error(where, f"Expected a list for {parent_name}.{item.name}.")
                completed = None
        elif isinstance(field_type, GraphQLEnumType):
            if value in field_type.values:
                return value
            self._error(where, f"Enum {field_type.name} cannot represent value {value!r}.")
            completed = None
        elif isinstance(value, dict):
            if self.nulled and flatten(where) in self.nulled:
                completed = None
            else:
                shaped = self._object(item.selections or [], value, field_type, where)
                completed = None if shaped is INVALID else shaped
        else:
            completed = None
        if completed is None and non_null:
            self._error(where, f"Cannot return null for non-nullable field {parent_name}.{item.name}.")
            return INVALID
        return completed


def _merge_shaped(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(target.get(key), dict) and isinstance(value, dict):
            _merge_shaped(target[key], value)
        else:
            target[key] = value
