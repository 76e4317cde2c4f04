"""Upstream subscriptions: the gateway subscribes to a subgraph over graphql-transport-ws."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from .execution.fetch import SubgraphUnavailable

PROTOCOL = "graphql-transport-ws"
ACK_TIMEOUT_SECONDS = 10.0
PING_SECONDS = 15.0


def ws_url(http_url: str) -> str:
    if http_url.startswith("https://"):
        return "wss://" + http_url[len("https://"):]
    if http_url.startswith("http://"):
        return "ws://" + http_url[len("http://"):]
    return http_url


async def subscribe(graph: str, url: str, document: str, variables: dict[str, Any],
                    headers: Mapping[str, str]) -> AsyncIterator[dict[str, Any]]:
    """Each `next` payload of one upstream subscription. Ends when the subgraph
    completes; raises SubgraphUnavailable when it goes away or refuses."""
    init: dict[str, Any] = {}
    if "authorization" in headers:
        init["Authorization"] = headers["authorization"]
    try:
        async with connect(ws_url(url), subprotocols=[PROTOCOL], open_timeout=ACK_TIMEOUT_SECONDS,  # type: ignore[list-item]
                           ping_interval=PING_SECONDS, max_size=2**24) as ws:
            await ws.send(orjson.dumps({"type": "connection_init", "payload": init}).decode())
            while True:
                message = orjson.loads(await asyncio.wait_for(ws.recv(), ACK_TIMEOUT_SECONDS))
                if message.get("type") == "connection_ack":
                    break
                if message.get("type") == "ping":
                    await ws.send('{"type":"pong"}')
            await ws.send(orjson.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": document, "variables": variables}}
            ).decode())
            try:
                async for raw in ws:
                    message = orjson.loads(raw)
                    kind = message.get("type")
                    if kind == "next":
                        yield message.get("payload") or {}
                    elif kind == "error":
                        yield {"errors": message.get("payload") or [{"message": "subscription error"}]}
                        return
                    elif kind == "complete":
                        return
                    elif kind == "ping":
                        await ws.send('{"type":"pong"}')
            finally:
                with contextlib.suppress(Exception):
                    await ws.send('{"id":"1","type":"complete"}')
        raise SubgraphUnavailable(graph, "closed the subscription")
    except ConnectionClosed as error:
        raise SubgraphUnavailable(graph, f"closed the subscription ({error.rcvd.code if error.rcvd else 'no code'})") from error
    except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as error:
        raise SubgraphUnavailable(graph, error.__class__.__name__) from error
