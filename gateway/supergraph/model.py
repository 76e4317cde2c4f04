"""The supergraph as tables the planner asks questions of.

Built from a supergraph SDL (join spec v0.3 to v0.5, as written by our
`compose`, `@apollo/composition` or `@theguild/federation-composition`).
Three schemas come out of it: the supergraph schema (planning sees every
type, `@inaccessible` included), the API schema (what clients see and what
operations are validated against) and, per subgraph, what each subgraph
knows (`SubgraphView`).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from graphql import (
    DocumentNode,
    EnumTypeDefinitionNode,
    GraphQLCompositeType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    SelectionSetNode,
    build_ast_schema,
    get_named_type,
    parse,
)

from .api_schema import build_api_schema
from .fieldset import parse_field_set
from .links import Link, directive_args, schema_links

SUPPORTED_JOIN_VERSIONS = ("v0.2", "v0.3", "v0.4", "v0.5")


class SupergraphError(Exception):
    pass


@dataclass(frozen=True)
class Key:
    graph: str
    text: str
    resolvable: bool

    @property
    def selection(self) -> SelectionSetNode:
        return parse_field_set(self.text)


@dataclass(frozen=True)
class FieldJoin:
    """How one subgraph relates to one field (a `@join__field`, or implied)."""

    graph: str
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    used_overridden: bool = False

    @property
    def resolvable(self) -> bool:
        return not self.external and not self.used_overridden


@dataclass
class TypeJoin:
    graphs: list[str] = field(default_factory=list)
    keys: dict[str, list[Key]] = field(default_factory=lambda: defaultdict(list))
    interface_object_in: set[str] = field(default_factory=set)
    extension_in: set[str] = field(default_factory=set)


class Supergraph:
    def __init__(self, document: DocumentNode, sdl: str) -> None:
        self.sdl = sdl
        self.document = document
        links = schema_links(document)
        join = next((ln for ln in links if ln.spec == "join"), None)
        if join is None:
            raise SupergraphError("not a supergraph: no @link to the join spec (https://specs.apollo.dev/join)")
        if join.version not in SUPPORTED_JOIN_VERSIONS:
            raise SupergraphError(f"join spec {join.version} is not supported (expected v0.2 to v0.5)")
        self.join = join
        inaccessible = next((ln for ln in links if ln.spec == "inaccessible"), None)
        self.inaccessible_name = inaccessible.local("inaccessible") if inaccessible else None
        self.schema: GraphQLSchema = build_ast_schema(document, assume_valid=True, assume_valid_sdl=True)
        self.graph_urls: dict[str, str] = {}
        self.graph_by_enum: dict[str, str] = {}
        self.types: dict[str, TypeJoin] = defaultdict(TypeJoin)
        self.fields: dict[tuple[str, str], list[FieldJoin]] = {}
        self.implements: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.union_members: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.enum_values: dict[str, dict[str, set[str]]] = defaultdict(dict)
        self._read_tables(document, join)
        self.api_schema: GraphQLSchema = build_api_schema(document, join, self.inaccessible_name)

    @classmethod
    def from_sdl(cls, sdl: str) -> Supergraph:
        return cls(parse(sdl), sdl)

    # --- reading ------------------------------------------------------------------------

    def _name(self, join: Link, name: str) -> str:
        return join.local(name)

    def _read_tables(self, document: DocumentNode, join: Link) -> None:
        d_graph, d_type, d_field = join.local("graph"), join.local("type"), join.local("field")
        d_impl, d_member, d_enum = join.local("implements"), join.local("unionMember"), join.local("enumValue")
        graph_enum_name = f"{join.namespace}__Graph"
        for definition in document.definitions:
            if isinstance(definition, EnumTypeDefinitionNode) and definition.name.value == graph_enum_name:
                for value in definition.values or ():
                    for directive in value.directives or ():
                        if directive.name.value == d_graph:
                            args = directive_args(directive)
                            self.graph_by_enum[value.name.value] = str(args["name"])
                            self.graph_urls[str(args["name"])] = str(args.get("url") or "")
        if not self.graph_urls:
            raise SupergraphError("the supergraph names no subgraphs (join__Graph is empty)")
        graph = self.graph_by_enum.__getitem__
        for definition in document.definitions:
            name_node = getattr(definition, "name", None)
            if name_node is None or not hasattr(definition, "directives"):
                continue
            tname = name_node.value
            for directive in definition.directives or ():
                dname = directive.name.value
                if dname == d_type:
                    args = directive_args(directive)
                    g = graph(str(args["graph"]))
                    tj = self.types[tname]
                    if g not in tj.graphs:
                        tj.graphs.append(g)
                    if args.get("key") is not None:
                        tj.keys[g].append(Key(g, str(args["key"]), bool(args.get("resolvable", True))))
                    if args.get("isInterfaceObject"):
                        tj.interface_object_in.add(g)
                    if args.get("extension"):
                        tj.extension_in.add(g)
                elif dname == d_impl:
                    args = directive_args(directive)
                    self.implements[tname][graph(str(args["graph"]))].add(str(args["interface"]))
                elif dname == d_member:
                    args = directive_args(directive)
                    self.union_members[tname][graph(str(args["graph"]))].add(str(args["member"]))
            for fdef in getattr(definition, "fields", None) or ():
                joins = []
                for directive in fdef.directives or ():
                    if directive.name.value == d_field:
                        args = directive_args(directive)
                        if args.get("graph") is None:
                            joins.append(FieldJoin(graph=""))  # inherited from an @interfaceObject
                            continue
                        joins.append(FieldJoin(
                            graph=graph(str(args["graph"])),
                            requires=args.get("requires"),  # type: ignore[arg-type]
                            provides=args.get("provides"),  # type: ignore[arg-type]
                            type=args.get("type"),  # type: ignore[arg-type]
                            external=bool(args.get("external")),
                            override=args.get("override"),  # type: ignore[arg-type]
                            used_overridden=bool(args.get("usedOverridden")),
                        ))
                if joins:
                    self.fields[(tname, fdef.name.value)] = joins
            if isinstance(definition, EnumTypeDefinitionNode):
                for value in definition.values or ():
                    graphs = {graph(str(directive_args(d)["graph"])) for d in value.directives or ()
                              if d.name.value == d_enum}
                    self.enum_values[tname][value.name.value] = graphs

    # --- questions the planner asks -------------------------------------------------------

    @cached_property
    def graph_order(self) -> list[str]:
        return list(self.graph_urls)

    def type_graphs(self, type_name: str) -> list[str]:
        return self.types[type_name].graphs if type_name in self.types else []

    def field_joins(self, type_name: str, field_name: str) -> list[FieldJoin]:
        """Every subgraph's relation to the field; without `@join__field`, every subgraph of the type has it."""
        joins = self.fields.get((type_name, field_name))
        if joins is not None:
            return [j for j in joins if j.graph]
        return [FieldJoin(graph=g) for g in self.type_graphs(type_name)]

    def field_join(self, type_name: str, field_name: str, graph: str) -> FieldJoin | None:
        return next((j for j in self.field_joins(type_name, field_name) if j.graph == graph), None)

    def keys(self, type_name: str, graph: str) -> list[Key]:
        tj = self.types.get(type_name)
        return list(tj.keys.get(graph, ())) if tj else []

    def resolvable_keys(self, type_name: str, graph: str) -> list[Key]:
        return [k for k in self.keys(type_name, graph) if k.resolvable]

    def is_entity(self, type_name: str) -> bool:
        tj = self.types.get(type_name)
        return bool(tj and any(tj.keys.values()))

    def is_interface_object(self, type_name: str, graph: str) -> bool:
        tj = self.types.get(type_name)
        return bool(tj and graph in tj.interface_object_in)

    def composite(self, type_name: str) -> GraphQLCompositeType:
        typ = self.schema.get_type(type_name)
        assert isinstance(typ, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)), type_name
        return typ

    def is_abstract(self, type_name: str) -> bool:
        return isinstance(self.schema.get_type(type_name), (GraphQLInterfaceType, GraphQLUnionType))

    def possible_types(self, type_name: str) -> list[str]:
        typ = self.schema.get_type(type_name)
        if isinstance(typ, GraphQLObjectType):
            return [type_name]
        if isinstance(typ, (GraphQLInterfaceType, GraphQLUnionType)):
            return [t.name for t in self.schema.get_possible_types(typ)]
        return []

    def possible_types_in(self, graph: str, type_name: str) -> list[str]:
        """The object types a subgraph can return where it declares `type_name`."""
        typ = self.schema.get_type(type_name)
        if isinstance(typ, GraphQLObjectType):
            return [type_name] if graph in self.type_graphs(type_name) else []
        if isinstance(typ, GraphQLUnionType):
            members = self.union_members.get(type_name)
            if members is not None:
                return [m for m in self.possible_types(type_name) if m in members.get(graph, ())]
        result = []
        for obj in self.possible_types(type_name):
            if graph not in self.type_graphs(obj):
                continue
            impls = self.implements.get(obj)
            if impls is not None and isinstance(typ, GraphQLInterfaceType) and type_name not in impls.get(graph, ()):
                continue
            result.append(obj)
        return result

    def field_type_name(self, type_name: str, field_name: str) -> str:
        """The named (unwrapped) type of a field in the supergraph."""
        if field_name == "__typename":
            return "String"
        parent = self.composite(type_name)
        assert not isinstance(parent, GraphQLUnionType)
        return get_named_type(parent.fields[field_name].type).name

    def has_field(self, type_name: str, field_name: str) -> bool:
        typ = self.schema.get_type(type_name)
        return isinstance(typ, (GraphQLObjectType, GraphQLInterfaceType)) and field_name in typ.fields
