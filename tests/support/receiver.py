"""A webhook receiver for tests: a real HTTP server on loopback that records every POST
(headers and body), answers with a status the test sets, and can be taken down (its port
refuses connections) and brought up again on the same port."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass, field

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.serving import ServerGroup

from .net import free_port


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes
    arrived_at: float = field(default_factory=time.monotonic)

    @property
    def event_id(self) -> str:
        return self.headers["x-loyalty-event-id"]

    @property
    def json(self) -> dict:
        return orjson.loads(self.body)

    def signed_by(self, secret: str, tolerance_seconds: int = 300) -> bool:
        """The check the README tells receivers to make, written here from the README, not
        imported: `X-Loyalty-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`."""
        parts = dict(p.split("=", 1) for p in self.headers.get("x-loyalty-signature", "").split(","))
        timestamp = int(parts["t"])
        expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + self.body, hashlib.sha256).hexdigest()
        return abs(time.time() - timestamp) <= tolerance_seconds and hmac.compare_digest(expected, parts["v1"])


@dataclass
class Receiver:
    status: int = 200
    delay_seconds: float = 0.0  # each answer takes this long (a slow receiver)
    port: int = field(default_factory=free_port)
    received: list[Delivery] = field(default_factory=list)  # every POST it took (2xx), repeats included
    refused: int = 0  # POSTs it answered with another status
    _servers: ServerGroup | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/loyalty"

    def unique(self) -> list[Delivery]:
        """What a receiver that dedupes on X-Loyalty-Event-Id keeps: each event's first arrival, in order."""
        seen: set[str] = set()
        kept = []
        for delivery in self.received:
            if delivery.event_id not in seen:
                seen.add(delivery.event_id)
                kept.append(delivery)
        return kept

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if 200 <= self.status < 300:
            self.received.append(Delivery({k.lower(): v for k, v in request.headers.items()}, body))
        else:
            self.refused += 1
        return Response(status_code=self.status)

    async def start(self) -> None:
        self._servers = ServerGroup()
        self._servers.add(Starlette(routes=[Route("/hooks/loyalty", self._hook, methods=["POST"])]),
                          "127.0.0.1", self.port)
        self._task = asyncio.create_task(self._servers.serve(handle_signals=False))
        await self._servers.started()

    async def stop(self) -> None:
        if self._servers is not None:
            self._servers.stop()
        if self._task is not None:
            await self._task
        self._servers, self._task = None, None
