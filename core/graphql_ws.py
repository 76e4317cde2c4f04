"""A graphql-transport-ws client: one subscription over one websocket.

Used by the gateway (subscribing to subgraphs) and by the wallet's backend
(subscribing to the gateway). Protocol:
https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

PROTOCOL = "graphql-transport-ws"
ACK_TIMEOUT_SECONDS = 10.0
PING_SECONDS = 15.0


# `extensions.replayEvent` of a subscribe message: the event envelope a subscription resolves
# once instead of listening (service tokens only; kernel/websocket.py, subgraphs/integrations).
REPLAY_EXTENSION = "replayEvent"

CLIENT_MESSAGE_TYPES = frozenset({"connection_init", "ping", "pong", "subscribe", "complete"})


class SubscriptionLost(Exception):
    """The server refused, went away or closed without completing; `code` is the
    close code when the server sent one (4403: the token is no longer accepted)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def invalid_message(message: object) -> str | None:
    """Why a decoded client frame is not a graphql-transport-ws message the server
    can act on (the reason of the 4400 close), or None when it is one. Bounded
    work: it looks at a handful of keys, never walks the payload."""
    if not isinstance(message, dict):
        return "Invalid message: not a JSON object"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "Invalid message: no type"
    if kind not in CLIENT_MESSAGE_TYPES:
        return f"Invalid message: unexpected type {kind[:40]!r}"
    payload = message.get("payload")
    if kind in ("connection_init", "ping", "pong"):
        return None if payload is None or isinstance(payload, dict) else f"Invalid {kind} payload"
    operation_id = message.get("id")
    if not isinstance(operation_id, str) or not operation_id:
        return f"Invalid {kind} message: id"
    if kind == "complete":
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "Invalid subscribe message: payload.query"
    for key in ("variables", "extensions"):
        if payload.get(key) is not None and not isinstance(payload[key], dict):
            return f"Invalid subscribe message: payload.{key}"
    if payload.get("operationName") is not None and not isinstance(payload["operationName"], str):
        return "Invalid subscribe message: payload.operationName"
    return None


def ws_url(http_url: str) -> str:
    if http_url.startswith("https://"):
        return "wss://" + http_url[len("https://"):]
    if http_url.startswith("http://"):
        return "ws://" + http_url[len("http://"):]
    return http_url


async def subscribe(url: str, document: str, variables: dict[str, Any] | None = None,
                    authorization: str | None = None, extensions: dict[str, Any] | None = None,
                    ) -> AsyncIterator[dict[str, Any]]:
    """Each `next` payload ({data, errors}); an `error` message is yielded as
    {errors} and ends the stream. Raises SubscriptionLost when the connection
    fails or closes before `complete`."""
    init: dict[str, Any] = {"Authorization": authorization} if authorization else {}
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
            payload: dict[str, Any] = {"query": document, "variables": variables or {}}
            if extensions:
                payload["extensions"] = extensions
            await ws.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": payload}).decode())
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
        raise SubscriptionLost("the server closed the connection without completing")
    except ConnectionClosed as error:
        code = error.rcvd.code if error.rcvd else None
        raise SubscriptionLost(f"the connection closed ({code or 'no code'})", code) from error
    except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as error:
        raise SubscriptionLost(error.__class__.__name__) from error
