"""The supergraph, as any client sees it: through the gateway, over the network.

- `api_schema`: the supergraph's API schema by introspection (a service token may
  introspect in every profile), kept for a minute, to check webhook documents.
- `replay`: one recorded event through the gateway's subscription pipeline
  (`extensions.replayEvent`, core/graphql_ws.py): the subgraph that owns the root
  field resolves that event instead of listening, the gateway enriches it with
  entity fetches as for any subscriber, and the result is what a websocket
  subscriber of the document got for the event.
"""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
import orjson
from graphql import GraphQLSchema, build_client_schema, get_introspection_query

from core import graphql_ws
from core.auth import Role, issue_token
from core.errors import Unavailable
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime

SCHEMA_SECONDS = 60.0
TOKEN_SECONDS = 3600
MAX_RESULTS = 4  # a replay yields one result; more would be a misbehaving subgraph


def service_authorization(runtime: Runtime) -> str:
    cached = runtime.cache.get("integrations:token")
    now = time.monotonic()
    if not isinstance(cached, tuple) or cached[1] < now + 60:
        token = issue_token(runtime.settings, "service:integrations", Role.SERVICE,
                            ttl=timedelta(seconds=TOKEN_SECONDS))
        cached = (f"Bearer {token}", now + TOKEN_SECONDS)
        runtime.cache["integrations:token"] = cached
    return cached[0]


async def api_schema(runtime: Runtime) -> GraphQLSchema:
    cached = runtime.cache.get("integrations:schema")
    if isinstance(cached, tuple) and cached[1] > time.monotonic():
        return cached[0]
    try:
        async with httpx.AsyncClient(timeout=runtime.settings.webhook_timeout_seconds) as client:
            response = await client.post(
                runtime.settings.gateway_http_url(),
                content=orjson.dumps({"query": get_introspection_query(descriptions=False)}),
                headers={"content-type": "application/json", "accept": "application/json",
                         "authorization": service_authorization(runtime)})
        body = orjson.loads(response.content)
        schema = build_client_schema(body["data"])
    except (httpx.HTTPError, orjson.JSONDecodeError, KeyError, TypeError) as error:
        raise Unavailable("the gateway cannot tell the supergraph's schema right now; try again shortly") from error
    runtime.cache["integrations:schema"] = (schema, time.monotonic() + SCHEMA_SECONDS)
    return schema


async def replay(runtime: Runtime, document: str, event: Event) -> dict[str, Any] | None:
    """The document's result for this event, or None when the event gives it none (the
    subscription completed without a result). Raises Unavailable when the gateway (or
    the subgraph behind it) cannot be reached: our side, not the receiver's."""
    results: list[dict[str, Any]] = []
    extensions = {graphql_ws.REPLAY_EXTENSION: orjson.loads(event.to_json())}
    try:
        async with asyncio.timeout(runtime.settings.webhook_timeout_seconds):
            async for result in graphql_ws.subscribe(runtime.settings.gateway_http_url(), document, None,
                                                     service_authorization(runtime), extensions):
                results.append(result)
                if len(results) >= MAX_RESULTS:
                    break
    except (graphql_ws.SubscriptionLost, TimeoutError) as error:
        raise Unavailable(f"the gateway could not replay the event: {error}") from error
    if results and _unavailable(results[0]):
        raise Unavailable("the gateway could not replay the event: a subgraph is unavailable")
    return results[0] if results else None


def _unavailable(result: dict[str, Any]) -> bool:
    """An error-only result saying a subgraph could not be reached is ours to retry, not a payload."""
    errors = result.get("errors") or []
    return result.get("data") is None and any(
        (e.get("extensions") or {}).get("code") == "SUBGRAPH_UNAVAILABLE" for e in errors if isinstance(e, dict))
