"""Memory that live subscriptions use is given back: rounds of opening and closing
subscriptions through the gateway (completed one by one, or dropped with their
socket), each round with operations never seen before, and the memory Python
holds settles (tracemalloc, after a warm-up round, with a generous bound)."""
from __future__ import annotations

import asyncio
import gc
import tracemalloc

import orjson
from websockets.asyncio.client import ClientConnection, connect

from core.auth import Role
from subgraphs.kernel.events import subject_for
from tests.support.stack import Stack

ROUNDS = 6
COMPLETED = 30  # per round, on the connection that lives through every round
DROPPED = 10  # per round, on a connection that goes away with them
COMMENT = 50_000  # characters in front of each operation: what caches keyed by query text hold
SETTLED_MB = 8.0  # growth allowed from the end of the warm-up round to the last round
HANG_GUARD = 30.0


def operation(n: str) -> str:
    return f"# {n} {'x' * COMMENT}\nsubscription($m: ID!) {{ w{n}: walletUpdated(memberId: $m) {{ at }} }}"


async def opened(stack: Stack, token: str) -> ClientConnection:
    ws = await connect(stack.url.replace("http", "ws", 1), subprotocols=["graphql-transport-ws"], max_size=2**24)
    await ws.send(orjson.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}).decode())
    assert orjson.loads(await ws.recv())["type"] == "connection_ack"
    return ws


async def subscribe(ws: ClientConnection, operation_id: str, member: str) -> None:
    await ws.send(orjson.dumps({"id": operation_id, "type": "subscribe",
                                "payload": {"query": operation(operation_id), "variables": {"m": member}}}).decode())


async def ledger_holds(stack: Stack, member: str, count: int) -> None:
    assert stack.host is not None
    hub = stack.host.runtime("ledger").live(subject_for("ledger", "*"))
    for _ in range(int(HANG_GUARD / 0.05)):
        if len(hub._subscribers.get(member, ())) == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the ledger holds {len(hub._subscribers.get(member, ()))} subscriptions, not {count}")


async def test_memory_settles_over_rounds_of_subscriptions(stack: Stack) -> None:
    member = await stack.enroll("Rounds")
    token = stack.token(Role.MEMBER, member)
    traced: list[float] = []
    tracemalloc.start()
    try:
        async with await opened(stack, token) as kept:
            for r in range(ROUNDS):
                dropped = await opened(stack, token)
                for n in range(COMPLETED):
                    await subscribe(kept, f"r{r}c{n}", member)
                for n in range(DROPPED):
                    await subscribe(dropped, f"r{r}d{n}", member)
                await ledger_holds(stack, member, COMPLETED + DROPPED)
                for n in range(COMPLETED):
                    await kept.send(orjson.dumps({"id": f"r{r}c{n}", "type": "complete"}).decode())
                await dropped.close()
                await ledger_holds(stack, member, 0)
                await asyncio.sleep(0.2)  # the gateway's upstream tasks finish closing
                gc.collect()
                traced.append(tracemalloc.get_traced_memory()[0] / 2**20)
    finally:
        tracemalloc.stop()
    print("\ntraced MB after each round: " + ", ".join(f"{mb:.1f}" for mb in traced))
    assert traced[-1] - traced[0] < SETTLED_MB, traced
    assert set(stack.held_live_operations().values()) == {0}  # every quota was given back
