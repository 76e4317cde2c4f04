"""SQLite connections that run in the event loop's thread.

aiosqlite hands every call to a worker thread; SQLAlchemy's adapter makes four
such calls per statement (cursor, execute, fetchall, close), so a statement
costs ~0.45 ms where SQLite itself needs ~5 us (measured: see db.py). In the
embedded mode a subgraph's database has a single writer and statements touch a
few rows, so running them directly is faster and still never blocks the loop
for long (WAL; `synchronous=NORMAL` syncs only at checkpoints).

Plugged in through `create_async_engine(async_creator=...)`: SQLAlchemy's own
aiosqlite dialect drives these objects exactly as it drives aiosqlite's.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any


class InLoopCursor:
    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InLoopCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InLoopCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InLoopCursor:
        self._cursor.executemany(sql, parameters)
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
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # SQLAlchemy checks it before commit/rollback

    def cursor(self) -> InLoopCursor:
        return InLoopCursor(self._conn.cursor())

    async def commit(self) -> None:
        self._conn.commit()

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


def creator(path: str, timeout: float = 30.0):  # noqa: ANN201 - SQLAlchemy's async_creator signature
    async def connect() -> InLoopConnection:
        return InLoopConnection(sqlite3.connect(path, timeout=timeout, check_same_thread=False))

    return connect
