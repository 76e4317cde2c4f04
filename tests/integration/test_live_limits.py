"""Live operations are bounded, at the gateway and again at each subgraph (in
scale-out the subgraphs are reachable on the network): a websocket closes with
4403 when its token expires, an event stream ends with UNAUTHENTICATED, and one
connection or one principal holds only so many operations."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from core.auth import Role, issue_token
from subgraphs.kernel.events import subject_for
from tests.support.stack import Stack, make_settings

PROTOCOL = "graphql-transport-ws"
HANG_GUARD = 15.0  # seconds; only a socket that outlives its token gets near it
PER_CONNECTION = 3
PER_PRINCIPAL = 5
WALLET = "subscription($m: ID!) { walletUpdated(memberId: $m) { at } }"


@pytest.fixture(scope="module")
async def small(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """A stack of its own with small limits."""
    running = Stack(make_settings(Path(tmp_path_factory.mktemp("limits")),
                                  live_max_operations_per_connection=PER_CONNECTION,
                                  live_max_operations_per_principal=PER_PRINCIPAL))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def ws_url(http_url: str) -> str:
    return http_url.replace("http", "ws", 1)


async def opened(url: str, token: str) -> ClientConnection:
    ws = await connect(ws_url(url), subprotocols=[PROTOCOL])
    await ws.send(orjson.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}).decode())
    assert orjson.loads(await ws.recv())["type"] == "connection_ack"
    return ws


async def start(ws: ClientConnection, operation_id: str, member: str, alias: str = "w") -> None:
    query = WALLET.replace("walletUpdated", f"{alias}: walletUpdated")
    await ws.send(orjson.dumps({"id": operation_id, "type": "subscribe",
                                "payload": {"query": query, "variables": {"m": member}}}).decode())


async def message(ws: ClientConnection, timeout: float = 2.0) -> dict[str, Any] | None:
    """The next message, or None when none comes (no timing is asserted on it)."""
    try:
        return orjson.loads(await asyncio.wait_for(ws.recv(), timeout))
    except TimeoutError:
        return None


# --- token expiry ------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["gateway", "ledger"])
async def test_a_websocket_closes_when_its_token_expires(small: Stack, target: str) -> None:
    member = await small.enroll("Brief")
    token = issue_token(small.settings, member, Role.MEMBER, ttl=timedelta(seconds=3))
    url = small.url if target == "gateway" else small.settings.subgraph_url("ledger")
    started = time.perf_counter()
    async with await opened(url, token) as ws:
        await start(ws, "live", member)
        await small.wait_for_live_subscriber(member)
        await asyncio.wait_for(ws.wait_closed(), HANG_GUARD)
        assert (ws.close_code, ws.close_reason) == (4403, "Forbidden: the token has expired")
    print(f"\n{target}: closed {time.perf_counter() - started:.1f} s after opening with a 3 s token")
    refused = await small.gql("{ me { id } }", token=token)
    assert refused.codes == ["UNAUTHENTICATED"]  # and HTTP refuses it too
    await _no_live_subscriber(small, member)


async def test_a_subgraph_refuses_an_expired_token_at_connection_init(small: Stack) -> None:
    member = await small.enroll("Late")
    token = issue_token(small.settings, member, Role.MEMBER, ttl=timedelta(seconds=-5))
    async with connect(ws_url(small.settings.subgraph_url("ledger")), subprotocols=[PROTOCOL]) as ws:
        await ws.send(orjson.dumps({"type": "connection_init",
                                    "payload": {"Authorization": f"Bearer {token}"}}).decode())
        await asyncio.wait_for(ws.wait_closed(), HANG_GUARD)
        assert ws.close_code == 4403


async def test_an_event_stream_ends_when_its_token_expires(small: Stack) -> None:
    member = await small.enroll("Streamed")
    token = issue_token(small.settings, member, Role.MEMBER, ttl=timedelta(seconds=3))
    events = await asyncio.wait_for(sse(small.url, WALLET, {"m": member}, token), HANG_GUARD)
    assert [kind for kind, _ in events] == ["next", "complete"]
    assert orjson.loads(events[0][1])["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- operations per connection and per principal -------------------------------------------


@pytest.mark.parametrize("target", ["gateway", "ledger"])
async def test_one_connection_holds_only_so_many_operations(small: Stack, target: str) -> None:
    member = await small.enroll("Greedy")
    token = small.token(Role.MEMBER, member)
    url = small.url if target == "gateway" else small.settings.subgraph_url("ledger")
    async with await opened(url, token) as ws:
        for n in range(PER_CONNECTION):
            await start(ws, f"op{n}", member, alias=f"a{n}")  # aliases differ: one upstream each
        await start(ws, "one-too-many", member, alias="extra")
        refused = await message(ws)
        assert refused is not None and refused["id"] == "one-too-many" and refused["type"] == "error"
        assert refused["payload"][0]["extensions"] == {"code": "BAD_USER_INPUT", "limit": "operationsPerConnection",
                                                       "maximum": PER_CONNECTION}
        assert await _live_subscribers(small, member) == PER_CONNECTION
        await ws.send('{"id":"op0","type":"complete"}')  # a slot comes free
        await asyncio.sleep(0.2)
        await start(ws, "again", member, alias="again")
        assert await message(ws, timeout=1.0) is None  # accepted: no error, it waits for events
    await _no_live_subscriber(small, member)


@pytest.mark.parametrize("target", ["gateway", "ledger"])
async def test_one_principal_holds_only_so_many_operations(small: Stack, target: str) -> None:
    member = await small.enroll("Hoarder")
    token = small.token(Role.MEMBER, member)
    url = small.url if target == "gateway" else small.settings.subgraph_url("ledger")
    sockets = [await opened(url, token) for _ in range(2)]
    try:
        for n in range(PER_PRINCIPAL):
            await start(sockets[n % 2], f"op{n}", member, alias=f"a{n}")
        assert await _live_subscribers(small, member) == PER_PRINCIPAL  # the two sockets are read concurrently
        await start(sockets[1], "one-too-many", member, alias="extra")
        refused = await message(sockets[1])
        assert refused is not None and refused["id"] == "one-too-many" and refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["limit"] == "operationsPerPrincipal"
        other = await small.enroll("Neighbour")  # another principal is not affected
        async with await opened(url, small.token(Role.MEMBER, other)) as theirs:
            await start(theirs, "mine", other)
            assert await message(theirs, timeout=1.0) is None
        if target == "gateway":  # the event stream counts against the same allowance
            events = await asyncio.wait_for(sse(small.url, WALLET, {"m": member}, token), HANG_GUARD)
            assert orjson.loads(events[0][1])["errors"][0]["extensions"]["limit"] == "operationsPerPrincipal"
    finally:
        for ws in sockets:
            await ws.close()
    await _no_live_subscriber(small, member)


async def test_the_gateway_never_opens_more_upstreams_than_a_principal_may_hold(small: Stack) -> None:
    """300 subscribes that differ by an alias, on one socket: the ledger holds at most the limit."""
    member = await small.enroll("Aliases")
    async with await opened(small.url, small.token(Role.MEMBER, member)) as ws:
        for n in range(300):
            await start(ws, f"op{n}", member, alias=f"a{n}")
        refusals = 0
        while (reply := await message(ws, timeout=1.0)) is not None:
            refusals += reply["type"] == "error"
        assert refusals == 300 - PER_CONNECTION
        assert await _live_subscribers(small, member) == PER_CONNECTION


# --- helpers --------------------------------------------------------------------------------


async def sse(url: str, query: str, variables: dict[str, Any], token: str) -> list[tuple[str, str]]:
    events: list[tuple[str, str]] = []
    async with httpx.AsyncClient(timeout=30) as client, client.stream(
        "POST", url, content=orjson.dumps({"query": query, "variables": variables}),
        headers={"content-type": "application/json", "accept": "text/event-stream",
                 "authorization": f"Bearer {token}"},
    ) as response:
        kind = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                kind = line[len("event: "):]
            elif line.startswith("data:") and kind is not None:
                events.append((kind, line[len("data:"):].strip()))
                if kind == "complete":
                    break
                kind = None
    return events


async def _live_subscribers(stack: Stack, member: str) -> int:
    await stack.wait_for_live_subscriber(member)
    await asyncio.sleep(0.3)  # let any late ones arrive before counting
    assert stack.host is not None
    return len(stack.host.runtime("ledger").live(subject_for("ledger", "*"))._subscribers.get(member, ()))


async def _no_live_subscriber(stack: Stack, member: str) -> None:
    assert stack.host is not None
    hub = stack.host.runtime("ledger").live(subject_for("ledger", "*"))
    for _ in range(100):
        if member not in hub._subscribers and set(stack.held_live_operations().values()) == {0}:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"a live subscription outlived its connection: {stack.held_live_operations()}")
