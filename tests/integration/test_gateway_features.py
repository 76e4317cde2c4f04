"""The gateway's guards, GraphQL over SSE, shared upstream subscriptions, timeouts
and what a client hears when a subgraph goes away."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from core.auth import Role
from core.serving import ServerGroup
from core.settings import SUBGRAPHS, Settings
from gateway.app import create_gateway_app
from gateway.supergraph.compose import SubgraphSource, compose
from subgraphs.kernel.host import SubgraphHost, load_spec
from tests.federation.scenario import FED2
from tests.federation.subgraph import Subgraph
from tests.support.graphql import post, subscribe
from tests.support.net import free_port
from tests.support.stack import Stack

WALLET = "subscription($m: ID!) { walletUpdated(memberId: $m) { entry { points reference } } }"
CAP = [{"sku": "CAP-TRAIL", "quantity": 1, "unitPrice": "29.00"}]


@contextlib.asynccontextmanager
async def gateway(settings: Settings, *, sdl: str | None = None, urls: dict[str, str] | None = None
                  ) -> AsyncIterator[str]:
    """Another gateway of ours, with its own settings, on a free port."""
    port = free_port()
    servers = ServerGroup()
    servers.add(create_gateway_app(settings, supergraph_sdl=sdl, subgraph_urls=urls), "127.0.0.1", port,
                lifespan="on")
    task = asyncio.create_task(servers.serve(handle_signals=False))
    await servers.started()
    try:
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        servers.stop()
        await task


def subgraph_urls(stack: Stack) -> dict[str, str]:
    return {name: stack.settings.subgraph_url(name) for name in SUBGRAPHS}


async def metric(url: str, name: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(url.replace("/graphql", "/metrics"))).text
    return float(next(line.split()[1] for line in text.splitlines() if line.startswith(name + " ")))


# --- guards -----------------------------------------------------------------------------------


async def test_depth_alias_cost_and_body_limits(stack: Stack) -> None:
    strict = stack.settings.model_copy(update={"gateway_max_depth": 3, "gateway_max_aliases": 2,
                                                "gateway_max_cost": 50, "gateway_max_body_bytes": 2000})
    async with gateway(strict, urls=subgraph_urls(stack)) as url:
        deep = await post(url, '{ product(sku: "CAP-TRAIL") { stock(storeId: "st_portland") { store { name } } } }')
        assert deep.codes == ["BAD_USER_INPUT"] and deep.errors[0]["extensions"]["limit"] == "depth"
        assert deep.data is None
        aliased = await post(url, "{ a: stores { id } b: stores { id } c: stores { id } }")
        assert aliased.errors[0]["extensions"] | {"maximum": 2} == {"code": "BAD_USER_INPUT", "limit": "aliases",
                                                                      "actual": 3, "maximum": 2}
        costly = await post(url, "{ stores { id name city } tiers { name benefits threshold multiplier } }")
        assert costly.errors[0]["extensions"]["limit"] == "cost"
        fine = await post(url, "{ stores { id } }")
        assert fine.errors == [] and {"id": "st_denver"} in fine.data["stores"]
        async with httpx.AsyncClient() as client:
            big = await client.post(url, content=orjson.dumps({"query": "{ stores { id } }", "pad": "x" * 5000}),
                                    headers={"content-type": "application/json"})
        assert big.status_code == 413


async def test_introspection_is_off_in_the_prod_profile(stack: Stack) -> None:
    prod = stack.settings.model_copy(update={"env": "prod", "jwt_secret": "a-real-secret-for-this-test"})
    async with gateway(prod, urls=subgraph_urls(stack)) as url:
        response = await post(url, "{ __schema { queryType { name } } }")
        assert response.codes == ["GRAPHQL_VALIDATION_FAILED"] and response.data is None
        async with httpx.AsyncClient() as client:
            page = await client.get(url, headers={"accept": "text/html"})
        assert "graphiql" not in page.text.lower()  # no GraphiQL in prod


async def test_subgraphs_apply_the_guards_at_their_own_ports(stack: Stack) -> None:
    inventory = stack.settings.subgraph_url("inventory")
    chain = ['product(sku: "CAP-TRAIL")'] + ['stock(storeId: "st_portland")' if i % 2 else "product"
                                             for i in range(1, 52)]
    deep = await post(inventory, "{ " + " { ".join(chain) + " { available" + " }" * len(chain) + " }")
    assert deep.codes == ["BAD_USER_INPUT"] and deep.errors[0]["extensions"]["limit"] == "depth"
    async with httpx.AsyncClient() as client:
        big = await client.post(stack.settings.subgraph_url("ledger"),
                                content=orjson.dumps({"query": "{ tiers { id } }", "pad": "x" * 5_000_000}),
                                headers={"content-type": "application/json"})
    assert big.status_code == 413 and big.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    fine = await post(inventory, '{ product(sku: "CAP-TRAIL") { stock(storeId: "st_portland") { available } } }')
    assert fine.errors == [] and fine.data["product"]["stock"]


# --- GraphQL over SSE -------------------------------------------------------------------------


async def sse_events(url: str, query: str, variables: dict, token: str, *, count: int,
                     started: asyncio.Event | None = None) -> list[tuple[str, str]]:
    events: list[tuple[str, str]] = []
    async with httpx.AsyncClient(timeout=30) as client, client.stream(
        "POST", url, content=orjson.dumps({"query": query, "variables": variables}),
        headers={"content-type": "application/json", "accept": "text/event-stream",
                 "authorization": f"Bearer {token}"},
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        if started is not None:
            started.set()
        kind = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                kind = line[len("event: "):]
            elif line.startswith("data:") and kind is not None:
                events.append((kind, line[len("data:"):].strip()))
                kind = None
                if len(events) >= count:
                    break
    return events


async def test_subscriptions_and_queries_over_server_sent_events(stack: Stack) -> None:
    member = await stack.enroll("Streamed")
    token = stack.token(Role.MEMBER, member)
    started = asyncio.Event()
    listening = asyncio.create_task(sse_events(stack.url, WALLET, {"m": member}, token, count=1, started=started))
    await started.wait()
    await stack.wait_for_live_subscriber(member)
    (await stack.checkout(member, "sse-1", CAP)).ok()
    [(kind, data)] = await asyncio.wait_for(listening, 10)
    assert kind == "next"
    assert orjson.loads(data) == {"data": {"walletUpdated": {"entry": {"points": 29, "reference": "sse-1"}}}}
    once = await sse_events(stack.url, "{ tiers { name } }", {}, token, count=2)
    assert [k for k, _ in once] == ["next", "complete"]
    assert orjson.loads(once[0][1])["data"]["tiers"][0] == {"name": "Bronze"}


# --- shared upstreams -------------------------------------------------------------------------


async def test_clients_asking_the_same_share_one_upstream(stack: Stack) -> None:
    member = await stack.enroll("Shared")
    token = stack.token(Role.MEMBER, member)
    before = await metric(stack.url, "gateway_upstream_subscriptions")
    async with subscribe(stack.url, WALLET, {"m": member}, token) as first, \
            subscribe(stack.url, WALLET, {"m": member}, token) as second:
        await stack.wait_for_live_subscriber(member)
        await asyncio.sleep(0.3)
        assert await metric(stack.url, "gateway_upstream_subscriptions") == before + 1
        (await stack.checkout(member, "shared-1", CAP)).ok()
        assert (await first.next()) == (await second.next())
        other = await stack.enroll("Other")
        async with subscribe(stack.url, WALLET, {"m": other}, stack.token(Role.MEMBER, other)):
            await stack.wait_for_live_subscriber(other)
            await asyncio.sleep(0.3)
            assert await metric(stack.url, "gateway_upstream_subscriptions") == before + 2
    for _ in range(50):
        if await metric(stack.url, "gateway_upstream_subscriptions") == before:
            break
        await asyncio.sleep(0.1)
    assert await metric(stack.url, "gateway_upstream_subscriptions") == before


# --- subgraphs that fail ------------------------------------------------------------------------


async def test_a_client_hears_when_the_subscribed_subgraph_goes_away(stack: Stack, tmp_path: Path) -> None:
    """A second ledger (a database of its own: the embedded one has a single writer process)
    serves this gateway's subscriptions; stopping it ends the client's subscription with an
    error, never silence."""
    port = free_port()
    settings = stack.settings.model_copy(update={"data_dir": tmp_path, "subgraph_ports": {
        **stack.settings.subgraph_ports, "ledger": port}})
    ledger = SubgraphHost(["ledger"], settings)
    await ledger.start(jobs=False)
    serving = asyncio.create_task(ledger.servers.serve(handle_signals=False))
    await ledger.servers.started()
    urls = {**subgraph_urls(stack), "ledger": f"http://127.0.0.1:{port}/graphql"}
    sdl = compose([SubgraphSource(n, urls[n], load_spec(n).schema.as_str()) for n in SUBGRAPHS])
    member = await stack.enroll("Abandoned")
    try:
        async with gateway(stack.settings, sdl=sdl) as url, \
                subscribe(url, WALLET, {"m": member}, stack.token(Role.MEMBER, member)) as wallet:
            await asyncio.sleep(0.5)
            ledger.servers.stop()
            await serving
            event = await wallet.next(timeout=15)
        assert [e["extensions"]["code"] for e in event["errors"]] == ["SUBGRAPH_UNAVAILABLE"]
    finally:
        if not serving.done():
            ledger.servers.stop()
            await serving
        await ledger.stop()


RESERVATIONS = "subscription($m: ID!) { reservationUpdated(memberId: $m) { id status } }"


async def test_while_the_ledger_is_down_the_other_parts_answer_and_their_subscriptions_flow(
        stack: Stack, tmp_path: Path) -> None:
    """A ledger of its own goes away: what needs only profile or inventory is answered, a live
    reservationUpdated (inventory) keeps flowing, and a query that needs the ledger says
    SUBGRAPH_UNAVAILABLE for its part only."""
    port = free_port()
    settings = stack.settings.model_copy(update={"data_dir": tmp_path, "subgraph_ports": {
        **stack.settings.subgraph_ports, "ledger": port}})
    ledger = SubgraphHost(["ledger"], settings)
    await ledger.start(jobs=False)
    serving = asyncio.create_task(ledger.servers.serve(handle_signals=False))
    await ledger.servers.started()
    urls = {**subgraph_urls(stack), "ledger": f"http://127.0.0.1:{port}/graphql"}
    sdl = compose([SubgraphSource(n, urls[n], load_spec(n).schema.as_str()) for n in SUBGRAPHS])
    member = await stack.enroll("Unbothered")
    admin = stack.token(Role.ADMIN)
    try:
        async with gateway(stack.settings, sdl=sdl) as url, \
                subscribe(url, RESERVATIONS, {"m": member}, stack.token(Role.MEMBER, member)) as reservations:
            stocked = await post(url, 'mutation { setStock(storeId: "st_portland", sku: "JKT-TRAIL-SHELL", '
                                      'size: "M", quantity: 5) { available } }', token=admin)
            assert not stocked.errors, stocked.body
            await asyncio.sleep(0.5)
            ledger.servers.stop()
            await serving
            profile_only = await post(url, "query($m: ID!) { member(id: $m) { givenName } }", {"m": member}, admin)
            assert profile_only.data == {"member": {"givenName": "Unbothered"}} and not profile_only.errors
            held = await post(url, "mutation($i: ReserveInput!) { reserve(input: $i) { id status } }", {"i": {
                "memberId": member, "storeId": "st_portland", "sku": "JKT-TRAIL-SHELL", "size": "M",
                "idempotencyKey": f"ledger-down-{member}"}}, admin)
            assert not held.errors, held.body
            event = await reservations.next(timeout=15)
            assert event["data"]["reservationUpdated"] == held.data["reserve"]
            needs_ledger = await post(url, "query($m: ID!) { member(id: $m) { givenName points { available } } }",
                                      {"m": member}, admin)
            assert [e["extensions"]["code"] for e in needs_ledger.errors] == ["SUBGRAPH_UNAVAILABLE"]
    finally:
        if not serving.done():
            ledger.servers.stop()
            await serving
        await ledger.stop()


@pytest.fixture
async def slow_and_fast() -> AsyncIterator[dict[str, str]]:
    async def slow_reviews(args: dict) -> list[dict]:
        await asyncio.sleep(2)
        return [{"stars": 5}]

    subgraphs = {
        "fast": Subgraph(sdl=FED2 + "type Query { hello: String! }", root={"hello": "hi"}),
        "slow": Subgraph(sdl=FED2 + "type Query { reviews: [Review!] } type Review { stars: Int! }",
                         root={"reviews": slow_reviews}),
    }
    port = free_port()
    servers = ServerGroup()
    servers.add(Starlette(routes=[Route(f"/{n}", s.asgi(), methods=["POST"]) for n, s in subgraphs.items()]),
                "127.0.0.1", port)
    task = asyncio.create_task(servers.serve(handle_signals=False))
    await servers.started()
    sources = [SubgraphSource(n, f"http://127.0.0.1:{port}/{n}", s.sdl) for n, s in subgraphs.items()]
    try:
        yield {"sdl": compose(sources)}
    finally:
        servers.stop()
        await task


async def test_a_subgraph_past_its_timeout_gives_partial_data(stack: Stack, slow_and_fast: dict[str, str]) -> None:
    settings = stack.settings.model_copy(update={"subgraph_timeouts": {"slow": 0.3}})
    async with gateway(settings, sdl=slow_and_fast["sdl"]) as url:
        response = await post(url, "{ hello reviews { stars } }")
    assert response.data == {"hello": "hi", "reviews": None}
    assert response.codes == ["SUBGRAPH_UNAVAILABLE"]
    assert "timed out" in response.errors[0]["message"]
