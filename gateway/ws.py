"""Clients' subscriptions over graphql-transport-ws
(https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from subgraphs.kernel.auth import bearer_token, verify_token
from subgraphs.kernel.errors import LoyaltyError
from subgraphs.kernel.settings import Settings

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


class _Session:
    def __init__(self, websocket: WebSocket, gateway: Gateway, settings: Settings) -> None:
        self.ws = websocket
        self.gateway = gateway
        self.settings = settings
        self.headers: dict[str, str] = {}
        self.operations: dict[str, asyncio.Task[None]] = {}
        self._send_lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_text(orjson.dumps(message).decode())

    async def run(self) -> None:
        keepalive: asyncio.Task[None] | None = None
        try:
            if not await self._initialise():
                return
            keepalive = asyncio.create_task(self._keepalive())
            while True:
                raw = await self.ws.receive_text()
                try:
                    message = orjson.loads(raw)
                    kind = message["type"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    await self.ws.close(code=4400, reason="Invalid message")
                    return
                if kind == "ping":
                    await self.send({"type": "pong", **({"payload": message["payload"]} if "payload" in message else {})})
                elif kind == "pong":
                    continue
                elif kind == "subscribe":
                    if not await self._subscribe(message):
                        return
                elif kind == "complete":
                    task = self.operations.pop(str(message.get("id")), None)
                    if task is not None:
                        task.cancel()
                elif kind == "connection_init":
                    await self.ws.close(code=4429, reason="Too many initialisation requests")
                    return
                else:
                    await self.ws.close(code=4400, reason=f"Unexpected message type {kind!r}")
                    return
        except (WebSocketDisconnect, WebSocketDisconnected):
            pass  # the client went away: its operations stop below
        finally:
            if keepalive is not None:
                keepalive.cancel()
            for task in self.operations.values():
                task.cancel()
            for task in list(self.operations.values()):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _initialise(self) -> bool:
        try:
            raw = await asyncio.wait_for(self.ws.receive_text(), INIT_TIMEOUT_SECONDS)
        except TimeoutError:
            await self.ws.close(code=4408, reason="Connection initialisation timeout")
            return False
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            await self.ws.close(code=4400, reason="Invalid message")
            return False
        if message.get("type") != "connection_init":
            await self.ws.close(code=4401, reason="Unauthorized")
            return False
        payload = message.get("payload") or {}
        authorization = (
            (payload.get("Authorization") or payload.get("authorization")) if isinstance(payload, dict) else None
        ) or self.ws.headers.get("authorization")
        if authorization:
            try:
                token = bearer_token(authorization)
                if token:
                    verify_token(self.settings, token)
            except LoyaltyError:
                await self.ws.close(code=4403, reason="Forbidden")
                return False
            self.headers["authorization"] = authorization
        await self.send({"type": "connection_ack"})
        return True

    async def _keepalive(self) -> None:
        with contextlib.suppress(WebSocketDisconnect, WebSocketDisconnected):
            while True:
                await asyncio.sleep(PING_SECONDS)
                await self.send({"type": "ping"})

    async def _subscribe(self, message: dict[str, Any]) -> bool:
        operation_id = message.get("id")
        payload = message.get("payload")
        if not isinstance(operation_id, str) or not isinstance(payload, dict) or not isinstance(
            payload.get("query"), str
        ):
            await self.ws.close(code=4400, reason="Invalid subscribe message")
            return False
        if operation_id in self.operations:
            await self.ws.close(code=4409, reason=f"Subscriber for {operation_id} already exists")
            return False
        request = GraphQLRequest(
            query=payload["query"],
            variables=payload.get("variables") if isinstance(payload.get("variables"), dict) else None,
            operation_name=payload.get("operationName"),
        )
        self.operations[operation_id] = asyncio.create_task(self._stream(operation_id, request))
        return True

    async def _stream(self, operation_id: str, request: GraphQLRequest) -> None:
        metrics = self.gateway.metrics
        metrics.active_subscriptions += 1
        try:
            async for result in self.gateway.subscribe(request, self.headers):
                await self.send({"id": operation_id, "type": "next", "payload": result})
            await self.send({"id": operation_id, "type": "complete"})
        except RequestError as e:
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
            self.operations.pop(operation_id, None)


def e_as_dict(error: Any) -> dict[str, Any]:
    return error.formatted if hasattr(error, "formatted") else dict(error)
