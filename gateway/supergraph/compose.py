"""Composition: subgraph SDLs (Apollo Federation v2) -> a supergraph SDL (join v0.3).

The output is the format `@apollo/composition` writes, so any federation
gateway can serve it (Hive Gateway, Apollo Gateway, ours). Composition errors
name the subgraph, the type and the field.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    StringValueNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    parse,
    print_ast,
)

from .fieldset import parse_field_set, top_level_names
from .links import Link, directive_args, schema_links

BUILTIN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})
ROOT_TYPES = ("Query", "Mutation", "Subscription")
KEPT_DIRECTIVES = frozenset({"deprecated", "specifiedBy"})


class CompositionError(Exception):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("composition failed:\n  " + "\n  ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class SubgraphSource:
    name: str
    url: str
    sdl: str


@dataclass
class _Field:
    node: FieldDefinitionNode | InputValueDefinitionNode
    external: bool = False
    shareable: bool = False
    inaccessible: bool = False
    requires: str | None = None
    provides: str | None = None
    override: str | None = None


@dataclass
class _Type:
    """One subgraph's view of a type, its extensions merged in."""

    name: str
    kind: str  # object, interface, union, enum, input, scalar
    description: StringValueNode | None = None
    keys: list[tuple[str, bool]] = field(default_factory=list)
    extension: bool = False
    shareable: bool = False
    inaccessible: bool = False
    interface_object: bool = False
    external: bool = False
    interfaces: list[str] = field(default_factory=list)
    fields: dict[str, _Field] = field(default_factory=dict)
    values: dict[str, EnumValueDefinitionNode] = field(default_factory=dict)
    value_inaccessible: set[str] = field(default_factory=set)
    members: list[str] = field(default_factory=list)
    kept_directives: list[DirectiveNode] = field(default_factory=list)


_KINDS = {
    ObjectTypeDefinitionNode: "object", ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface", InterfaceTypeExtensionNode: "interface",
    UnionTypeDefinitionNode: "union", UnionTypeExtensionNode: "union",
    EnumTypeDefinitionNode: "enum", EnumTypeExtensionNode: "enum",
    InputObjectTypeDefinitionNode: "input", InputObjectTypeExtensionNode: "input",
    ScalarTypeDefinitionNode: "scalar", ScalarTypeExtensionNode: "scalar",
}
_EXTENSIONS = (ObjectTypeExtensionNode, InterfaceTypeExtensionNode, UnionTypeExtensionNode, EnumTypeExtensionNode,
               InputObjectTypeExtensionNode, ScalarTypeExtensionNode)


def _is_internal(type_name: str) -> bool:
    return type_name.startswith(("_", "link__", "federation__", "join__")) or type_name == "FieldSet"


class _Subgraph:
    """A parsed subgraph: its types with federation directives read through @link."""

    def __init__(self, source: SubgraphSource) -> None:
        self.name = source.name
        self.url = source.url
        try:
            document = parse(source.sdl)
        except Exception as error:  # noqa: BLE001 - reported as a composition problem
            raise CompositionError([f"[{source.name}] SDL does not parse: {error}"]) from error
        links = schema_links(document)
        federation = next((ln for ln in links if ln.spec == "federation"), None)
        self.is_fed2 = federation is not None
        self._federation = federation or Link(url="", spec="federation", version="v1", namespace="",
                                              imports={})
        self.types: dict[str, _Type] = {}
        self._read(document)

    def _directive_is(self, directive: DirectiveNode, name: str) -> bool:
        local = directive.name.value
        if not self.is_fed2:
            return local == name
        return local == self._federation.local(name)

    def _find(self, directives: Iterable[DirectiveNode] | None, name: str) -> list[DirectiveNode]:
        return [d for d in directives or () if self._directive_is(d, name)]

    def _read(self, document: DocumentNode) -> None:
        for definition in document.definitions:
            kind = _KINDS.get(type(definition))
            if kind is None or _is_internal(definition.name.value):
                continue
            name = definition.name.value
            typ = self.types.setdefault(name, _Type(name=name, kind=kind))
            if typ.kind != kind:
                raise CompositionError([f"[{self.name}] type {name} is defined both as {typ.kind} and {kind}"])
            directives = definition.directives or ()
            if isinstance(definition, _EXTENSIONS) or self._find(directives, "extends"):
                typ.extension = True
            if getattr(definition, "description", None) and typ.description is None:
                typ.description = definition.description
            for key in self._find(directives, "key"):
                args = directive_args(key)
                typ.keys.append((str(args["fields"]), bool(args.get("resolvable", True))))
            typ.shareable |= bool(self._find(directives, "shareable"))
            typ.inaccessible |= bool(self._find(directives, "inaccessible"))
            typ.interface_object |= bool(self._find(directives, "interfaceObject"))
            typ.external |= bool(self._find(directives, "external"))
            typ.kept_directives += _kept(directives)
            typ.interfaces += [i.name.value for i in getattr(definition, "interfaces", None) or ()]
            typ.members += [m.name.value for m in getattr(definition, "types", None) or ()]
            for value in getattr(definition, "values", None) or ():
                if kind == "enum":
                    typ.values[value.name.value] = value
                    if self._find(value.directives, "inaccessible"):
                        typ.value_inaccessible.add(value.name.value)
            for node in getattr(definition, "fields", None) or ():
                fname = node.name.value
                if name == "Query" and fname in ("_service", "_entities"):
                    continue
                fd = node.directives or ()
                requires = self._find(fd, "requires")
                provides = self._find(fd, "provides")
                override = self._find(fd, "override")
                typ.fields[fname] = _Field(
                    node=node,
                    external=bool(self._find(fd, "external")) or typ.external,
                    shareable=bool(self._find(fd, "shareable")),
                    inaccessible=bool(self._find(fd, "inaccessible")),
                    requires=str(directive_args(requires[0])["fields"]) if requires else None,
                    provides=str(directive_args(provides[0])["fields"]) if provides else None,
                    override=str(directive_args(override[0])["from"]) if override else None,
                )
        # Key fields of an extension are not really external (Fed 1 style `extend type`):
        # the subgraph can read them from the representation it receives.
        for typ in self.types.values():
            if typ.extension:
                for key, _ in typ.keys:
                    for fname in top_level_names(key):
                        if fname in typ.fields:
                            typ.fields[fname].external = False

    def key_field_names(self, type_name: str) -> set[str]:
        typ = self.types.get(type_name)
        return {n for key, _ in typ.keys for n in top_level_names(key)} if typ else set()


# --- printing helpers ------------------------------------------------------------------


def _name(value: str) -> NameNode:
    return NameNode(value=value)


def _directive(name: str, **args: object) -> DirectiveNode:
    nodes = []
    for key, value in args.items():
        if value is None:
            continue
        if isinstance(value, bool):
            node = BooleanValueNode(value=value)
        elif isinstance(value, _Enum):
            node = EnumValueNode(value=value.value)
        else:
            node = StringValueNode(value=str(value))
        nodes.append(ArgumentNode(name=_name(key), value=node))
    return DirectiveNode(name=_name(name), arguments=tuple(nodes))


@dataclass(frozen=True)
class _Enum:
    value: str


def graph_enum_value(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name).upper()


def _kept(directives: Iterable[DirectiveNode] | None) -> tuple[DirectiveNode, ...]:
    """The directives a supergraph carries over from a subgraph element (@deprecated, @tag, ...)."""
    return tuple(d for d in directives or () if d.name.value in KEPT_DIRECTIVES)


def _nullable(type_node: TypeNode) -> TypeNode:
    return type_node.type if isinstance(type_node, NonNullTypeNode) else type_node


def _strip(type_node: TypeNode) -> str:
    """Type text without nullability anywhere: `[ID!]!` -> `[ID]`."""
    return re.sub(r"!", "", print_ast(type_node))


# --- composition -----------------------------------------------------------------------


def compose(sources: Sequence[SubgraphSource]) -> str:
    """The supergraph SDL for these subgraphs; raises CompositionError listing every problem."""
    if not sources:
        raise CompositionError(["no subgraphs to compose"])
    subgraphs = [_Subgraph(s) for s in sources]
    names = [s.name for s in subgraphs]
    if len(set(names)) != len(names):
        raise CompositionError([f"subgraph names must be unique: {names}"])
    problems: list[str] = []
    graph_of = {s.name: _Enum(graph_enum_value(s.name)) for s in subgraphs}
    type_names: list[str] = []
    for sg in subgraphs:
        for tname in sg.types:
            if tname not in type_names:
                type_names.append(tname)
    usage = _enum_usage(subgraphs)
    subtypes = _subtypes(subgraphs)
    definitions = []
    for tname in type_names:
        views = [(sg, sg.types[tname]) for sg in subgraphs if tname in sg.types]
        kinds = {t.kind for _, t in views}
        if kinds == {"interface", "object"} and all(t.interface_object for _, t in views if t.kind == "object"):
            # @interfaceObject: subgraphs that see an interface as an object type add fields
            # to it (and so to every implementation, below).
            definitions.append(_compose_object(tname, views, graph_of, problems, kind="interface", subtypes=subtypes))
            continue
        if len(kinds) > 1:
            problems.append(f"type {tname} has different kinds: " + ", ".join(f"{t.kind} in {sg.name}" for sg, t in views))
            continue
        kind = kinds.pop()
        if kind == "scalar" and tname in BUILTIN_SCALARS:
            continue
        if kind == "enum":
            definitions.append(_compose_enum(tname, views, graph_of, problems, usage.get(tname, set())))
            continue
        if kind in ("object", "interface"):
            definitions.append(_compose_object(tname, views, graph_of, problems, subtypes=subtypes))
            continue
        builder = {"input": _compose_input, "union": _compose_union, "scalar": _compose_scalar}[kind]
        definitions.append(builder(tname, views, graph_of, problems))
    definitions = _with_interface_object_fields(definitions, subgraphs, problems)
    if problems:
        raise CompositionError(problems)
    roots = [r for r in ROOT_TYPES if r in type_names]
    header = _supergraph_header(roots, subgraphs, graph_of)
    body = "\n\n".join(print_ast(d) for d in definitions)
    return header + "\n\n" + body + "\n"


def _join_type(graph: _Enum, typ: _Type) -> list[DirectiveNode]:
    extras: dict[str, object] = {}
    if typ.extension and typ.kind in ("object", "interface"):
        extras["extension"] = True
    if typ.interface_object:
        extras["isInterfaceObject"] = True
    if not typ.keys:
        return [_directive("join__type", graph=graph, **extras)]
    return [
        _directive("join__type", graph=graph, key=key, **extras, **({} if resolvable else {"resolvable": False}))
        for key, resolvable in typ.keys
    ]


def _description(views: Sequence[tuple[_Subgraph, _Type]]) -> StringValueNode | None:
    return next((t.description for _, t in views if t.description), None)


def _with_interface_object_fields(definitions: list, subgraphs: Sequence[_Subgraph], problems: list[str]) -> list:
    """Every implementation of an interface gets the fields its @interfaceObject views add,
    with a bare @join__field: no subgraph resolves them on the implementation itself; the
    gateway enters the interface object's subgraph as the interface."""
    added: dict[str, dict[str, FieldDefinitionNode]] = {}
    for sg in subgraphs:
        for typ in sg.types.values():
            if typ.kind != "object" or not typ.interface_object:
                continue
            if not any(typ.name in other.types and other.types[typ.name].kind == "interface" for other in subgraphs):
                problems.append(f"[{sg.name}] type {typ.name} is an @interfaceObject, but no subgraph defines "
                                f"interface {typ.name}")
                continue
            for fname, fdef in typ.fields.items():
                if fdef.external or fname in sg.key_field_names(typ.name):
                    continue
                node = fdef.node
                added.setdefault(typ.name, {}).setdefault(fname, FieldDefinitionNode(
                    name=node.name, description=node.description, type=node.type,
                    arguments=tuple(replace(a, directives=_kept(a.directives)) for a in node.arguments or ()),
                    directives=(_directive("join__field"),),
                ))
    if not added:
        return definitions
    out = []
    for definition in definitions:
        if isinstance(definition, ObjectTypeDefinitionNode):
            own = {f.name.value for f in definition.fields}
            extra: dict[str, FieldDefinitionNode] = {}
            for iface in definition.interfaces or ():
                for fname, node in added.get(iface.name.value, {}).items():
                    if fname not in own:
                        extra.setdefault(fname, node)
            if extra:
                definition = replace(definition, fields=tuple(definition.fields) + tuple(extra.values()))
        out.append(definition)
    return out


def _supertype(names: list[str], subtypes: dict[str, set[str]]) -> str | None:
    """The one of `names` that every other is (a member or implementation of), if any."""
    return next((n for n in names if all(o == n or o in subtypes.get(n, ()) for o in names)), None)


def _subtypes(subgraphs: Sequence[_Subgraph]) -> dict[str, set[str]]:
    """Abstract type -> its union members and implementations, across every subgraph."""
    found: dict[str, set[str]] = {}
    for sg in subgraphs:
        for typ in sg.types.values():
            for member in typ.members:
                found.setdefault(typ.name, set()).add(member)
            for iface in typ.interfaces:
                found.setdefault(iface, set()).add(typ.name)
    return found


def _compose_object(tname, views, graph_of, problems, kind=None, subtypes=None):  # noqa: ANN001, ANN202, C901, PLR0912
    directives: list[DirectiveNode] = []
    for sg, typ in views:
        directives += _join_type(graph_of[sg.name], typ)
    interfaces: list[str] = []
    for sg, typ in views:
        for iface in typ.interfaces:
            directives.append(_directive("join__implements", graph=graph_of[sg.name], interface=iface))
            if iface not in interfaces:
                interfaces.append(iface)
    if any(t.inaccessible for _, t in views):
        directives.append(_directive("inaccessible"))
    kind = kind or views[0][1].kind
    type_graphs = {sg.name for sg, _ in views}
    field_names: list[str] = []
    for _, typ in views:
        field_names += [f for f in typ.fields if f not in field_names]
    # @override: the subgraph named in `from` no longer resolves the field.
    overridden: dict[str, dict[str, str]] = {}
    for sg, typ in views:
        for fname, fdef in typ.fields.items():
            if fdef.override:
                overridden.setdefault(fname, {})[fdef.override] = sg.name
    fields = []
    for fname in field_names:
        defs = [(sg, typ.fields[fname], typ) for sg, typ in views if fname in typ.fields]
        base = defs[0][1].node
        # Output types may differ between subgraphs in nullability (the supergraph takes the
        # nullable one) and in the named type when one is a supertype of the others (a union
        # and its member, an interface and its implementation: the supergraph takes the
        # supertype); each subgraph's own type is then recorded in @join__field(type:).
        candidates = [d.node.type for _, d, _ in defs]
        shapes = {_strip(t) for t in candidates}
        if len(shapes) > 1:
            general = _supertype([_named_type(t) for t in candidates], subtypes or {})
            if general is None or len({_strip(t).replace(_named_type(t), "T") for t in candidates}) > 1:
                problems.append(
                    f"field {tname}.{fname} has incompatible types: "
                    + ", ".join(f"{print_ast(d.node.type)} in {sg.name}" for sg, d, _ in defs)
                )
                continue
            candidates = [t for t in candidates if _named_type(t) == general]
        printed = {print_ast(d.node.type) for _, d, _ in defs}
        super_type = candidates[0]
        if len(printed) > 1:
            super_type = next((t for t in candidates if not isinstance(t, NonNullTypeNode)), _nullable(super_type))
        # Arguments: those every defining subgraph accepts.
        arg_sets = [{a.name.value for a in d.node.arguments or ()} for _, d, _ in defs]
        shared_args = set.intersection(*arg_sets) if arg_sets else set()
        for sg, d, _ in defs:
            for arg in d.node.arguments or ():
                if arg.name.value not in shared_args and isinstance(arg.type, NonNullTypeNode) and arg.default_value is None:
                    problems.append(f"[{sg.name}] argument {tname}.{fname}({arg.name.value}:) is required but "
                                    "not defined in every subgraph that resolves the field")
        hidden_args = {
            a.name.value
            for sg, d, _ in defs for a in d.node.arguments or () if sg._find(a.directives, "inaccessible")
        }
        arguments = tuple(
            replace(a, directives=_kept(a.directives)
                    + ((_directive("inaccessible"),) if a.name.value in hidden_args else ()))
            for a in base.arguments or () if a.name.value in shared_args
        )
        # Shareability: a field resolved by several subgraphs must say so in each.
        from_graphs = overridden.get(fname, {})
        resolving = [(sg, d, typ) for sg, d, typ in defs if not d.external and sg.name not in from_graphs]
        if kind == "object" and len(resolving) > 1 and tname != "Subscription":
            for sg, d, typ in resolving:
                if not (d.shareable or typ.shareable or not sg.is_fed2 or fname in sg.key_field_names(tname)):
                    others = ", ".join(o.name for o, _, _ in resolving if o is not sg)
                    problems.append(f"[{sg.name}] field {tname}.{fname} is also resolved by {others}; "
                                    f"mark it @shareable in {sg.name} (and in every subgraph that resolves it)")
        join_fields: list[DirectiveNode] = []
        needs_join = {sg.name for sg, _, _ in defs} != type_graphs or len(printed) > 1 or any(
            d.external or d.requires or d.provides or d.override for _, d, _ in defs
        ) or bool(from_graphs)
        if needs_join:
            for sg, d, _ in defs:
                used_overridden = None
                if sg.name in from_graphs:
                    if fname not in sg.key_field_names(tname):
                        continue  # the override took the field away entirely
                    used_overridden = True
                join_fields.append(_directive(
                    "join__field",
                    graph=graph_of[sg.name],
                    requires=d.requires,
                    provides=d.provides,
                    type=print_ast(d.node.type) if len(printed) > 1 else None,
                    external=True if d.external else None,
                    override=d.override,
                    usedOverridden=used_overridden,
                ))
        kept = _kept(base.directives)
        inaccessible = (_directive("inaccessible"),) if any(d.inaccessible for _, d, _ in defs) else ()
        description = next((d.node.description for _, d, _ in defs if d.node.description), None)
        fields.append(FieldDefinitionNode(
            name=_name(fname), description=description, arguments=arguments, type=super_type,
            directives=kept + tuple(join_fields) + inaccessible,
        ))
    node_class = ObjectTypeDefinitionNode if kind == "object" else InterfaceTypeDefinitionNode
    return node_class(
        name=_name(tname),
        description=_description(views),
        interfaces=tuple(NamedTypeNode(name=_name(i)) for i in interfaces),
        directives=tuple(directives),
        fields=tuple(fields),
    )


def _compose_input(tname, views, graph_of, problems):  # noqa: ANN001, ANN202
    directives = [d for sg, typ in views for d in _join_type(graph_of[sg.name], typ)]
    if any(t.inaccessible for _, t in views):
        directives.append(_directive("inaccessible"))
    everywhere = set.intersection(*({f for f in t.fields} for _, t in views))
    fields = []
    for sg, typ in views:
        for fname, fdef in typ.fields.items():
            node = fdef.node
            if fname not in everywhere:
                if isinstance(node.type, NonNullTypeNode) and node.default_value is None:
                    missing = ", ".join(o.name for o, t in views if fname not in t.fields)
                    problems.append(f"[{sg.name}] input field {tname}.{fname} is required but missing in {missing}")
    for fname, fdef in views[0][1].fields.items():
        if fname in everywhere:
            node = fdef.node
            extra = (_directive("inaccessible"),) if any(t.fields[fname].inaccessible for _, t in views) else ()
            fields.append(replace(node, directives=_kept(node.directives) + extra))
    return InputObjectTypeDefinitionNode(
        name=_name(tname), description=_description(views), directives=tuple(directives), fields=tuple(fields)
    )


def _named_type(type_node: TypeNode) -> str:
    while not isinstance(type_node, NamedTypeNode):
        type_node = type_node.type  # type: ignore[attr-defined]
    return type_node.name.value


def _enum_usage(subgraphs: Sequence[_Subgraph]) -> dict[str, set[str]]:
    """Where each type is used: as an "input" (arguments, input fields), an "output", or both."""
    usage: dict[str, set[str]] = {}
    for sg in subgraphs:
        for typ in sg.types.values():
            for fdef in typ.fields.values():
                role = "input" if typ.kind == "input" else "output"
                usage.setdefault(_named_type(fdef.node.type), set()).add(role)
                for arg in getattr(fdef.node, "arguments", None) or ():
                    usage.setdefault(_named_type(arg.type), set()).add("input")
    return usage


def _compose_enum(tname, views, graph_of, problems, usage):  # noqa: ANN001, ANN202
    """Values: the union for output-only enums, the intersection for input-only ones
    (no subgraph may receive a value it does not define), identical sets when both
    (but for @inaccessible values)."""
    directives = [d for sg, typ in views for d in _join_type(graph_of[sg.name], typ)]
    if any(t.inaccessible for _, t in views):
        directives.append(_directive("inaccessible"))
    order: list[str] = []
    for _, typ in views:
        order += [v for v in typ.values if v not in order]
    value_sets = {sg.name: set(typ.values) for sg, typ in views}
    # An @inaccessible value is out of the API: no client can send it, so it need not be
    # defined everywhere (as @apollo/composition allows).
    hidden = {v for _, typ in views for v in typ.value_inaccessible}
    if usage == {"input"}:
        order = [v for v in order if all(v in values for values in value_sets.values())]
        if not order:
            problems.append(f"enum {tname} is used as an input and its subgraphs share no value")
    elif usage == {"input", "output"} and len({frozenset(v - hidden) for v in value_sets.values()}) > 1:
        problems.append(
            f"enum {tname} is used as an input and an output, so every subgraph must define the same values: "
            + "; ".join(f"{name} has {', '.join(sorted(values))}" for name, values in value_sets.items())
        )
    values = []
    for vname in order:
        defining = [(sg, t) for sg, t in views if vname in t.values]
        node = defining[0][1].values[vname]
        extra = [_directive("join__enumValue", graph=graph_of[sg.name]) for sg, _ in defining]
        if any(vname in t.value_inaccessible for _, t in defining):
            extra.append(_directive("inaccessible"))
        kept = _kept(node.directives)
        values.append(replace(node, directives=kept + tuple(extra)))
    return EnumTypeDefinitionNode(
        name=_name(tname), description=_description(views), directives=tuple(directives), values=tuple(values)
    )


def _compose_union(tname, views, graph_of, problems):  # noqa: ANN001, ANN202, ARG001
    directives = [d for sg, typ in views for d in _join_type(graph_of[sg.name], typ)]
    members: list[str] = []
    for sg, typ in views:
        for member in typ.members:
            directives.append(_directive("join__unionMember", graph=graph_of[sg.name], member=member))
            if member not in members:
                members.append(member)
    if any(t.inaccessible for _, t in views):
        directives.append(_directive("inaccessible"))
    return UnionTypeDefinitionNode(
        name=_name(tname), description=_description(views), directives=tuple(directives),
        types=tuple(NamedTypeNode(name=_name(m)) for m in members),
    )


def _compose_scalar(tname, views, graph_of, problems):  # noqa: ANN001, ANN202, ARG001
    directives = [d for sg, typ in views for d in _join_type(graph_of[sg.name], typ)]
    kept = next((t.kept_directives for _, t in views if t.kept_directives), [])
    if any(t.inaccessible for _, t in views):
        directives.append(_directive("inaccessible"))
    return ScalarTypeDefinitionNode(
        name=_name(tname), description=_description(views), directives=tuple(kept) + tuple(directives)
    )


def _supergraph_header(roots: Sequence[str], subgraphs: Sequence[_Subgraph], graph_of: dict[str, _Enum]) -> str:
    operations = "\n".join(f"  {r.lower()}: {r}" for r in roots)
    graphs = "\n".join(
        f'  {graph_of[sg.name].value} @join__graph(name: "{sg.name}", url: "{sg.url}")' for sg in subgraphs
    )
    return f'''schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
{{
{operations}
}}

directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

scalar join__FieldSet

enum join__Graph {{
{graphs}
}}

scalar link__Import

enum link__Purpose {{
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}}'''


__all__ = ["CompositionError", "SubgraphSource", "compose", "graph_enum_value", "parse_field_set"]
