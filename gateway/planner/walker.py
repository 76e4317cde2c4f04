"""The walker: descends the client's selection tree and decides, field by field,
which subgraph fetch resolves it (GATEWAY.md §2).

It holds a position: a fetch group G (one subgraph operation), the response
path and the parent type. A field local to G's subgraph joins G. A field G's
subgraph cannot resolve makes an entity jump: a child group in a subgraph that
can, entered through `_entities` with a key that subgraph accepts, whose fields
are planned as requirements from G. A field with `@requires` enters its owner
with the required fields in the representation. A field of a value type that
no owner can be entered at climbs to the nearest ancestor some subgraph can
enter and replays the path from there (an anchor). Interface objects are
entered as their interface, and a concrete type or `__typename` behind one
takes a type jump to the subgraph that knows the real interface.

Choices (which subgraph for a shareable root field, which owner for a jump)
are decisions: when a choice turns out unplannable, the root field is planned
again with that choice banned (backtracking by re-planning).
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field

from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    print_ast,
)

from ..operation import NField, NFragment, NSelection
from ..supergraph.fieldset import parse_field_set
from ..supergraph.model import FieldJoin, Key, Supergraph
from .plan import Fetch, QueryPlan
from .rewrites import alias_type_conflicts
from .selections import RepSelection, SubSelection

MAX_ATTEMPTS = 64


class Unplannable(Exception):
    """No subgraph (or no way into one) can resolve part of the operation."""


@dataclass(eq=False)
class Group:
    id: int
    graph: str
    kind: OperationType
    path: tuple[str, ...] = ()
    entity: bool = False
    position_type: str | None = None
    selection: SubSelection = field(default_factory=SubSelection)
    representations: dict[str, RepSelection] = field(default_factory=dict)
    representation_typenames: dict[str, str] = field(default_factory=dict)
    dependencies: set[Group] = field(default_factory=set)
    children: list[Group] = field(default_factory=list)

    def __hash__(self) -> int:
        return id(self)  # identity: copies made for backtracking are other groups

    def reaches(self, other: Group) -> bool:
        """Does this group (transitively) depend on `other`?"""
        seen: set[int] = set()
        stack = list(self.dependencies)
        while stack:
            group = stack.pop()
            if group is other:
                return True
            if group.id not in seen:
                seen.add(group.id)
                stack.extend(group.dependencies)
        return False


@dataclass
class Position:
    """Where the walk stands: an object in a group's result, and how it got there."""

    group: Group
    graph: str
    path: tuple[str, ...]
    type_name: str  # the type of the object here, as the group's subgraph sees it
    target: SubSelection
    provided: SelectionSetNode | None = None
    parent: Position | None = None
    via: NField | None = None  # the field that led here from the parent
    origin: Position | None = None  # the same object in the fetch this one jumped from


Contributors = set[Group]


def collect_fields(supergraph: Supergraph, selections: Sequence[NSelection], type_name: str) -> list[NField]:
    """The fields that apply to objects of `type_name`, fragments flattened, merged by response key."""
    merged: dict[str, NField] = {}

    def visit(items: Sequence[NSelection]) -> None:
        for item in items:
            if isinstance(item, NField):
                seen = merged.get(item.key)
                if seen is None:
                    merged[item.key] = item
                elif item.selections is not None:
                    merged[item.key] = NField(seen.key, seen.name, seen.arguments, seen.directives,
                                              seen.parent_type, seen.type_name,
                                              (seen.selections or []) + item.selections)
            elif item.type_condition == type_name or type_name in supergraph.possible_types(item.type_condition):
                visit(item.selections)

    visit(selections)
    return list(merged.values())


def client_keys(selections: Sequence[NSelection] | None) -> frozenset[str]:
    keys: set[str] = set()
    for item in selections or ():
        if isinstance(item, NField):
            keys.add(item.key)
        else:
            keys |= client_keys(item.selections)
    return frozenset(keys)


def _provided_fields(provided: SelectionSetNode | None, supergraph: Supergraph, type_name: str) -> list[FieldNode]:
    """The fields a `@provides` selection provides on objects of `type_name`."""
    if provided is None:
        return []
    found: list[FieldNode] = []
    for selection in provided.selections:
        if isinstance(selection, FieldNode):
            found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else type_name
            if condition == type_name or type_name in supergraph.possible_types(condition):
                found += _provided_fields(selection.selection_set, supergraph, type_name)
    return found


class Planner:
    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph

    def plan(
        self,
        kind: OperationType,
        root_type: str,
        selections: list[NSelection],
        variable_definitions: Sequence[VariableDefinitionNode] = (),
        introspection: bool = False,
    ) -> QueryPlan:
        walk = _Walk(self.supergraph, kind)
        steps = walk.root(root_type, selections)
        fetch_steps = walk.finish(steps, variable_definitions)
        return QueryPlan(kind, root_type, selections, fetch_steps, introspection)


@dataclass
class _State:
    """Everything a root field's planning changes: restored when it is planned again."""

    groups: list[Group] = field(default_factory=list)
    roots: dict[str, Group] = field(default_factory=dict)  # shared root group per subgraph (queries)
    aliases: int = 0


class _Walk:
    def __init__(self, supergraph: Supergraph, kind: OperationType) -> None:
        self.sg = supergraph
        self.kind = kind
        self.state = _State()
        self.banned: set[tuple[object, str]] = set()
        self.decisions: list[tuple[object, str, bool]] = []
        self.resolving: list[tuple[str, str, str]] = []  # (graph, type, field) being made available

    # --- groups ---------------------------------------------------------------------------

    @property
    def groups(self) -> list[Group]:
        return self.state.groups

    def _group(self, graph: str, kind: OperationType, **kwargs: object) -> Group:
        group = Group(id=len(self.state.groups), graph=graph, kind=kind, **kwargs)  # type: ignore[arg-type]
        self.state.groups.append(group)
        return group

    def _internal_alias(self, name: str) -> str:
        self.state.aliases += 1
        return f"_{name}_r{self.state.aliases}"

    def choose(self, decision: object, candidates: Sequence[str]) -> str:
        """Take the first candidate not banned; remember the decision for backtracking."""
        allowed = [c for c in candidates if (decision, c) not in self.banned]
        if not allowed:
            raise Unplannable(f"no way left to plan {decision}")
        self.decisions.append((decision, allowed[0], len(allowed) > 1))
        return allowed[0]

    # --- root -----------------------------------------------------------------------------

    def root(self, root_type: str, selections: list[NSelection]) -> list[list[Group]]:
        fields = collect_fields(self.sg, selections, root_type)
        reserved = client_keys(selections)
        if self.kind is OperationType.MUTATION:
            steps = []
            for f in fields:  # one after another, each subtree before the next field (GraphQL spec)
                first = len(self.groups)
                self._planned(lambda f=f: self._root_field(root_type, f, reserved, share=False))
                steps.append(self.groups[first:])
            return steps
        for f in fields:
            self._planned(lambda f=f: self._root_field(root_type, f, reserved, share=True))
        return [list(self.groups)]

    def _planned(self, plan_one: object) -> None:
        """Plan one root field; when it fails, plan it again with the innermost choice
        that had an alternative banned."""
        for _ in range(MAX_ATTEMPTS):
            saved = copy.deepcopy(self.state)
            self.decisions = []
            try:
                plan_one()  # type: ignore[operator]
                return
            except Unplannable:
                self.state = saved
                self.resolving = []
                open_choice = next((d for d in reversed(self.decisions) if d[2]), None)
                if open_choice is None:
                    raise
                self.banned.add((open_choice[0], open_choice[1]))
        raise Unplannable("the operation is too ambiguous to plan")

    def _root_field(self, root_type: str, f: NField, reserved: frozenset[str], *, share: bool) -> None:
        if f.name.startswith("__"):
            return  # __typename, __schema, __type: answered by the gateway
        joins = [j for j in self.sg.field_joins(root_type, f.name) if j.resolvable]
        if not joins:
            raise Unplannable(f"no subgraph resolves {root_type}.{f.name}")
        graph = self.choose(("root", f.key), self._ranked([j.graph for j in joins], root_type, [f]))
        group = self.state.roots.get(graph) if share else None
        if group is None:
            group = self._group(graph, self.kind, selection=SubSelection(reserved), position_type=root_type)
            if share:
                self.state.roots[graph] = group
        position = Position(group, graph, (), root_type, group.selection)
        self.plan_field(position, f)

    def _ranked(self, graphs: Sequence[str], type_name: str, selections: Sequence[NSelection],
                provided: SelectionSetNode | None = None) -> list[str]:
        """Subgraphs that resolve more of the selection without leaving first (then the declared order)."""
        order = self.sg.graph_order
        return sorted(dict.fromkeys(graphs),
                      key=lambda g: (-self.coverage(g, type_name, selections, provided), order.index(g)))

    def coverage(self, graph: str, type_name: str, selections: Sequence[NSelection] | None,
                 provided: SelectionSetNode | None, depth: int = 0) -> int:
        if depth > 12:
            return 0
        total = 0
        for t in self._object_types(graph, type_name):
            for f in collect_fields(self.sg, selections or (), t):
                if f.name == "__typename":
                    total += 1
                elif self.local(graph, t, f.name, provided):
                    total += 1
                    if f.selections is not None:
                        total += self.coverage(graph, self.field_type_in(graph, t, f.name), f.selections,
                                               self._child_provided(graph, t, f.name, provided), depth + 1)
        return total

    # --- availability ---------------------------------------------------------------------

    def _object_types(self, graph: str, type_name: str) -> list[str]:
        """The types the walk treats as object positions for `type_name` in `graph`."""
        if not self.sg.is_abstract(type_name) or self.sg.is_interface_object(type_name, graph):
            return [type_name]
        return self.sg.possible_types_in(graph, type_name)

    def local(self, graph: str, type_name: str, field_name: str, provided: SelectionSetNode | None) -> bool:
        """Can `graph` resolve the field here without an entity jump?"""
        if field_name == "__typename":
            return True
        join = self.sg.field_join(type_name, field_name, graph)
        if join is None:
            return False
        if join.resolvable:
            return True
        return any(p.name.value == field_name for p in _provided_fields(provided, self.sg, type_name))

    def owners(self, type_name: str, field_name: str) -> list[tuple[FieldJoin, str]]:
        """Where else the field can be resolved, and as which type one enters there:
        the type itself, or an interface object the type implements (inherited fields)."""
        found = [(j, type_name) for j in self.sg.field_joins(type_name, field_name) if j.resolvable]
        if (type_name, field_name) in self.sg.fields and any(not j.graph for j in self.sg.fields[(type_name,
                                                                                                 field_name)]):
            typ = self.sg.schema.get_type(type_name)
            for interface in getattr(typ, "interfaces", ()):
                for graph in self.sg.types[interface.name].interface_object_in if interface.name in self.sg.types \
                        else ():
                    join = self.sg.field_join(interface.name, field_name, graph)
                    if join is not None and join.resolvable:
                        found.append((join, interface.name))
        return found

    def field_type_in(self, graph: str, type_name: str, field_name: str) -> str:
        """The named type of a field as `graph` declares it (`@join__field(type:)` may differ)."""
        join = self.sg.field_join(type_name, field_name, graph)
        if join is not None and join.type:
            return join.type.replace("!", "").replace("[", "").replace("]", "").strip()
        return self.sg.field_type_name(type_name, field_name)

    def _field_type_text(self, graph: str, type_name: str, field_name: str) -> str:
        join = self.sg.field_join(type_name, field_name, graph)
        if join is not None and join.type:
            return join.type
        parent = self.sg.composite(type_name)
        return str(parent.fields[field_name].type)  # type: ignore[union-attr]

    def _child_provided(self, graph: str, type_name: str, field_name: str,
                        provided: SelectionSetNode | None) -> SelectionSetNode | None:
        for p in _provided_fields(provided, self.sg, type_name):
            if p.name.value == field_name and p.selection_set is not None:
                return p.selection_set
        join = self.sg.field_join(type_name, field_name, graph)
        return parse_field_set(join.provides) if join is not None and join.provides else None

    def _field_path(self, path: tuple[str, ...], type_name: str, key: str, field_name: str) -> tuple[str, ...]:
        parent = self.sg.composite(type_name)
        field_type = parent.fields[field_name].type  # type: ignore[union-attr]
        steps = [key]
        while isinstance(field_type, (GraphQLNonNull, GraphQLList)):
            if isinstance(field_type, GraphQLList):
                steps.append("@")
            field_type = field_type.of_type
        return path + tuple(steps)

    def enterable(self, type_name: str, graph: str) -> bool:
        return bool(self.sg.resolvable_keys(type_name, graph))

    def type_jump_graphs(self, interface: str) -> list[str]:
        """Subgraphs that know the real interface (its concrete types) and can be entered at it."""
        tj = self.sg.types.get(interface)
        if tj is None:
            return []
        return [g for g in tj.graphs if g not in tj.interface_object_in and self.enterable(interface, g)]

    # --- the walk -------------------------------------------------------------------------

    def plan_selections(self, position: Position, selections: Sequence[NSelection]) -> Contributors:
        sg, graph, type_name = self.sg, position.graph, position.type_name
        contributors: Contributors = set()
        if sg.is_interface_object(type_name, graph):
            return self._plan_interface_object(position, selections)
        if sg.is_abstract(type_name):
            # An abstract position: the subgraph tells the concrete type, and each
            # concrete type gets the fields that apply to it.
            position.target.typename()
            contributors.add(position.group)
            members = sg.possible_types_in(graph, type_name)
            if not members:
                self._check_reachable(position, selections)
            narrowed = self._narrowed(position)
            for obj in members:
                if narrowed is not None and obj not in narrowed:
                    continue  # not every subgraph that could serve this path knows it
                fields = collect_fields(sg, selections, obj)
                if not fields:
                    continue
                fragment = position.target.fragment(obj, client_keys(fields))
                at = Position(position.group, graph, position.path, obj, fragment, position.provided,
                              position.parent, position.via)
                for f in fields:
                    contributors |= self.plan_field(at, f)
            return contributors
        for f in collect_fields(sg, selections, type_name):
            contributors |= self.plan_field(position, f)
        return contributors

    def _check_reachable(self, position: Position, selections: Sequence[NSelection]) -> None:
        """An abstract type without implementations here: nothing will be fetched for it,
        but a field asked of the type itself must still be reachable (else it is an error,
        while a fragment that can never match is simply dropped)."""
        for item in selections:
            if not isinstance(item, NField) or item.name.startswith("__"):
                continue
            if self.local(position.graph, position.type_name, item.name, position.provided):
                continue
            if not any(self.enterable(enter_as, join.graph)
                       for join, enter_as in self.owners(position.type_name, item.name)):
                raise Unplannable(f"{position.type_name}.{item.name} cannot be reached from {position.graph}")

    def _narrowed(self, position: Position) -> set[str] | None:
        """The members every subgraph that could serve this path from its anchor knows
        (the nearest entity or root above): several candidates keep only what they
        share; one candidate keeps its own (GATEWAY.md §3.6, rule 3)."""
        steps: list[tuple[str, NField]] = []
        here = position
        while here.via is not None and here.parent is not None:
            steps.append((here.parent.type_name, here.via))
            if self.sg.is_entity(here.parent.type_name) or here.parent.parent is None:
                break
            here = here.parent
        else:
            return None
        anchor = here.parent
        assert anchor is not None
        at_root = anchor.parent is None and anchor.path == ()
        candidates = [
            graph for graph in self.sg.graph_order
            if (at_root or self.enterable(anchor.type_name, graph) or graph == anchor.graph)
            and all(self._local_step(graph, type_name, f) for type_name, f in steps)
        ]
        if len(candidates) < 2:
            return None
        abstract = self.sg.field_type_name(steps[0][0], steps[0][1].name)
        return set.intersection(*(set(self.sg.possible_types_in(g, abstract)) for g in candidates))

    def _plan_interface_object(self, position: Position, selections: Sequence[NSelection]) -> Contributors:
        """An interface this subgraph sees as an object: its fields are planned as on an
        object; `__typename` and concrete types need a type jump to a subgraph that
        knows the real interface."""
        interface = position.type_name
        contributors: Contributors = set()
        concrete: list[NSelection] = []
        for item in selections:
            if isinstance(item, NField) and item.name != "__typename":
                contributors |= self.plan_field(position, item)
            elif isinstance(item, NFragment) and item.type_condition == interface:
                contributors |= self._plan_interface_object(position, item.selections)
            else:
                concrete.append(item)  # __typename, fragments on concrete types or other interfaces
        if concrete:
            graphs = self.type_jump_graphs(interface)
            if not graphs:
                raise Unplannable(f"no subgraph can tell the concrete type of {interface}")
            owner = self.choose(("type", position.path, interface), graphs)
            child, fragment = self.entity_group(position, owner, interface, interface, purpose="type")
            fragment.typename()
            at = Position(child, owner, position.path, interface, fragment, None, position.parent, position.via,
                          position)
            contributors |= self.plan_selections(at, concrete) | {child}
        return contributors

    def plan_field(self, position: Position, f: NField) -> Contributors:
        graph, type_name = position.graph, position.type_name
        if f.name.startswith("__"):
            return set()  # __typename at an object position: the response shaper knows it
        if not self.local(graph, type_name, f.name, position.provided):
            return self.plan_jump(position, f)
        join = self.sg.field_join(type_name, f.name, graph)
        provided_here = any(p.name.value == f.name for p in _provided_fields(position.provided, self.sg, type_name))
        if join is not None and join.requires and not provided_here:
            return self.plan_with_requires(position, f, graph, type_name)
        return self._add(position, f, position.group, graph, position.target, type_name)

    def _add(self, position: Position, f: NField, group: Group, graph: str, target: SubSelection,
             type_name: str) -> Contributors:
        """`f` into `target` (a selection of `group`), and its subtree below it."""
        sub = target.add(f.key, f.name, f.arguments, f.directives, composite=f.selections is not None,
                         reserved=client_keys(f.selections),
                         type_text=self._field_type_text(graph, type_name, f.name))
        contributors: Contributors = {group}
        if f.selections is not None:
            assert sub.selection is not None
            if self.sg.is_abstract(self.sg.field_type_name(type_name, f.name)) and not self.sg.is_abstract(
                    self.field_type_in(graph, type_name, f.name)):
                sub.selection.typename()  # the client's type is abstract: the shaper needs the concrete one
            child = Position(
                group, graph, self._field_path(position.path, type_name, f.key, f.name),
                self.field_type_in(graph, type_name, f.name), sub.selection,
                self._child_provided(graph, type_name, f.name, position.provided if group is position.group
                                     else None),
                position, f,
            )
            contributors |= self.plan_selections(child, f.selections)
        return contributors

    def plan_jump(self, position: Position, f: NField) -> Contributors:
        graph, type_name = position.graph, position.type_name
        key = (graph, type_name, f.name)
        if key in self.resolving:
            raise Unplannable(f"{type_name}.{f.name} needs itself to be reached from {graph}")
        candidates = [(join, enter_as) for join, enter_as in self.owners(type_name, f.name)
                      if join.graph != graph and self.enterable(enter_as, join.graph)]
        if not candidates:
            return self.plan_anchored(position, f)
        owner = self.choose(("jump", position.path, type_name, f.key),
                            self._ranked([j.graph for j, _ in candidates], type_name, [f]))
        join, enter_as = next((j, e) for j, e in candidates if j.graph == owner)
        self.resolving.append(key)
        try:
            if join.requires:
                return self.plan_with_requires(position, f, owner, enter_as)
            child, fragment = self.entity_group(position, owner, type_name, enter_as, purpose="jump")
            at = Position(child, owner, position.path, enter_as, fragment, None, position.parent, position.via,
                          position)
            return self._add(at, f, child, owner, fragment, enter_as)
        finally:
            self.resolving.pop()

    def plan_with_requires(self, position: Position, f: NField, owner: str, enter_as: str) -> Contributors:
        """`f` needs other fields of its object first: an `_entities` fetch to its owner
        whose representations carry the key and the required fields."""
        join = self.sg.field_join(enter_as, f.name, owner)
        assert join is not None and join.requires
        child, fragment = self.entity_group(position, owner, position.type_name, enter_as, purpose="requires",
                                            requires=parse_field_set(join.requires))
        at = Position(child, owner, position.path, enter_as, fragment, None, position.parent, position.via,
                      position)
        return self._add(at, f, child, owner, fragment, enter_as) | {child}

    def plan_anchored(self, position: Position, f: NField) -> Contributors:
        """`f` sits on a type no owner can be entered at: climb to the nearest ancestor a
        subgraph can enter and from which the whole path down to `f` is local there,
        and replay that path in a fetch of its own (same aliases, same arguments)."""
        chain: list[tuple[Position, NField]] = []
        here: Position | None = position
        reached: list[tuple[Position, list[tuple[Position, NField]], str]] = []
        while here is not None:
            steps = [(p, fld) for p, fld in reversed(chain)] + [(position, f)]
            at_root = here.parent is None and here.path == ()
            for graph in self.sg.graph_order:
                if graph == here.graph and not at_root:
                    continue
                if at_root and (self.kind is not OperationType.QUERY or graph == here.graph):
                    continue
                if not at_root and not self.enterable(here.type_name, graph):
                    continue
                if all(self._local_step(graph, p.type_name, fld) for p, fld in steps):
                    reached.append((here, steps, graph))
            if reached:
                break
            if here.via is None or here.parent is None:
                break
            chain.append((here.parent, here.via))
            here = here.parent
        if not reached:
            raise Unplannable(f"{position.type_name}.{f.name} cannot be reached from subgraph {position.graph}")
        anchor, steps, _ = reached[0]
        graph = self.choose(("anchor", position.path, position.type_name, f.key), [g for _, _, g in reached])
        if anchor.parent is None and anchor.path == ():
            group = self.state.roots.get(graph)
            if group is None:
                group = self._group(graph, self.kind, selection=SubSelection(anchor.target.reserved),
                                    position_type=anchor.type_name)
                self.state.roots[graph] = group
            target = group.selection
        else:
            group, target = self.entity_group(anchor, graph, anchor.type_name, anchor.type_name, purpose="anchor")
        at = Position(group, graph, anchor.path, anchor.type_name, target, None, anchor.parent, anchor.via)
        for step_position, step_field in steps[:-1]:
            sub = target.add(step_field.key, step_field.name, step_field.arguments, step_field.directives,
                             composite=True, reserved=client_keys(step_field.selections),
                             type_text=self._field_type_text(graph, step_position.type_name, step_field.name))
            assert sub.selection is not None
            next_type = self.field_type_in(graph, step_position.type_name, step_field.name)
            if self.sg.is_abstract(next_type):
                sub.selection.typename()
                obj = position.type_name
                target = sub.selection.fragment(obj, frozenset())
            else:
                target = sub.selection
            at = Position(group, graph, self._field_path(at.path, step_position.type_name, step_field.key,
                                                          step_field.name),
                          position.type_name if self.sg.is_abstract(next_type) else next_type,
                          target, None, at, step_field)
        return self._add(at, f, group, graph, target, position.type_name) | {group}

    def _local_step(self, graph: str, type_name: str, f: NField) -> bool:
        join = self.sg.field_join(type_name, f.name, graph)
        return join is not None and join.resolvable and not join.requires

    # --- entering a subgraph --------------------------------------------------------------

    def entity_group(self, position: Position, owner: str, type_name: str, enter_as: str, *, purpose: str,
                     requires: SelectionSetNode | None = None) -> tuple[Group, SubSelection]:
        """A child group that enters `owner` at this position (objects of `type_name`,
        entered as `enter_as`), with its representations planned from here. A child for
        the same subgraph and path is shared when that creates no cycle and no two
        values for one representation field."""
        key = self.choose_key(enter_as, owner, position.graph, type_name)
        representation, suppliers = self.plan_requirements(position, key.selection)
        if requires is not None:
            required, more = self.plan_requirements(position, requires)
            representation.merge(required)
            suppliers |= more
        if not self.sg.is_interface_object(position.type_name, position.graph):
            position.target.typename()  # never ask an interface object for a __typename: it cannot know
        representation.add("__typename", "__typename")
        group = position.group
        child = None
        for candidate in group.children:
            if candidate.graph != owner or candidate.path != position.path or candidate in suppliers:
                continue
            if any(s.reaches(candidate) for s in suppliers):
                continue
            existing = candidate.representations.get(type_name)
            if existing is not None and existing.conflicts(representation):
                continue
            if purpose == "type" and candidate.selection.fragments.get(enter_as) is None and candidate.children:
                continue
            child = candidate
            break
        if child is None:
            child = self._group(owner, OperationType.QUERY, path=position.path, entity=True,
                                position_type=position.type_name)
            group.children.append(child)
        child.representations.setdefault(type_name, RepSelection()).merge(representation)
        child.representation_typenames[type_name] = enter_as
        if self.sg.is_abstract(type_name) and self.sg.is_interface_object(enter_as, owner):
            # An earlier fetch may have told these objects' concrete type (Drum), which the
            # interface object's subgraph does not know: every implementation enters it as
            # the interface (Instrument), with the same representation.
            for concrete in self.sg.possible_types(type_name):
                child.representations.setdefault(concrete, child.representations[type_name])
                child.representation_typenames.setdefault(concrete, enter_as)
        child.dependencies |= suppliers | {group}
        if child in child.dependencies or any(s.reaches(child) for s in suppliers):
            raise Unplannable(f"{type_name} cannot enter {owner}: its representation needs {owner} itself")
        return child, child.selection.fragment(enter_as, position.target.reserved)

    def choose_key(self, enter_as: str, owner: str, from_graph: str, type_name: str) -> Key:
        keys = self.sg.resolvable_keys(enter_as, owner)
        if not keys:
            raise Unplannable(f"{enter_as} has no key that {owner} can resolve")

        def readable(key: Key) -> bool:
            return all(
                self.local(from_graph, type_name, s.name.value, None)
                for s in key.selection.selections if isinstance(s, FieldNode)
            )

        return next((k for k in keys if readable(k)), keys[0])

    def plan_requirements(self, position: Position, fieldset: SelectionSetNode
                          ) -> tuple[RepSelection, Contributors]:
        """Make the fields of a key or `@requires` available at this position, fetched
        from its subgraph where it can, through jumps where it cannot. Returns where to
        read them."""
        representation = RepSelection()
        suppliers: Contributors = set()
        type_name, graph, target = position.type_name, position.graph, position.target
        for selection in fieldset.selections:
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else type_name
                if self.sg.is_abstract(type_name) and not self.sg.is_interface_object(type_name, graph):
                    target.typename()
                    for obj in self.sg.possible_types_in(graph, type_name):
                        if obj in self.sg.possible_types(condition):
                            at = Position(position.group, graph, position.path, obj, target.fragment(obj),
                                          position.provided, position.parent, position.via)
                            sub_rep, more = self.plan_requirements(at, selection.selection_set)
                            representation.fragments.setdefault(obj, RepSelection()).merge(sub_rep)
                            suppliers |= more
                elif condition == type_name or type_name in self.sg.possible_types(condition):
                    sub_rep, more = self.plan_requirements(position, selection.selection_set)
                    representation.merge(sub_rep)
                    suppliers |= more
                continue
            assert isinstance(selection, FieldNode)
            name = selection.name.value
            if name == "__typename":
                if not self.sg.is_interface_object(type_name, graph):
                    target.typename()
                representation.add("__typename", "__typename")
                suppliers.add(position.group)
                continue
            composite = selection.selection_set is not None
            join = self.sg.field_join(type_name, name, graph)
            arguments = tuple(selection.arguments or ())
            if self.local(graph, type_name, name, position.provided) and not (join and join.requires):
                sub = target.add_internal(name, arguments, composite=composite,
                                          type_text=self._field_type_text(graph, type_name, name))
                suppliers.add(position.group)
                nested = None
                if composite:
                    assert sub.selection is not None and selection.selection_set is not None
                    child_type = self.field_type_in(graph, type_name, name)
                    if self.sg.is_abstract(child_type) and not self.sg.is_interface_object(child_type, graph):
                        sub.selection.typename()
                    at = Position(position.group, graph, self._field_path(position.path, type_name, sub.key, name),
                                  child_type, sub.selection, self._child_provided(graph, type_name, name,
                                                                                   position.provided),
                                  position, NField(sub.key, name, arguments, (), type_name, child_type, []))
                    nested, more = self.plan_requirements(at, selection.selection_set)
                    suppliers |= more
                representation.add(name, sub.key, nested)
                continue
            # Not here: maybe the fetch this object came from can still add it (same object)...
            sourced = self._from_origin(position, selection)
            if sourced is not None:
                read_key, nested, more = sourced
                representation.add(name, read_key, nested)
                suppliers |= more
                continue
            # ...or fetch it from another subgraph under an internal alias.
            field_type = self.sg.field_type_name(type_name, name)
            selections, nested_rep = self._internal_selections(field_type, selection.selection_set)
            internal = NField(self._internal_alias(name), name, arguments, (), type_name, field_type, selections)
            suppliers |= self.plan_field(position, internal)
            representation.add(name, internal.key, nested_rep)
        return representation, suppliers

    def _from_origin(self, position: Position, selection: FieldNode
                     ) -> tuple[str, RepSelection | None, Contributors] | None:
        """A requirement the fetch this object jumped from (or one before it) resolves."""
        name = selection.name.value
        origin = position.origin
        while origin is not None:
            join = self.sg.field_join(origin.type_name, name, origin.graph)
            if self.local(origin.graph, origin.type_name, name, origin.provided) and not (join and join.requires):
                representation, suppliers = self.plan_requirements(
                    origin, SelectionSetNode(selections=(selection,)))
                read = next(f for f in representation.fields if f.name == name)
                return read.read_key, read.selection, suppliers
            origin = origin.origin
        return None

    def _internal_selections(self, type_name: str, selection_set: SelectionSetNode | None
                             ) -> tuple[list[NSelection] | None, RepSelection | None]:
        """A field set as planner-owned selections (unique aliases) and how to read it back."""
        if selection_set is None:
            return None, None
        selections: list[NSelection] = []
        representation = RepSelection()
        for selection in selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else type_name
                inner, inner_rep = self._internal_selections(condition, selection.selection_set)
                selections.append(NFragment(condition, inner or []))
                if inner_rep is not None:
                    if condition == type_name:
                        representation.merge(inner_rep)
                    else:
                        for obj in self.sg.possible_types(condition):
                            representation.fragments.setdefault(obj, RepSelection()).merge(inner_rep)
                continue
            assert isinstance(selection, FieldNode)
            name = selection.name.value
            if name == "__typename":
                selections.append(NField("__typename", name, (), (), type_name, "String"))
                representation.add("__typename", "__typename")
                continue
            field_type = self.sg.field_type_name(type_name, name)
            inner, inner_rep = self._internal_selections(field_type, selection.selection_set)
            key = self._internal_alias(name)
            selections.append(NField(key, name, tuple(selection.arguments or ()), (), type_name, field_type, inner))
            representation.add(name, key, inner_rep)
        return selections, representation

    # --- the plan -------------------------------------------------------------------------

    def finish(self, steps: list[list[Group]], variable_definitions: Sequence[VariableDefinitionNode] | None
               ) -> list[list[Fetch]]:
        definitions = {d.variable.name.value: d for d in variable_definitions or ()}
        empty = {g for g in self.groups if g.selection.is_empty()}
        result = []
        for step in steps:
            result.append([self._fetch(group, definitions, empty) for group in step if group not in empty])
        _check_acyclic([f for step in result for f in step])
        return result

    def _fetch(self, group: Group, definitions: dict[str, VariableDefinitionNode], empty: set[Group]) -> Fetch:
        rewrites = alias_type_conflicts(group.selection, self._internal_alias)
        used = list(dict.fromkeys(group.selection.variables()))
        declared = [print_ast(definitions[name]) for name in used if name in definitions]
        if group.entity:
            declared.insert(0, "$representations: [_Any!]!")
            body = "{ _entities(representations: $representations) " + group.selection.print(1) + " }"
            kind = "query"
        else:
            body = group.selection.print()
            kind = group.kind.value
        document = f"{kind}({', '.join(declared)}) {body}" if declared else f"{kind} {body}"
        return Fetch(
            id=group.id,
            graph=group.graph,
            operation_kind=group.kind,
            document=document,
            variable_names=tuple(n for n in used if n in definitions),
            path=group.path,
            entity=group.entity,
            position_type=group.position_type,
            representations=group.representations,
            representation_typenames=group.representation_typenames,
            depends_on=tuple(sorted(d.id for d in _live_dependencies(group, empty))),
            rewrites=rewrites,
        )


def _live_dependencies(group: Group, empty: set[Group]) -> set[Group]:
    """Dependencies, looking through groups that fetch nothing (they are dropped)."""
    live: set[Group] = set()
    stack = list(group.dependencies)
    seen: set[int] = set()
    while stack:
        dependency = stack.pop()
        if dependency is group or dependency.id in seen:
            continue
        seen.add(dependency.id)
        if dependency in empty:
            stack.extend(dependency.dependencies)
        else:
            live.add(dependency)
    return live


def _check_acyclic(fetches: list[Fetch]) -> None:
    by_id = {f.id: f for f in fetches}
    state: dict[int, int] = {}

    def visit(fid: int) -> None:
        if state.get(fid) == 1:
            raise Unplannable("the plan has a cycle of subgraph fetches")
        if state.get(fid) == 2 or fid not in by_id:
            return
        state[fid] = 1
        for dep in by_id[fid].depends_on:
            visit(dep)
        state[fid] = 2

    for f in fetches:
        visit(f.id)


def is_interface(supergraph: Supergraph, type_name: str) -> bool:
    return isinstance(supergraph.schema.get_type(type_name), GraphQLInterfaceType)
