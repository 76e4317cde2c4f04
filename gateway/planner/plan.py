"""The query plan: what the executor runs, and what `loyalty plan` prints."""
from __future__ import annotations

from dataclasses import dataclass, field

from graphql import OperationType

from ..operation import NSelection
from .rewrites import Rewrite
from .selections import RepSelection


@dataclass
class Fetch:
    id: int
    graph: str
    operation_kind: OperationType
    document: str  # the subgraph operation
    variable_names: tuple[str, ...]  # client variables the document uses
    path: tuple[str, ...] = ()  # where results merge; "@" steps into list items
    entity: bool = False
    position_type: str | None = None  # the static type of the objects at `path`
    representations: dict[str, RepSelection] = field(default_factory=dict)  # entity type -> what to send
    representation_typenames: dict[str, str] = field(default_factory=dict)  # entity type -> __typename sent
    depends_on: tuple[int, ...] = ()
    rewrites: Rewrite | None = None  # aliases to rename back in the result (type conflicts)


@dataclass
class QueryPlan:
    kind: OperationType
    root_type: str
    selections: list[NSelection]  # the normalized operation, for shaping the response
    steps: list[list[Fetch]]  # run one after another; a step is a DAG (mutations: one step per root field)
    introspection: bool = False  # __schema / __type fields, answered from the API schema

    @property
    def fetches(self) -> list[Fetch]:
        return [f for step in self.steps for f in step]

    def describe(self) -> str:
        lines = [f"QueryPlan ({self.kind.value})"]
        for number, step in enumerate(self.steps, start=1):
            if len(self.steps) > 1:
                lines.append(f"  Step {number}")
            for fetch in step:
                where = "/".join(fetch.path) or "<root>"
                after = f" after {list(fetch.depends_on)}" if fetch.depends_on else ""
                lines.append(f"  Fetch #{fetch.id} {fetch.graph} at {where}{after}")
                for typename, rep in fetch.representations.items():
                    lines.append(f"    representations {typename} {rep.describe()}")
                lines += ["    " + line for line in fetch.document.splitlines()]
        return "\n".join(lines)
