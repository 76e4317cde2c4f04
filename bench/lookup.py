"""bench/lookup: finding a member at the till (`lookupMember`) and `identify` with a merge.

    .venv/bin/python -m bench.lookup                                  # 1,000,000 members, SQLite then PostgreSQL
    .venv/bin/python -m bench.lookup --members 50000 --backends sqlite   # a quick run
    .venv/bin/python -m bench.lookup --record                         # append the result to bench/RESULTS.md
    .venv/bin/python -m bench.lookup --profile                        # also: where the gateway's and profile's time goes

For SQLite (the embedded default) and PostgreSQL (127.0.0.1:5432, a database of its own, dropped
after), each in turn:

1. Migrates profile's database and bulk-loads `--members` members with the rows enrolment writes
   (`repository.member_row`, `identity_rows`, `consent_change_rows`: members, their normalised
   email and phone identities, the consents given at enrolment); one member in 1,000 is checked
   against `domain.members.enroll` fed the raw values a till would type. The SQLite file is kept
   under var/bench/ (never committed) and copied for each run (runs write to it); PostgreSQL is
   loaded from it with COPY.
2. One client, one request at a time (the till's case), `--requests` of each, for members picked
   at random, by phone (typed as '(503) 555-0142') and by email (typed with capitals and spaces):
   - raw: the indexed SELECT (identities by (kind, value) joined to members) with the driver alone
     (sqlite3 and aiosqlite; asyncpg), on values already normalised;
   - in process: profile's handler `lookup_member` (normalisation, its reads, the access log);
   - profile over HTTP: `lookupMember` sent to the profile subgraph itself;
   - the gateway's floor: `{ __typename }` (the gateway alone) and `{ me { id } }` with a staff
     token (gateway -> profile -> null: no database);
   - through the gateway: `lookupMember` by phone and by email.
3. `identify` through the gateway with a phone held by one member and an email held by another:
   each call merges two members (`--identify` calls), and `identify` of a member's own identifiers.

Prints p50/p95 per row and the gateway's p95 against the raw query's. Timings are measured here,
never asserted by a test.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import datetime as dt
import io
import os
import platform
import pstats
import random
import shlex
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import aiosqlite
import asyncpg
import orjson
import phonenumbers
import sqlalchemy as sa
from ulid import ULID

from core.auth import Principal, Role, issue_token
from core.settings import SUBGRAPHS, Settings
from core.vocabulary import Channel, IdentifierKind
from gateway.supergraph.compose import SubgraphSource, compose
from subgraphs.kernel.host import SubgraphHost, load_spec
from subgraphs.profile.adapters import repository, tables
from subgraphs.profile.domain import consents as consent_ledger
from subgraphs.profile.domain import members as rules
from subgraphs.profile.domain.members import Consents, Identity, Member
from subgraphs.profile.handlers import members as member_handlers
from tests.support.net import free_ports

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
LOADER_VERSION = 1  # bump when the generated population changes: the cached SQLite files are then rebuilt
BIN = Path(sys.executable).parent
REGION = "US"
CASHIER = Principal("ana.bench", Role.CASHIER, store="st_portland")
ENROLLED_FROM = datetime(2021, 1, 1, tzinfo=UTC)
ENROLLED_TO = datetime(2026, 11, 1, tzinfo=UTC)

GIVEN = ("Julia", "Marcus", "Aiko", "Sam", "Priya", "Lena", "Omar", "Chloe", "Mateo", "Grace", "Noah", "Zoe",
         "Ivan", "Mia", "Kofi", "Sofia", "Liam", "Hana", "Diego", "Emma")
FAMILY = ("Meyer", "Lee", "Tanaka", "Rivera", "Patel", "Schmidt", "Haddad", "Martin", "Garcia", "Kim", "Nguyen",
          "Rossi", "Novak", "Silva", "Mensah", "Cohen", "Brown", "Sato", "Lopez", "Dubois")
DOMAINS = ("example.com", "mail.example.org", "example.net", "shop.example.com")
# Area codes of the stores' cities (all valid for phonenumbers' US metadata); numbers are spread
# over area x exchange x line by an affine permutation of the member's index, so each is unique.
AREAS = (503, 206, 303, 720, 415, 312, 617, 212, 305, 404, 512, 602, 612, 713, 801, 971)
EXCHANGES = 800  # 200..999
PHONE_SPACE = len(AREAS) * EXCHANGES * 10_000
PHONE_STEP = 7_919_981  # prime, not a factor of PHONE_SPACE

LOOKUP = ("query Lookup($kind: IdentifierKind!, $value: String!) { lookupMember(kind: $kind, value: $value) "
          "{ id givenName familyName email phone status enrolledAt identities { kind value } } }")
TYPENAME = "{ __typename }"
ME = "{ me { id } }"
IDENTIFY = ("mutation Identify($input: IdentifyInput!) { identify(input: $input) "
            "{ id email phone identities { kind value } } }")
RAW_SQL = ("SELECT m.id, m.status, m.given_name, m.family_name, m.email, m.phone, m.birthday, m.home_store_id, "
           "m.enrolled_at, m.email_marketing, m.sms_marketing, m.push_marketing, m.profiling, "
           "m.consents_updated_at, m.field_sources, m.absorbed_count "
           "FROM identities i JOIN members m ON m.id = i.member_id WHERE i.kind = {0} AND i.value = {1}")


# --- the population ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """What a member typed at enrolment, and the member enrolment made of it."""

    index: int
    raw_email: str | None  # as typed: '  Julia.Meyer.12@Example.Com '
    channel: Channel
    consents: dict[str, bool | None]
    member: Member


def phone_of(index: int) -> str:
    """The member's phone in E.164 ('+15035550142'), unique per index."""
    n = (index * PHONE_STEP + 12_345) % PHONE_SPACE
    area, rest = divmod(n, EXCHANGES * 10_000)
    exchange, line = divmod(rest, 10_000)
    return f"+1{AREAS[area]}{200 + exchange}{line:04d}"


def person(index: int, seed: int) -> Person:
    """Member `index` of the population, the same every time (a pure function of index and seed)."""
    rng = random.Random(seed * 10_000_019 + index)
    span = (ENROLLED_TO - ENROLLED_FROM).total_seconds()
    enrolled_at = ENROLLED_FROM + timedelta(seconds=span * index / 1_000_000 % span,
                                            microseconds=rng.randrange(1_000_000))
    member_id = "mbr_" + str(ULID.from_bytes(int(enrolled_at.timestamp() * 1000).to_bytes(6, "big")
                                               + rng.randbytes(10)))
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    shape = rng.random()  # 60 % give both, 25 % a phone only (the till), 15 % an email only (the web shop)
    email = f"{given}.{family}.{index}@{rng.choice(DOMAINS)}".lower() if shape < 0.6 or shape >= 0.85 else None
    phone = phone_of(index) if shape < 0.85 else None
    channel = Channel.ECOMMERCE if phone is None else rng.choice((Channel.POS, Channel.POS, Channel.APP))
    consents: dict[str, bool | None] = {}
    if email and rng.random() < 0.35:
        consents["email_marketing"] = True
    if rng.random() < 0.05:
        consents["profiling"] = False
    birthday = dt.date(1950 + rng.randrange(55), 1 + rng.randrange(12), 1 + rng.randrange(28)) \
        if rng.random() < 0.4 else None
    home_store = rng.choice(("st_portland", "st_seattle", "st_denver", None))
    initial = Consents().changed(enrolled_at, **consents)
    member = Member(
        id=member_id, enrolled_at=enrolled_at, given_name=given, family_name=family, email=email, phone=phone,
        birthday=birthday, home_store_id=home_store, consents=initial,
        identities=tuple(Identity(kind, value, channel, enrolled_at)
                         for kind, value in ((IdentifierKind.EMAIL, email), (IdentifierKind.PHONE, phone)) if value),
    )
    member = replace(member, field_sources=rules.sources_of(member, channel, enrolled_at))
    raw_email = f"  {email.title()} " if email else None  # a till types capitals and spaces
    return Person(index, raw_email, channel, consents, member)


def typed_phone(phone: str) -> str:
    """How a cashier types it: '(503) 555-0142'."""
    return phonenumbers.format_number(phonenumbers.parse(phone, REGION), phonenumbers.PhoneNumberFormat.NATIONAL)


def check_against_enrolment(p: Person) -> None:
    """The bulk-loaded member is exactly what enrolMember makes of the raw values."""
    enrolled = rules.enroll(member_id=p.member.id, now=p.member.enrolled_at, channel=p.channel,
                            default_region=REGION, given_name=p.member.given_name,
                            family_name=p.member.family_name, email=p.raw_email,
                            phone=typed_phone(p.member.phone) if p.member.phone else None,
                            birthday=p.member.birthday, home_store_id=p.member.home_store_id,
                            consents=p.consents, by_staff=True)
    if enrolled != p.member:
        raise SystemExit(f"the generated member {p.index} differs from enrolment:\n{enrolled}\n{p.member}")


def rows_of(p: Person) -> tuple[dict, list[dict], list[dict]]:
    actor = member_handlers.actor_of(CASHIER)
    _, given = consent_ledger.record(Consents(), p.consents, at=p.member.enrolled_at, source=p.channel, actor=actor)
    return (repository.member_row(p.member), repository.identity_rows(p.member.id, p.member.identities),
            repository.consent_change_rows(p.member.id, given))


def batches(members: int, seed: int, size: int = 20_000) -> Iterator[tuple[list[dict], list[dict], list[dict]]]:
    batch: tuple[list[dict], list[dict], list[dict]] = ([], [], [])
    for index in range(members):
        p = person(index, seed)
        if index % 1000 == 0:
            check_against_enrolment(p)
        member, linked, given = rows_of(p)
        batch[0].append(member)
        batch[1].extend(linked)
        batch[2].extend(given)
        if len(batch[0]) == size or index == members - 1:
            yield batch
            batch = ([], [], [])


# Secondary indexes of the loaded tables: built after the rows, as a migration of an existing file would.
SECONDARY = {"ix_identities_member_id": ("identities", "member_id"),
             "ix_members_enrolled_at": ("members", "enrolled_at, id"),
             "ix_consent_changes_member": ("consent_changes", "member_id, at")}


def load_sqlite(path: Path, members: int, seed: int, log: Callable[[str], None]) -> None:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA synchronous=OFF")
        connection.exec_driver_sql("PRAGMA cache_size=-1000000")  # the identities key fits in memory
        for name in SECONDARY:
            connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
        for done, (member_rows, identity_rows, consent_rows) in enumerate(batches(members, seed), start=1):
            connection.execute(tables.members.insert(), member_rows)
            connection.execute(tables.identities.insert(), identity_rows)
            if consent_rows:
                connection.execute(tables.consent_changes.insert(), consent_rows)
            if done * 20_000 % 200_000 == 0:
                log(f"    {done * 20_000:,} members loaded")
        for name, (table, columns) in SECONDARY.items():
            connection.exec_driver_sql(f"CREATE INDEX {name} ON {table} ({columns})")
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()


async def load_postgres(dsn: str, sqlite_path: Path, log: Callable[[str], None]) -> None:
    """The same rows as the SQLite file (its text, through COPY ... CSV): generating a million
    members again would cost more than the copy. SQLite keeps booleans as 0/1 and times as
    UTC text without a zone; PostgreSQL reads both, the session being in UTC."""
    connection = await asyncpg.connect(dsn)
    source = sqlite3.connect(sqlite_path)
    try:
        await connection.execute("SET TIME ZONE 'UTC'")
        for name in SECONDARY:
            await connection.execute(f"DROP INDEX IF EXISTS {name}")
        for table in (tables.members, tables.identities, tables.consent_changes):
            columns = [c.name for c in table.columns if not (table is tables.consent_changes and c.name == "id")]
            cursor = source.execute(f"SELECT {', '.join(columns)} FROM {table.name}")
            copied = 0
            while rows := cursor.fetchmany(100_000):
                buffer = io.StringIO()
                csv.writer(buffer).writerows(rows)
                await connection.copy_to_table(table.name, source=io.BytesIO(buffer.getvalue().encode()),
                                               columns=columns, format="csv")
                copied += len(rows)
            log(f"    {table.name}: {copied:,} rows")
        for name, (table_name, cols) in SECONDARY.items():
            await connection.execute(f"CREATE INDEX {name} ON {table_name} ({cols})")
        await connection.execute("ANALYZE")
    finally:
        source.close()
        await connection.close()


def alembic_head() -> str:
    from alembic.script import ScriptDirectory

    from subgraphs.kernel.migrations import alembic_config

    return ScriptDirectory.from_config(alembic_config("profile", "sqlite://")).get_current_head() or "none"


async def migrate(url: str, workdir: Path) -> None:
    settings = Settings(database_urls={"profile": url}, data_dir=workdir)
    host = SubgraphHost(["profile"], settings)
    await host.start(relays=False, jobs=False)
    await host.stop()


# --- measuring --------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def summary(timing: Timing) -> dict[str, float]:
    return {"p50": 1000 * percentile(timing.latencies, 0.50), "p95": 1000 * percentile(timing.latencies, 0.95),
            "n": len(timing.latencies), **{f"cpu_{name}": ms for name, ms in timing.cpu_ms.items()}}


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) a process has used: this process's own when pid is None."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Timing:
    latencies: list[float]
    cpu_ms: dict[str, float]  # CPU per call of each process: far less disturbed by the machine's load than latencies


async def timed(calls: list[Callable[[], Awaitable[object]]], warmup: int = 50,
                processes: dict[str, int | None] | None = None) -> Timing:
    processes = processes or {"client": None}
    for call in calls[:warmup]:
        await call()
    latencies = []
    before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    for call in calls:
        started = time.perf_counter()
        await call()
        latencies.append(time.perf_counter() - started)
    return Timing(latencies, {name: 1000 * (cpu_seconds(pid) - before[name]) / len(calls)
                              for name, pid in processes.items()})


@contextlib.asynccontextmanager
async def process(args: list[str], env: dict[str, str], health: str) -> AsyncIterator[int]:
    proc = await asyncio.create_subprocess_exec(*args, cwd=ROOT, env={**os.environ, **env},
                                                start_new_session=True)
    try:
        async with aiohttp.ClientSession() as client:
            for _ in range(300):
                with contextlib.suppress(aiohttp.ClientError):
                    async with client.get(health) as response:
                        if response.status == 200:
                            break
                if proc.returncode is not None:
                    raise SystemExit(f"{args} exited with {proc.returncode}")
                await asyncio.sleep(0.2)
            else:
                raise SystemExit(f"{health} did not answer")
        yield proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()


def serve_command(part: str, profile_to: Path | None) -> list[str]:
    if profile_to is None:
        return [str(BIN / "loyalty"), "serve", part]
    return [sys.executable, "-m", "bench.profiled", str(profile_to), "serve", part]


async def run_backend(name: str, url: str, args: argparse.Namespace, workdir: Path, log: Callable[[str], None]
                      ) -> dict[str, dict[str, float]]:
    rng = random.Random(3)
    wanted = rng.sample(range(args.members), min(args.members, args.requests * 2 + args.identify * 4 + 200))
    people = [person(i, args.seed) for i in wanted]
    for p in people:
        check_against_enrolment(p)
    by_phone = [p for p in people if p.member.phone][: args.requests]
    by_email = [p for p in people if p.member.email][: args.requests]
    used = {p.index for p in by_phone} | {p.index for p in by_email}
    spare = [p for p in people if p.index not in used]
    phones = [p for p in spare if p.member.phone][: args.identify]
    emails = [p for p in spare if p.member.email and p not in phones][: args.identify]
    merge_pairs = list(zip(phones, emails, strict=False))
    if len(merge_pairs) < args.identify:
        raise SystemExit(f"not enough members for {args.identify} merges")
    results: dict[str, dict[str, float]] = {}

    def note(label: str, timing: Timing) -> None:
        results[label] = r = summary(timing)
        cpu = "  ".join(f"{name} {ms:.2f}" for name, ms in timing.cpu_ms.items())
        log(f"  {label:<52} p50 {r['p50']:7.2f} ms  p95 {r['p95']:7.2f} ms   CPU ms/call: {cpu}")

    # Raw: the indexed SELECT with the driver alone, on normalised values.
    if name == "sqlite":
        path = url.split("///", 1)[1]
        raw = sqlite3.connect(path)
        sql = RAW_SQL.format("?", "?")
        for kind, group, attr in (("PHONE", by_phone, "phone"), ("EMAIL", by_email, "email")):
            async def fetch_now(v: str, kind: str = kind) -> list:
                return raw.execute(sql, (kind, v)).fetchall()
            values = [getattr(p.member, attr) for p in group]
            timing = await timed([lambda v=v: fetch_now(v) for v in values])
            assert raw.execute(sql, (kind, getattr(group[0].member, attr))).fetchall()[0][0] == group[0].member.id
            note(f"raw sqlite3, by {attr}", timing)
            plan = raw.execute("EXPLAIN QUERY PLAN " + sql, (kind, "x")).fetchall()
        log("    plan: " + " / ".join(str(r[-1]) for r in plan))
        raw.close()
        async with aiosqlite.connect(path) as connection:
            for kind, group, attr in (("PHONE", by_phone, "phone"), ("EMAIL", by_email, "email")):
                async def fetch(v: str, kind: str = kind) -> list:
                    async with connection.execute(sql, (kind, v)) as cursor:
                        return list(await cursor.fetchall())
                note(f"raw aiosqlite, by {attr}",
                     await timed([lambda v=getattr(p.member, attr): fetch(v) for p in group]))  # noqa: B008
    else:
        connection = await asyncpg.connect(url.replace("+asyncpg", ""))
        sql = RAW_SQL.format("$1", "$2")
        statement = await connection.prepare(sql)
        for kind, group, attr in (("PHONE", by_phone, "phone"), ("EMAIL", by_email, "email")):
            values = [getattr(p.member, attr) for p in group]
            timing = await timed([lambda v=v, kind=kind: statement.fetch(kind, v) for v in values])
            assert (await statement.fetch(kind, getattr(group[0].member, attr)))[0]["id"] == group[0].member.id
            note(f"raw asyncpg (prepared), by {attr}", timing)
        plan = await connection.fetch("EXPLAIN " + sql, "PHONE", by_phone[0].member.phone)
        log("    plan: " + " / ".join(r[0].strip() for r in plan))
        await connection.close()

    # In process: profile's handler, with its own engine (no HTTP, no GraphQL).
    settings = Settings(database_urls={"profile": url}, data_dir=workdir)
    host = SubgraphHost(["profile"], settings)
    await host.start(relays=False, jobs=False)
    try:
        runtime = host.runtime("profile")
        for kind, group, typed in ((IdentifierKind.PHONE, by_phone, lambda p: typed_phone(p.member.phone)),
                                   (IdentifierKind.EMAIL, by_email, lambda p: p.raw_email)):
            async def one(p: Person, kind: IdentifierKind = kind, typed=typed) -> None:  # noqa: ANN001
                found = await member_handlers.lookup_member(runtime, CASHIER, kind, typed(p))
                assert found is not None and found.id == p.member.id, (p, found)
            note(f"in process: lookup_member, by {kind.lower()}", await timed([lambda p=p: one(p) for p in group]))
    finally:
        await host.stop()

    # Over HTTP: profile alone, then the gateway.
    ports = free_ports(len(SUBGRAPHS) + 1)
    subgraph_ports = dict(zip(SUBGRAPHS, ports[1:], strict=True))
    env = {"LOYALTY_DATABASE_URLS": orjson.dumps({"profile": url}).decode(),
           "LOYALTY_SUBGRAPH_PORTS": orjson.dumps(subgraph_ports).decode(), "LOYALTY_LOG_LEVEL": "warning",
           "LOYALTY_DATA_DIR": str(workdir), "LOYALTY_GATEWAY_PORT": str(ports[0])}
    served = Settings(subgraph_ports=subgraph_ports, gateway_port=ports[0])
    supergraph = workdir / "supergraph.graphql"
    supergraph.write_text(compose([SubgraphSource(n, served.subgraph_url(n), load_spec(n).schema.as_str())
                                   for n in SUBGRAPHS]))
    token = issue_token(served, CASHIER.subject, Role.CASHIER, store=CASHIER.store, ttl=timedelta(hours=2))
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    profile_url, gateway_url = served.subgraph_url("profile"), served.gateway_http_url()
    profiles = {part: workdir / f"{part}.prof" for part in ("profile", "gateway")} if args.profile else {}

    async with (
        process(serve_command("profile", profiles.get("profile")), env,
                profile_url.replace("/graphql", "/health")) as profile_pid,
        process(serve_command("gateway", profiles.get("gateway")) + ["--supergraph", str(supergraph)], env,
                gateway_url.replace("/graphql", "/ready")) as gateway_pid,
        # aiohttp (the gateway's own client): it costs the shared CPUs less per request than httpx.
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as client,
    ):
        pids = {"client": None, "gateway": gateway_pid, "profile": profile_pid}

        async def measured(calls: list[Callable[[], Awaitable[object]]], warmup: int = 50) -> Timing:
            return await timed(calls, warmup, pids)

        async def post(target: str, query: str, variables: dict | None = None) -> dict:
            async with client.post(target, data=orjson.dumps({"query": query, "variables": variables}),
                                   headers=headers) as response:
                body = orjson.loads(await response.read())
            if body.get("errors"):
                raise SystemExit(f"{target}: {body['errors']}")
            return body["data"]

        def lookups(target: str, kind: str, group: list[Person]) -> list[Callable[[], Awaitable[object]]]:
            async def one(p: Person) -> None:
                value = typed_phone(p.member.phone) if kind == "PHONE" else p.raw_email
                data = await post(target, LOOKUP, {"kind": kind, "value": value})
                assert data["lookupMember"]["id"] == p.member.id, (p, data)
            return [lambda p=p: one(p) for p in group]

        for kind, group in (("PHONE", by_phone), ("EMAIL", by_email)):
            note(f"profile over HTTP: lookupMember, by {kind.lower()}",
                 await measured(lookups(profile_url, kind, group)))
        note("gateway alone: { __typename }",
             await measured([lambda: post(gateway_url, TYPENAME)] * args.requests))
        note("gateway -> profile, no database: { me { id } }",
             await measured([lambda: post(gateway_url, ME)] * args.requests))
        for kind, group in (("PHONE", by_phone), ("EMAIL", by_email)):
            note(f"gateway: lookupMember, by {kind.lower()}", await measured(lookups(gateway_url, kind, group)))

        async def merge(pair: tuple[Person, Person]) -> None:
            a, b = pair
            data = await post(gateway_url, IDENTIFY, {"input": {"channel": "APP", "identifiers": [
                {"kind": "PHONE", "value": typed_phone(a.member.phone)}, {"kind": "EMAIL", "value": b.raw_email}]}})
            older = min((a.member, b.member), key=lambda m: m.enrolled_at)
            survivor = data["identify"]
            assert survivor["id"] == older.id, (pair, data)
            assert {"kind": "PHONE", "value": a.member.phone} in survivor["identities"], data
            assert {"kind": "EMAIL", "value": b.member.email} in survivor["identities"], data

        async def known(p: Person) -> None:
            identifiers = [{"kind": "PHONE", "value": typed_phone(p.member.phone)}]
            data = await post(gateway_url, IDENTIFY, {"input": {"channel": "POS", "identifiers": identifiers}})
            assert data["identify"]["id"] == p.member.id, data

        note("gateway: identify, a known phone (no merge)",
             await measured([lambda p=p: known(p) for p in by_phone[: args.identify]], warmup=10))
        note("gateway: identify, phone of A + email of B (merge)",
             await measured([lambda pair=pair: merge(pair) for pair in merge_pairs], warmup=0))
    for part, path in profiles.items():
        if path.exists():
            log(f"  where {part}'s time goes (cProfile, {path}; top by own time):")
            stream = pstats.Stats(str(path)).sort_stats("tottime")
            for line in top_lines(stream, 18):
                log("    " + line)
    return results


def top_lines(stats: pstats.Stats, limit: int) -> list[str]:
    entries = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:limit]  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    lines = []
    for (filename, line, function), (_, calls, own, cumulative, _) in entries:
        where = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        lines.append(f"{100 * own / total:5.1f} % own  {100 * cumulative / total:5.1f} % cum  {calls:>8}  "
                     f"{where}:{line}({function})")
    return lines


def keep(building: Path, cached: Path) -> None:
    """The loaded file, whole (its WAL folded in), under its cache name."""
    with sqlite3.connect(building) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm", ".writer"):  # .writer: the migration's single-writer claim
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    building.rename(cached)


async def cached_sqlite(args: argparse.Namespace, workdir: Path, log: Callable[[str], None]) -> Path:
    """The loaded SQLite file of this population and schema, built on first use."""
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"profile-{args.members}-s{args.seed}-v{LOADER_VERSION}-{alembic_head()}.db"
    if not cached.exists() or args.reload:
        building = cached.with_suffix(".building")
        await asyncio.to_thread(building.unlink, missing_ok=True)
        await migrate(f"sqlite+aiosqlite:///{building}", workdir)
        log(f"  loading {args.members:,} members into SQLite (kept as {cached.relative_to(ROOT)})...")
        started = time.perf_counter()
        await asyncio.to_thread(load_sqlite, building, args.members, args.seed, log)
        await asyncio.to_thread(keep, building, cached)
        log(f"  loaded in {time.perf_counter() - started:.0f} s")
    return cached


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1000, help="lookups of each kind per measurement")
    parser.add_argument("--identify", type=int, default=200, help="identify calls (each one merges two members)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reload", action="store_true", help="rebuild the cached SQLite file")
    parser.add_argument("--profile", action="store_true", help="run profile and the gateway under cProfile")
    parser.add_argument("--record", action="store_true", help="append the result to bench/RESULTS.md")
    args = parser.parse_args()
    log = print
    results: dict[str, dict[str, dict[str, float]]] = {}
    loads: dict[str, float] = {}
    database = f"loyalty_bench_lookup_{os.getpid()}"
    for backend in args.backends.split(","):
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-lookup-{backend}-"))
        log(f"{backend}:")
        try:
            cached = await cached_sqlite(args, workdir, log)
            if backend == "sqlite":
                target = workdir / "profile.db"
                await asyncio.to_thread(shutil.copyfile, cached, target)  # the runs write: a copy each time
                results[backend] = await run_backend(backend, f"sqlite+aiosqlite:///{target}", args, workdir, log)
            else:
                admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
                await admin.execute(f'CREATE DATABASE "{database}"')
                await admin.close()
                url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
                try:
                    await migrate(url, workdir)
                    log(f"  loading {args.members:,} members into PostgreSQL...")
                    started = time.perf_counter()
                    await load_postgres(url.replace("+asyncpg", ""), cached, log)
                    loads[backend] = time.perf_counter() - started
                    log(f"  loaded in {loads[backend]:.0f} s")
                    results[backend] = await run_backend(backend, url, args, workdir, log)
                finally:
                    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
                    await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                    await admin.close()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    lines = report(results)
    log("\n".join(lines))
    if args.record:
        record(args, lines)


def report(results: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    backends = list(results)
    order = ("raw", "in process", "profile over HTTP", "gateway alone", "gateway ->", "gateway: lookupMember",
             "gateway: identify")
    labels = sorted(dict.fromkeys(label for r in results.values() for label in r),
                    key=lambda label: next(i for i, prefix in enumerate(order) if label.startswith(prefix)))
    lines = ["| p50 / p95, ms | " + " | ".join({"sqlite": "SQLite", "postgres": "PostgreSQL"}[b] for b in backends)
             + " |", "|---" * (len(backends) + 1) + "|"]
    for label in labels:
        cells = [f"{r[label]['p50']:.2f} / {r[label]['p95']:.2f}" if label in r else "" for r in results.values()]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "CPU ms per call (user + system, from /proc: far less disturbed by the machine's load than latencies; "
              "client = the bench process: the driver, the handler or the HTTP client):", "",
              "| CPU ms per call | " + " | ".join(f"{b} {part}" for b in backends
                                                  for part in ("client", "gateway", "profile")) + " |",
              "|---" * (3 * len(backends) + 1) + "|"]
    for label in labels:
        cells = [f"{r[label][f'cpu_{part}']:.2f}" if f"cpu_{part}" in r.get(label, {}) else ""
                 for r in results.values() for part in ("client", "gateway", "profile")]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    for backend, r in results.items():
        raw = "raw sqlite3" if backend == "sqlite" else "raw asyncpg (prepared)"
        for attr in ("phone", "email"):
            gateway, base = r.get(f"gateway: lookupMember, by {attr}"), r.get(f"{raw}, by {attr}")
            if gateway and base:
                lines.append(f"- {backend}, by {attr}: gateway p95 / raw p95 = {gateway['p95'] / base['p95']:.1f}x "
                             f"(target 3x)")
    return lines


def record(args: argparse.Namespace, lines: list[str]) -> None:
    command = shlex.join([".venv/bin/python", "-m", "bench.lookup", *sys.argv[1:]])
    entry = [
        f"\n## {dt.date.today()}: bench/lookup at {args.members:,} members",
        "",
        f"- Command: `{command}`",
        f"- Machine: {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        "PostgreSQL on 127.0.0.1; the profile subgraph, the gateway and the client share the machine.",
        f"- One client, one request at a time, {args.requests} lookups of each kind for members picked at random; "
        f"{args.identify} identify calls. Load average at the end: {os.getloadavg()[0]:.1f} "
        "(other work on the machine queues before ours: compare the CPU table across runs, not the latencies).",
        "",
        *lines,
    ]
    results_file = ROOT / "bench" / "RESULTS.md"
    text = results_file.read_text()
    head, _, rest = text.partition("\n## ")
    results_file.write_text(head + "\n".join(entry) + "\n" + ("\n## " + rest if rest else ""))


if __name__ == "__main__":
    asyncio.run(main())
