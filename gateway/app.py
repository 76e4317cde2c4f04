"""The gateway's ASGI app: `/graphql` (HTTP and websockets), `/health`, `/ready`, `/metrics`."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from graphql import OperationType
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from core import graphiql
from core.auth import Principal, Role, bearer_token, verify_token
from core.errors import ErrorCode, LoyaltyError
from core.live_limits import OperationQuota, principal_key, seconds_left, token_expired, too_many
from core.settings import Settings

from . import http
from .execution.fetch import SubgraphClient
from .guards import gateway_limits
from .metrics import Metrics
from .operation import RequestError
from .service import Gateway
from .supergraph.model import Supergraph
from .supergraph.remote import compose_remote
from .ws import serve_websocket

log = logging.getLogger(__name__)

COMPOSE_WAIT_SECONDS = 60.0
SSE_KEEPALIVE_SECONDS = 12.0


def _json(body: dict[str, Any], status: int, media_type: str, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media_type, headers=headers)


class GatewayApp:
    """Holds the gateway once the supergraph is known (composed at startup, or from a file)."""

    def __init__(self, settings: Settings, *, supergraph_sdl: str | None = None,
                 subgraph_urls: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.supergraph_sdl = supergraph_sdl
        self.subgraph_urls = subgraph_urls
        self.gateway: Gateway | None = None
        self.metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        sdl = self.supergraph_sdl
        if sdl is None:
            urls = self.subgraph_urls or {}
            sdl = await compose_remote(urls, wait_seconds=COMPOSE_WAIT_SECONDS)
        supergraph = Supergraph.from_sdl(sdl)
        settings = self.settings
        client = SubgraphClient(supergraph.graph_urls, timeout_seconds=settings.subgraph_timeout_seconds,
                                timeouts=settings.subgraph_timeouts)
        self.gateway = Gateway(supergraph, client, introspection=settings.introspection, metrics=self.metrics,
                               limits=gateway_limits(settings),
                               document_cache_bytes=settings.gateway_document_cache_bytes,
                               plan_cache_bytes=settings.gateway_plan_cache_bytes,
                               live_quota=OperationQuota(settings.live_max_operations_per_principal))
        self.metrics.upstream_subscriptions = lambda: self.gateway.hub.upstreams if self.gateway else 0
        log.info("gateway ready with subgraphs %s", ", ".join(supergraph.graph_urls))
        try:
            yield
        finally:
            await client.close()

    async def graphql(self, request: Request) -> Response:
        if self.settings.is_dev and graphiql.wants_ide(request):
            return graphiql.page()
        media_type = http.negotiate(request.headers.get("accept"))
        if media_type is None:
            return _json({"errors": [{"message": "Accept application/graphql-response+json, application/json "
                                                 "or text/event-stream"}]}, 406, http.JSON)
        gateway = self.gateway
        if gateway is None:
            return _json({"errors": [{"message": "the gateway is starting"}]}, 503, media_type)
        started = time.perf_counter()
        kind = "unknown"
        try:
            if request.method == "GET":
                incoming = http.from_get(request.query_params)
            else:
                body = await self._body(request)
                incoming = http.from_post(request.headers, body)
            headers, principal = self._forwarded_headers(request)
            # Services (the webhooks' worker checks documents against the supergraph) may always
            # introspect; everyone else as the profile says (off in prod).
            prepared = gateway.prepare(incoming.request, introspection=self.settings.introspection or (
                principal is not None and principal.role is Role.SERVICE))
            kind = prepared.plan.kind.value
            if incoming.from_get and prepared.plan.kind is OperationType.MUTATION:
                raise http.BadRequest("mutations are never run from GET", status=405, headers={"allow": "POST"})
            if media_type == http.EVENT_STREAM:
                self.metrics.request(kind, "stream", time.perf_counter() - started)
                return self._event_stream(gateway, incoming.request, headers, prepared, principal, request)
            result = await gateway.execute(incoming.request, headers, prepared)
            if self.settings.is_dev and request.headers.get("x-debug-plan"):
                result.setdefault("extensions", {})["queryPlan"] = prepared.plan.describe()
            self.metrics.request(kind, "errors" if result.get("errors") else "ok", time.perf_counter() - started)
            return _json(result, 200, media_type)
        except http.BadRequest as e:
            self.metrics.request(kind, "bad_request", time.perf_counter() - started)
            return _json(e.body(), e.status, media_type, e.headers)
        except _Unauthenticated as e:
            self.metrics.request(kind, "unauthenticated", time.perf_counter() - started)
            return _json({"errors": [{"message": str(e), "extensions": {"code": str(ErrorCode.UNAUTHENTICATED)}}]},
                         401, media_type)
        except RequestError as e:
            self.metrics.request(kind, "request_error", time.perf_counter() - started)
            status = e.status if media_type == http.GRAPHQL_RESPONSE_JSON else (500 if e.status >= 500 else 200)
            return _json({"errors": [x.formatted for x in e.errors]}, status, media_type)
        except Exception:  # noqa: BLE001 - a client always gets a GraphQL response, never a bare 500
            log.exception("request failed")
            self.metrics.request(kind, "internal_error", time.perf_counter() - started)
            return _json({"data": None, "errors": [{"message": "Internal error",
                                                    "extensions": {"code": str(ErrorCode.INTERNAL)}}]},
                         500, media_type)

    async def _body(self, request: Request) -> bytes:
        """The body, refused as soon as it grows past the limit (a huge body is never buffered)."""
        limit = self.settings.gateway_max_body_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise http.BadRequest(f"the body is larger than {limit} bytes", status=413)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise http.BadRequest(f"the body is larger than {limit} bytes", status=413)
            chunks.append(chunk)
        return b"".join(chunks)

    def _event_stream(self, gateway: Gateway, graphql_request: Any, headers: dict[str, str], prepared: Any,
                      principal: Principal | None, request: Request) -> StreamingResponse:
        """GraphQL over Server-Sent Events (distinct connections mode): `next` events,
        then `complete`; comments keep the connection alive while nothing happens.
        The same bounds as a websocket: the principal's live operations count against
        its quota, and the stream ends (with UNAUTHENTICATED) when the token expires."""
        who = principal_key(principal, request.client.host if request.client else None)
        left = seconds_left(principal)

        async def events() -> AsyncIterator[str]:
            if not gateway.live_quota.acquire(who):
                refused = {"errors": [too_many("operationsPerPrincipal", gateway.live_quota.per_principal)]}
                yield "event: next\ndata: " + orjson.dumps(refused).decode() + "\n\n"
                yield "event: complete\ndata:\n\n"
                return
            loop = asyncio.get_running_loop()
            expires = None if left is None else loop.time() + left
            queue: asyncio.Queue[object] = asyncio.Queue(64)
            done = object()

            async def pump() -> None:
                try:
                    async for result in gateway.subscribe(graphql_request, headers, prepared):
                        await queue.put(result)
                except RequestError as e:
                    await queue.put({"errors": [x.formatted for x in e.errors]})
                finally:
                    await queue.put(done)

            task = asyncio.create_task(pump())
            self.metrics.active_subscriptions += 1
            try:
                while True:
                    wait = SSE_KEEPALIVE_SECONDS if expires is None else min(SSE_KEEPALIVE_SECONDS,
                                                                            expires - loop.time())
                    if wait <= 0:
                        yield "event: next\ndata: " + orjson.dumps({"errors": [token_expired()]}).decode() + "\n\n"
                        break
                    try:
                        item = await asyncio.wait_for(queue.get(), wait)
                    except TimeoutError:
                        yield ":\n\n"
                        continue
                    if item is done:
                        break
                    yield "event: next\ndata: " + orjson.dumps(item).decode() + "\n\n"
                yield "event: complete\ndata:\n\n"
            finally:
                self.metrics.active_subscriptions -= 1
                gateway.live_quota.release(who)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        return StreamingResponse(events(), media_type=http.EVENT_STREAM,
                                 headers={"cache-control": "no-cache", "x-accel-buffering": "no"})

    def _forwarded_headers(self, request: Request) -> tuple[dict[str, str], Principal | None]:
        """Verify the bearer token before planning; forward it to the subgraphs, which check it again."""
        authorization = request.headers.get("authorization")
        if not authorization:
            return {}, None
        try:
            token = bearer_token(authorization)
            principal = verify_token(self.settings, token) if token else None
        except LoyaltyError as e:
            raise _Unauthenticated(e.message) from e
        return {"authorization": authorization}, principal

    async def websocket(self, websocket: WebSocket) -> None:
        if self.gateway is None:
            await websocket.close(code=1013, reason="the gateway is starting")
            return
        await serve_websocket(websocket, self.gateway, self.settings)

    async def health(self, _request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(self, _request: Request) -> Response:
        if self.gateway is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ready", "subgraphs": list(self.gateway.supergraph.graph_urls)})

    async def metrics_endpoint(self, _request: Request) -> Response:
        return PlainTextResponse(self.metrics.render(), media_type="text/plain; version=0.0.4")


class _Unauthenticated(Exception):
    pass


def create_gateway_app(settings: Settings, *, supergraph_sdl: str | None = None,
                       subgraph_urls: dict[str, str] | None = None) -> Starlette:
    holder = GatewayApp(settings, supergraph_sdl=supergraph_sdl, subgraph_urls=subgraph_urls)
    app = Starlette(
        routes=[
            Route("/graphql", holder.graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", holder.websocket),
            Route("/health", holder.health),
            Route("/ready", holder.ready),
            Route("/metrics", holder.metrics_endpoint),
            *(graphiql.routes() if settings.is_dev else ()),  # GraphiQL's files, from the project
        ],
        lifespan=holder.lifespan,
    )
    app.state.holder = holder
    return app
