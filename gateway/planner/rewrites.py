"""Type conflicts inside one subgraph operation, and renaming them back.

In one selection set, a response key may not have two different types: `... on
User { id }` (ID!) beside `... on Admin { id }` (ID) is invalid GraphQL. The
later field gets an internal alias in the subgraph operation, and the result is
renamed back before it is merged (Apollo: `addAliasesForNonMergingFields`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .selections import SubSelection


@dataclass
class Rewrite:
    renames: dict[str, dict[str, str]] = field(default_factory=dict)  # typename -> alias -> key
    fields: dict[str, Rewrite] = field(default_factory=dict)  # response key -> rewrite below it

    def apply(self, value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                self.apply(item)
            return
        if not isinstance(value, dict):
            return
        for typename, names in self.renames.items():
            if value.get("__typename") == typename or typename == "*":
                for alias, key in names.items():
                    if alias in value:
                        value[key] = value.pop(alias)
        for key, below in self.fields.items():
            if key in value:
                below.apply(value[key])


def alias_type_conflicts(selection: SubSelection, new_alias: Callable[[str], str]) -> Rewrite | None:
    """Alias fields whose response key another fragment of the same selection set uses
    with a different type; returns how to rename them back (None when nothing was)."""
    rewrite = Rewrite()
    seen: dict[str, str] = {sub.key: sub.type_text for sub in selection.fields.values()}
    response_key: dict[int, str] = {}  # the key the client sees, for fields aliased here
    for condition, fragment in selection.fragments.items():
        for sub in list(fragment.fields.values()):
            earlier = seen.get(sub.key)
            if earlier is None or not sub.type_text or not earlier or earlier == sub.type_text:
                seen.setdefault(sub.key, sub.type_text)
                continue
            key = sub.key
            alias = new_alias(sub.name)
            del fragment.fields[key]
            sub.alias = alias
            fragment.fields[alias] = sub
            response_key[id(sub)] = key
            rewrite.renames.setdefault(condition, {})[alias] = key
    if rewrite.renames:
        selection.typename()  # renames are per type: the objects must say theirs
    # Below: renames apply after this level's, so nested rewrites sit under the client's key.
    for sub in selection.fields.values():
        if sub.selection is not None:
            below = alias_type_conflicts(sub.selection, new_alias)
            if below is not None:
                _merge(rewrite.fields.setdefault(sub.key, Rewrite()), below)
    for fragment in selection.fragments.values():
        for sub in fragment.fields.values():
            if sub.selection is not None:
                below = alias_type_conflicts(sub.selection, new_alias)
                if below is not None:
                    _merge(rewrite.fields.setdefault(response_key.get(id(sub), sub.key), Rewrite()), below)
    return rewrite if rewrite.renames or rewrite.fields else None


def _merge(target: Rewrite, other: Rewrite) -> None:
    for typename, names in other.renames.items():
        target.renames.setdefault(typename, {}).update(names)
    for key, below in other.fields.items():
        _merge(target.fields.setdefault(key, Rewrite()), below)
