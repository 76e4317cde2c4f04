"""Our servers keep an idle connection open longer than the gateway's pool keeps it: the
client, not the server, ends it. When the server closed first (uvicorn's 5 s default, the
pool's 60 s), a request sent on the connection as the server closed it was reset, and the
gateway answered SUBGRAPH_UNAVAILABLE (tests/integration/test_engine.py's budget race hit
it under load, about one run in three)."""
from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.serving import ServerGroup
from gateway.execution.fetch import SubgraphClient
from tests.support.net import free_port

UVICORN_DEFAULT_KEEP_ALIVE = 5.0


async def where_from(request: Request) -> JSONResponse:
    assert request.client is not None
    return JSONResponse({"data": {"port": request.client.port}})


async def test_a_pooled_connection_idle_past_uvicorns_default_is_still_served() -> None:
    port = free_port()
    servers = ServerGroup()
    servers.add(Starlette(routes=[Route("/graphql", where_from, methods=["POST"])]), "127.0.0.1", port)
    task = asyncio.create_task(servers.serve(handle_signals=False))
    await servers.started()
    client = SubgraphClient({"echo": f"http://127.0.0.1:{port}/graphql"})
    try:
        first = await client.post("echo", "{ port }", {}, {})
        await asyncio.sleep(UVICORN_DEFAULT_KEEP_ALIVE + 1)
        second = await client.post("echo", "{ port }", {}, {})
    finally:
        await client.close()
        servers.stop()
        await task
    assert second["data"]["port"] == first["data"]["port"]  # the same connection: the server kept it
