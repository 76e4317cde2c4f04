"""The walker: descends the client's selection tree and decides, field by field,
which subgraph fetch resolves it (GATEWAY.md §2).

It holds a fetch group G (one subgraph operation), the response path P and
the parent type T. A field local to G's subgraph joins G. A field G's
subgraph cannot resolve makes an entity jump: a child group in a subgraph
that can, entered through `_entities` with a key that subgraph accepts; the
key's fields are planned as requirements from G. A field with `@requires`
gets a group of its own whose representations carry the required fields.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from graphql import (
    FieldNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    print_ast,
)

from ..operation import NField, NFragment, NSelection
from ..supergraph.fieldset import parse_field_set
from ..supergraph.model import Key, Supergraph
from .plan import Fetch, QueryPlan
from .selections import RepSelection, SubSelection


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
    children: dict[tuple[object, ...], Group] = field(default_factory=dict)

    def __hash__(self) -> int:
        return self.id


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
            elif type_name in supergraph.possible_types(item.type_condition) or item.type_condition == type_name:
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


class _Walk:
    def __init__(self, supergraph: Supergraph, kind: OperationType) -> None:
        self.sg = supergraph
        self.kind = kind
        self.groups: list[Group] = []
        self._aliases = 0

    # --- groups ---------------------------------------------------------------------------

    def _group(self, graph: str, kind: OperationType, **kwargs: object) -> Group:
        group = Group(id=len(self.groups), graph=graph, kind=kind, **kwargs)  # type: ignore[arg-type]
        self.groups.append(group)
        return group

    def _internal_alias(self, name: str) -> str:
        self._aliases += 1
        return f"_{name}_r{self._aliases}"

    # --- root -----------------------------------------------------------------------------

    def root(self, root_type: str, selections: list[NSelection]) -> list[list[Group]]:
        fields = collect_fields(self.sg, selections, root_type)
        if self.kind is OperationType.MUTATION:
            steps = []
            for f in fields:  # one after another, each subtree before the next field (GraphQL spec)
                first = len(self.groups)
                self._root_field(root_type, f, {}, client_keys(selections))
                steps.append(self.groups[first:])
            return steps
        shared: dict[str, Group] = {}
        for f in fields:
            self._root_field(root_type, f, shared, client_keys(selections))
        return [list(self.groups)]

    def _root_field(self, root_type: str, f: NField, shared: dict[str, Group], reserved: frozenset[str]) -> None:
        if f.name.startswith("__"):
            return  # __typename, __schema, __type: answered by the gateway
        joins = [j for j in self.sg.field_joins(root_type, f.name) if j.resolvable]
        if not joins:
            raise Unplannable(f"no subgraph resolves {root_type}.{f.name}")
        graph = self._best([j.graph for j in joins], root_type, [f])
        group = shared.get(graph)
        if group is None:
            group = self._group(graph, self.kind, selection=SubSelection(reserved), position_type=root_type)
            shared[graph] = group
        self.plan_field(group, graph, (), root_type, f, group.selection, None)

    def _best(self, graphs: list[str], type_name: str, selections: Sequence[NSelection]) -> str:
        """The subgraph that resolves most of the selection without leaving (then the declared order)."""
        order = self.sg.graph_order
        return min(graphs, key=lambda g: (-self.coverage(g, type_name, selections, None), order.index(g)))

    def coverage(self, graph: str, type_name: str, selections: Sequence[NSelection] | None,
                 provided: SelectionSetNode | None) -> int:
        total = 0
        types = [type_name] if not self.sg.is_abstract(type_name) else self.sg.possible_types_in(graph, type_name)
        for t in types:
            for f in collect_fields(self.sg, selections or (), t):
                if f.name == "__typename":
                    total += 1
                elif self.local(graph, t, f.name, provided):
                    if f.selections is None:
                        total += 1
                    else:
                        total += 1 + self.coverage(graph, self.sg.field_type_name(t, f.name), f.selections,
                                                   self._child_provided(graph, t, f.name, provided))
        return total

    # --- availability ---------------------------------------------------------------------

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

    def _child_provided(self, graph: str, type_name: str, field_name: str,
                        provided: SelectionSetNode | None) -> SelectionSetNode | None:
        for p in _provided_fields(provided, self.sg, type_name):
            if p.name.value == field_name and p.selection_set is not None:
                return p.selection_set
        join = self.sg.field_join(type_name, field_name, graph)
        return parse_field_set(join.provides) if join is not None and join.provides else None

    def _field_path(self, path: tuple[str, ...], type_name: str, f: NField) -> tuple[str, ...]:
        parent = self.sg.composite(type_name)
        field_type = parent.fields[f.name].type  # type: ignore[union-attr]
        steps = [f.key]
        while isinstance(field_type, (GraphQLNonNull, GraphQLList)):
            if isinstance(field_type, GraphQLList):
                steps.append("@")
            field_type = field_type.of_type
        return path + tuple(steps)

    # --- the walk -------------------------------------------------------------------------

    def plan_selections(self, group: Group, graph: str, path: tuple[str, ...], type_name: str,
                        selections: Sequence[NSelection], target: SubSelection,
                        provided: SelectionSetNode | None) -> Contributors:
        contributors: Contributors = set()
        if self.sg.is_abstract(type_name) and not self.sg.is_interface_object(type_name, graph):
            # An abstract position: the subgraph tells the concrete type, and each
            # concrete type gets the fields that apply to it.
            target.typename()
            contributors.add(group)
            for obj in self.sg.possible_types_in(graph, type_name):
                fields = collect_fields(self.sg, selections, obj)
                if not fields:
                    continue
                fragment = target.fragment(obj, client_keys(fields))
                for f in fields:
                    contributors |= self.plan_field(group, graph, path, obj, f, fragment, provided)
            return contributors
        for f in collect_fields(self.sg, selections, type_name):
            contributors |= self.plan_field(group, graph, path, type_name, f, target, provided)
        return contributors

    def plan_field(self, group: Group, graph: str, path: tuple[str, ...], type_name: str, f: NField,
                   target: SubSelection, provided: SelectionSetNode | None) -> Contributors:
        if f.name.startswith("__"):
            return set()  # __typename at an object position: the response shaper knows it
        if not self.local(graph, type_name, f.name, provided):
            return self.plan_jump(group, graph, path, type_name, f, target)
        join = self.sg.field_join(type_name, f.name, graph)
        provided_here = any(p.name.value == f.name for p in _provided_fields(provided, self.sg, type_name))
        if join is not None and join.requires and not provided_here:
            return self.plan_with_requires(group, graph, path, type_name, f, target, graph)
        sub = target.add(f.key, f.name, f.arguments, f.directives, composite=f.selections is not None,
                         reserved=client_keys(f.selections))
        contributors: Contributors = {group}
        if f.selections is not None:
            assert sub.selection is not None
            child_type = self.sg.field_type_name(type_name, f.name)
            contributors |= self.plan_selections(
                group, graph, self._field_path(path, type_name, f), child_type, f.selections, sub.selection,
                self._child_provided(graph, type_name, f.name, provided),
            )
        return contributors

    def plan_jump(self, group: Group, graph: str, path: tuple[str, ...], type_name: str, f: NField,
                  target: SubSelection) -> Contributors:
        candidates = [
            j for j in self.sg.field_joins(type_name, f.name)
            if j.resolvable and j.graph != graph and self.sg.resolvable_keys(type_name, j.graph)
        ]
        if not candidates:
            raise Unplannable(f"{type_name}.{f.name} cannot be reached from subgraph {graph}")
        owner = self._best([j.graph for j in candidates], type_name, [f])
        join = next(j for j in candidates if j.graph == owner)
        if join.requires:
            return self.plan_with_requires(group, graph, path, type_name, f, target, owner)
        child, fragment = self.entity_group(group, graph, path, type_name, target, owner, purpose="jump")
        return self.plan_field(child, owner, path, type_name, f, fragment, None)

    def plan_with_requires(self, group: Group, graph: str, path: tuple[str, ...], type_name: str, f: NField,
                           target: SubSelection, owner: str) -> Contributors:
        """`f` needs other fields of its object first: an `_entities` fetch to its owner
        whose representations carry the key and the required fields."""
        join = self.sg.field_join(type_name, f.name, owner)
        assert join is not None and join.requires
        child, fragment = self.entity_group(group, graph, path, type_name, target, owner, purpose="requires",
                                            requires=parse_field_set(join.requires))
        sub = fragment.add(f.key, f.name, f.arguments, f.directives, composite=f.selections is not None,
                           reserved=client_keys(f.selections))
        contributors: Contributors = {child}
        if f.selections is not None:
            assert sub.selection is not None
            contributors |= self.plan_selections(
                child, owner, self._field_path(path, type_name, f), self.sg.field_type_name(type_name, f.name),
                f.selections, sub.selection, self._child_provided(owner, type_name, f.name, None),
            )
        return contributors

    def entity_group(self, group: Group, graph: str, path: tuple[str, ...], type_name: str,
                     target: SubSelection, owner: str, *, purpose: str,
                     requires: SelectionSetNode | None = None) -> tuple[Group, SubSelection]:
        """The child group of `group` that enters `owner` at `path` for `type_name`
        (shared by every field that jumps there), with its representations planned."""
        key = self.choose_key(type_name, owner, graph)
        child = group.children.get((owner, path, purpose))
        if child is None:
            child = self._group(owner, OperationType.QUERY, path=path, entity=True, position_type=type_name)
            group.children[(owner, path, purpose)] = child
        representation, suppliers = self.plan_requirements(group, graph, path, type_name, key.selection, target)
        if requires is not None:
            required, more = self.plan_requirements(group, graph, path, type_name, requires, target)
            representation.merge(required)
            suppliers |= more
        if child in suppliers:
            raise Unplannable(f"{type_name} cannot enter {owner}: its key needs {owner} itself")
        target.typename()
        representation.add("__typename", "__typename")
        child.representations.setdefault(type_name, RepSelection()).merge(representation)
        child.representation_typenames[type_name] = type_name
        child.dependencies |= suppliers | {group}
        return child, child.selection.fragment(type_name, target.reserved)

    def choose_key(self, type_name: str, owner: str, from_graph: str) -> Key:
        keys = self.sg.resolvable_keys(type_name, owner)
        if not keys:
            raise Unplannable(f"{type_name} has no key that {owner} can resolve")

        def readable(key: Key) -> bool:
            return all(
                self.local(from_graph, type_name, s.name.value, None)
                for s in key.selection.selections if isinstance(s, FieldNode)
            )

        return next((k for k in keys if readable(k)), keys[0])

    def plan_requirements(self, group: Group, graph: str, path: tuple[str, ...], type_name: str,
                          fieldset: SelectionSetNode, target: SubSelection) -> tuple[RepSelection, Contributors]:
        """Make the fields of a key or `@requires` available at `path`, fetched from
        `graph` where it can, through jumps where it cannot. Returns where to read them."""
        representation = RepSelection()
        suppliers: Contributors = set()
        for selection in fieldset.selections:
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else type_name
                if self.sg.is_abstract(type_name):
                    target.typename()
                    for obj in self.sg.possible_types_in(graph, type_name):
                        if obj in self.sg.possible_types(condition):
                            sub_rep, more = self.plan_requirements(
                                group, graph, path, obj, selection.selection_set, target.fragment(obj))
                            representation.fragments.setdefault(obj, RepSelection()).merge(sub_rep)
                            suppliers |= more
                elif type_name in self.sg.possible_types(condition):
                    sub_rep, more = self.plan_requirements(group, graph, path, type_name,
                                                           selection.selection_set, target)
                    representation.merge(sub_rep)
                    suppliers |= more
                continue
            assert isinstance(selection, FieldNode)
            name = selection.name.value
            if name == "__typename":
                target.typename()
                representation.add("__typename", "__typename")
                suppliers.add(group)
                continue
            composite = selection.selection_set is not None
            join = self.sg.field_join(type_name, name, graph)
            if self.local(graph, type_name, name, None) and not (join and join.requires):
                sub = target.add_internal(name, tuple(selection.arguments or ()), composite=composite)
                suppliers.add(group)
                nested = None
                if composite:
                    assert sub.selection is not None and selection.selection_set is not None
                    child_type = self.sg.field_type_name(type_name, name)
                    nf = NField(name, name, (), (), type_name, child_type, [])
                    child_path = self._field_path(path, type_name, nf)
                    if self.sg.is_abstract(child_type):
                        sub.selection.typename()
                    nested, more = self.plan_requirements(group, graph, child_path, child_type,
                                                          selection.selection_set, sub.selection)
                    suppliers |= more
                representation.add(name, sub.key, nested)
                continue
            # Not available here: fetch it from another subgraph under an internal alias.
            field_type = self.sg.field_type_name(type_name, name)
            selections, nested_rep = self._internal_selections(field_type, selection.selection_set)
            internal = NField(self._internal_alias(name), name, tuple(selection.arguments or ()), (), type_name,
                              field_type, selections)
            suppliers |= self.plan_field(group, graph, path, type_name, internal, target, None)
            representation.add(name, internal.key, nested_rep)
        return representation, suppliers

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

    def finish(self, steps: list[list[Group]], variable_definitions: Sequence[VariableDefinitionNode]
               ) -> list[list[Fetch]]:
        definitions = {d.variable.name.value: d for d in variable_definitions or ()}
        empty = {g for g in self.groups if g.selection.is_empty()}
        result = []
        for step in steps:
            fetches = []
            for group in step:
                if group in empty:
                    continue
                fetches.append(self._fetch(group, definitions, empty))
            result.append(fetches)
        _check_acyclic([f for step in result for f in step])
        return result

    def _fetch(self, group: Group, definitions: dict[str, VariableDefinitionNode], empty: set[Group]) -> Fetch:
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
            depends_on=tuple(sorted(d.id for d in group.dependencies if d not in empty and d is not group)),
        )


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


def is_object(supergraph: Supergraph, type_name: str) -> bool:
    return isinstance(supergraph.schema.get_type(type_name), GraphQLObjectType)
