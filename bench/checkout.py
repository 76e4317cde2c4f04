"""bench/checkout: checkouts per second through the gateway, beside the raw insert rate of
the same rows, without and with the demo program's campaigns.

    .venv/bin/python -m bench.checkout                 # 16 clients, 6 s per run
    .venv/bin/python -m bench.checkout --seconds 10 --record

For each run (no campaigns, then the seeded demo campaigns active), on a fresh embedded
default (bench/embedded.py: SQLite, subgraphs in one process, the gateway in another):

1. 64 members enrolled through the gateway; baskets of 1 to 4 catalogue products at their
   prices, a POS at st_portland, a cashier's token, one externalId per checkout.
2. `--clients` clients check out for `--seconds` after a second of warm-up: checkouts/s and
   p50 / p99.
3. The rows those checkouts added to every table of the four databases (purchases, outbox,
   ledger entries, lots and postings, inbox rows, profile's and inventory's copies, ...),
   once the events have settled, are inserted again into a copy of each database with the
   driver (sqlite3, the pragmas the stack uses, foreign keys off): one transaction per
   checkout per database. That rate is the floor the stack is compared with (the issue's
   ratio: checkouts/s over raw checkouts/s).

The engine's cost is 1 - (checkouts/s with campaigns) / (checkouts/s without). Timings are
never asserted by tests.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from core.auth import Role
from core.settings import SUBGRAPHS
from seed.program import PRODUCTS

from .embedded import Embedded, embedded_stack, percentile, record

MEMBERS = 64
CHECKOUT = "mutation($i: CheckoutInput!) { checkout(input: $i) { pointsEarned duplicate } }"
ENROLL = "mutation($i: EnrollMemberInput!) { enrollMember(input: $i) { id } }"
SKIPPED_TABLES = {"alembic_version", "sqlite_sequence"}


async def post(client: httpx.AsyncClient, url: str, query: str, variables: dict, token: str) -> dict:
    response = await client.post(url, content=orjson.dumps({"query": query, "variables": variables}),
                                 headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(orjson.dumps(body["errors"]).decode()[:500])
    return body["data"]


def database(stack_dir: Path, subgraph: str) -> Path:
    return stack_dir / f"{subgraph}.db"


def table_marks(path: Path) -> dict[str, int]:
    """Each table's highest rowid now (read-only: the stack holds the database)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE '%WITHOUT ROWID%'")]
        return {t: connection.execute(f'SELECT coalesce(max(rowid), 0) FROM "{t}"').fetchone()[0]
                for t in tables if t not in SKIPPED_TABLES}


def rows_since(path: Path, marks: dict[str, int]) -> dict[str, tuple[list[str], list[tuple]]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        found = {}
        for table, mark in marks.items():
            cursor = connection.execute(f'SELECT * FROM "{table}" WHERE rowid > ? ORDER BY rowid', (mark,))
            rows = cursor.fetchall()
            if rows:
                found[table] = ([d[0] for d in cursor.description], rows)
        return found


def raw_insert_seconds(path: Path, copy: Path, marks: dict[str, int],
                       rows: dict[str, tuple[list[str], list[tuple]]], transactions: int) -> float:
    """Insert `rows` again into a copy of the database as it was before them, in `transactions`
    commits (one per checkout), with the driver; seconds taken."""
    with sqlite3.connect(path) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # the WAL's pages too
    connection = sqlite3.connect(copy, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=OFF")
        for table in rows:
            connection.execute(f'DELETE FROM "{table}" WHERE rowid > ?', (marks[table],))
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        statements = {}
        for table, (columns, _) in rows.items():
            names = ", ".join(f'"{c}"' for c in columns)
            statements[table] = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
        chunks = {table: [values[i * len(values) // transactions:(i + 1) * len(values) // transactions]
                          for i in range(transactions)] for table, (_, values) in rows.items()}
        started = time.perf_counter()
        for i in range(transactions):
            connection.execute("BEGIN")
            for table, parts in chunks.items():
                if parts[i]:
                    connection.executemany(statements[table], parts[i])
            connection.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        connection.close()


async def run(workdir: Path, *, campaigns: bool, clients: int, seconds: float, profile: Path | None = None
              ) -> dict:
    rng = random.Random(7)
    async with embedded_stack(workdir, campaigns=campaigns, profile=profile) as stack, \
            httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=clients * 2)) as client:
        cashier = stack.token(Role.CASHIER, store="st_portland")
        members = [(await post(client, stack.url, ENROLL, {"i": {
            "channel": "POS", "givenName": f"Bench{n}", "email": f"bench.checkout.{n}@example.org"}}, cashier)
        )["enrollMember"]["id"] for n in range(MEMBERS)]
        numbers = itertools.count()

        async def checkout(stack: Embedded) -> float:
            lines = [{"sku": p.sku, "quantity": rng.randint(1, 2), "unitPrice": str(p.price)}
                     for p in rng.sample(PRODUCTS, rng.randint(1, 4))]
            basket = {"channel": "POS", "storeId": "st_portland", "memberId": rng.choice(members), "lines": lines}
            started = time.perf_counter()
            await post(client, stack.url, CHECKOUT, {"i": {"externalId": f"bench-{next(numbers)}", "basket": basket}},
                       cashier)
            return time.perf_counter() - started

        async def clients_for(duration: float) -> list[float]:
            latencies: list[float] = []
            until = time.perf_counter() + duration

            async def one_client() -> None:
                while time.perf_counter() < until:
                    latencies.append(await checkout(stack))

            await asyncio.gather(*(one_client() for _ in range(clients)))
            return latencies

        await clients_for(1.0)  # warm-up
        await asyncio.sleep(2)  # its events settle
        marks = {name: table_marks(database(workdir, name)) for name in SUBGRAPHS}
        started, cpu = time.perf_counter(), stack.cpu_seconds()
        latencies = await clients_for(seconds)
        elapsed, cpu = time.perf_counter() - started, stack.cpu_seconds() - cpu
        await asyncio.sleep(3)  # the events of the measured checkouts reach every subgraph
        added = {name: rows_since(database(workdir, name), marks[name]) for name in SUBGRAPHS}
    count = len(latencies)
    raw_seconds = sum(raw_insert_seconds(database(workdir, name), workdir / f"raw-{name}.db", marks[name],
                                         added[name], count) for name in SUBGRAPHS if added[name])
    rows = {f"{name}.{table}": len(values) for name in SUBGRAPHS for table, (_, values) in added[name].items()}
    return {"checkouts": count, "per_second": count / elapsed, "p50_ms": 1000 * percentile(latencies, 0.50),
            "p99_ms": 1000 * percentile(latencies, 0.99), "raw_per_second": count / raw_seconds,
            "cpu_ms": 1000 * cpu / count,
            "rows_per_checkout": sum(rows.values()) / count, "rows": rows}


def _row(label: str, r: dict) -> str:
    return (f"| {label} | {r['per_second']:.0f} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['cpu_ms']:.1f} | "
            f"{r['raw_per_second']:.0f} | {r['rows_per_checkout']:.1f} | {r['per_second'] / r['raw_per_second']:.3f}x |")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=6.0, help="measured seconds per run")
    parser.add_argument("--rounds", type=int, default=1,
                        help="runs of each kind, alternating (the engine's cost is the median of the rounds')")
    parser.add_argument("--record", action="store_true", help="append the result to bench/RESULTS.md")
    parser.add_argument("--profile", type=Path, help="a directory: cProfile files of each run's processes")
    args = parser.parse_args()
    rounds: list[dict[str, dict]] = []
    for n in range(1, args.rounds + 1):
        results = {}
        for label, campaigns in (("no campaigns", False), ("demo campaigns", True)):
            profile = args.profile / f"{label.replace(' ', '-')}-{n}" if args.profile else None
            if profile:
                profile.mkdir(parents=True, exist_ok=True)
            workdir = Path(tempfile.mkdtemp(prefix="bench-checkout-"))
            print(f"round {n}, {label}: {args.clients} clients for {args.seconds:g} s...", flush=True)
            results[label] = r = await run(workdir, campaigns=campaigns, clients=args.clients,
                                           seconds=args.seconds, profile=profile)
            print(f"  {r['per_second']:.0f} checkouts/s, p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms "
                  f"({r['checkouts']} checkouts, {r['cpu_ms']:.1f} ms of CPU each); raw inserts of the same rows: "
                  f"{r['raw_per_second']:.0f} checkouts/s ({r['rows_per_checkout']:.1f} rows each); "
                  f"ratio {r['per_second'] / r['raw_per_second']:.3f}x", flush=True)
            shutil.rmtree(workdir, ignore_errors=True)
        rounds.append(results)
    table = ["| run | checkouts/s | p50 ms | p99 ms | CPU ms per checkout | raw inserts, checkouts/s "
             "| rows per checkout | ratio |", "|---|---|---|---|---|---|---|---|"]
    for n, results in enumerate(rounds, start=1):
        for label, r in results.items():
            table.append(_row(label if args.rounds == 1 else f"{label} ({n})", r))
    throughput = [r["demo campaigns"]["per_second"] / r["no campaigns"]["per_second"] for r in rounds]
    cpu = [r["demo campaigns"]["cpu_ms"] / r["no campaigns"]["cpu_ms"] for r in rounds]
    p99 = [r["demo campaigns"]["p99_ms"] / r["no campaigns"]["p99_ms"] for r in rounds]
    each = "" if args.rounds == 1 else f" (rounds: {', '.join(f'{t:.2f}x' for t in throughput)})"
    with_ = rounds[-1]["demo campaigns"]
    summary = [f"with the demo campaigns / without{'' if args.rounds == 1 else ', median of the rounds'}: "
               f"{statistics.median(throughput):.2f}x checkouts/s{each} (the engine's cost: "
               f"{100 * (1 - statistics.median(throughput)):.0f}%), p99 {statistics.median(p99):.2f}x; CPU per "
               f"checkout {statistics.median(cpu):.2f}x (the stack's processes, whatever else shares the machine)",
               "rows per checkout (demo campaigns" + ("" if args.rounds == 1 else ", last round") + "): " + ", ".join(
                   f"{name} {n / with_['checkouts']:.2f}" for name, n in sorted(with_["rows"].items()))]
    print("\n".join(["", *table, "", *summary]))
    if args.record:
        record("bench/checkout", "bench.checkout", [
            f"{args.clients} clients through the gateway, {args.seconds:g} s per run after 1 s of warm-up"
            + (f", {args.rounds} rounds alternating without and with the campaigns" if args.rounds > 1 else "")
            + "; the embedded default (SQLite; subgraphs in one process, the gateway in another), 64 members, "
            "baskets of 1 to 4 catalogue products at st_portland; raw: the rows the measured checkouts added to "
            "the four databases, inserted again with sqlite3 into a copy, one transaction per checkout per database."],
            [*table, "", *(f"- {s}" for s in summary)])


if __name__ == "__main__":
    asyncio.run(main())
