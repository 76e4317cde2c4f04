"""The gateway pipeline: request -> operation -> plan -> execute -> fetch -> shape.

Each stage is a module with one job; this class wires them and owns the caches.
"""
from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute,
)
from graphql.execution.values import VariableValues

from core import graphql_ws
from core.errors import ErrorCode
from core.live_limits import TOKEN_EXPIRED_CLOSE, OperationQuota
from core.lru import ByteBoundedLRU
from core.settings import Settings

from .execution.executor import Execution
from .execution.fetch import SubgraphClient
from .execution.shape import Shaper
from .guards import Limits, check
from .metrics import Metrics
from .operation import (
    DocumentCache,
    GraphQLRequest,
    Normalizer,
    RequestError,
    coerce_variables,
    error,
    select_operation,
    variables_in_conditions,
)
from .planner import Planner, QueryPlan, Unplannable
from .subscriptions import SubscriptionHub
from .supergraph.model import Supergraph

INTROSPECTION_FIELDS = ("__schema", "__type")


@dataclasses.dataclass
class Prepared:
    plan: QueryPlan
    variables: dict[str, Any]
    document: DocumentNode
    operation: OperationDefinitionNode


# Memory a cached plan holds per character of its query text, measured with tracemalloc:
# 1 to 20 for most operations, 35 to 44 for many aliased root fields that each jump to
# other subgraphs (fetch documents, representation trees). Sizes are estimated as query
# length times this, so the budget errs on the safe side.
PLAN_BYTES_PER_CHAR = 50


class PlanCache:
    """Plans by (query, operation name, @skip/@include variable values); bounded by approximate
    bytes (query length x PLAN_BYTES_PER_CHAR), least recently used dropped first."""

    def __init__(self, max_bytes: int) -> None:
        self._plans: ByteBoundedLRU[tuple[Any, ...], QueryPlan] = ByteBoundedLRU(max_bytes)

    def get(self, key: tuple[Any, ...]) -> QueryPlan | None:
        return self._plans.get(key)

    def put(self, key: tuple[Any, ...], plan: QueryPlan) -> None:
        self._plans.put(key, plan, len(key[0]) * PLAN_BYTES_PER_CHAR)


class Gateway:
    def __init__(self, supergraph: Supergraph, client: SubgraphClient, *, document_cache_bytes: int = 64_000_000,
                 plan_cache_bytes: int = 32_000_000, introspection: bool = True, metrics: Metrics | None = None,
                 limits: Limits | None = None, live_quota: OperationQuota | None = None) -> None:
        self.supergraph = supergraph
        self.client = client
        self.introspection = introspection
        self.limits = limits or Limits()
        self.documents = DocumentCache(supergraph.api_schema, document_cache_bytes, self.limits)
        self.planner = Planner(supergraph)
        self.plans = PlanCache(plan_cache_bytes)
        self.metrics = metrics or Metrics()
        self.hub = SubscriptionHub()
        # Live operations (websocket and event stream) held per principal, across this gateway.
        self.live_quota = live_quota if live_quota is not None else OperationQuota(
            Settings.model_fields["live_max_operations_per_principal"].default)

    # --- operation + plan -----------------------------------------------------------------

    def prepare(self, request: GraphQLRequest, *, introspection: bool | None = None) -> Prepared:
        """`introspection`: allowed for this request (None: as configured for every client)."""
        document = self.documents.get(request.query)  # tokens and validation work bounded there
        operation = select_operation(document, request.operation_name)
        allowed = self.introspection if introspection is None else introspection
        if not allowed and _asks_introspection(operation.selection_set, document):
            raise RequestError([error("Introspection is disabled in this profile.",
                                      ErrorCode.GRAPHQL_VALIDATION_FAILED)])
        variables = coerce_variables(self.supergraph.api_schema, operation, request.variables)
        key = (request.query, request.operation_name,
               tuple((n, variables.coerced.get(n)) for n in variables_in_conditions(document)))
        plan = self.plans.get(key)
        self.metrics.plan_cache(hit=plan is not None)
        if plan is None:
            # Depth, aliases and cost, before anything expands the operation. A cached plan
            # passed them already: same operation, same limits (they ignore @skip/@include).
            check(self.supergraph.api_schema, document, operation, self.limits)
            plan = self._plan(document, operation, variables)
            self.plans.put(key, plan)
        return Prepared(plan, variables.coerced, document, operation)

    def _plan(self, document: DocumentNode, operation: OperationDefinitionNode, variables: VariableValues
              ) -> QueryPlan:
        root = {
            OperationType.QUERY: self.supergraph.schema.query_type,
            OperationType.MUTATION: self.supergraph.schema.mutation_type,
            OperationType.SUBSCRIPTION: self.supergraph.schema.subscription_type,
        }[operation.operation]
        assert root is not None
        selections = Normalizer(self.supergraph, document, variables).normalize(operation.selection_set, root.name)
        try:
            return self.planner.plan(
                operation.operation, root.name, selections, operation.variable_definitions,
                introspection=_asks_introspection(operation.selection_set, document),
            )
        except Unplannable as e:
            raise RequestError([error(str(e), "QUERY_PLANNING_FAILED")], status=500) from e

    # --- execution ------------------------------------------------------------------------

    async def execute(self, request: GraphQLRequest, headers: Mapping[str, str],
                      prepared: Prepared | None = None) -> dict[str, Any]:
        prepared = prepared or self.prepare(request)
        plan = prepared.plan
        if plan.kind is OperationType.SUBSCRIPTION:
            raise RequestError([error("Subscriptions need a websocket (graphql-transport-ws) or "
                                      "text/event-stream.", ErrorCode.BAD_USER_INPUT)], status=405)
        execution = Execution(self.client, prepared.variables, headers, self.metrics.observe_fetch)
        await execution.run(plan)
        if plan.introspection:
            execution.data.update(self._introspect(prepared))
        return self._shape(plan, execution)

    def _shape(self, plan: QueryPlan, execution: Execution) -> dict[str, Any]:
        data = Shaper(self.supergraph.api_schema, execution.errors, execution.nulled).response(
            plan.root_type, plan.selections, execution.data
        )
        response: dict[str, Any] = {}
        if execution.errors:
            response["errors"] = execution.errors
        response["data"] = data
        return response

    def _introspect(self, prepared: Prepared) -> dict[str, Any]:
        """__schema / __type, answered from the API schema by graphql-core."""
        operation = prepared.operation
        only = dataclasses.replace(operation, selection_set=_introspection_only(operation.selection_set,
                                                                                 prepared.document))
        fragments = [d for d in prepared.document.definitions if isinstance(d, FragmentDefinitionNode)]
        result = execute(self.supergraph.api_schema, DocumentNode(definitions=(only, *fragments)),
                         variable_values=prepared.variables)
        return result.data or {}  # type: ignore[union-attr]

    async def subscribe(self, request: GraphQLRequest, headers: Mapping[str, str],
                        prepared: Prepared | None = None) -> AsyncIterator[dict[str, Any]]:
        """Each event of a subscription, enriched by the rest of the plan and shaped;
        clients asking the same (operation, variables, identity) share one upstream."""
        prepared = prepared or self.prepare(request)
        if prepared.plan.kind is not OperationType.SUBSCRIPTION:
            yield await self.execute(request, headers, prepared)
            return
        # A replay (one recorded event resolved through this same pipeline: the outbound webhooks)
        # goes to the subgraph that owns the root field, which allows it to services only; it is
        # never shared with live subscribers (its key differs).
        replay = (request.extensions or {}).get(graphql_ws.REPLAY_EXTENSION)
        upstream_extensions = {graphql_ws.REPLAY_EXTENSION: replay} if replay is not None else None
        key = self.hub.key(request.query, request.operation_name,
                           prepared.variables if replay is None else {**prepared.variables, "$replay": replay},
                           headers.get("authorization"))
        async for result in self.hub.subscribe(key, lambda: self._upstream(prepared, headers, upstream_extensions)):
            yield result

    async def _upstream(self, prepared: Prepared, headers: Mapping[str, str],
                        extensions: dict[str, Any] | None = None) -> AsyncIterator[dict[str, Any]]:
        plan = prepared.plan
        root = next(f for f in plan.steps[0] if not f.entity)
        variables = {n: prepared.variables[n] for n in root.variable_names if n in prepared.variables}
        url = self.client.urls[root.graph]
        try:
            async for payload in graphql_ws.subscribe(url, root.document, variables, headers.get("authorization"),
                                                      extensions):
                execution = Execution(self.client, prepared.variables, headers, self.metrics.observe_fetch)
                if root.rewrites is not None:
                    root.rewrites.apply(payload.get("data"))
                execution.merge_root_result(payload, root.graph)
                await execution.run(plan, skip=frozenset({root.id}))
                yield self._shape(plan, execution)
        except graphql_ws.SubscriptionLost as e:
            if e.code == TOKEN_EXPIRED_CLOSE[0]:  # the subgraph no longer accepts the token
                raise RequestError([error("the token has expired", ErrorCode.UNAUTHENTICATED)], status=401) from e
            raise RequestError([error(f"subgraph {root.graph} is unavailable: {e}", ErrorCode.SUBGRAPH_UNAVAILABLE,
                                      serviceName=root.graph)], status=502) from e


def _asks_introspection(selection_set: SelectionSetNode, document: DocumentNode) -> bool:
    return bool(_introspection_only(selection_set, document).selections)


def _introspection_only(selection_set: SelectionSetNode, document: DocumentNode) -> SelectionSetNode:
    """The root selections that are __schema / __type (fragments followed, each once:
    spreading a fragment again adds the same fields, and following every spread of
    `fragment F0 { ...F1 ...F1 }` ... would take time exponential in the document)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    followed: set[str] = set()

    def only(selections: SelectionSetNode) -> SelectionSetNode:
        kept = []
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in INTROSPECTION_FIELDS:
                    kept.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                inner = only(selection.selection_set)
                if inner.selections:
                    kept.append(dataclasses.replace(selection, selection_set=inner))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in followed:
                    followed.add(name)
                    kept.extend(only(fragments[name].selection_set).selections)
        return SelectionSetNode(selections=tuple(kept))

    return only(selection_set)


__all__ = ["Gateway", "GraphQLError", "GraphQLRequest", "RequestError"]
