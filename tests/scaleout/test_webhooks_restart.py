"""The process that delivers webhooks is killed (SIGKILL) mid-stream and comes back under
`loyalty up`: every event reaches the receiver, in order per member, none is lost.

Delivery is at least once: a POST the receiver took just before the kill, whose answer the
dead process never recorded, is sent again with the same `X-Loyalty-Event-Id` (and the same
body). The receiver dedupes on that id, as the README tells receivers to; at most one
delivery per member (a line's one in flight) can repeat, and the test holds it to that.

Embedded: the one process of the five subgraphs on SQLite, in-process bus. Scale-out:
integrations alone on PostgreSQL, while the other subgraphs keep taking purchases whose
events wait in NATS JetStream for its durable consumers."""
from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest

from core.auth import Role
from tests.integration.test_webhooks import SECRET, SOCKS, UPSERT, WALLET_DOCUMENT, arrived_in_order, eventually
from tests.support.net import wait_http_ok
from tests.support.processes import SupervisedStack
from tests.support.receiver import Receiver

pytestmark = pytest.mark.scaleout

MEMBERS = 3
BEFORE_KILL = 5  # purchases per member before the kill
WHILE_DOWN = 2  # ... while the delivering process is down (scale-out: the other subgraphs still serve)
AFTER = 2  # ... once it is back
FAST_RETRIES = {"LOYALTY_WEBHOOK_RETRY_SECONDS": "0.2", "LOYALTY_WEBHOOK_RETRY_MAX_SECONDS": "1",
                "LOYALTY_WEBHOOK_MAX_ATTEMPTS": "1000"}


@pytest.fixture(params=["embedded", "scaleout"])
async def supervised(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                     ) -> AsyncIterator[SupervisedStack]:
    running = SupervisedStack(tmp_path_factory.mktemp(f"webhooks-{request.param}"),
                              scaleout=request.param == "scaleout")
    running.env.update(FAST_RETRIES)
    try:
        await running.start()
        yield running
    finally:
        await running.stop()


async def buy(stack: SupervisedStack, members: list[str], rounds: range, expected: dict[str, list[str]]) -> None:
    for n in rounds:
        for member in members:
            reference = f"restart-{member[-6:]}-{n}"
            (await stack.checkout(member, reference, [SOCKS])).ok()
            expected[member].append(reference)


async def test_the_delivering_process_killed_mid_stream_loses_nothing(supervised: SupervisedStack) -> None:
    part = "integrations" if supervised.scaleout else "subgraphs"
    receiver = Receiver(delay_seconds=0.15)  # slow: the queue is still full when the kill comes
    await receiver.start()
    try:
        saved = (await supervised.gql(UPSERT, {"input": {"url": receiver.url, "subscription": WALLET_DOCUMENT,
                                                         "secret": SECRET}},
                                      supervised.token(Role.ADMIN))).ok()["upsertWebhook"]
        members = [await supervised.enroll(f"Restart{n}") for n in range(MEMBERS)]
        expected: dict[str, list[str]] = {m: [] for m in members}
        await buy(supervised, members, range(BEFORE_KILL), expected)
        await eventually(lambda: len(receiver.received) >= 2, "the first deliveries")
        os.kill(supervised.part_pid(part), signal.SIGKILL)
        at_kill = len(receiver.unique())
        total = MEMBERS * (BEFORE_KILL + AFTER)
        if supervised.scaleout:  # the rest of the platform keeps serving: these events wait in the bus
            await buy(supervised, members, range(BEFORE_KILL, BEFORE_KILL + WHILE_DOWN), expected)
            total += MEMBERS * WHILE_DOWN
        health = supervised.settings.subgraph_url("integrations").removesuffix("/graphql") + "/health"
        await asyncio.sleep(0.5)
        await wait_http_ok(health, 90)
        await wait_http_ok(f"http://127.0.0.1:{supervised.settings.gateway_port}/ready", 90)
        start = BEFORE_KILL + (WHILE_DOWN if supervised.scaleout else 0)
        await buy(supervised, members, range(start, start + AFTER), expected)
        await eventually(lambda: len(receiver.unique()) >= total, f"{total} events", timeout=120)
        await asyncio.sleep(1.0)  # anything more (a stray duplicate) would arrive now
        assert at_kill < total, "the kill came after everything was delivered: nothing was tested"
        assert arrived_in_order(receiver, saved["id"]) == expected
        repeats = len(receiver.received) - len(receiver.unique())
        assert repeats <= MEMBERS  # only a line's delivery in flight at the kill may come twice
        assert all(d.signed_by(SECRET) for d in receiver.received)
        print(f"\n{part} killed after {at_kill} of {total} events: all {total} arrived in order per member, "
              f"{repeats} sent twice (deduped on X-Loyalty-Event-Id)")
    finally:
        await receiver.stop()
