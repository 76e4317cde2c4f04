"""A small GraphQL client for tests: HTTP and graphql-transport-ws through the gateway."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from core import graphql_ws


@dataclass
class Response:
    status: int
    body: dict[str, Any]

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.body.get("errors") or []

    @property
    def codes(self) -> list[str]:
        return [(e.get("extensions") or {}).get("code") for e in self.errors]

    def ok(self) -> Any:
        assert not self.errors, self.errors
        return self.data


async def post(url: str, query: str, variables: dict[str, Any] | None = None, token: str | None = None,
               headers: dict[str, str] | None = None, timeout: float = 30.0) -> Response:
    all_headers = {"accept": "application/graphql-response+json", **(headers or {})}
    if token:
        all_headers["authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(timeout=timeout) as client:
        response = await client.post(url, json={"query": query, "variables": variables or {}}, headers=all_headers)
    return Response(response.status_code, response.json())


@dataclass
class Subscription:
    """A live subscription collecting its payloads into a queue."""

    payloads: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None
    failure: BaseException | None = None

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.payloads.get(), timeout)


@contextlib.asynccontextmanager
async def subscribe(url: str, query: str, variables: dict[str, Any] | None = None,
                    token: str | None = None) -> AsyncIterator[Subscription]:
    subscription = Subscription()

    async def run() -> None:
        try:
            async for payload in graphql_ws.subscribe(url, query, variables, f"Bearer {token}" if token else None):
                await subscription.payloads.put(payload)
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # noqa: BLE001 - surfaced to the test through the queue
            subscription.failure = error
            await subscription.payloads.put({"errors": [{"message": str(error), "extensions": {"code": "LOST"}}]})

    subscription.task = asyncio.create_task(run())
    try:
        yield subscription
    finally:
        subscription.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await subscription.task
