"""Subgraph fetches over HTTP: pooled keep-alive connections (aiohttp), orjson,
per-subgraph timeouts. Transport failures become `SubgraphUnavailable`."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson

from core.serving import CLIENT_KEEP_ALIVE_SECONDS


class SubgraphUnavailable(Exception):
    def __init__(self, graph: str, reason: str) -> None:
        super().__init__(f"subgraph {graph} is unavailable: {reason}")
        self.graph = graph
        self.reason = reason


class SubgraphClient:
    def __init__(self, urls: Mapping[str, str], *, timeout_seconds: float = 10.0,
                 timeouts: Mapping[str, float] | None = None, pool_size: int = 256) -> None:
        self.urls = dict(urls)
        self.timeout_seconds = timeout_seconds
        self.timeouts = dict(timeouts or {})
        self.pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.pool_size, keepalive_timeout=CLIENT_KEEP_ALIVE_SECONDS, ttl_dns_cache=300),
                json_serialize=lambda v: orjson.dumps(v).decode(),
            )
        return self._session

    async def post(self, graph: str, document: str, variables: dict[str, Any],
                   headers: Mapping[str, str]) -> dict[str, Any]:
        url = self.urls.get(graph)
        if not url:
            raise SubgraphUnavailable(graph, "no URL is configured")
        body = orjson.dumps({"query": document, "variables": variables})
        timeout = aiohttp.ClientTimeout(total=self.timeouts.get(graph, self.timeout_seconds))
        try:
            async with self._client().post(
                url, data=body, timeout=timeout,
                headers={"content-type": "application/json",
                         "accept": "application/graphql-response+json, application/json", **headers},
            ) as response:
                raw = await response.read()
                status = response.status
        except TimeoutError:
            raise SubgraphUnavailable(graph, "timed out") from None
        except aiohttp.ClientError as error:
            raise SubgraphUnavailable(graph, error.__class__.__name__) from error
        try:
            result = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise SubgraphUnavailable(graph, f"answered HTTP {status} without a GraphQL body") from None
        if not isinstance(result, dict):
            raise SubgraphUnavailable(graph, "answered with a body that is not a GraphQL response")
        return result

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
