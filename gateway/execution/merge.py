"""Merging subgraph JSON into the response tree, and finding the objects an
entity fetch starts from."""
from __future__ import annotations

from typing import Any

Path = tuple[str | int, ...]
# A response path while walking the tree, as a cons cell (parent, key) with () at the root:
# stepping in costs one small tuple whatever the depth; `flatten` it only to report it.
Where = tuple[Any, ...]


def deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            deep_merge(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            for i, item in enumerate(value):
                if i < len(current) and isinstance(current[i], dict) and isinstance(item, dict):
                    deep_merge(current[i], item)
                elif i >= len(current):
                    current.append(item)
        elif key == "__typename" and current is not None:
            continue  # the concrete type, once known, stays
        else:
            target[key] = value


def flatten(where: Where) -> Path:
    """A response path from its cons-cell form."""
    keys: list[str | int] = []
    while where:
        where, key = where
        keys.append(key)
    return tuple(reversed(keys))


def objects_at(data: dict[str, Any] | None, path: tuple[str, ...]) -> list[tuple[dict[str, Any], Where]]:
    """Every object at a merge path (`@` steps into list items), with its response path
    (as a cons cell: see `Where`). Breadth first, so that the objects come in response order."""
    frontier: list[tuple[Any, Where]] = [(data, ())]
    for key in path:
        stepped: list[tuple[Any, Where]] = []
        for value, where in frontier:
            if key == "@":
                if isinstance(value, list):
                    stepped += [(item, (where, i)) for i, item in enumerate(value) if item is not None]
            elif isinstance(value, dict):
                child = value.get(key)
                if child is not None:
                    stepped.append((child, (where, key)))
        frontier = stepped
    found: list[tuple[dict[str, Any], Where]] = []

    def collect(value: Any, where: Where) -> None:
        if isinstance(value, dict):
            found.append((value, where))
        elif isinstance(value, list):  # a list that the path did not spell out
            for i, item in enumerate(value):
                collect(item, (where, i))

    for value, where in frontier:
        collect(value, where)
    return found
