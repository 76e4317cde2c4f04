"""`@link` handling: which local name a spec's directive has in a schema.

A schema links a spec (`@link(url: ".../federation/v2.9", import: ["@key"])`);
imported directives keep their names (or take `as:`), the others are
namespaced (`@federation__shareable`). Fed 1 schemas have no `@link` and use
bare names.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from graphql import DocumentNode, SchemaDefinitionNode, SchemaExtensionNode, value_from_ast_untyped


@dataclass
class Link:
    url: str
    spec: str  # e.g. "federation", "join", "link", "inaccessible"
    version: str  # e.g. "v2.9"
    namespace: str  # prefix for non-imported names
    imports: dict[str, str] = field(default_factory=dict)  # canonical name -> local name

    def local(self, name: str) -> str:
        """The local directive name (without @) of the spec's directive `name`."""
        if name in self.imports:
            return self.imports[name]
        if self.spec == self.namespace and name == self.spec:
            return name  # @link, @inaccessible, @tag... a spec's own-named directive
        return f"{self.namespace}__{name}"


def parse_link(args: dict[str, object]) -> Link:
    url = str(args.get("url") or "")
    parts = url.rstrip("/").split("/")
    spec, version = (parts[-2], parts[-1]) if len(parts) >= 2 else (url, "")
    namespace = str(args.get("as") or spec)
    imports: dict[str, str] = {}
    for item in args.get("import") or []:  # type: ignore[union-attr]
        if isinstance(item, str):
            imports[item.lstrip("@")] = item.lstrip("@")
        elif isinstance(item, dict):
            imports[str(item["name"]).lstrip("@")] = str(item.get("as") or item["name"]).lstrip("@")
    return Link(url=url, spec=spec, version=version, namespace=namespace.lstrip("@"), imports=imports)


def schema_links(document: DocumentNode) -> list[Link]:
    links: list[Link] = []
    for definition in document.definitions:
        if isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
            for directive in definition.directives or ():
                if directive.name.value == "link":
                    args = {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()}
                    links.append(parse_link(args))
    return links


def directive_args(directive: object) -> dict[str, object]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()}  # type: ignore[attr-defined]
