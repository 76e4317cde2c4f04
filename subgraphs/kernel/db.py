"""Database access: one async SQLAlchemy engine per subgraph, and the unit of work.

SQLite (the embedded default) runs in WAL mode with a single writer per
database: write transactions take an asyncio lock, so concurrent requests are
serialised instead of failing with "database is locked". PostgreSQL (the
scale-out mode) runs writers in parallel and serialises per row with
`SELECT ... FOR UPDATE` (see `UnitOfWork.for_update`).
"""
from __future__ import annotations

import asyncio
import fcntl
import os
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from core.clock import utcnow

from . import sqlite_inloop
from .events import Event


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite stores no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: use an aware UTC datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def messaging_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """The transactional outbox and the consumer inbox, added to every subgraph's schema."""
    outbox = sa.Table(
        "outbox",
        metadata,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(40), nullable=False, unique=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        # The member an event is about (the envelope's member_id): an erasure deletes that
        # member's rows, whose bodies may carry personal data (kernel/privacy.py).
        sa.Column("member_id", sa.String(40), nullable=True),
        sa.Index(
            "ix_outbox_unpublished",
            "seq",
            sqlite_where=sa.text("published_at IS NULL"),
            postgresql_where=sa.text("published_at IS NULL"),
        ),
        sa.Index("ix_outbox_member", "member_id"),
    )
    inbox = sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(40), primary_key=True),
        sa.Column("handled_at", UtcDateTime(), nullable=False),
    )
    return outbox, inbox


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=0")  # no waiting inside SQLite: sqlite_inloop retries without blocking
    # Deleted and overwritten content is zeroed on disk, not left in free space for anyone reading
    # the file: an erased member's data must really be gone (README "Privacy").
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


# PostgreSQL: a pooled connection is pinged before use only when it sat unused for this long.
# SQLAlchemy's `pool_pre_ping` pings on every checkout: measured 0.2 ms of CPU and 0.3 ms of
# wall time each, and a lookup through the gateway checks out twice. A connection used a moment
# ago is alive or its server just went away; then the statement fails with a disconnect error,
# SQLAlchemy invalidates the whole pool, and the next checkout connects afresh: riding through a
# PostgreSQL restart costs the requests in flight at that moment, as it would with pre-ping.
PING_AFTER_IDLE_SECONDS = 5.0


def create_engine(url: str, *, busy_seconds: float = 2.0,
                  ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> AsyncEngine:
    """`busy_seconds`: how long a SQLite statement waits for another process's write lock;
    `ping_after_idle_seconds`: PostgreSQL, see PING_AFTER_IDLE_SECONDS."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ":memory:"
        if database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Statements run in the event loop: measured 0.07 ms a statement instead of 0.45 ms
        # through aiosqlite's thread (sqlite_inloop.py says why this is safe here).
        engine = create_async_engine(url, async_creator=sqlite_inloop.creator(database, busy_seconds))
        sa_event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(url, pool_size=10, max_overflow=20)
    _ping_when_idle(engine, ping_after_idle_seconds)
    return engine


def _ping_when_idle(engine: AsyncEngine, after_seconds: float) -> None:
    pool_events = engine.sync_engine  # the engine's pool, and the one a dispose() puts in its place
    dialect = engine.sync_engine.dialect

    @sa_event.listens_for(pool_events, "connect")
    def fresh(dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @sa_event.listens_for(pool_events, "checkin")
    def returned(dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @sa_event.listens_for(pool_events, "checkout")
    def ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get("returned_at", 0.0) < after_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)  # runs in SQLAlchemy's greenlet: awaits the driver
        except Exception as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise sa.exc.DisconnectionError(str(error)) from error  # the pool retries with a new one
            raise


class Database:
    """A subgraph's database: engine, tables, the single-writer lock on SQLite,
    and the signal that wakes the outbox relay after a commit."""

    def __init__(self, url: str, metadata: sa.MetaData, *, busy_seconds: float = 2.0,
                 ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
        self.url = url
        self.metadata = metadata
        self.engine = create_engine(url, busy_seconds=busy_seconds, ping_after_idle_seconds=ping_after_idle_seconds)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # PostgreSQL reads run outside a transaction: each statement sees what was committed
        # before it, as it would inside a READ COMMITTED one, without the BEGIN and ROLLBACK
        # round trips (asyncpg's autocommit is a flag on the client, not a statement).
        self._read_engine = self.engine if self.is_sqlite else self.engine.execution_options(
            isolation_level="AUTOCOMMIT")
        self.outbox = metadata.tables["outbox"]
        self.inbox = metadata.tables["inbox"]
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self.outbox_written = asyncio.Event()
        # SQLite: whether the WAL may still hold pages from before an erasure (see compact()).
        self.compaction_pending = self.is_sqlite

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads; sees committed data only (never write on it)."""
        async with self._read_engine.connect() as connection:
            yield connection

    async def dispose(self) -> None:
        self.release_writer()
        await self.engine.dispose()

    async def compact(self, *, attempts: int = 40, pause_seconds: float = 0.05) -> bool:
        """SQLite: copy the write-ahead log into the database file and truncate it to zero
        bytes, so that page images from before a deletion (an erasure) survive in neither
        file (deleted content itself is zeroed: `secure_delete`). A reader holding an older
        snapshot makes SQLite refuse; retried `attempts` times, then left pending for the
        next try (`compaction_pending`). True when done; PostgreSQL needs nothing here."""
        if not self.is_sqlite:
            return True
        self.compaction_pending = True
        for attempt in range(attempts):
            async with self._writer(), self.engine.connect() as connection:
                busy = (await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).one()[0]
            if not busy:
                self.compaction_pending = False
                return True
            if attempt + 1 < attempts:
                await asyncio.sleep(pause_seconds)
        return False

    _writer_claim: int | None = None

    def claim_writer(self) -> None:
        """Embedded mode: this process is the only writer of the SQLite file while it
        serves. A second one (a `loyalty seed` while `loyalty up` runs) is refused at
        once, instead of both waiting on each other's locks. PostgreSQL needs none."""
        if self._writer_claim is None:
            self._writer_claim = claim_sqlite_writer(self.url)

    def release_writer(self) -> None:
        if self._writer_claim is not None:
            os.close(self._writer_claim)  # closing releases the flock
            self._writer_claim = None

    @asynccontextmanager
    async def _writer(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield


def claim_sqlite_writer(url: str) -> int | None:
    """An exclusive claim on a SQLite database file (a flock on `<file>.writer`), held
    until the returned descriptor is closed; None for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(f"{parsed.database}.writer", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise WriterConflict(f"{parsed.database} is in use by another process (is the stack running? "
                             "stop it first, or make the change through the API)") from None
    return descriptor


class WriterConflict(RuntimeError):
    """Another process serves (and writes) this embedded database."""


class UnitOfWork:
    """One transaction: state changes and the events they cause commit together.

        async with db.unit_of_work() as uow:
            await uow.execute(...)
            uow.publish(Event(...))
            await uow.commit()

    Leaving the block without `commit()` rolls everything back, events included.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._events: list[Event] = []
        self._committed = False
        self._writer_cm: Any = None
        self.connection: AsyncConnection

    async def __aenter__(self) -> UnitOfWork:
        self._writer_cm = self.db._writer()
        await self._writer_cm.__aenter__()
        try:
            self.connection = await self.db.engine.connect()
            await self.connection.begin()
        except BaseException:
            await self._writer_cm.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        try:
            if not self._committed:
                await self.connection.rollback()
            await self.connection.close()
        finally:
            await self._writer_cm.__aexit__(*exc)
        if self._committed and self._events:
            self.db.outbox_written.set()

    async def execute(self, statement: Any, parameters: Any = None) -> sa.CursorResult[Any]:
        return await self.connection.execute(statement, parameters)

    def for_update(self, select: sa.Select[Any]) -> sa.Select[Any]:
        """Row lock on PostgreSQL; SQLite already has a single writer."""
        return select if self.db.is_sqlite else select.with_for_update()

    async def serialise_on(self, key: str) -> None:
        """Transactions that name the same key run one after the other (a PostgreSQL
        advisory lock until commit; SQLite already has a single writer). For rules that
        span rows no single row lock covers, such as "at most N open reservations"."""
        if not self.db.is_sqlite:
            await self.connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                                          {"key": key})

    async def insert_ignoring_conflicts(self, table: sa.Table, values: dict[str, Any]) -> bool:
        """INSERT ... ON CONFLICT DO NOTHING; True when the row was inserted."""
        if self.db.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        result = await self.connection.execute(insert(table).values(**values).on_conflict_do_nothing())
        return result.rowcount == 1

    def publish(self, event: Event) -> None:
        """Record an event to be written to the outbox in this transaction."""
        self._events.append(event)

    @property
    def events(self) -> Sequence[Event]:
        return tuple(self._events)

    async def mark_handled(self, consumer: str, event_id: str) -> bool:
        """Inbox: True the first time this consumer sees this event id, False on a redelivery."""
        inbox = self.db.inbox
        seen = await self.connection.scalar(
            sa.select(inbox.c.event_id).where(inbox.c.consumer == consumer, inbox.c.event_id == event_id)
        )
        if seen is not None:
            return False
        await self.connection.execute(inbox.insert().values(consumer=consumer, event_id=event_id, handled_at=utcnow()))
        return True

    async def commit(self) -> None:
        if self._events:
            now = utcnow()
            await self.connection.execute(
                self.db.outbox.insert(),
                [
                    {"event_id": e.id, "subject": e.subject, "body": e.to_json(), "created_at": now,
                     "member_id": e.member_id}
                    for e in self._events
                ],
            )
        await self.connection.commit()
        self._committed = True


def row_of(record: Any) -> dict[str, Any]:
    """A dataclass as a row: a shallow dict (dataclasses.asdict deep-copies, slowly)."""
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


def is_unique_violation(error: IntegrityError) -> bool:
    text = str(error.orig).lower()
    return "unique" in text or "duplicate key" in text


def json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()
