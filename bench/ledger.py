"""bench/ledger: postings per second and balance-read latency of the ledger.

    .venv/bin/python -m bench.ledger                       # the issue's scale: 1,000,000 members, 20 entries each
    .venv/bin/python -m bench.ledger --members 20000       # a quick run

For SQLite (the embedded default) and PostgreSQL (127.0.0.1:5432), each in turn:

1. Bulk-loads a book of `--members` accounts with `--entries` entries each (a
   consistent book: balances are the sum of entries, open lots hold the balance).
2. Postings per second through the real handlers (lock, lots, entries,
   idempotency record, outbox), one client and `--clients` concurrent clients,
   in the ledger's process; then over HTTP (GraphQL `postEarning`) against a
   `loyalty serve ledger` process, one client and `--clients` concurrent clients.
3. Balance reads over HTTP (`_entities { ... on Member { points { available
   pending lifetimeEarned expiringNext { points on } } } }`) for random members:
   p50 / p95 / p99 with `--clients` concurrent clients.

Timings are measured here and recorded in bench/RESULTS.md; no test asserts them.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import orjson

from core.auth import Principal, Role, issue_token
from core.settings import Settings
from core.vocabulary import Channel
from seed.program import POINTS_POLICY, TIERS
from subgraphs.kernel.host import SubgraphHost
from subgraphs.ledger import handlers
from subgraphs.ledger.domain import add_months

SERVICE = Principal("service:bench", Role.SERVICE)
START = datetime(2026, 11, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


def book(members: int, entries_per_member: int, seed: int = 11) -> Iterator[tuple[list, list, list]]:
    """Per member: its account row, entry rows and open lot rows (in table column order)."""
    rng = random.Random(seed)
    for m in range(members):
        member_id = f"mbr_bench_{m:08d}"
        balance, lifetime, rows, open_lots = 0, 0, [], []
        moment = START - timedelta(days=entries_per_member * 9)
        for seq in range(1, entries_per_member + 1):
            moment += timedelta(days=rng.randint(1, 15), minutes=rng.randint(0, 600))
            if balance > 200 and rng.random() < 0.3:
                points, kind = -rng.randint(50, min(balance, 500)), "REDEEM"
            else:
                points, kind = rng.randint(5, 400), "EARN"
                lifetime += points
            balance += points
            entry_id = f"led_b{m:08d}_{seq:03d}"
            rows.append((entry_id, member_id, seq, kind, points, balance, moment, moment, "POS", f"bench-{m}-{seq}",
                         "In-store purchase" if kind == "EARN" else "Reward", None, "bench"))
            if kind == "EARN":
                open_lots.append([f"lot_b{m:08d}_{seq:03d}", member_id, entry_id, "EARN", f"bench-{m}-{seq}",
                                  points, points, 0, moment, moment, add_months(moment, 18), True])
        # The balance sits in the newest lots (older ones were spent first-expiring-first).
        left = balance
        kept = []
        for lot in reversed(open_lots):
            take = min(lot[5], left)
            if take <= 0:
                break
            lot[6] = take
            left -= take
            kept.append(tuple(lot))
        account = (member_id, balance, 0, lifetime, "gold" if lifetime >= 5000 else "silver" if lifetime >= 1000
                   else "bronze", START, add_months(START, 12), None, 0, 0, 0, entries_per_member)
        yield [account], rows, kept


ACCOUNT_COLUMNS = ("member_id", "available", "pending", "lifetime_earned", "tier_id", "tier_since", "review_at",
                   "grace_until", "shortfall", "debt", "milestone", "last_seq")
ENTRY_COLUMNS = ("id", "member_id", "seq", "kind", "points", "balance_after", "occurred_at", "recorded_at",
                 "channel", "reference", "description", "idempotency_key", "actor")
LOT_COLUMNS = ("id", "member_id", "entry_id", "kind", "reference", "points", "remaining", "reversed", "earned_at",
               "matures_at", "expires_at", "matured")


async def load_postgres(dsn: str, members: int, entries: int, log) -> None:  # noqa: ANN001
    connection = await asyncpg.connect(dsn)
    try:
        # Load without the secondary indexes, then build them: how a migration of an existing book would go.
        await connection.execute("DROP INDEX IF EXISTS ix_lots_member, ix_lots_pending, ix_lots_open, "
                                 "ix_accounts_review_at")
        batch_accounts, batch_entries, batch_lots = [], [], []
        for done, (accounts, rows, lots) in enumerate(book(members, entries), start=1):
            batch_accounts += accounts
            batch_entries += rows
            batch_lots += lots
            if done % 20000 == 0 or done == members:
                await connection.copy_records_to_table("accounts", records=batch_accounts, columns=ACCOUNT_COLUMNS)
                await connection.copy_records_to_table("entries", records=batch_entries, columns=ENTRY_COLUMNS)
                await connection.copy_records_to_table("lots", records=batch_lots, columns=LOT_COLUMNS)
                batch_accounts, batch_entries, batch_lots = [], [], []
                if done % 200000 == 0:
                    log(f"    {done:,} members loaded")
        await connection.execute("CREATE INDEX ix_lots_member ON lots (member_id, earned_at)")
        await connection.execute("CREATE INDEX ix_lots_pending ON lots (matures_at) WHERE NOT matured")
        await connection.execute("CREATE INDEX ix_lots_open ON lots (expires_at) WHERE remaining > 0")
        await connection.execute("CREATE INDEX ix_accounts_review_at ON accounts (review_at)")
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def load_sqlite(path: str, members: int, entries: int, log) -> None:  # noqa: ANN001
    import sqlite3

    def value(v: object) -> object:
        return v.isoformat(sep=" ") if isinstance(v, datetime) else v

    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    for index in ("ix_lots_member", "ix_lots_pending", "ix_lots_open", "ix_accounts_review_at"):
        connection.execute(f"DROP INDEX IF EXISTS {index}")
    insert = {name: f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
              for name, cols in (("accounts", ACCOUNT_COLUMNS), ("entries", ENTRY_COLUMNS), ("lots", LOT_COLUMNS))}
    batch: dict[str, list] = {"accounts": [], "entries": [], "lots": []}
    for done, (accounts, rows, lots) in enumerate(book(members, entries), start=1):
        batch["accounts"] += [tuple(map(value, r)) for r in accounts]
        batch["entries"] += [tuple(map(value, r)) for r in rows]
        batch["lots"] += [tuple(map(value, r)) for r in lots]
        if done % 20000 == 0 or done == members:
            for table, rows_ in batch.items():
                connection.executemany(insert[table], rows_)
                rows_.clear()
            connection.commit()
            if done % 200000 == 0:
                log(f"    {done:,} members loaded")
    connection.execute("CREATE INDEX ix_lots_member ON lots (member_id, earned_at)")
    connection.execute("CREATE INDEX ix_lots_pending ON lots (matures_at) WHERE NOT matured")
    connection.execute("CREATE INDEX ix_lots_open ON lots (expires_at) WHERE remaining > 0")
    connection.execute("CREATE INDEX ix_accounts_review_at ON accounts (review_at)")
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()


async def postings_in_process(settings: Settings, members: int, count: int, clients: int) -> tuple[float, float]:
    host = SubgraphHost(["ledger"], settings)
    await host.start(relays=False, jobs=False)
    runtime = host.runtime("ledger")
    rng = random.Random(5)
    counter = iter(range(10**9))

    async def one() -> None:
        n = next(counter)
        await handlers.post_earning(
            runtime, SERVICE, member_id=f"mbr_bench_{rng.randrange(members):08d}", reference=f"bench-post-{n}-{time.time_ns()}",
            channel=Channel.POS, occurred_at=START, description="In-store purchase",
            lines=[handlers.EarningLine("1", "SKU-1", 1, rng.randint(5, 300))],
        )

    try:
        started = time.perf_counter()
        for _ in range(count):
            await one()
        sequential = count / (time.perf_counter() - started)

        async def worker(n: int) -> None:
            for _ in range(n):
                await one()

        started = time.perf_counter()
        await asyncio.gather(*(worker(count // clients) for _ in range(clients)))
        concurrent = (count // clients * clients) / (time.perf_counter() - started)
        await host.relays[0].publish_pending()
    finally:
        await host.stop()
    return sequential, concurrent


POST_EARNING = "mutation($input: PostEarningInput!) { postEarning(input: $input) { duplicate } }"
READ = ("query($r: [_Any!]!) { _entities(representations: $r) { ... on Member { points { available pending "
        "lifetimeEarned expiringNext { points on } } } } }")


async def over_http(url: str, token: str, members: int, count: int, clients: int, reads: int
                    ) -> tuple[float, float, list[float], list[float]]:
    rng = random.Random(9)
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients * 2)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        async def post(n: int) -> None:
            body = {"query": POST_EARNING, "variables": {"input": {
                "memberId": f"mbr_bench_{rng.randrange(members):08d}", "reference": f"bench-http-{n}-{time.time_ns()}",
                "channel": "POS", "occurredAt": START.isoformat(), "description": "In-store purchase",
                "lines": [{"lineId": "1", "sku": "SKU-1", "quantity": 1, "points": rng.randint(5, 300)}]}}}
            response = await client.post(url, content=orjson.dumps(body), headers=headers)
            assert not response.json().get("errors"), response.text

        started = time.perf_counter()
        for n in range(count):
            await post(n)
        sequential = count / (time.perf_counter() - started)
        numbers = iter(range(count, 10**9))

        async def poster(k: int) -> None:
            for _ in range(k):
                await post(next(numbers))

        started = time.perf_counter()
        await asyncio.gather(*(poster(count // clients) for _ in range(clients)))
        concurrent = (count // clients * clients) / (time.perf_counter() - started)

        latencies: list[float] = []

        async def reader(k: int) -> None:
            for _ in range(k):
                member = f"mbr_bench_{rng.randrange(members):08d}"
                body = {"query": READ, "variables": {"r": [{"__typename": "Member", "id": member}]}}
                t = time.perf_counter()
                response = await client.post(url, content=orjson.dumps(body), headers=headers)
                latencies.append(time.perf_counter() - t)
                assert response.json()["data"]["_entities"][0]["points"] is not None

        await reader(50)  # warm up connections and caches
        latencies.clear()
        await reader(reads // 4)
        alone = list(latencies)
        latencies.clear()
        await asyncio.gather(*(reader(reads // clients) for _ in range(clients)))
    return sequential, concurrent, alone, latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def run_backend(name: str, database_url: str, args: argparse.Namespace, log) -> dict:  # noqa: ANN001
    port = 4700 + random.randrange(200)
    settings = Settings(database_urls={"ledger": database_url}, subgraph_ports={"ledger": port,
                        "profile": 1, "rewards": 2, "inventory": 3}, data_dir=Path(args.workdir))
    host = SubgraphHost(["ledger"], settings)
    await host.start(relays=False, jobs=False)  # migrations
    await handlers.save_program(host.runtime("ledger"), TIERS, POINTS_POLICY)
    await host.stop()
    log(f"  loading {args.members:,} members x {args.entries} entries into {name}...")
    started = time.perf_counter()
    if database_url.startswith("sqlite"):
        await asyncio.to_thread(load_sqlite, database_url.split("///", 1)[1], args.members, args.entries, log)
    else:
        await load_postgres(database_url.replace("+asyncpg", ""), args.members, args.entries, log)
    load_seconds = time.perf_counter() - started
    log(f"  loaded in {load_seconds:.0f} s")
    sequential, concurrent = await postings_in_process(settings, args.members, args.postings, args.clients)
    log(f"  in process: {sequential:.0f} postings/s (1 client), {concurrent:.0f} postings/s ({args.clients} clients)")
    env = {**os.environ, "LOYALTY_DATABASE_URLS": orjson.dumps({"ledger": database_url}).decode(),
           "LOYALTY_SUBGRAPH_PORTS": orjson.dumps(settings.subgraph_ports).decode(), "LOYALTY_LOG_LEVEL": "warning",
           "LOYALTY_DATA_DIR": args.workdir}
    server = await asyncio.create_subprocess_exec(sys.executable, "-m", "loyalty", "serve", "ledger", env=env,
                                                  cwd=ROOT, start_new_session=True)
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        token = issue_token(settings, "service:bench", Role.SERVICE, ttl=timedelta(hours=2))
        http_seq, http_conc, alone, reads = await over_http(f"http://127.0.0.1:{port}/graphql", token, args.members,
                                                            args.postings, args.clients, args.reads)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        await server.wait()
    result = {
        "load_seconds": load_seconds, "in_process_1": sequential, "in_process_n": concurrent,
        "http_1": http_seq, "http_n": http_conc,
        "read_1_p50_ms": 1000 * percentile(alone, 0.50), "read_1_p95_ms": 1000 * percentile(alone, 0.95),
        "read_p50_ms": 1000 * percentile(reads, 0.50), "read_p95_ms": 1000 * percentile(reads, 0.95),
        "read_p99_ms": 1000 * percentile(reads, 0.99), "read_mean_ms": 1000 * statistics.mean(reads),
    }
    log(f"  over HTTP: {http_seq:.0f} postings/s (1 client), {http_conc:.0f} postings/s ({args.clients} clients)")
    log(f"  balance reads over HTTP (1 client): p50 {result['read_1_p50_ms']:.2f} ms, "
        f"p95 {result['read_1_p95_ms']:.2f} ms")
    log(f"  balance reads over HTTP ({args.clients} clients): p50 {result['read_p50_ms']:.2f} ms, "
        f"p95 {result['read_p95_ms']:.2f} ms, p99 {result['read_p99_ms']:.2f} ms")
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=20, help="entries per member")
    parser.add_argument("--postings", type=int, default=2000, help="postings per measurement")
    parser.add_argument("--reads", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--workdir", default=None, help="where the SQLite file goes (default: a temp dir)")
    args = parser.parse_args()
    args.workdir = args.workdir or tempfile.mkdtemp(prefix="bench-ledger-")
    log = print
    results = {}
    database = f"loyalty_bench_ledger_{os.getpid()}"
    for backend in args.backends.split(","):
        log(f"{backend}:")
        if backend == "sqlite":
            results[backend] = await run_backend(backend, f"sqlite+aiosqlite:///{args.workdir}/ledger.db", args, log)
        else:
            url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
            try:
                results[backend] = await run_backend(backend, url, args, log)
            finally:
                connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
                await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                await connection.close()
    if {"sqlite", "postgres"} <= results.keys():
        s, p = results["sqlite"], results["postgres"]
        log(f"PostgreSQL / SQLite: in-process {p['in_process_n'] / s['in_process_n']:.2f}x, "
            f"HTTP {p['http_n'] / s['http_n']:.2f}x postings/s with {args.clients} clients; "
            f"read p95 {p['read_p95_ms'] / s['read_p95_ms']:.2f}x")
    log(orjson.dumps(results).decode())


if __name__ == "__main__":
    asyncio.run(main())
