"""Traits: purchases and returns from the engine's events, a member's traits, lapse scores,
and a member's purchases moving with a merge (and back with an unmerge).

Each event is applied in one transaction with the purchase row, the member's running
totals and their segments (handlers.segments.reevaluate), effectively once: the inbox
absorbs a redelivery, the purchase's and the return's own externalIds a new envelope
of the same fact.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from core.auth import Principal
from core.clock import utcnow
from core.errors import NotFound
from subgraphs.kernel.aliases import current_member_id, merge_hops, require_member_access
from subgraphs.kernel.bounds import MAX_INT
from subgraphs.kernel.db import UnitOfWork
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime

from ..adapters import segments as segment_store
from ..adapters import traits as store
from ..domain import traits as rules
from ..domain.traits import MemberTraits, PurchaseRecord
from . import segments

log = logging.getLogger(__name__)

MAX_SCORES_PER_CALL = 1000
SCORE_STEP = 0.01  # a daily score that moved less is kept but not announced again
MAX_AMOUNT = Decimal("9999999999.99")  # what member_purchases.amount (12, 2) holds


# --- the engine's events ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Facts:
    external_id: str
    amount: Decimal
    units: int


def _facts(event: Event, key: str, *, least_units: int, amount_required: bool) -> _Facts | None:
    """What a purchase or a return event says, or None (logged) when it cannot be read: a
    malformed event is skipped, never retried for ever ahead of the others."""
    payload = event.payload
    try:
        amount = Decimal(str(payload[key])) if amount_required or payload.get(key) is not None else None
        units = sum(int(line["quantity"]) for line in payload["lines"])
        external_id = str(payload["external_id"])
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        log.error("%s %s cannot be read (%s: %s); skipped", event.type, event.id, type(error).__name__, error)
        return None
    if amount is None:
        # Returns recorded before the engine sent their money: their units still count.
        amount = Decimal("0.00")
    if event.member_id is None or not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT \
            or not least_units <= units <= MAX_INT:
        log.error("%s %s has no member, or an amount or units it cannot have; skipped", event.type, event.id)
        return None
    return _Facts(external_id[:128], rules.money(amount), units)


async def on_purchase_completed(runtime: Runtime, event: Event) -> None:
    """A purchase (rewards' PurchaseCompleted): its total, units and time, kept per member."""
    facts = _facts(event, "total", least_units=1, amount_required=True)  # a basket has a line of at least one unit
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled("purchases", event.id):
            return
        if facts is not None:
            member_id = await _lock_member(uow, str(event.member_id))
            existing = await store.lock_purchase(uow, facts.external_id)
            after = rules.purchase_recorded(existing, external_id=facts.external_id, member_id=member_id,
                                            occurred_at=event.occurred_at, amount=facts.amount, units=facts.units)
            if after is not None:
                await _apply(uow, existing, after, now)
                if existing is None:  # made before a merge whose event came first: an unmerge gives it back
                    await store.record_moves(uow, facts.external_id,
                                             await merge_hops(uow.connection, str(event.member_id)))
        await uow.commit()


async def on_purchase_returned(runtime: Runtime, event: Event) -> None:
    """A return (rewards' PurchaseReturned): what it gave back, counted once per return. It may
    come before its purchase: the record then waits for the purchase's total and time."""
    facts = _facts(event, "amount", least_units=0, amount_required=False)
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled("returns", event.id):
            return
        purchase_id = str(event.payload.get("purchase_external_id", ""))[:128]
        if facts is not None and purchase_id:
            member_id = await _lock_member(uow, str(event.member_id))
            if await store.remember_return(uow, facts.external_id, purchase_id, facts.amount, facts.units):
                existing = await store.lock_purchase(uow, purchase_id)
                after = rules.return_recorded(existing, purchase_external_id=purchase_id, member_id=member_id,
                                              amount=facts.amount, units=facts.units)
                await _apply(uow, existing, after, now)
        await uow.commit()


async def _lock_member(uow: UnitOfWork, member_id: str) -> str:
    """The member an event's id names now (it may have been merged since), held for this
    transaction; looked up again once held, in case a merge committed while we waited."""
    current = await current_member_id(uow.connection, member_id)
    for _ in range(3):
        await segment_store.lock_members(uow, [current])
        again = await current_member_id(uow.connection, member_id)
        if again == current:
            return current
        current = again
    return current


async def _apply(uow: UnitOfWork, before: PurchaseRecord | None, after: PurchaseRecord, now: datetime) -> None:
    """Save a purchase record, move its member's totals with it, re-evaluate their segments."""
    await store.save_purchase(uow, after, new=before is None)
    totals = await store.lock_totals(uow, after.member_id)
    totals, look_again = rules.totals_after(totals, before, after)
    if look_again:
        totals = rules.TraitTotals(totals.member_id, await store.latest_counted_purchase(uow.connection,
                                                                                       after.member_id),
                                   totals.purchases, totals.spend)
    await store.save_totals(uow, totals)
    await segments.reevaluate(uow, [after.member_id], now)


# --- reading ------------------------------------------------------------------------------------


async def member_traits(runtime: Runtime, principal: Principal | None, member_id: str) -> MemberTraits:
    """A member's traits now (the member themself, or staff)."""
    now = runtime.clock.now()
    async with runtime.db.reading() as connection:
        current = await require_member_access(connection, principal, member_id)
        profiling = await store.profiling_consents(connection, [current])
        if current not in profiling:
            raise NotFound(f"no member {member_id}")
        loaded = await store.load_traits(connection, [current], now, profiling)
    return loaded[current].traits


# --- the churn model's scores -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LapseScore:
    member_id: str
    score: float  # 0..1: how likely the member is to lapse
    model: str  # which model (and version) scored it
    scored_at: datetime
    horizon_days: int = 90  # the score is the chance of no purchase within these days


async def record_lapse_scores(runtime: Runtime, scores: Sequence[LapseScore]) -> int:
    """Where the churn model's scores come in (the `lapse-scores` job, handlers/churn.py): each
    replaces an older score of the member and re-evaluates their segments; a score that moved
    (new, or by SCORE_STEP or more) is published as LapseRiskScored for the engine (its
    `lapse_risk` trigger and next best offer). Members who object to profiling get no score.
    Returns how many were kept."""
    if len(scores) > MAX_SCORES_PER_CALL:
        raise ValueError(f"at most {MAX_SCORES_PER_CALL} scores a call")
    now = runtime.clock.now()
    kept = 0
    async with runtime.unit_of_work() as uow:
        current = {s.member_id: await current_member_id(uow.connection, s.member_id) for s in scores}
        await segment_store.lock_members(uow, list(current.values()))
        profiling = await store.profiling_consents(uow.connection, list(current.values()))
        previous = await store.lapse_scores_of(uow.connection, list(current.values()))
        changed = set()
        for score in scores:
            member_id = current[score.member_id]
            if not profiling.get(member_id, False):
                continue
            model = score.model.strip()[:64] or "unknown"
            value = rules.check_lapse_score(score.score)
            if await store.save_lapse_score(uow, member_id, value, model, score.scored_at):
                kept += 1
                changed.add(member_id)
                before = previous.get(member_id)
                if before is None or abs(before - value) >= SCORE_STEP:
                    previous[member_id] = value
                    uow.publish(Event(type="LapseRiskScored", source="profile", member_id=member_id,
                                      occurred_at=score.scored_at, payload={
                                          "member_id": member_id, "score": value, "model": model,
                                          "horizon_days": score.horizon_days,
                                          "scored_at": score.scored_at.isoformat()}))
        await segments.reevaluate(uow, changed, now)
        await uow.commit()
    return kept


async def on_tier_changed(runtime: Runtime, event: Event) -> None:
    """The ledger's TierChanged: the member's tier, the churn model's tier feature."""
    to = event.payload.get("to") or {}
    try:
        tier_id, threshold = str(to["id"])[:40], int(to["threshold"])
    except (KeyError, TypeError, ValueError):
        log.error("TierChanged %s cannot be read; skipped", event.id)
        return
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled("tiers", event.id):
            return
        if event.member_id is not None:
            member_id = await current_member_id(uow.connection, str(event.member_id))
            await store.save_member_tier(uow, member_id, tier_id, max(0, min(threshold, MAX_INT)), event.occurred_at)
        await uow.commit()


async def forget_lapse_score(uow: UnitOfWork, member_id: str) -> None:
    """A member objected to profiling: their score goes (the caller re-evaluates their segments)."""
    await store.forget_lapse_score(uow, member_id)


# --- merges -------------------------------------------------------------------------------------


async def reassign_member_facts(uow: UnitOfWork, absorbed_id: str, survivor_id: str, merge_id: str, *,
                                now: datetime | None = None) -> list[str]:
    """A merge: move the absorbed member's purchases to the survivor, each remembering this merge,
    recompute both members' totals, re-evaluate the survivor's segments and take the absorbed
    member out of every segment. Call it in the merge's own transaction. Idempotent: a second
    call finds nothing left to move. Returns the purchase externalIds moved."""
    now = now or utcnow()
    await segment_store.lock_members(uow, [absorbed_id, survivor_id])
    moved = await store.move_purchases(uow, absorbed_id, survivor_id, merge_id)
    for member_id in (absorbed_id, survivor_id):
        await _recompute_totals(uow, member_id)
    await segments.reevaluate(uow, [survivor_id], now)
    await segments.reevaluate(uow, [absorbed_id], now, gone=[absorbed_id])
    return moved


async def restore_member_facts(uow: UnitOfWork, merge_id: str, absorbed_id: str, survivor_id: str, *,
                               now: datetime | None = None) -> list[str]:
    """An unmerge: give the absorbed member back the purchases this merge moved, wherever later
    merges carried them, recompute the totals of everyone involved and re-evaluate their
    segments (the absorbed member's as a member of their own again). Call it in the unmerge's
    own transaction. Idempotent: a second call finds no move of this merge. Returns the purchase
    externalIds moved back."""
    now = now or utcnow()
    moves = await store.moves_of_merge(uow.connection, merge_id)
    holders = await store.holders(uow.connection, [m.purchase_external_id for m in moves])
    involved = {absorbed_id, survivor_id, *holders.values()}
    await segment_store.lock_members(uow, sorted(involved))
    for move in moves:
        await store.undo_move(uow, move)
        involved.add(move.from_member_id)
    for member_id in sorted(involved):
        await _recompute_totals(uow, member_id)
    await segments.reevaluate(uow, involved, now, revived=[absorbed_id])
    return [m.purchase_external_id for m in moves]


async def _recompute_totals(uow: UnitOfWork, member_id: str) -> None:
    records = await store.purchases_of(uow.connection, member_id)
    await store.save_totals(uow, rules.totals_of(member_id, records))
