"""For privacy tests: a person no one else in the databases shares a name, email or phone
with, and a search for strings in every database of a stack, byte for byte.

Embedded (SQLite): every file of every subgraph's database (the main file, its
write-ahead log and shared memory) read as raw bytes, free pages and all.
Scale-out (PostgreSQL): every text, json and bytea column of every table of the
four databases.
"""
from __future__ import annotations

import asyncio
import random
import secrets
import string
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from core.settings import SUBGRAPHS

from .stack import Stack

T = TypeVar("T")


@dataclass(frozen=True)
class Person:
    given_name: str
    family_name: str
    email: str
    phone: str  # as a till types it
    phone_e164: str  # as profile stores it
    key: str  # for externalIds and keys that must not name the person

    @classmethod
    def new(cls) -> Person:
        letters = "".join(random.choices(string.ascii_lowercase, k=8))
        exchange, line = random.randint(200, 999), random.randint(0, 9999)
        return cls(
            given_name=f"Zephyrine{letters[:4]}",
            family_name=f"Quillfeather{letters[4:]}",
            email=f"z.quill.{letters}@example.org",
            phone=f"+1 503 {exchange} {line:04d}",
            phone_e164=f"+1503{exchange}{line:04d}",
            key=secrets.token_hex(4),
        )

    @property
    def needles(self) -> list[str]:
        return [self.given_name, self.family_name, self.email, self.phone_e164]


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 30.0, pause: float = 0.1) -> T:
    """The first truthy answer of `check`, asked again until `timeout` has passed (events travel)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = await check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise TimeoutError(f"still {answer!r} after {timeout} s")
        await asyncio.sleep(pause)


async def find_in_databases(stack: Stack, needles: Iterable[str]) -> dict[str, list[str]]:
    """Where each string occurs in the stack's databases: {needle: [file or table.column, ...]}."""
    needles = list(needles)
    found: dict[str, list[str]] = {needle: [] for needle in needles}
    for subgraph in SUBGRAPHS:
        url = make_url(stack.settings.database_url_for(subgraph))
        if url.get_backend_name() == "sqlite":
            assert url.database
            for needle, places in (await find_in_files(Path(url.database), needles)).items():
                found[needle].extend(places)
        else:
            for needle, places in (await _find_in_postgres(url.set(drivername="postgresql").render_as_string(
                    hide_password=False), needles)).items():
                found[needle].extend(f"{subgraph}.{place}" for place in places)
    return {needle: places for needle, places in found.items() if places}


async def find_in_files(database: Path, needles: list[str]) -> dict[str, list[str]]:
    """Which of a SQLite database's files (the file, its `-wal` and `-shm`) hold each string."""
    return await asyncio.to_thread(_find_in_files, database, needles)


def _find_in_files(database: Path, needles: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {needle: [] for needle in needles}
    for path in sorted(database.parent.glob(database.name + "*")):
        content = path.read_bytes()
        for needle in needles:
            if needle.encode() in content:
                found[needle].append(path.name)
    return found


async def _find_in_postgres(dsn: str, needles: list[str]) -> dict[str, list[str]]:
    connection = await asyncpg.connect(dsn)
    try:
        columns = await connection.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', "
            "'json', 'jsonb', 'bytea') ORDER BY table_name, column_name")
        found: dict[str, list[str]] = {needle: [] for needle in needles}
        for column in columns:
            name = f'"{column["table_name"]}"."{column["column_name"]}"'
            if column["data_type"] == "bytea":
                condition = f"position(convert_to($1, 'UTF8') in {name}) > 0"
            else:
                condition = f"strpos({name}::text, $1) > 0"
            for needle in needles:
                if await connection.fetchval(f'SELECT count(*) FROM "{column["table_name"]}" WHERE {condition}',
                                             needle):
                    found[needle].append(f'{column["table_name"]}.{column["column_name"]}')
        return found
    finally:
        await connection.close()


async def clear_of_a_minute_boundary(margin: float = 10.0) -> None:
    """Staff reads are recorded once per staff member, member and minute: a test that reads
    twice and expects one entry starts at least `margin` seconds before the next minute."""
    into = time.time() % 60
    if into > 60 - margin:
        await asyncio.sleep(60 - into + 0.1)
