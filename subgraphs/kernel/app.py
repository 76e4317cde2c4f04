"""The ASGI app of one subgraph: `/graphql` (HTTP and graphql-transport-ws) and `/health`."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from core import graphiql
from core.live_limits import OperationQuota

from .graphql import RequestContext
from .limits import BodySizeLimit, subgraph_max_body_bytes
from .metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from .runtime import Runtime
from .websocket import SubgraphTransportWS, check_connection


class SubgraphGraphQL(GraphQL):
    graphql_transport_ws_handler_class = SubgraphTransportWS

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(
            runtime.spec.schema,
            graphql_ide=None,  # Strawberry's page loads GraphiQL from a CDN: core.graphiql serves ours (dev)
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            keep_alive=True,
            keep_alive_interval=15,
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=runtime.settings.live_max_operations_per_connection,
        )
        self.runtime = runtime
        self.live_quota = OperationQuota(runtime.settings.live_max_operations_per_principal)

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> RequestContext:
        return RequestContext(self.runtime, request)

    async def on_ws_connect(self, context: RequestContext) -> UnsetType:
        check_connection(context)
        return UNSET  # a plain connection_ack


def create_subgraph_app(runtime: Runtime) -> Starlette:
    graphql_app = SubgraphGraphQL(runtime)

    async def health(_: Request) -> JSONResponse:
        try:
            async with runtime.db.reading() as connection:
                await connection.execute(sa.text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - health reports, never raises
            return JSONResponse({"status": "down", "subgraph": runtime.name, "error": str(error)}, status_code=503)
        return JSONResponse({"status": "ok", "subgraph": runtime.name})

    async def metrics(_: Request) -> Response:
        return Response(runtime.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    dev = runtime.settings.is_dev
    app = Starlette(
        routes=[
            Route("/health", health),
            Route("/metrics", metrics),
            Route("/graphql", graphiql.WithIDE(graphql_app) if dev else graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            *(graphiql.routes() if dev else ()),  # GraphiQL's files, from the project
        ],
        middleware=[Middleware(BodySizeLimit, max_bytes=subgraph_max_body_bytes(runtime.settings))],
    )
    app.state.graphql = graphql_app
    return app
