"""Erasure and export, as every subgraph does them (GDPR Art. 17 and 15/20).

Profile records an erasure request and publishes `MemberErasureRequested`
{request_id, member_id, member_ids}. Every subgraph (profile included) consumes
it with `erasure_consumer(erase)`: in one transaction it runs its own `erase`
(what it holds on the member), deletes the member's outbox rows (event bodies
carry personal data), remembers the member as erased (`erased_members`) and
publishes `MemberErased` {request_id, member_id, subgraph}; then, on SQLite, it
compacts the write-ahead log (`Database.compact`). Profile counts the
confirmations. The inbox makes a redelivered event do nothing.

What stays everywhere: the member id itself (a pseudonym: a random ULID) and
facts that carry no personal data (the books). README "Privacy" lists it all.

Also here: the export of a subgraph's rows on a member (bounded), the refusal of
erased members' tokens (`ErasedMembers`), and the kernel's own job that deletes
published outbox rows after `LOYALTY_OUTBOX_RETENTION_HOURS`.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from graphql import ExecutionResult, GraphQLError
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from core.auth import Role
from core.clock import utcnow
from core.errors import Conflict, Forbidden, LoyaltyError
from core.settings import SUBGRAPHS

from .aliases import absorbed_into, current_member_id
from .db import UnitOfWork, UtcDateTime
from .events import Event, subject_for
from .runtime import Consumer, Job, Runtime

log = logging.getLogger(__name__)

ERASURE_REQUESTED = "MemberErasureRequested"
ERASED = "MemberErased"
# These carry ids only, and must reach every subgraph: an erasure never deletes them.
PRIVACY_SUBJECTS = tuple(subject_for(source, kind) for source in SUBGRAPHS for kind in (ERASURE_REQUESTED, ERASED))
# One person's ids (theirs and those merged into them); merges per member are capped far below this.
MAX_MEMBER_IDS = 1000
# The most rows of one table an export carries; the document says when a table had more.
EXPORT_ROW_LIMIT = 5000
OUTBOX_PRUNE_BATCH = 1000
OUTBOX_PRUNE_MAX_BATCHES = 20  # per run: the rest waits for the next one


def erased_members_table(metadata: sa.MetaData) -> sa.Table:
    """`erased_members`, added to every subgraph's schema: who was erased, by which request.
    Read to refuse an erased member's token (`ErasedMembers`) and anything that would write
    personal data on them again (`refuse_erased`)."""
    return sa.Table(
        "erased_members",
        metadata,
        sa.Column("member_id", sa.String(40), primary_key=True),
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("erased_at", UtcDateTime(), nullable=False),
    )


# The statements below name the table through this copy; each subgraph's metadata holds an
# identical one (erased_members_table), so that its migrations create it.
_ERASED = erased_members_table(sa.MetaData())


# --- who is erased ------------------------------------------------------------------------------


async def member_ids_of(connection: AsyncConnection, member_ids: Iterable[str]) -> list[str]:
    """Every id of the people these ids name now: each id as it is now (merges followed)
    and every id merged into it, along chains. Sorted; at most MAX_MEMBER_IDS."""
    found: set[str] = set()
    pending = [await current_member_id(connection, member_id) for member_id in set(member_ids)]
    while pending and len(found) < MAX_MEMBER_IDS:
        member_id = pending.pop()
        if member_id in found:
            continue
        found.add(member_id)
        pending.extend(await absorbed_into(connection, member_id))
    return sorted(found)


async def is_erased(connection: AsyncConnection, member_id: str) -> bool:
    return await connection.scalar(sa.select(_ERASED.c.member_id).where(_ERASED.c.member_id == member_id)) is not None


async def refuse_erased(connection: AsyncConnection, member_id: str) -> None:
    """For changes that would write something new on an erased member (an adjustment's reason)."""
    if await is_erased(connection, member_id):
        raise Conflict(f"member {member_id} was erased", memberId=member_id)


async def record_erasure(uow: UnitOfWork, member_ids: Sequence[str], request_id: str, at: datetime) -> None:
    for member_id in member_ids:
        await uow.insert_ignoring_conflicts(_ERASED, {"member_id": member_id, "request_id": request_id,
                                                      "erased_at": at})


async def forget_outbox(uow: UnitOfWork, member_ids: Sequence[str]) -> int:
    """Delete the outbox rows about these members, published or not (a row not yet published
    is then never published: events about an erased member are moot), except the erasure's
    own events. Returns how many went."""
    if not member_ids:
        return 0
    outbox = uow.db.outbox
    result = await uow.execute(outbox.delete().where(outbox.c.member_id.in_(member_ids),
                                                     outbox.c.subject.not_in(PRIVACY_SUBJECTS)))
    return result.rowcount


async def erase_rows(uow: UnitOfWork, tables: Iterable[sa.Table], member_ids: Sequence[str]) -> None:
    """Delete every row of these tables (each with a `member_id` column) that belongs to the members."""
    for table in tables:
        await uow.execute(table.delete().where(table.c.member_id.in_(member_ids)))


# --- the erasure consumer -------------------------------------------------------------------------

# A subgraph's own part of an erasure: (runtime, the unit of work, every id of the person).
Eraser = Callable[[Runtime, UnitOfWork, Sequence[str]], Awaitable[None]]
ERASURE_CONSUMER = "erasure"


def erasure_consumer(erase: Eraser) -> Consumer:
    """The durable consumer every subgraph registers for `MemberErasureRequested`."""

    async def handle(runtime: Runtime, event: Event) -> None:
        request_id = str(event.payload["request_id"])
        member_id = str(event.payload["member_id"])
        named = [member_id, *(str(m) for m in event.payload.get("member_ids") or ())][:MAX_MEMBER_IDS]
        async with runtime.unit_of_work() as uow:
            if not await uow.mark_handled(ERASURE_CONSUMER, event.id):
                return
            member_ids = await member_ids_of(uow.connection, named)
            await erase(runtime, uow, member_ids)
            outbox_rows = await forget_outbox(uow, member_ids)
            await record_erasure(uow, member_ids, request_id, runtime.clock.now())
            uow.publish(Event(type=ERASED, source=runtime.name, member_id=member_id,
                              payload={"request_id": request_id, "member_id": member_id, "subgraph": runtime.name}))
            await uow.commit()
        log.info("erased member %s (%d ids, %d outbox rows) for request %s", member_id, len(member_ids),
                 outbox_rows, request_id)
        if not await runtime.db.compact():
            log.warning("the write-ahead log of %s is busy; compacted by the privacy job later", runtime.name)

    return Consumer(ERASURE_CONSUMER, subject_for("profile", ERASURE_REQUESTED), handle)


# --- export --------------------------------------------------------------------------------------


async def export_table(connection: AsyncConnection, table: sa.Table, where: sa.ColumnElement[bool],
                       order_by: Sequence[Any] = (), limit: int = EXPORT_ROW_LIMIT) -> dict[str, Any]:
    """One table's rows on a member: at most `limit` rows (in `order_by` order: put the
    newest first), with the total and whether the list was cut at the limit."""
    total = await connection.scalar(sa.select(sa.func.count()).select_from(table).where(where))
    rows = await connection.execute(sa.select(table).where(where).order_by(*order_by).limit(limit))
    return {"rows": [{str(name): value for name, value in row._mapping.items()} for row in rows],
            "total": total, "truncated": total > limit}


async def export_rows(connection: AsyncConnection, tables: Iterable[sa.Table], member_ids: Sequence[str]
                      ) -> dict[str, Any]:
    """`export_table` for tables with a `member_id` column, by table name."""
    return {table.name: await export_table(connection, table, table.c.member_id.in_(member_ids))
            for table in tables}


# --- erased members' tokens ---------------------------------------------------------------------


class ErasedMembers(SchemaExtension):
    """An erased member's token reads and changes nothing any more, in any subgraph: every
    operation under it is refused with FORBIDDEN (one primary-key read per operation,
    member tokens only). Staff still see the pseudonymised remains (status ERASED)."""

    async def on_execute(self) -> AsyncIterator[None]:
        if await self._erased():
            refusal = Forbidden("this member's data was erased: the token no longer reads anything")
            if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
                raise refusal  # Strawberry answers a subscription's hook error as its one result
            # A result set here is the answer: nothing executes (ErrorCodes adds the code).
            self.execution_context.result = ExecutionResult(data=None, errors=[
                GraphQLError(refusal.message, original_error=refusal)])
        yield

    async def _erased(self) -> bool:
        context = self.execution_context.context
        runtime = getattr(context, "runtime", None)
        if runtime is None:
            return False
        try:
            principal = context.principal
        except LoyaltyError:
            return False  # a bad token: the fields say so themselves
        if principal is None or principal.role is not Role.MEMBER:
            return False
        async with runtime.db.reading() as connection:
            return await is_erased(connection, principal.subject)


# --- the kernel's own jobs ----------------------------------------------------------------------


async def prune_outbox(runtime: Runtime) -> int:
    """Delete outbox rows published more than LOYALTY_OUTBOX_RETENTION_HOURS ago (their
    bodies may carry personal data; the bus has had them since), oldest first, in bounded
    batches; and compact a SQLite log an erasure left busy. Returns how many rows went."""
    outbox = runtime.db.outbox
    cutoff = utcnow() - timedelta(hours=runtime.settings.outbox_retention_hours)
    old = (sa.select(outbox.c.seq).where(outbox.c.published_at.is_not(None), outbox.c.published_at < cutoff)
           .order_by(outbox.c.seq).limit(OUTBOX_PRUNE_BATCH))
    total = 0
    for _ in range(OUTBOX_PRUNE_MAX_BATCHES):
        async with runtime.unit_of_work() as uow:
            deleted = (await uow.execute(outbox.delete().where(outbox.c.seq.in_(old.scalar_subquery())))).rowcount
            await uow.commit()
        total += deleted
        if deleted < OUTBOX_PRUNE_BATCH:
            break
    if runtime.db.compaction_pending:
        await runtime.db.compact(attempts=1)
    return total


KERNEL_JOBS = (Job("privacy", 60.0, prune_outbox),)
