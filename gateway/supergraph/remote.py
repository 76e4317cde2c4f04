"""Fetch each subgraph's SDL (`_service { sdl }`) and compose them."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import httpx

from .compose import SubgraphSource, compose

SERVICE_QUERY = "{ _service { sdl } }"


async def fetch_sdl(client: httpx.AsyncClient, url: str) -> str:
    response = await client.post(url, json={"query": SERVICE_QUERY})
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(f"{url}: {body['errors'][0].get('message')}")
    return body["data"]["_service"]["sdl"]


async def fetch_sources(urls: Mapping[str, str], *, wait_seconds: float = 0.0) -> list[SubgraphSource]:
    """Every subgraph's SDL; waits up to `wait_seconds` for subgraphs that are still starting."""
    deadline = time.monotonic() + wait_seconds
    sources: dict[str, SubgraphSource] = {}
    async with httpx.AsyncClient(timeout=10.0) as client:
        while True:
            failures: list[str] = []
            for name, url in urls.items():
                if name in sources:
                    continue
                try:
                    sources[name] = SubgraphSource(name, url, await fetch_sdl(client, url))
                except (httpx.HTTPError, RuntimeError, KeyError) as error:
                    failures.append(f"{name} at {url}: {error.__class__.__name__}: {error}")
            if not failures:
                return [sources[name] for name in urls]
            if time.monotonic() >= deadline:
                raise ConnectionError("cannot read subgraph schemas:\n  " + "\n  ".join(failures))
            await asyncio.sleep(0.25)


async def compose_remote(urls: Mapping[str, str], *, wait_seconds: float = 0.0) -> str:
    return compose(await fetch_sources(urls, wait_seconds=wait_seconds))
