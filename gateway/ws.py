"""Clients' subscriptions over graphql-transport-ws
(https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md).

Every frame is checked before it is acted on (anything else closes the socket
with 4400); a connection holds at most `live_max_operations_per_connection`
operations and its principal at most `live_max_operations_per_principal`
across the gateway (an operation beyond is refused with an `error` message);
and the socket closes with 4403 when the token it was opened with expires.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from core.auth import Principal, bearer_token, verify_token
from core.errors import LoyaltyError
from core.graphql_ws import invalid_message
from core.live_limits import (
    TOKEN_EXPIRED_CLOSE,
    OperationQuota,
    principal_key,
    seconds_left,
    too_many,
)
from core.settings import Settings

from .operation import GraphQLRequest, RequestError
from .service import Gateway

log = logging.getLogger(__name__)

PROTOCOL = "graphql-transport-ws"
INIT_TIMEOUT_SECONDS = 10.0
PING_SECONDS = 15.0


async def serve_websocket(websocket: WebSocket, gateway: Gateway, settings: Settings) -> None:
    requested = websocket.scope.get("subprotocols") or []
    if PROTOCOL not in requested:
        await websocket.close(code=4406, reason="Subprotocol not acceptable")
        return
    await websocket.accept(subprotocol=PROTOCOL)
    session = _Session(websocket, gateway, settings)
    await session.run()


class _Closed(Exception):
    """This side closed the socket (a protocol violation, the token expired): stop reading."""


class _Session:
    def __init__(self, websocket: WebSocket, gateway: Gateway, settings: Settings) -> None:
        self.ws = websocket
        self.gateway = gateway
        self.settings = settings
        self.quota: OperationQuota = gateway.live_quota
        self.headers: dict[str, str] = {}
        self.principal: Principal | None = None
        self.who = ""  # the principal's quota key, known after connection_init
        self.operations: dict[str, asyncio.Task[None]] = {}
        self._send_lock = asyncio.Lock()
        self._closed = False

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            if self._closed:
                raise WebSocketDisconnected()
            await self.ws.send_text(orjson.dumps(message).decode())

    async def close(self, code: int, reason: str) -> None:
        """Close once; operations stop first, so none writes to a closed socket."""
        if self._closed:
            return
        self._closed = True
        self._stop_operations()
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, reason=reason)

    async def receive(self) -> dict[str, Any]:
        """The next valid message; any other frame (binary, not JSON, not a message) closes with 4400."""
        frame = await self.ws.receive()
        if frame["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(frame.get("code", 1000))
        if self._closed:
            raise _Closed  # sent before the client saw our close: nothing to act on
        text = frame.get("text")
        if text is None:
            await self.close(4400, "Invalid message: binary frames are not part of graphql-transport-ws")
            raise _Closed
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            message = None
        problem = invalid_message(message)
        if problem is not None:
            await self.close(4400, problem)
            raise _Closed
        return message  # type: ignore[return-value]

    async def run(self) -> None:
        background: list[asyncio.Task[None]] = []
        try:
            if not await self._initialise():
                return
            background.append(asyncio.create_task(self._keepalive()))
            left = seconds_left(self.principal)
            if left is not None:
                background.append(asyncio.create_task(self._close_at_expiry(left)))
            while True:
                message = await self.receive()
                kind = message["type"]
                if kind == "ping":
                    await self.send({"type": "pong", **({"payload": message["payload"]} if "payload" in message else {})})
                elif kind == "pong":
                    continue
                elif kind == "subscribe":
                    await self._subscribe(message)
                elif kind == "complete":
                    task = self.operations.pop(message["id"], None)
                    if task is not None:
                        task.cancel()
                else:  # connection_init, again
                    await self.close(4429, "Too many initialisation requests")
                    return
        except (WebSocketDisconnect, WebSocketDisconnected, _Closed):
            pass  # the client went away, or was sent away: its operations stop below
        finally:
            for task in background:
                task.cancel()
            tasks = self._stop_operations()
            for task in (*background, *tasks):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def _stop_operations(self) -> list[asyncio.Task[None]]:
        tasks = list(self.operations.values())
        self.operations.clear()
        for task in tasks:
            task.cancel()
        return tasks

    async def _initialise(self) -> bool:
        try:
            message = await asyncio.wait_for(self.receive(), INIT_TIMEOUT_SECONDS)
        except TimeoutError:
            await self.close(4408, "Connection initialisation timeout")
            return False
        if message["type"] != "connection_init":
            await self.close(4401, "Unauthorized")
            return False
        payload = message.get("payload") or {}
        authorization = payload.get("Authorization") or payload.get("authorization") or \
            self.ws.headers.get("authorization")
        if authorization:
            try:
                token = bearer_token(str(authorization))
                self.principal = verify_token(self.settings, token) if token else None
            except LoyaltyError:
                await self.close(4403, "Forbidden")
                return False
            self.headers["authorization"] = str(authorization)
        client = self.ws.client
        self.who = principal_key(self.principal, client.host if client else None)
        await self.send({"type": "connection_ack"})
        return True

    async def _keepalive(self) -> None:
        with contextlib.suppress(WebSocketDisconnect, WebSocketDisconnected):
            while True:
                await asyncio.sleep(PING_SECONDS)
                await self.send({"type": "ping"})

    async def _close_at_expiry(self, seconds: float) -> None:
        """The token this connection was opened with stops being accepted: so does the connection."""
        await asyncio.sleep(max(0.0, seconds))
        await self.close(*TOKEN_EXPIRED_CLOSE)  # the client's answering close frame ends run()

    async def _subscribe(self, message: dict[str, Any]) -> None:
        operation_id: str = message["id"]
        payload: dict[str, Any] = message["payload"]
        if operation_id in self.operations:
            await self.close(4409, f"Subscriber for {operation_id[:60]} already exists")
            raise _Closed
        limit = self.settings.live_max_operations_per_connection
        if len(self.operations) >= limit:
            await self.send({"id": operation_id, "type": "error",
                             "payload": [too_many("operationsPerConnection", limit)]})
            return
        if not self.quota.acquire(self.who):
            await self.send({"id": operation_id, "type": "error",
                             "payload": [too_many("operationsPerPrincipal", self.quota.per_principal)]})
            return
        request = GraphQLRequest(query=payload["query"], variables=payload.get("variables"),
                                 operation_name=payload.get("operationName"), extensions=payload.get("extensions"))
        task = asyncio.create_task(self._stream(operation_id, request))
        self.operations[operation_id] = task
        # Done callbacks run even for a task cancelled before it started (a `complete` right
        # after `subscribe`), when a `finally` in _stream would not: nothing is held for nothing.
        task.add_done_callback(lambda done: self._operation_done(operation_id, done))

    def _operation_done(self, operation_id: str, task: asyncio.Task[None]) -> None:
        self.quota.release(self.who)
        if self.operations.get(operation_id) is task:
            del self.operations[operation_id]

    async def _stream(self, operation_id: str, request: GraphQLRequest) -> None:
        metrics = self.gateway.metrics
        metrics.active_subscriptions += 1
        try:
            async for result in self.gateway.subscribe(request, self.headers):
                await self.send({"id": operation_id, "type": "next", "payload": result})
            await self.send({"id": operation_id, "type": "complete"})
        except RequestError as e:
            with contextlib.suppress(WebSocketDisconnect, WebSocketDisconnected):
                await self.send({"id": operation_id, "type": "error", "payload": [e_as_dict(x) for x in e.errors]})
        except asyncio.CancelledError:
            raise
        except (WebSocketDisconnect, WebSocketDisconnected):
            pass  # nobody left to tell
        except Exception:  # noqa: BLE001 - a client always hears how its operation ended
            log.exception("subscription %s failed", operation_id)
            with contextlib.suppress(Exception):
                await self.send({"id": operation_id, "type": "error",
                                 "payload": [{"message": "Internal error", "extensions": {"code": "INTERNAL"}}]})
        finally:
            metrics.active_subscriptions -= 1


def e_as_dict(error: Any) -> dict[str, Any]:
    return error.formatted if hasattr(error, "formatted") else dict(error)
