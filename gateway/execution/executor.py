"""Running a query plan: fetches in dependency order (independent ones in
parallel), one `_entities` call per fetch with deduplicated representations,
subgraph JSON merged straight into one response tree."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from graphql import OperationType

from core.errors import ErrorCode

from ..planner.plan import Fetch, QueryPlan
from ..planner.selections import RepSelection
from .fetch import SubgraphClient, SubgraphUnavailable
from .merge import Where, deep_merge, flatten, objects_at

FetchObserver = Callable[[str, float], None]  # (subgraph, seconds): for metrics


class _Missing(Exception):
    """A representation needs a value the response does not have."""


def _read(obj: dict[str, Any], selection: RepSelection, typename: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in selection.fields:
        if f.name == "__typename":
            out["__typename"] = obj.get("__typename") or typename
            continue
        if f.read_key not in obj:
            raise _Missing(f.read_key)
        value = obj[f.read_key]
        if f.selection is not None and value is not None:
            value = _read_nested(value, f.selection)
        out[f.name] = value
    concrete = obj.get("__typename") or typename
    if selection.fragments:
        # A value read through type conditions says which type it is: the receiving
        # subgraph could not tell a DayPass from a SeasonPass otherwise.
        if concrete:
            out.setdefault("__typename", concrete)
        if concrete in selection.fragments:
            out.update(_read(obj, selection.fragments[concrete], concrete))
    return out


def _read_nested(value: Any, selection: RepSelection) -> Any:
    if isinstance(value, list):
        return [_read_nested(v, selection) if v is not None else None for v in value]
    if isinstance(value, dict):
        return _read(value, selection, value.get("__typename", ""))
    return value


def representation(obj: dict[str, Any], fetch: Fetch) -> dict[str, Any] | None:
    typename = obj.get("__typename") or fetch.position_type
    selection = fetch.representations.get(typename or "")
    if selection is None:
        return None
    try:
        rep = _read(obj, selection, typename)  # type: ignore[arg-type]
    except _Missing:
        return None  # e.g. the object came back null from an earlier fetch: nothing to enter with
    rep["__typename"] = fetch.representation_typenames.get(typename, typename)  # type: ignore[arg-type]
    return rep


class Execution:
    """One run of a plan: the response tree and the errors gathered on the way."""

    def __init__(self, client: SubgraphClient, variables: dict[str, Any], headers: Mapping[str, str],
                 observe: FetchObserver | None = None) -> None:
        self.client = client
        self.variables = variables
        self.headers = headers
        self.observe = observe
        self.data: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []
        # Response paths of objects a subgraph nulled: its `_entities` item came back null with
        # an error inside it (a non-null field failed and the null reached the entity). The
        # shaper carries that null on to the nearest nullable field; the error is already here.
        self.nulled: set[tuple[str | int, ...]] = set()

    async def run(self, plan: QueryPlan, *, skip: frozenset[int] = frozenset()) -> None:
        for step in plan.steps:
            await self._run_step([f for f in step if f.id not in skip], skip)

    async def _run_step(self, fetches: list[Fetch], done_before: frozenset[int]) -> None:
        finished = {f.id: asyncio.Event() for f in fetches}

        async def run_one(fetch: Fetch) -> None:
            try:
                for dep in fetch.depends_on:
                    if dep in finished and dep not in done_before:
                        await finished[dep].wait()
                if fetch.entity:
                    await self._entities(fetch)
                else:
                    await self._root(fetch)
            finally:
                finished[fetch.id].set()

        if len(fetches) == 1:
            await run_one(fetches[0])
        else:
            await asyncio.gather(*(run_one(f) for f in fetches))

    def _variables(self, fetch: Fetch) -> dict[str, Any]:
        return {name: self.variables[name] for name in fetch.variable_names if name in self.variables}

    async def _post(self, fetch: Fetch, variables: dict[str, Any]) -> dict[str, Any] | None:
        started = time.perf_counter()
        try:
            return await self.client.post(fetch.graph, fetch.document, variables, self.headers)
        except SubgraphUnavailable as error:
            path = None if not fetch.path else [p for p in fetch.path if p != "@"][:1]
            self.errors.append({
                "message": str(error),
                **({"path": path} if path else {}),
                "extensions": {"code": str(ErrorCode.SUBGRAPH_UNAVAILABLE), "serviceName": fetch.graph},
            })
            return None
        finally:
            if self.observe is not None:
                self.observe(fetch.graph, time.perf_counter() - started)

    async def _root(self, fetch: Fetch) -> None:
        result = await self._post(fetch, self._variables(fetch))
        if result is None:
            return
        if fetch.rewrites is not None:
            fetch.rewrites.apply(result.get("data"))
        self.merge_root_result(result, fetch.graph)

    def merge_root_result(self, result: dict[str, Any], graph: str) -> None:
        if isinstance(result.get("data"), dict):
            deep_merge(self.data, result["data"])
        for error in result.get("errors") or ():
            self.errors.append(_passed_on(error, error.get("path"), graph))

    async def _entities(self, fetch: Fetch) -> None:
        representations: list[dict[str, Any]] = []
        targets: list[list[tuple[dict[str, Any], Where]]] = []
        index: dict[bytes, int] = {}
        for obj, where in objects_at(self.data, fetch.path):
            rep = representation(obj, fetch)
            if rep is None:
                continue
            key = orjson.dumps(rep, option=orjson.OPT_SORT_KEYS)
            i = index.get(key)
            if i is None:
                i = index[key] = len(representations)
                representations.append(rep)
                targets.append([])
            targets[i].append((obj, where))
        if not representations:
            return
        result = await self._post(fetch, {"representations": representations, **self._variables(fetch)})
        if result is None:
            return
        entities = (result.get("data") or {}).get("_entities")
        if fetch.rewrites is not None:
            fetch.rewrites.apply(entities)
        if isinstance(entities, list):
            for i, entity in enumerate(entities[: len(targets)]):
                if isinstance(entity, dict):
                    for obj, _ in targets[i]:
                        deep_merge(obj, entity)
        for error in result.get("errors") or ():
            path = error.get("path")
            if isinstance(path, list) and len(path) >= 2 and path[0] == "_entities" and isinstance(path[1], int) \
                    and path[1] < len(targets):
                item_nulled = isinstance(entities, list) and path[1] < len(entities) and entities[path[1]] is None
                for _, where in targets[path[1]]:
                    self.errors.append(_passed_on(error, [*flatten(where), *path[2:]], fetch.graph))
                    if item_nulled:
                        self.nulled.add(flatten(where))
            else:
                first = flatten(targets[0][0][1]) if targets else ()
                self.errors.append(_passed_on(error, list(first) or None, fetch.graph))


def _passed_on(error: dict[str, Any], path: Any, graph: str) -> dict[str, Any]:
    out: dict[str, Any] = {"message": error.get("message", "subgraph error")}
    if path:
        out["path"] = list(path)
    extensions = dict(error.get("extensions") or {})
    extensions.setdefault("code", str(ErrorCode.INTERNAL))
    extensions.setdefault("serviceName", graph)
    out["extensions"] = extensions
    return out


def is_subscription(plan: QueryPlan) -> bool:
    return plan.kind is OperationType.SUBSCRIPTION
