"""bench/engine: `evaluateBasket` latency through the gateway as running campaigns grow.

    .venv/bin/python -m bench.engine                 # 0, 10, 100, 1,000 campaigns x 1, 10, 100 lines
    .venv/bin/python -m bench.engine --seconds 5 --record

The embedded default (bench/embedded.py: SQLite, subgraphs in one process, the gateway in
another). 1,000 basket campaigns are saved as drafts before the servers start, then activated
through the gateway (`setCampaignStatus`, live at once) 10, 90 and 900 at a time between the
cells. They mix what real programs run: conditions on the member's tier, on SKUs, on the
channel and quantity, on the day; effects of points (fixed and multipliers on SKUs), percent
discounts on SKUs, free shipping; every tenth has a budget, every tenth a per-member cap, so
some apply to a basket and most do not. One client, one request at a time, for `--seconds`
per cell after a warm-up: p50 / p95 in ms. Prints the ratio of 100 campaigns to none (the
issue's target: within 2x). Timings are never asserted by tests.
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from core.auth import Principal, Role
from core.settings import Settings
from subgraphs.kernel.host import SubgraphHost
from subgraphs.rewards import handlers
from subgraphs.rewards.domain.campaigns import CampaignDraft

from .embedded import Embedded, embedded_stack, percentile, record

CAMPAIGN_COUNTS = (0, 10, 100, 1000)
LINE_COUNTS = (1, 10, 100)
ADMIN = Principal("bench-admin", Role.ADMIN)
EVALUATE = ("query($b: BasketInput!) { evaluateBasket(input: $b) { subtotal discount total pointsToEarn "
            "effects { kind amount points campaignId } } }")
ENROLL = "mutation($i: EnrollMemberInput!) { enrollMember(input: $i) { id } }"
ACTIVATE = "mutation($id: ID!) { setCampaignStatus(id: $id, status: ACTIVE) { id status } }"


def bench_campaign(n: int) -> CampaignDraft:
    sku = f"BENCH-{n % 100}"
    condition = (
        "member != null && member.tier in ['gold', 'platinum'] && basket.subtotal > 50.0",
        f"'{sku}' in basket.skus",
        f"basket.channel == 'POS' && basket.quantity >= {n % 20}",
        "now.day_of_week >= 6 || basket.subtotal > 1000000.0",
    )[n % 4]
    effects = (
        f'{{"type": "add_points", "multiplier": 2, "skus": ["{sku}"]}}',
        f'{{"type": "discount", "percent": 1, "skus": ["{sku}"]}}',
        '{"type": "add_points", "points": 1}',
        '{"type": "free_shipping"}',
    )[(n // 4) % 4]
    return CampaignDraft(name=f"Bench {n}", trigger="basket", condition=condition, effects=(effects,),
                         priority=n % 7, budget_limit=10**9 if n % 10 == 0 else None,
                         budget_unit="points" if n % 10 == 0 else None,
                         per_member_cap=10**6 if n % 10 == 5 else None)


def campaign_id(n: int) -> str:
    return f"cmp_bench_{n:04d}"


async def save_drafts(settings: Settings) -> None:
    host = SubgraphHost(["rewards"], settings)
    await host.start(relays=False, jobs=False)
    try:
        runtime = host.runtime("rewards")
        for n in range(max(CAMPAIGN_COUNTS)):
            await handlers.campaigns.upsert_campaign(runtime, ADMIN, bench_campaign(n), campaign_id(n))
    finally:
        await host.stop()


async def post(client: httpx.AsyncClient, url: str, query: str, variables: dict, token: str) -> dict:
    response = await client.post(url, content=orjson.dumps({"query": query, "variables": variables}),
                                 headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(orjson.dumps(body["errors"]).decode()[:500])
    return body["data"]


async def activate(stack: Embedded, client: httpx.AsyncClient, numbers: range) -> None:
    token = stack.token(Role.ADMIN)
    queue = list(numbers)

    async def worker() -> None:
        while queue:
            await post(client, stack.url, ACTIVATE, {"id": campaign_id(queue.pop())}, token)

    await asyncio.gather(*(worker() for _ in range(8)))


async def measure(client: httpx.AsyncClient, stack: Embedded, token: str, basket: dict, seconds: float
                  ) -> tuple[list[float], dict]:
    answer = await post(client, stack.url, EVALUATE, {"b": basket}, token)
    warm_until = time.perf_counter() + min(1.0, seconds / 3)
    while time.perf_counter() < warm_until:
        await post(client, stack.url, EVALUATE, {"b": basket}, token)
    latencies: list[float] = []
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        started = time.perf_counter()
        await post(client, stack.url, EVALUATE, {"b": basket}, token)
        latencies.append(time.perf_counter() - started)
    return latencies, answer["evaluateBasket"]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per cell")
    parser.add_argument("--record", action="store_true", help="append the result to bench/RESULTS.md")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    results: dict[tuple[int, int], tuple[float, float, int, int]] = {}
    print(f"saving {max(CAMPAIGN_COUNTS):,} draft campaigns...", flush=True)
    async with embedded_stack(workdir, campaigns=False, prepare=save_drafts) as stack, \
            httpx.AsyncClient(timeout=60) as client:
        cashier = stack.token(Role.CASHIER, store="st_portland")
        member = (await post(client, stack.url, ENROLL, {"i": {"channel": "POS", "givenName": "Bench",
                                                                "email": "bench.engine@example.org"}}, cashier)
                  )["enrollMember"]["id"]
        active = 0
        for count in CAMPAIGN_COUNTS:
            if count > active:
                await activate(stack, client, range(active, count))
                active = count
            for lines in LINE_COUNTS:
                basket = {"channel": "POS", "storeId": "st_portland", "memberId": member,
                          "lines": [{"sku": f"BENCH-{k}", "quantity": 1 + k % 3, "unitPrice": "10.00"}
                                    for k in range(lines)]}
                latencies, answer = await measure(client, stack, cashier, basket, args.seconds)
                applied = len({e["campaignId"] for e in answer["effects"] if e["campaignId"]})
                results[count, lines] = (1000 * percentile(latencies, 0.50), 1000 * percentile(latencies, 0.95),
                                         len(latencies), applied)
                p50, p95, n, _ = results[count, lines]
                print(f"  {count:>5} campaigns, {lines:>3} lines: p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  "
                      f"({n} requests; {applied} campaigns applied)", flush=True)
    table = ["| active campaigns | lines | p50 ms | p95 ms | requests | campaigns applied |",
             "|---|---|---|---|---|---|"]
    for (count, lines), (p50, p95, n, applied) in results.items():
        table.append(f"| {count:,} | {lines} | {p50:.2f} | {p95:.2f} | {n} | {applied} |")
    ratios = [f"100 campaigns / none, {lines} line{'s' if lines > 1 else ''}: "
              f"p50 {results[100, lines][0] / results[0, lines][0]:.2f}x, "
              f"p95 {results[100, lines][1] / results[0, lines][1]:.2f}x" for lines in LINE_COUNTS]
    print("\n".join(["", *table, "", *ratios]))
    if args.record:
        record("bench/engine", "bench.engine", [
            f"evaluateBasket through the gateway, one client, {args.seconds:g} s per cell after a warm-up; "
            "the embedded default (SQLite; subgraphs in one process, the gateway in another); a Bronze member; "
            "campaigns activated through the gateway between cells (bench/engine.py says what they are)."],
            [*table, "", *(f"- {r}" for r in ratios)])


if __name__ == "__main__":
    asyncio.run(main())
