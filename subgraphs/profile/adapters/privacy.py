"""Reading and writing erasure requests and the staff access log; erasing member rows."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel.db import UnitOfWork
from subgraphs.kernel.privacy import export_table

from ..domain.members import MemberStatus
from ..domain.privacy import (
    ERASED_FIELDS,
    ERASED_MERGE_REASON,
    Action,
    ErasureRequest,
    StaffAccess,
    erased_merge_record,
)
from .tables import (
    consent_changes,
    erasure_confirmations,
    erasure_requests,
    identities,
    lapse_scores,
    member_purchase_moves,
    member_purchase_returns,
    member_purchases,
    member_tiers,
    member_traits,
    members,
    merges,
    segment_members,
    staff_access,
)

MAX_STAFF_ID = 128  # the column; a longer token subject is cut (it is still unique in practice)


# --- erasure ---------------------------------------------------------------------------------


async def erase_members(uow: UnitOfWork, member_ids: Sequence[str]) -> None:
    """Pseudonymise these member records (domain.privacy.pseudonymise), free their identifiers,
    and take the person out of their merges' reasons and records. The consent ledger stays:
    purposes, grants, times, channels and who recorded them (ids), the proof of consent."""
    await uow.execute(members.update().where(members.c.id.in_(member_ids))
                      .values(status=str(MemberStatus.ERASED), **ERASED_FIELDS))
    await uow.execute(identities.delete().where(identities.c.member_id.in_(member_ids)))
    theirs = sa.or_(merges.c.survivor_id.in_(member_ids), merges.c.absorbed_id.in_(member_ids))
    for merge_id, record in (await uow.execute(sa.select(merges.c.id, merges.c.record).where(theirs))).all():
        await uow.execute(merges.update().where(merges.c.id == merge_id)
                          .values(reason=ERASED_MERGE_REASON, record=erased_merge_record(record)))


async def erase_profiling(uow: UnitOfWork, member_ids: Sequence[str]) -> None:
    """What profile worked out about these members: traits, their copy of the purchases the traits
    come from, lapse scores, the tier the churn model reads. (Segment memberships go through
    handlers.segments.reevaluate, which moves the counts.) The books of those purchases stay in the ledger and the engine."""
    theirs = sa.select(member_purchases.c.external_id).where(member_purchases.c.member_id.in_(member_ids))
    await uow.execute(member_purchase_returns.delete().where(member_purchase_returns.c.purchase_external_id.in_(
        theirs)))
    await uow.execute(member_purchase_moves.delete().where(member_purchase_moves.c.purchase_external_id.in_(theirs)))
    for table in (member_purchases, member_traits, lapse_scores, member_tiers):
        await uow.execute(table.delete().where(table.c.member_id.in_(member_ids)))


def _request(row: sa.Row, confirmed: Sequence[str]) -> ErasureRequest:
    return ErasureRequest(id=row.id, member_id=row.member_id, requested_at=row.requested_at,
                          requested_by=row.requested_by, confirmed=frozenset(confirmed),
                          completed_at=row.completed_at)


async def _confirmed(connection: AsyncConnection, request_id: str) -> list[str]:
    return list(await connection.scalars(sa.select(erasure_confirmations.c.subgraph)
                                         .where(erasure_confirmations.c.request_id == request_id)))


async def erasure_for_members(connection: AsyncConnection, member_ids: Sequence[str]) -> ErasureRequest | None:
    row = (await connection.execute(sa.select(erasure_requests)
                                    .where(erasure_requests.c.member_id.in_(member_ids)))).first()
    return _request(row, await _confirmed(connection, row.id)) if row else None


async def lock_erasure(uow: UnitOfWork, request_id: str) -> ErasureRequest | None:
    """The request, locked: confirmations of one request are counted one at a time."""
    row = (await uow.execute(uow.for_update(sa.select(erasure_requests)
                                            .where(erasure_requests.c.id == request_id)))).first()
    return _request(row, await _confirmed(uow.connection, request_id)) if row else None


async def add_erasure(uow: UnitOfWork, request: ErasureRequest) -> None:
    await uow.execute(erasure_requests.insert().values(
        id=request.id, member_id=request.member_id, requested_at=request.requested_at,
        requested_by=request.requested_by[:MAX_STAFF_ID], completed_at=None))


async def save_confirmation(uow: UnitOfWork, request: ErasureRequest, subgraph: str, at: datetime) -> None:
    await uow.insert_ignoring_conflicts(erasure_confirmations, {"request_id": request.id, "subgraph": subgraph,
                                                                "confirmed_at": at})
    if request.completed_at is not None:
        await uow.execute(erasure_requests.update().where(erasure_requests.c.id == request.id,
                                                          erasure_requests.c.completed_at.is_(None))
                          .values(completed_at=request.completed_at))


# --- the staff access log --------------------------------------------------------------------


def _insert_ignoring_conflicts(uow: UnitOfWork) -> Any:
    if uow.db.is_sqlite:
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert(staff_access).on_conflict_do_nothing()


async def record_access(uow: UnitOfWork, entries: Sequence[StaffAccess]) -> None:
    """One statement for any number of entries; a read already recorded this minute is skipped."""
    if entries:
        await uow.execute(_insert_ignoring_conflicts(uow), [
            {"member_id": e.member_id, "staff_id": e.staff_id[:MAX_STAFF_ID], "role": e.role[:16],
             "action": str(e.action), "at": e.at, "read_minute": e.read_minute}
            for e in entries
        ])


async def access_log(connection: AsyncConnection, member_ids: Sequence[str], limit: int) -> list[StaffAccess]:
    """Newest first."""
    rows = await connection.execute(
        sa.select(staff_access).where(staff_access.c.member_id.in_(member_ids))
        .order_by(staff_access.c.at.desc(), staff_access.c.id.desc()).limit(limit))
    return [StaffAccess(row.member_id, row.staff_id, row.role, Action(row.action), row.at) for row in rows]


async def prune_access_log(uow: UnitOfWork, before: datetime, limit: int) -> int:
    """Delete up to `limit` entries older than `before`, oldest first; returns how many."""
    old = sa.select(staff_access.c.id).where(staff_access.c.at < before).order_by(staff_access.c.at).limit(limit)
    return (await uow.execute(staff_access.delete().where(staff_access.c.id.in_(old.scalar_subquery())))).rowcount


# --- export ----------------------------------------------------------------------------------


async def export(connection: AsyncConnection, member_ids: Sequence[str]) -> dict[str, Any]:
    """Every row profile holds on these members, by table (each list bounded: kernel/privacy.py)."""
    requests = sa.select(erasure_requests.c.id).where(erasure_requests.c.member_id.in_(member_ids))
    purchases = sa.select(member_purchases.c.external_id).where(member_purchases.c.member_id.in_(member_ids))
    return {
        "members": await export_table(connection, members, members.c.id.in_(member_ids)),
        "identities": await export_table(connection, identities, identities.c.member_id.in_(member_ids),
                                         [identities.c.linked_at]),
        "consent_changes": await export_table(connection, consent_changes,
                                              consent_changes.c.member_id.in_(member_ids),
                                              [consent_changes.c.at.desc(), consent_changes.c.id.desc()]),
        "merges": await export_table(connection, merges, sa.or_(merges.c.survivor_id.in_(member_ids),
                                                                merges.c.absorbed_id.in_(member_ids)),
                                     [merges.c.at.desc()]),
        "member_traits": await export_table(connection, member_traits, member_traits.c.member_id.in_(member_ids)),
        "lapse_scores": await export_table(connection, lapse_scores, lapse_scores.c.member_id.in_(member_ids)),
        "member_tiers": await export_table(connection, member_tiers, member_tiers.c.member_id.in_(member_ids)),
        "segment_members": await export_table(connection, segment_members,
                                              segment_members.c.member_id.in_(member_ids)),
        "member_purchases": await export_table(connection, member_purchases,
                                               member_purchases.c.member_id.in_(member_ids),
                                               [member_purchases.c.occurred_at.desc()]),
        "member_purchase_returns": await export_table(connection, member_purchase_returns,
                                                      member_purchase_returns.c.purchase_external_id.in_(purchases)),
        "erasure_requests": await export_table(connection, erasure_requests,
                                               erasure_requests.c.member_id.in_(member_ids)),
        "erasure_confirmations": await export_table(connection, erasure_confirmations,
                                                    erasure_confirmations.c.request_id.in_(requests)),
        "staff_access": await export_table(connection, staff_access, staff_access.c.member_id.in_(member_ids),
                                           [staff_access.c.at.desc(), staff_access.c.id.desc()]),
    }
