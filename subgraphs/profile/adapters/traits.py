"""Reading and writing purchases, running totals and lapse scores; reading a member's traits."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel.db import UnitOfWork

from ..domain import traits as rules
from ..domain.traits import MemberTraits, PurchaseRecord, TraitTotals
from .tables import (
    lapse_scores,
    member_purchase_moves,
    member_purchase_returns,
    member_purchases,
    member_tiers,
    member_traits,
    members,
)

# --- purchases -----------------------------------------------------------------------------------


def _record(row: sa.Row) -> PurchaseRecord:
    return PurchaseRecord(
        external_id=row.external_id,
        member_id=row.member_id,
        occurred_at=row.occurred_at,
        amount=Decimal(row.amount) if row.amount is not None else None,
        units=row.units,
        returned_amount=Decimal(row.returned_amount),
        returned_units=row.returned_units,
    )


def _values(record: PurchaseRecord) -> dict[str, object]:
    return {"member_id": record.member_id, "occurred_at": record.occurred_at, "amount": record.amount,
            "units": record.units, "returned_amount": record.returned_amount,
            "returned_units": record.returned_units}


async def lock_purchase(uow: UnitOfWork, external_id: str) -> PurchaseRecord | None:
    row = (await uow.execute(uow.for_update(
        sa.select(member_purchases).where(member_purchases.c.external_id == external_id)))).first()
    return _record(row) if row else None


async def save_purchase(uow: UnitOfWork, record: PurchaseRecord, *, new: bool) -> None:
    if new:
        await uow.execute(member_purchases.insert().values(external_id=record.external_id, **_values(record)))
    else:
        await uow.execute(member_purchases.update().where(member_purchases.c.external_id == record.external_id)
                          .values(**_values(record)))


async def remember_return(uow: UnitOfWork, external_id: str, purchase_external_id: str, amount: Decimal,
                          units: int) -> bool:
    """True the first time this return (by its own externalId) is seen."""
    return await uow.insert_ignoring_conflicts(member_purchase_returns, {
        "external_id": external_id, "purchase_external_id": purchase_external_id, "amount": amount, "units": units})


async def purchases_of(connection: AsyncConnection, member_id: str) -> list[PurchaseRecord]:
    rows = await connection.execute(sa.select(member_purchases).where(member_purchases.c.member_id == member_id))
    return [_record(row) for row in rows]


async def latest_counted_purchase(connection: AsyncConnection, member_id: str) -> datetime | None:
    """When the member's latest purchase that still counts (not brought back whole) happened."""
    p = member_purchases.c
    return await connection.scalar(
        sa.select(sa.func.max(p.occurred_at)).where(p.member_id == member_id, p.occurred_at.is_not(None),
                                                    p.returned_units < p.units))


# --- running totals ------------------------------------------------------------------------------


def _totals(row: sa.Row) -> TraitTotals:
    return TraitTotals(row.member_id, row.last_purchase_at, row.purchases, Decimal(row.spend))


async def lock_totals(uow: UnitOfWork, member_id: str) -> TraitTotals:
    """The member's totals (created empty on first use), locked until the transaction ends."""
    await uow.insert_ignoring_conflicts(member_traits, {"member_id": member_id, "last_purchase_at": None,
                                                        "purchases": 0, "spend": Decimal("0.00")})
    row = (await uow.execute(uow.for_update(
        sa.select(member_traits).where(member_traits.c.member_id == member_id)))).one()
    return _totals(row)


async def save_totals(uow: UnitOfWork, totals: TraitTotals) -> None:
    values = {"last_purchase_at": totals.last_purchase_at, "purchases": totals.purchases, "spend": totals.spend}
    if not await uow.insert_ignoring_conflicts(member_traits, {"member_id": totals.member_id, **values}):
        await uow.execute(member_traits.update().where(member_traits.c.member_id == totals.member_id)
                          .values(**values))


# --- moves with merges ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Move:
    seq: int
    purchase_external_id: str
    from_member_id: str
    to_member_id: str


async def move_purchases(uow: UnitOfWork, from_member_id: str, to_member_id: str, merge_id: str) -> list[str]:
    """Move every purchase of one member to another, remembering the merge that moved each;
    returns the purchases moved."""
    moved = sorted(await uow.connection.scalars(
        uow.for_update(sa.select(member_purchases.c.external_id)
                       .where(member_purchases.c.member_id == from_member_id))))
    if not moved:
        return []
    await uow.execute(member_purchase_moves.insert(), [
        {"purchase_external_id": external_id, "merge_id": merge_id, "from_member_id": from_member_id,
         "to_member_id": to_member_id} for external_id in moved])
    await uow.execute(member_purchases.update().where(member_purchases.c.member_id == from_member_id)
                      .values(member_id=to_member_id))
    return moved


async def record_moves(uow: UnitOfWork, external_id: str, hops: Sequence[tuple[str, str, str]]) -> None:
    """A purchase that arrived for a member merged away since: recorded as moved by each merge
    of the chain (absorbed, survivor, merge id), so that undoing any of them gives it back."""
    if hops:
        await uow.execute(member_purchase_moves.insert(), [
            {"purchase_external_id": external_id, "merge_id": merge_id, "from_member_id": absorbed,
             "to_member_id": survivor} for absorbed, survivor, merge_id in hops])


async def moves_of_merge(connection: AsyncConnection, merge_id: str) -> list[Move]:
    m = member_purchase_moves.c
    rows = await connection.execute(sa.select(m.seq, m.purchase_external_id, m.from_member_id, m.to_member_id)
                                    .where(m.merge_id == merge_id).order_by(m.seq))
    return [Move(*row) for row in rows]


async def holders(connection: AsyncConnection, external_ids: Sequence[str]) -> dict[str, str]:
    """Who holds each of these purchases now."""
    p = member_purchases.c
    rows = await connection.execute(sa.select(p.external_id, p.member_id).where(p.external_id.in_(external_ids)))
    return dict(rows.all())


async def undo_move(uow: UnitOfWork, move: Move) -> None:
    """Give a purchase back to the member a merge took it from, wherever later merges carried it;
    those later moves are forgotten with it (undoing them must not carry it off again)."""
    m = member_purchase_moves.c
    await uow.execute(member_purchases.update().where(member_purchases.c.external_id == move.purchase_external_id)
                      .values(member_id=move.from_member_id))
    await uow.execute(member_purchase_moves.delete().where(m.purchase_external_id == move.purchase_external_id,
                                                           m.seq >= move.seq))


# --- lapse scores --------------------------------------------------------------------------------


async def save_lapse_score(uow: UnitOfWork, member_id: str, score: float, model: str, scored_at: datetime) -> bool:
    """Keep a score unless a newer one is kept already; True when it was kept."""
    values = {"score": score, "model": model, "scored_at": scored_at}
    if await uow.insert_ignoring_conflicts(lapse_scores, {"member_id": member_id, **values}):
        return True
    result = await uow.execute(lapse_scores.update().where(lapse_scores.c.member_id == member_id,
                                                           lapse_scores.c.scored_at < scored_at).values(**values))
    return result.rowcount > 0


async def lapse_scores_of(connection: AsyncConnection, member_ids: Sequence[str]) -> dict[str, float]:
    rows = await connection.execute(sa.select(lapse_scores.c.member_id, lapse_scores.c.score)
                                    .where(lapse_scores.c.member_id.in_(member_ids)))
    return {row.member_id: row.score for row in rows}


async def forget_lapse_score(uow: UnitOfWork, member_id: str) -> None:
    await uow.execute(lapse_scores.delete().where(lapse_scores.c.member_id == member_id))


# --- traits as of a moment -----------------------------------------------------------------------


async def profiling_consents(connection: AsyncConnection, member_ids: Sequence[str]) -> dict[str, bool]:
    rows = await connection.execute(sa.select(members.c.id, members.c.profiling).where(members.c.id.in_(member_ids)))
    return {row.id: row.profiling for row in rows}


@dataclass(frozen=True, slots=True)
class LoadedTraits:
    traits: MemberTraits
    lifetime_purchases: int


async def load_traits(connection: AsyncConnection, member_ids: Sequence[str], now: datetime,
                      profiling: Mapping[str, bool]) -> dict[str, LoadedTraits]:
    """Each member's traits at `now`: their running totals, and their own purchase rows of the
    last year (by the index on member and time) for the windows. Three queries for any number
    of members. A member missing from `profiling` is taken as having opted out."""
    ids = sorted(set(member_ids))
    totals = {row.member_id: _totals(row) for row in await connection.execute(
        sa.select(member_traits).where(member_traits.c.member_id.in_(ids)))}
    since = now - rules.MONETARY_WINDOW - rules.DAY  # a day of margin: the domain decides exactly
    recent: dict[str, list[PurchaseRecord]] = defaultdict(list)
    for row in await connection.execute(sa.select(member_purchases).where(
            member_purchases.c.member_id.in_(ids), member_purchases.c.occurred_at >= since)):
        recent[row.member_id].append(_record(row))
    scores = dict((await connection.execute(sa.select(lapse_scores.c.member_id, lapse_scores.c.score)
                                            .where(lapse_scores.c.member_id.in_(ids)))).all())
    loaded = {}
    for member_id in ids:
        member_totals = totals.get(member_id)
        traits = rules.traits_as_of(now, member_totals, recent[member_id], lapse_score=scores.get(member_id),
                                    profiling=profiling.get(member_id, False))
        loaded[member_id] = LoadedTraits(traits, member_totals.purchases if member_totals else 0)
    return loaded


async def members_with_purchases_since(connection: AsyncConnection, since: datetime,
                                       after: tuple[datetime, str] | None, limit: int) -> list[tuple[datetime, str]]:
    """Members whose last purchase is at or after `since`, in (last purchase, id) order, after a
    position: the daily pass's pages (ix_member_traits_last_purchase)."""
    t = member_traits.c
    query = sa.select(t.last_purchase_at, t.member_id).where(t.last_purchase_at >= since)
    if after is not None:
        query = query.where(sa.or_(t.last_purchase_at > after[0],
                                   sa.and_(t.last_purchase_at == after[0], t.member_id > after[1])))
    rows = await connection.execute(query.order_by(t.last_purchase_at, t.member_id).limit(limit))
    return [(row[0], row[1]) for row in rows]


async def members_enrolled_since(connection: AsyncConnection, since: datetime,
                                 after: tuple[datetime, str] | None, limit: int) -> list[tuple[datetime, str]]:
    """Members enrolled at or after `since`, in (enrolment, id) order (ix_members_enrolled_at)."""
    m = members.c
    query = sa.select(m.enrolled_at, m.id).where(m.enrolled_at >= since)
    if after is not None:
        query = query.where(sa.or_(m.enrolled_at > after[0], sa.and_(m.enrolled_at == after[0], m.id > after[1])))
    rows = await connection.execute(query.order_by(m.enrolled_at, m.id).limit(limit))
    return [(row[0], row[1]) for row in rows]


# --- tiers (the ledger's TierChanged) ------------------------------------------------------------


async def save_member_tier(uow: UnitOfWork, member_id: str, tier_id: str, threshold: int, as_of: datetime) -> None:
    """The ledger's word on a member's tier; only a newer word replaces an older one."""
    values = {"tier_id": tier_id, "threshold": threshold, "as_of": as_of}
    if not await uow.insert_ignoring_conflicts(member_tiers, {"member_id": member_id, **values}):
        await uow.execute(member_tiers.update().where(member_tiers.c.member_id == member_id,
                                                      member_tiers.c.as_of < as_of).values(**values))


async def tier_thresholds(connection: AsyncConnection, member_ids: Sequence[str]) -> dict[str, int]:
    """Each member's tier's qualifying points; members the ledger has not moved yet are missing
    (the entry tier)."""
    rows = await connection.execute(sa.select(member_tiers.c.member_id, member_tiers.c.threshold)
                                    .where(member_tiers.c.member_id.in_(member_ids)))
    return {row.member_id: row.threshold for row in rows}


async def active_members(connection: AsyncConnection, member_ids: Sequence[str]) -> dict[str, bool]:
    """The ACTIVE members among these, with their profiling consent."""
    rows = await connection.execute(sa.select(members.c.id, members.c.profiling)
                                    .where(members.c.id.in_(member_ids), members.c.status == "ACTIVE"))
    return {row.id: row.profiling for row in rows}
