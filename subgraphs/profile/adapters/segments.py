"""Reading and writing segments, who is in them, and where the evaluation jobs have got to."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel.aliases import alias_table
from subgraphs.kernel.db import UnitOfWork

from ..domain.segments import Segment
from .tables import members, segment_members, segment_passes, segments

_ALIASES = alias_table(sa.MetaData())  # the kernel's member_aliases, as every subgraph has it


def _segment(row: sa.Row) -> Segment:
    return Segment(row.id, row.name, row.condition, row.version, row.member_count, row.evaluated_version,
                   row.evaluation_cursor, row.updated_at)


async def all_segments(connection: AsyncConnection) -> list[Segment]:
    return [_segment(row) for row in await connection.execute(sa.select(segments).order_by(segments.c.id))]


async def segment(connection: AsyncConnection, segment_id: str) -> Segment | None:
    row = (await connection.execute(sa.select(segments).where(segments.c.id == segment_id))).first()
    return _segment(row) if row else None


async def lock_segment(uow: UnitOfWork, segment_id: str) -> Segment | None:
    row = (await uow.execute(uow.for_update(sa.select(segments).where(segments.c.id == segment_id)))).first()
    return _segment(row) if row else None


async def count_segments(connection: AsyncConnection) -> int:
    return await connection.scalar(sa.select(sa.func.count()).select_from(segments)) or 0


async def add_segment(uow: UnitOfWork, segment_id: str, name: str, condition: str, at: datetime) -> None:
    await uow.execute(segments.insert().values(id=segment_id, name=name, condition=condition, version=1,
                                               member_count=0, evaluated_version=None, evaluation_cursor=None,
                                               created_at=at, updated_at=at))


async def change_segment(uow: UnitOfWork, current: Segment, name: str, condition: str, at: datetime) -> None:
    """A new name applies at once; a new condition needs every member evaluated again."""
    values: dict[str, object] = {"name": name, "updated_at": at}
    if condition != current.condition:
        values.update(condition=condition, version=current.version + 1, evaluation_cursor=None)
    await uow.execute(segments.update().where(segments.c.id == current.id).values(**values))


async def memberships(connection: AsyncConnection, member_ids: Sequence[str]) -> dict[str, set[str]]:
    """The segments each of these members is in."""
    found: dict[str, set[str]] = defaultdict(set)
    for row in await connection.execute(sa.select(segment_members.c.member_id, segment_members.c.segment_id)
                                        .where(segment_members.c.member_id.in_(sorted(set(member_ids))))):
        found[row.member_id].add(row.segment_id)
    return found


async def enter(uow: UnitOfWork, segment_id: str, member_id: str, at: datetime) -> bool:
    """True when the member was not in already (a concurrent evaluation may have been first)."""
    return await uow.insert_ignoring_conflicts(segment_members, {"segment_id": segment_id, "member_id": member_id,
                                                                 "entered_at": at})


async def leave(uow: UnitOfWork, segment_id: str, member_id: str) -> bool:
    result = await uow.execute(segment_members.delete().where(segment_members.c.segment_id == segment_id,
                                                              segment_members.c.member_id == member_id))
    return result.rowcount > 0


async def add_to_count(uow: UnitOfWork, segment_id: str, delta: int) -> None:
    await uow.execute(segments.update().where(segments.c.id == segment_id)
                      .values(member_count=segments.c.member_count + delta))


async def lock_members(uow: UnitOfWork, member_ids: Sequence[str]) -> None:
    """Serialise evaluations of the same members (PostgreSQL; SQLite has one writer), always in
    id order so that two transactions never wait on each other in a circle."""
    if not uow.db.is_sqlite and member_ids:
        await uow.execute(sa.select(members.c.id).where(members.c.id.in_(sorted(set(member_ids))))
                          .order_by(members.c.id).with_for_update())


async def merged_away(connection: AsyncConnection, member_ids: Sequence[str]) -> set[str]:
    """Which of these ids were merged into another member."""
    return set(await connection.scalars(sa.select(_ALIASES.c.absorbed_id)
                                        .where(_ALIASES.c.absorbed_id.in_(sorted(set(member_ids))))))


# --- the evaluation jobs -------------------------------------------------------------------------


async def segment_to_evaluate(connection: AsyncConnection) -> Segment | None:
    """The segment changed longest ago whose members are not all evaluated against its condition."""
    row = (await connection.execute(
        sa.select(segments).where(sa.or_(segments.c.evaluated_version.is_(None),
                                         segments.c.evaluated_version != segments.c.version))
        .order_by(segments.c.updated_at, segments.c.id).limit(1))).first()
    return _segment(row) if row else None


async def member_ids_after(connection: AsyncConnection, after: str | None, limit: int) -> list[str]:
    query = sa.select(members.c.id)
    if after is not None:
        query = query.where(members.c.id > after)
    return list(await connection.scalars(query.order_by(members.c.id).limit(limit)))


async def advance_evaluation(uow: UnitOfWork, current: Segment, cursor: str | None, *, done: bool) -> None:
    """Where the job got to; nothing when the condition changed meanwhile (its evaluation starts over)."""
    values: dict[str, object] = {"evaluation_cursor": None, "evaluated_version": current.version} if done \
        else {"evaluation_cursor": cursor}
    await uow.execute(segments.update().where(segments.c.id == current.id, segments.c.version == current.version)
                      .values(**values))


@dataclass(frozen=True, slots=True)
class PassState:
    day: date
    phase: str
    after: tuple[datetime, str] | None


async def pass_state(connection: AsyncConnection, name: str) -> PassState | None:
    row = (await connection.execute(sa.select(segment_passes).where(segment_passes.c.name == name))).first()
    if row is None:
        return None
    return PassState(row.day, row.phase, (row.after_at, row.after_id) if row.after_id is not None else None)


async def save_pass_state(uow: UnitOfWork, name: str, state: PassState) -> None:
    values = {"day": state.day, "phase": state.phase, "after_at": state.after[0] if state.after else None,
              "after_id": state.after[1] if state.after else None}
    if not await uow.insert_ignoring_conflicts(segment_passes, {"name": name, **values}):
        await uow.execute(segment_passes.update().where(segment_passes.c.name == name).values(**values))
