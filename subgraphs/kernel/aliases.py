"""Merged members, as every subgraph knows them.

When profile merges two members (`MembersMerged`), the absorbed member's id
keeps working everywhere: each subgraph records `absorbed -> survivor` in its
own `member_aliases` table (event-carried state: no subgraph asks profile), and
reads a member id through `current_member_id` first. A member merged twice (A
into B, then B into C) is followed along the chain; unmerging removes one link
(`MembersUnmerged`), so the chain is never rewritten and each merge can be
undone on its own.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.auth import Principal, Role, require_principal
from core.errors import Forbidden

from .db import Database, UnitOfWork, UtcDateTime

if TYPE_CHECKING:
    from .events import Event
    from .runtime import Runtime

# A chain longer than this is a bug (merges per member are capped well below it), not data to follow.
MAX_CHAIN = 64


def alias_table(metadata: sa.MetaData) -> sa.Table:
    """The `member_aliases` table, added to every subgraph's schema."""
    return sa.Table(
        "member_aliases",
        metadata,
        sa.Column("absorbed_id", sa.String(40), primary_key=True),
        sa.Column("survivor_id", sa.String(40), nullable=False, index=True),
        sa.Column("merge_id", sa.String(40), nullable=False, unique=True),
        sa.Column("merged_at", UtcDateTime(), nullable=False),
    )


# The statements below name the table through this copy; each subgraph's own metadata holds an
# identical one (alias_table), so that its migrations create it.
_TABLE = alias_table(sa.MetaData())


async def current_member_id(connection: AsyncConnection, member_id: str) -> str:
    """The member an id names now: itself, or the member it was merged into (followed along a chain)."""
    table = _TABLE
    current = member_id
    for _ in range(MAX_CHAIN):
        survivor = await connection.scalar(sa.select(table.c.survivor_id).where(table.c.absorbed_id == current))
        if survivor is None:
            return current
        current = survivor
    raise RuntimeError(f"member alias chain from {member_id} is longer than {MAX_CHAIN}")


async def current_member_ids(connection: AsyncConnection, member_ids: Iterable[str]) -> dict[str, str]:
    """`current_member_id` for many ids: one query per chain step, not per id."""
    table = _TABLE
    resolved = {member_id: member_id for member_id in member_ids}
    pending = set(resolved.values())
    for _ in range(MAX_CHAIN):
        if not pending:
            return resolved
        rows = dict((await connection.execute(
            sa.select(table.c.absorbed_id, table.c.survivor_id).where(table.c.absorbed_id.in_(sorted(pending)))
        )).all())
        if not rows:
            return resolved
        for original, current in resolved.items():
            if current in rows:
                resolved[original] = rows[current]
        pending = set(rows.values())
    raise RuntimeError(f"a member alias chain is longer than {MAX_CHAIN}")


async def absorbed_into(connection: AsyncConnection, survivor_id: str) -> list[str]:
    """The ids merged straight into this member (one step of the chain)."""
    table = _TABLE
    return list(await connection.scalars(sa.select(table.c.absorbed_id).where(table.c.survivor_id == survivor_id)))


async def record_merge(uow: UnitOfWork, *, absorbed_id: str, survivor_id: str, merge_id: str, at: datetime) -> bool:
    """Remember a merge; False when it was already remembered (a redelivered event)."""
    return await uow.insert_ignoring_conflicts(_TABLE, {"absorbed_id": absorbed_id, "survivor_id": survivor_id,
                                                        "merge_id": merge_id, "merged_at": at})


async def forget_merge(uow: UnitOfWork, merge_id: str) -> bool:
    """Undo one merge's link; False when there was none (already undone)."""
    result = await uow.execute(_TABLE.delete().where(_TABLE.c.merge_id == merge_id))
    return result.rowcount > 0


async def require_member_access(connection: AsyncConnection, principal: Principal | None, member_id: str) -> str:
    """Staff, or the member themself, where either id may be an absorbed one (an old token,
    an old link): returns the member id as it is now."""
    who = require_principal(principal)
    current = await current_member_id(connection, member_id)
    if who.is_staff:
        return current
    if who.role is Role.MEMBER and await current_member_id(connection, who.subject) == current:
        return current
    raise Forbidden("a member may only see their own data")


async def check_member_access(db: Database, principal: Principal | None, member_id: str) -> None:
    """`require_member_access` without a database round trip when the token settles it
    (staff, or the member's own current id): the entity fetches of every query pass here."""
    who = require_principal(principal)
    if who.is_staff or (who.role is Role.MEMBER and who.subject == member_id):
        return
    async with db.reading() as connection:
        await require_member_access(connection, who, member_id)


async def follow_merge(uow: UnitOfWork, event_payload: dict, *, undone: bool) -> None:
    """Record (or forget) the link a `MembersMerged` (`MembersUnmerged`) event announces."""
    if undone:
        await forget_merge(uow, event_payload["merge_id"])
    else:
        await record_merge(uow, absorbed_id=event_payload["absorbed_id"], survivor_id=event_payload["survivor_id"],
                           merge_id=event_payload["merge_id"], at=datetime.fromisoformat(event_payload["at"]))


async def merge_hops(connection: AsyncConnection, member_id: str) -> list[tuple[str, str, str]]:
    """The merges an id went through to the member it names now, oldest first:
    (absorbed id, survivor id, merge id) per step of the chain."""
    table = _TABLE
    hops: list[tuple[str, str, str]] = []
    current = member_id
    for _ in range(MAX_CHAIN):
        row = (await connection.execute(sa.select(table.c.survivor_id, table.c.merge_id)
                                        .where(table.c.absorbed_id == current))).first()
        if row is None:
            return hops
        hops.append((current, row.survivor_id, row.merge_id))
        current = row.survivor_id
    raise RuntimeError(f"member alias chain from {member_id} is longer than {MAX_CHAIN}")


def _naming() -> sa.CTE:
    table = _TABLE
    start = sa.select(sa.cast(sa.bindparam("naming_member_id"), table.c.absorbed_id.type).label("member_id"),
                      sa.literal(0).label("depth"),
                      sa.cast(sa.null(), table.c.merge_id.type).label("merge_id")).cte("naming", recursive=True)
    return start.union_all(sa.select(table.c.absorbed_id, start.c.depth + 1, table.c.merge_id)
                           .where(table.c.survivor_id == start.c.member_id, start.c.depth < MAX_CHAIN))


# The member's own id and every id merged into it, along chains (`member_id`, with the `depth`
# of the chain it was found at, 0 for the member itself, and the `merge_id` that brought it in,
# None for the member itself), followed at most MAX_CHAIN steps: one recursive query, so that a
# statement about "this member and whoever was merged into them" stays one statement. Built once
# (a statement's construction and cache key cost more than running it); the member is the
# parameter `naming_member_id`.
NAMING = _naming()


_IDS_NAMING = sa.select(NAMING.c.member_id, NAMING.c.depth, NAMING.c.merge_id)


async def naming_with_merges(connection: AsyncConnection, member_id: str) -> list[tuple[str, str | None]]:
    """The ids that name the member now, each with the merge that brought it in (None for the
    member's own id): its own and every id merged into it, along chains."""
    rows = (await connection.execute(_IDS_NAMING, {"naming_member_id": member_id})).all()
    if any(depth >= MAX_CHAIN for _, depth, _ in rows):
        raise RuntimeError(f"member alias chain into {member_id} is longer than {MAX_CHAIN}")
    return [(found, merge_id) for found, _, merge_id in rows]


async def ids_naming(connection: AsyncConnection, member_id: str) -> list[str]:
    """The ids that name the member now: its own and every id merged into it, along chains."""
    return [found for found, _ in await naming_with_merges(connection, member_id)]


# Rows that belong to a member and follow merges (reservations, views, purchases): each keeps the
# member it was written for (`origin_member_id`, never changed) beside the member it belongs to
# now (`member_id`, always `current_member_id(origin_member_id)`). A merge moves the absorbed
# member's rows; an unmerge moves back every row whose origin names the absorbed member again.
# Keyed by origin, not by merge, so chains (A into B, B into C) and late rows (an event about A
# that arrives after A was merged) are undone exactly, in whatever order the merges are.


async def move_rows_to_survivor(uow: UnitOfWork, tables: Iterable[sa.Table], *, absorbed_id: str,
                                survivor_id: str) -> None:
    for table in tables:
        await uow.execute(table.update().where(table.c.member_id == absorbed_id).values(member_id=survivor_id))


async def move_rows_back(uow: UnitOfWork, tables: Iterable[sa.Table], *, absorbed_id: str) -> None:
    """After the merge's link is forgotten: rows first written for the absorbed member, or for
    anyone merged into it, are its own again."""
    origins = await ids_naming(uow.connection, absorbed_id)
    for table in tables:
        await uow.execute(table.update().where(table.c.origin_member_id.in_(origins),
                                               table.c.member_id != absorbed_id).values(member_id=absorbed_id))


async def follow_merge_with_rows(runtime: Runtime, event: Event, tables: Iterable[sa.Table], *,
                                 undone: bool) -> None:
    """A subgraph's whole answer to `MembersMerged` (`undone=False`) or `MembersUnmerged`: the
    alias, and the rows that follow members, once per event (the inbox)."""
    facts = event.payload
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled("unmerges" if undone else "merges", event.id):
            return
        await follow_merge(uow, facts, undone=undone)
        if undone:
            await move_rows_back(uow, tables, absorbed_id=facts["absorbed_id"])
        else:
            await move_rows_to_survivor(uow, tables, absorbed_id=facts["absorbed_id"],
                                        survivor_id=facts["survivor_id"])
        await uow.commit()
