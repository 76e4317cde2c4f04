"""Subgraph-to-subgraph GraphQL calls with a service token.

Synchronous calls between subgraphs are the exception (DESIGN.md) and always
idempotent by a key the caller passes, so a retry after a timeout is safe.
"""
from __future__ import annotations

import time
from typing import Any

import httpx
import orjson

from core.auth import Role, issue_token
from core.errors import ErrorCode, LoyaltyError, Unavailable
from core.settings import Settings


class RemoteError(LoyaltyError):
    """An error another subgraph returned, passed on with its code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        try:
            self.code = ErrorCode(code)
        except ValueError:
            self.code = ErrorCode.INTERNAL


class ServiceClient:
    TOKEN_SECONDS = 3600

    def __init__(self, settings: Settings, caller: str) -> None:
        self.settings = settings
        self.caller = caller
        self._client: httpx.AsyncClient | None = None
        self._token: tuple[str, float] | None = None

    def _service_token(self) -> str:
        from datetime import timedelta

        if self._token is None or self._token[1] < time.monotonic() + 60:
            token = issue_token(
                self.settings, f"service:{self.caller}", Role.SERVICE, ttl=timedelta(seconds=self.TOKEN_SECONDS)
            )
            self._token = (token, time.monotonic() + self.TOKEN_SECONDS)
        return self._token[0]

    async def execute(self, subgraph: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.settings.subgraph_timeout_seconds)
        try:
            response = await self._client.post(
                self.settings.subgraph_url(subgraph),
                content=orjson.dumps({"query": query, "variables": variables or {}}),
                headers={
                    "content-type": "application/json",
                    "accept": "application/graphql-response+json, application/json",
                    "authorization": f"Bearer {self._service_token()}",
                },
            )
        except httpx.HTTPError as error:
            raise Unavailable(f"the {subgraph} subgraph is unavailable: {error.__class__.__name__}") from error
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError as error:
            raise Unavailable(f"the {subgraph} subgraph answered HTTP {response.status_code}") from error
        if body.get("errors"):
            first = body["errors"][0]
            raise RemoteError(first.get("message", "error"), (first.get("extensions") or {}).get("code", "INTERNAL"))
        return body["data"]

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
