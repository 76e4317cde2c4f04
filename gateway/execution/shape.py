"""Shaping: the client's response, read from the merged tree along the
normalized operation (no second GraphQL execution).

Missing values become null; a null (or an invalid enum value, or an object of
a type the API does not show) in a non-null position nulls the nearest
nullable parent, as the GraphQL spec says; nothing internal (keys fetched
for jumps, internal aliases) is copied out.
"""
from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
)

from subgraphs.kernel.errors import ErrorCode

from ..operation import NField, NFragment, NSelection


class _Invalid:
    """A non-null position got null: the parent must become null."""


INVALID = _Invalid()


class Shaper:
    def __init__(self, schema: GraphQLSchema, errors: list[dict[str, Any]]) -> None:
        self.schema = schema
        self.errors = errors
        self._error_paths = {tuple(e["path"]) for e in errors if e.get("path")}
        self._unplaced = any(not e.get("path") for e in errors)

    def response(self, root_type: str, selections: list[NSelection], data: dict[str, Any] | None
                 ) -> dict[str, Any] | None:
        root = self.schema.get_type(root_type)
        assert isinstance(root, GraphQLObjectType)
        shaped = self._object(selections, data or {}, root, ())
        return shaped if isinstance(shaped, dict) else None

    def _error(self, path: tuple[Any, ...], message: str, code: ErrorCode = ErrorCode.INTERNAL) -> None:
        # One error explains a null: an upstream error at (or under) this path already does,
        # and so does an upstream error without a path (it may stand for anything).
        if self._unplaced or any(p[: len(path)] == path for p in self._error_paths):
            return
        self._error_paths.add(path)
        self.errors.append({"message": message, "path": list(path), "extensions": {"code": str(code)}})

    def _concrete(self, data: dict[str, Any], declared: Any, path: tuple[Any, ...]
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
        self._error(path, f"Abstract type {declared.name} resolved to {typename!r}, which this API does not have")
        return None

    def _object(self, selections: list[NSelection], data: dict[str, Any], declared: Any,
                path: tuple[Any, ...]) -> dict[str, Any] | _Invalid | None:
        concrete = self._concrete(data, declared, path)
        if concrete is None:
            return None
        out: dict[str, Any] = {}
        if not self._fill(selections, data, concrete, path, out):
            return None
        return out

    def _fill(self, selections: list[NSelection], data: dict[str, Any],
              concrete: GraphQLObjectType | GraphQLInterfaceType, path: tuple[Any, ...], out: dict[str, Any]) -> bool:
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
                    if not self._fill(item.selections, data, concrete, path, out):
                        return False
                continue
            key = item.key
            if item.name == "__typename":
                if isinstance(concrete, GraphQLInterfaceType):
                    self._error((*path, key), f"the concrete type of this {concrete.name} is unknown")
                    return False
                out[key] = concrete.name
                continue
            if item.name in ("__schema", "__type"):
                out[key] = data.get(key)
                continue
            definition = concrete.fields.get(item.name)
            if definition is None:
                continue
            value = self._complete(definition.type, data.get(key), item, (*path, key), f"{concrete.name}.{item.name}")
            if value is INVALID:
                return False
            previous = out.get(key)
            if isinstance(previous, dict) and isinstance(value, dict):
                _merge_shaped(previous, value)
            else:
                out[key] = value
        return True

    def _complete(self, field_type: GraphQLOutputType, value: Any, item: NField, path: tuple[Any, ...],
                  coordinate: str) -> Any:
        if isinstance(field_type, GraphQLNonNull):
            completed = self._complete(field_type.of_type, value, item, path, coordinate)
            if completed is None or completed is INVALID:
                self._error(path, f"Cannot return null for non-nullable field {coordinate}.")
                return INVALID
            return completed
        if value is None:
            return None
        if isinstance(field_type, GraphQLList):
            if not isinstance(value, list):
                self._error(path, f"Expected a list for {coordinate}.")
                return None
            items = [self._complete(field_type.of_type, v, item, (*path, i), coordinate) for i, v in enumerate(value)]
            return None if any(v is INVALID for v in items) else items
        if isinstance(field_type, GraphQLEnumType):
            if value not in field_type.values:
                self._error(path, f"Enum {field_type.name} cannot represent value {value!r}.")
                return None
            return value
        if isinstance(field_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)):
            if not isinstance(value, dict):
                return None
            shaped = self._object(item.selections or [], value, field_type, path)
            return None if shaped is INVALID else shaped
        return value  # scalars pass through as the subgraph serialized them


def _merge_shaped(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(target.get(key), dict) and isinstance(value, dict):
            _merge_shaped(target[key], value)
        else:
            target[key] = value
