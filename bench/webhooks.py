"""bench/webhooks: outbound webhooks' latency and drain rate, embedded mode.

    .venv/bin/python -m bench.webhooks                    # 20 members, 200 events
    .venv/bin/python -m bench.webhooks --events 1000

The embedded stack in this process (five subgraphs on SQLite, the in-process bus, the gateway),
a receiver on loopback and one `walletUpdated(memberId: "*")` webhook whose document also asks
for the member's name (an entity fetch to profile through the gateway, as integrators do):

1. Latency: purchases one at a time with the receiver up; from the checkout's answer to the
   receiver's delivery (replay through the gateway, signed POST), p50 / p95 / max.
2. Drain: `--events` purchases while the delivery job is stopped (they queue, due at once), then
   the job starts; deliveries per second until the queue is empty (`--members` lines in
   parallel, in order within each; LOYALTY_WEBHOOK_CONCURRENCY at once).

Timings are measured here and recorded in bench/RESULTS.md; no test asserts them.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from core.auth import Role
from subgraphs.integrations import handlers
from tests.support.receiver import Receiver
from tests.support.stack import Stack, make_settings

DOCUMENT = """subscription { walletUpdated(memberId: "*") {
  member { id givenName } entry { reference points balanceAfter } at } }"""
UPSERT = "mutation($input: WebhookInput!) { upsertWebhook(input: $input) { id } }"
SOCKS = {"sku": "SOK-CREW-3PK", "quantity": 1, "unitPrice": "24.00"}


async def wait_for(receiver: Receiver, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.unique()) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(receiver.unique())} of {count} deliveries arrived")
        await asyncio.sleep(0.01)


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        stack = Stack(make_settings(Path(data_dir), webhook_retry_seconds=0.2, webhook_retry_max_seconds=1.0,
                                    webhook_max_attempts=1000))
        await stack.start()
        receiver = Receiver()
        await receiver.start()
        try:
            (await stack.gql(UPSERT, {"input": {"url": receiver.url, "subscription": DOCUMENT,
                                                "secret": "bench-secret-0123456789"}},
                             stack.token(Role.ADMIN))).ok()
            members = [await stack.enroll(f"Bench{n}") for n in range(args.members)]
            latencies = []
            for n in range(args.latency_samples):
                (await stack.checkout(members[n % len(members)], f"lat-{n}", [SOCKS])).ok()
                answered = time.monotonic()
                await wait_for(receiver, n + 1, 30)
                latencies.append(receiver.unique()[-1].arrived_at - answered)
            latencies.sort()
            print(f"latency, checkout answered -> delivered ({len(latencies)} one at a time): "
                  f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
                  f"p95 {latencies[int(len(latencies) * 0.95) - 1] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")

            # The drain: the delivery job stopped while the events queue (each recorded, due at once), then
            # started again: what one process delivers when a backlog waits (after an outage, a burst).
            job = next(t for t in stack.host._tasks if t.get_name() == "job:integrations:webhooks-deliver")
            job.cancel()
            before = len(receiver.unique())
            for n in range(args.events):
                (await stack.checkout(members[n % len(members)], f"drain-{n}", [SOCKS])).ok()
            queued = await stack.scalar("integrations", "SELECT count(*) FROM webhook_deliveries "
                                        "WHERE state = 'pending'")
            started = time.monotonic()
            drain = asyncio.create_task(handlers.deliver_continuously(stack.host.runtime("integrations")))
            await wait_for(receiver, before + args.events, 600)
            took = time.monotonic() - started
            drain.cancel()
            print(f"drain: {queued} queued deliveries over {args.members} members sent in {took:.1f} s: "
                  f"{args.events / took:.0f} deliveries/s")
        finally:
            await receiver.stop()
            await stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--latency-samples", type=int, default=40)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
