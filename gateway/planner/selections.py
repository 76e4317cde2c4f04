"""Selections of subgraph operations under construction, and the representation
trees that say which fetched fields an `_entities` call sends."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    ArgumentNode,
    DirectiveNode,
    ListValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
    print_ast,
)


def _args_text(arguments: tuple[ArgumentNode, ...], directives: tuple[DirectiveNode, ...] = ()) -> str:
    parts = [f"{a.name.value}:{print_ast(a.value)}" for a in arguments]
    parts += [print_ast(d) for d in directives]
    return ",".join(parts)


class SubField:
    __slots__ = ("alias", "arguments", "directives", "name", "selection", "type_text", "_signature")

    def __init__(self, key: str, name: str, arguments: tuple[ArgumentNode, ...],
                 directives: tuple[DirectiveNode, ...], composite: bool, reserved: frozenset[str],
                 type_text: str = "") -> None:
        self.name = name
        self.alias = key if key != name else None
        self.arguments = arguments
        self.directives = directives
        self.selection = SubSelection(reserved) if composite else None
        self.type_text = type_text  # the field's type as the subgraph declares it, e.g. "ID!"
        self._signature = (name, _args_text(arguments, directives))

    @property
    def key(self) -> str:
        return self.alias or self.name

    def same_field(self, name: str, arguments: tuple[ArgumentNode, ...], directives: tuple[DirectiveNode, ...] = ()) -> bool:
        return self._signature == (name, _args_text(arguments, directives))


class SubSelection:
    """A selection set of a subgraph operation. `reserved` holds the client's
    response keys at this position, which internal fields must not take."""

    __slots__ = ("fields", "fragments", "reserved", "_internal_count")

    def __init__(self, reserved: frozenset[str] = frozenset()) -> None:
        self.fields: dict[str, SubField] = {}
        self.fragments: dict[str, SubSelection] = {}
        self.reserved = reserved
        self._internal_count = 0

    def is_empty(self) -> bool:
        return not self.fields and all(f.is_empty() for f in self.fragments.values())

    def add(self, key: str, name: str, arguments: tuple[ArgumentNode, ...] = (),
            directives: tuple[DirectiveNode, ...] = (), *, composite: bool, reserved: frozenset[str] = frozenset(),
            type_text: str = "") -> SubField:
        """A client field, under the client's response key."""
        existing = self.fields.get(key)
        if existing is not None:
            if not existing.same_field(name, arguments, directives):
                raise ValueError(f"response key {key} is already used by another field")
            if existing.selection is not None:
                existing.selection.reserved |= reserved
            return existing
        sub = SubField(key, name, arguments, directives, composite, reserved, type_text)
        self.fields[key] = sub
        return sub

    def add_internal(self, name: str, arguments: tuple[ArgumentNode, ...] = (), *, composite: bool,
                     type_text: str = "") -> SubField:
        """A field the planner needs (a key, a requirement): reuses an identical field,
        or takes its name, or an alias no client field uses."""
        for existing in self.fields.values():
            if existing.same_field(name, arguments) and (composite == (existing.selection is not None)):
                if not composite or existing.key not in self.reserved:
                    return existing
        key = name
        while key in self.fields or key in self.reserved or (key != name and key == "__typename"):
            self._internal_count += 1
            key = f"_{name}{self._internal_count}"
        sub = SubField(key, name, arguments, (), composite, frozenset(), type_text)
        self.fields[key] = sub
        return sub

    def typename(self) -> None:
        if "__typename" not in self.fields:
            self.fields["__typename"] = SubField("__typename", "__typename", (), (), False, frozenset())

    def fragment(self, type_condition: str, reserved: frozenset[str] = frozenset()) -> SubSelection:
        sub = self.fragments.get(type_condition)
        if sub is None:
            sub = self.fragments[type_condition] = SubSelection(reserved)
        else:
            sub.reserved |= reserved
        return sub

    def print(self, indent: int = 0) -> str:
        pad = "  " * (indent + 1)
        lines = []
        for sub in self.fields.values():
            head = f"{sub.alias}: {sub.name}" if sub.alias else sub.name
            if sub.arguments:
                head += "(" + ", ".join(f"{a.name.value}: {print_ast(a.value)}" for a in sub.arguments) + ")"
            if sub.directives:
                head += " " + " ".join(print_ast(d) for d in sub.directives)
            if sub.selection is not None:
                if sub.selection.is_empty():
                    sub.selection.typename()  # a selection set is never empty
                head += " " + sub.selection.print(indent + 1)
            lines.append(pad + head)
        for condition, sel in self.fragments.items():
            if not sel.is_empty():
                lines.append(f"{pad}... on {condition} {sel.print(indent + 1)}")
        return "{\n" + "\n".join(lines) + "\n" + "  " * indent + "}"

    def variables(self) -> Iterator[str]:
        for sub in self.fields.values():
            for argument in sub.arguments:
                yield from _variables(argument.value)
            for directive in sub.directives:
                for argument in directive.arguments or ():
                    yield from _variables(argument.value)
            if sub.selection is not None:
                yield from sub.selection.variables()
        for sel in self.fragments.values():
            yield from sel.variables()


def _variables(value: ValueNode) -> Iterator[str]:
    if isinstance(value, VariableNode):
        yield value.name.value
    elif isinstance(value, ListValueNode):
        for item in value.values:
            yield from _variables(item)
    elif isinstance(value, ObjectValueNode):
        for item in value.fields:
            yield from _variables(item.value)


@dataclass
class RepField:
    name: str  # the field name the subgraph expects in the representation
    read_key: str  # where the value sits in the fetched data
    selection: RepSelection | None = None


@dataclass
class RepSelection:
    """What to read from a fetched object to build (part of) a representation."""

    fields: list[RepField] = field(default_factory=list)
    fragments: dict[str, RepSelection] = field(default_factory=dict)  # by type condition

    def add(self, name: str, read_key: str, selection: RepSelection | None = None) -> None:
        for existing in self.fields:
            if existing.name == name and existing.read_key == read_key:
                if selection is not None and existing.selection is not None:
                    existing.selection.merge(selection)
                return
        self.fields.append(RepField(name, read_key, selection))

    def conflicts(self, other: RepSelection) -> bool:
        """Would merging need one representation field to carry two values (e.g. price in
        USD and in EUR, read from different aliases)? Then they go in separate fetches."""
        mine = {f.name: f for f in self.fields}
        for theirs in other.fields:
            ours = mine.get(theirs.name)
            if ours is None:
                continue
            if ours.read_key != theirs.read_key:
                return True
            if ours.selection is not None and theirs.selection is not None and ours.selection.conflicts(
                    theirs.selection):
                return True
        return any(condition in self.fragments and self.fragments[condition].conflicts(sel)
                   for condition, sel in other.fragments.items())

    def merge(self, other: RepSelection) -> None:
        for f in other.fields:
            self.add(f.name, f.read_key, f.selection)
        for condition, sel in other.fragments.items():
            self.fragments.setdefault(condition, RepSelection()).merge(sel)

    def describe(self) -> str:
        parts = []
        for f in self.fields:
            name = f.name if f.name == f.read_key else f"{f.name}<-{f.read_key}"
            parts.append(name + (" " + f.selection.describe() if f.selection else ""))
        parts += [f"... on {c} {s.describe()}" for c, s in self.fragments.items()]
        return "{ " + " ".join(parts) + " }"
