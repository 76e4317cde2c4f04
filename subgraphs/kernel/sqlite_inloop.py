"""SQLite connections that run in the event loop's thread.

aiosqlite hands every call to a worker thread; SQLAlchemy's adapter makes four
such calls per statement (cursor, execute, fetchall, close), so a statement
costs ~0.45 ms where SQLite itself needs ~5 us (measured: see db.py). In the
embedded mode a subgraph's database has a single writer and statements touch a
few rows, so running them directly is faster and still never blocks the loop
for long (WAL; `synchronous=NORMAL` syncs only at checkpoints).

Plugged in through `create_async_engine(async_creator=...)`: SQLAlchemy's own
aiosqlite dialect drives these objects exactly as it drives aiosqlite's.

Another process holding the write lock (a `loyalty seed`, a backup, a DB
browser) must not freeze the event loop: SQLite's own busy handler would sleep
in this thread, so it is off (`busy_timeout=0`) and a locked statement is
retried here with `asyncio.sleep` between tries, until `busy_seconds` have
passed; then the lock error goes up (the API answers SUBGRAPH_UNAVAILABLE).
"""
from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
BUSY_SLEEP_SECONDS = (0.002, 0.005, 0.01, 0.025, 0.05)  # then 0.05 each time


def is_locked(error: sqlite3.OperationalError) -> bool:
    text = str(error)
    return "database is locked" in text or "database table is locked" in text


async def _retrying(attempt: Callable[[], T], busy_seconds: float) -> T:
    """Run `attempt` (one sqlite3 call) until it is not refused by another process's lock."""
    deadline = time.monotonic() + busy_seconds
    tries = 0
    while True:
        try:
            return attempt()
        except sqlite3.OperationalError as error:
            if not is_locked(error) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(BUSY_SLEEP_SECONDS[min(tries, len(BUSY_SLEEP_SECONDS) - 1)])
        tries += 1


class InLoopCursor:
    __slots__ = ("_busy_seconds", "_cursor")

    def __init__(self, cursor: sqlite3.Cursor, busy_seconds: float) -> None:
        self._cursor = cursor
        self._busy_seconds = busy_seconds

    async def __aenter__(self) -> InLoopCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InLoopCursor:
        await _retrying(lambda: self._cursor.execute(sql, parameters), self._busy_seconds)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InLoopCursor:
        rows = list(parameters)  # retried whole: executemany stops at the first locked row
        await _retrying(lambda: self._cursor.executemany(sql, rows), self._busy_seconds)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InLoopConnection:
    def __init__(self, connection: sqlite3.Connection, busy_seconds: float) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # SQLAlchemy checks it before commit/rollback
        self._busy_seconds = busy_seconds

    def cursor(self) -> InLoopCursor:
        return InLoopCursor(self._conn.cursor(), self._busy_seconds)

    async def commit(self) -> None:
        await _retrying(self._conn.commit, self._busy_seconds)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = value


def creator(path: str, busy_seconds: float = 2.0):  # noqa: ANN201 - SQLAlchemy's async_creator signature
    async def connect() -> InLoopConnection:
        # timeout=0: no busy waiting inside SQLite (it would block the loop); _retrying waits instead.
        return InLoopConnection(sqlite3.connect(path, timeout=0, check_same_thread=False), busy_seconds)

    return connect
