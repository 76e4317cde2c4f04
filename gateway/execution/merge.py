"""Merging subgraph JSON into the response tree, and finding the objects an
entity fetch starts from."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Path = tuple[str | int, ...]


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


def objects_at(data: dict[str, Any] | None, path: tuple[str, ...]) -> Iterator[tuple[dict[str, Any], Path]]:
    """Every object at a merge path (`@` steps into list items), with its response path."""

    def walk(value: Any, step: int, where: Path) -> Iterator[tuple[dict[str, Any], Path]]:
        if value is None:
            return
        if step == len(path):
            if isinstance(value, dict):
                yield value, where
            elif isinstance(value, list):  # a list that the path did not spell out
                for i, item in enumerate(value):
                    yield from walk(item, step, (*where, i))
            return
        key = path[step]
        if key == "@":
            if isinstance(value, list):
                for i, item in enumerate(value):
                    yield from walk(item, step + 1, (*where, i))
            return
        if isinstance(value, dict):
            yield from walk(value.get(key), step + 1, (*where, key))

    yield from walk(data, 0, ())
