"""A federation scenario: subgraphs (SDL + data) and the queries a gateway must answer."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .subgraph import Subgraph


@dataclass
class Case:
    query: str
    data: Any  # the expected `data`, exactly (null included)
    errors: bool | None = None  # True / False: errors must be there / absent; None: not checked


@dataclass
class Scenario:
    """`supergraph`: a supergraph SDL to serve instead of composing the subgraphs with
    our composer (for shapes composition writes that these SDLs cannot produce)."""

    name: str
    subgraphs: dict[str, Subgraph]
    cases: list[Case]
    supergraph: str | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


FED2 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", '
    'import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@override", '
    '"@interfaceObject", "@extends", "@tag"])\n'
)
