from __future__ import annotations

import asyncio
import importlib
import pkgutil
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from core.serving import ServerGroup
from gateway.execution.fetch import SubgraphClient
from gateway.operation import GraphQLRequest, RequestError
from gateway.service import Gateway
from gateway.supergraph.compose import SubgraphSource, compose
from gateway.supergraph.model import Supergraph
from tests.support.net import free_port

from . import scenarios as scenario_package
from .scenario import Scenario


def all_scenarios() -> list[Scenario]:
    found: list[Scenario] = []
    for module in pkgutil.iter_modules(scenario_package.__path__):
        loaded = importlib.import_module(f"{scenario_package.__name__}.{module.name}")
        found += getattr(loaded, "SCENARIOS", [])
    return sorted(found, key=lambda s: s.name)


class Federation:
    """Every scenario's subgraphs behind one real HTTP server; a gateway per scenario."""

    def __init__(self, port: int, scenarios: list[Scenario]) -> None:
        self.port = port
        self.scenarios = {s.name: s for s in scenarios}
        self._gateways: dict[str, Gateway] = {}

    def url(self, scenario: str, subgraph: str) -> str:
        return f"http://127.0.0.1:{self.port}/{scenario}/{subgraph}"

    def gateway(self, name: str) -> Gateway:
        if name not in self._gateways:
            scenario = self.scenarios[name]
            urls = {sub: self.url(name, sub) for sub in scenario.subgraphs}
            if scenario.supergraph is not None:
                sdl = scenario.supergraph
                for sub, url in urls.items():
                    sdl = sdl.replace(f"{{url:{sub}}}", url)
            else:
                sdl = compose([SubgraphSource(sub, urls[sub], s.sdl) for sub, s in scenario.subgraphs.items()])
            supergraph = Supergraph.from_sdl(sdl)
            self._gateways[name] = Gateway(supergraph, SubgraphClient(supergraph.graph_urls, timeout_seconds=10))
        return self._gateways[name]

    async def ask(self, name: str, query: str) -> dict:
        try:
            return await self.gateway(name).execute(GraphQLRequest(query), {})
        except RequestError as e:
            return {"data": None, "errors": [x.formatted for x in e.errors]}

    async def close(self) -> None:
        for gateway in self._gateways.values():
            await gateway.client.close()


@pytest.fixture(scope="session")
async def federation() -> AsyncIterator[Federation]:
    scenarios = all_scenarios()
    routes = [Route(f"/{s.name}/{name}", sub.asgi(), methods=["POST"])
              for s in scenarios for name, sub in s.subgraphs.items()]
    port = free_port()
    servers = ServerGroup()
    servers.add(Starlette(routes=routes), "127.0.0.1", port)
    task = asyncio.create_task(servers.serve(handle_signals=False))
    await servers.started()
    running = Federation(port, scenarios)
    try:
        yield running
    finally:
        await running.close()
        servers.stop()
        await task
