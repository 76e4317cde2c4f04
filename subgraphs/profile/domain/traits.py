"""Traits: what a member's purchases say about them (recency, frequency, monetary) and
their lapse risk from the churn model. No I/O here.

Profile learns about purchases from the engine's events (PurchaseCompleted,
PurchaseReturned) and keeps one `PurchaseRecord` per purchase. The events come on
separate durable consumers, so a return may arrive before its purchase, and any
event may arrive twice: the rules below make both change nothing wrong.

Windows: a purchase is "in the last 90 days" while fewer than 90 x 24 hours have
passed since it, so one made exactly 90 days ago no longer counts; `recencyDays`
counts whole days the same way (it is 90 on that day).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from core.errors import BadUserInput

DAY = timedelta(days=1)
FREQUENCY_WINDOW = timedelta(days=90)
MONETARY_WINDOW = timedelta(days=365)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class PurchaseRecord:
    """One purchase as profile keeps it, keyed by the purchase's externalId. Until the purchase
    itself arrives (its return came first) only the returned part is known."""

    external_id: str
    member_id: str
    occurred_at: datetime | None = None
    amount: Decimal | None = None  # the purchase's total
    units: int | None = None  # units bought, over all lines
    returned_amount: Decimal = ZERO
    returned_units: int = 0

    @property
    def known(self) -> bool:
        """The purchase itself has arrived (not only a return of it)."""
        return self.occurred_at is not None and self.amount is not None and self.units is not None

    @property
    def fully_returned(self) -> bool:
        return self.known and self.returned_units >= (self.units or 0)

    @property
    def counts(self) -> bool:
        """Counts as a purchase (frequency, recency): known and not all of it brought back."""
        return self.known and not self.fully_returned

    @property
    def net_amount(self) -> Decimal:
        """Spend net of returns; never below zero (a basket-wide discount may leave the lines'
        amounts above the total)."""
        if not self.known:
            return ZERO
        assert self.amount is not None
        return max(self.amount - self.returned_amount, ZERO)


def purchase_recorded(existing: PurchaseRecord | None, *, external_id: str, member_id: str, occurred_at: datetime,
                      amount: Decimal, units: int) -> PurchaseRecord | None:
    """The record once a purchase has arrived; None when this changes nothing (the purchase
    was already known: the same event again, or a new envelope of it). A record made by an
    earlier return keeps its member and what was returned."""
    if existing is None:
        return PurchaseRecord(external_id, member_id, occurred_at, amount, units)
    if existing.known:
        return None
    return replace(existing, occurred_at=occurred_at, amount=amount, units=units)


def return_recorded(existing: PurchaseRecord | None, *, purchase_external_id: str, member_id: str,
                    amount: Decimal, units: int) -> PurchaseRecord:
    """The record once a return has arrived. The caller applies each return once (by the
    return's own externalId): returns add up."""
    record = existing or PurchaseRecord(purchase_external_id, member_id)
    return replace(record, returned_amount=record.returned_amount + amount, returned_units=record.returned_units + units)


@dataclass(frozen=True, slots=True)
class TraitTotals:
    """A member's running totals, kept in one row updated in the same transaction as each
    purchase record: what never depends on the day it is read."""

    member_id: str
    last_purchase_at: datetime | None = None  # the latest purchase that counts
    purchases: int = 0  # lifetime, purchases that count
    spend: Decimal = ZERO  # lifetime, net of returns


def totals_after(totals: TraitTotals, before: PurchaseRecord | None, after: PurchaseRecord
                 ) -> tuple[TraitTotals, bool]:
    """The totals with one record replaced by its new state, and whether the last purchase
    must be looked up again (the latest purchase stopped counting: brought back whole)."""
    was_counted = before is not None and before.counts
    purchases = totals.purchases - int(was_counted) + int(after.counts)
    spend = totals.spend - (before.net_amount if before is not None else ZERO) + after.net_amount
    last = totals.last_purchase_at
    if after.counts and after.occurred_at is not None and (last is None or after.occurred_at > last):
        last = after.occurred_at
    look_again = was_counted and not after.counts and before is not None and before.occurred_at == last
    return replace(totals, last_purchase_at=last, purchases=purchases, spend=money(spend)), look_again


def totals_of(member_id: str, records: Iterable[PurchaseRecord]) -> TraitTotals:
    """The totals from scratch (after a merge moved records from one member to another)."""
    records = list(records)
    counted = [r for r in records if r.counts]
    return TraitTotals(
        member_id,
        last_purchase_at=max((r.occurred_at for r in counted if r.occurred_at is not None), default=None),
        purchases=len(counted),
        spend=money(sum((r.net_amount for r in records), ZERO)),
    )


@dataclass(frozen=True, slots=True)
class MemberTraits:
    recency_days: int | None  # whole days since the last purchase; None before the first
    frequency_90d: int  # purchases in the last 90 days, not counting those brought back whole
    monetary_365d: Decimal  # spend in the last 365 days, net of returns
    lapse_risk: float | None  # 0..1 from the churn model; None without a score or without profiling consent
    last_purchase_at: datetime | None


def within(occurred_at: datetime, now: datetime, window: timedelta) -> bool:
    """Inside the window ending now: fewer than `window` has passed (a purchase a little in the
    future, from a till's drifting clock, is inside)."""
    return now - occurred_at < window


def traits_as_of(now: datetime, totals: TraitTotals | None, recent: Iterable[PurchaseRecord], *,
                 lapse_score: float | None, profiling: bool) -> MemberTraits:
    """A member's traits at `now`: recency from the totals, the windows from their purchase
    records of the last year (`recent` may hold older ones too: they are left out here)."""
    last = totals.last_purchase_at if totals is not None else None
    frequency = 0
    monetary = ZERO
    for record in recent:
        if not record.known:
            continue
        assert record.occurred_at is not None
        if within(record.occurred_at, now, MONETARY_WINDOW):
            monetary += record.net_amount
        if record.counts and within(record.occurred_at, now, FREQUENCY_WINDOW):
            frequency += 1
    return MemberTraits(
        recency_days=max(0, (now - last) // DAY) if last is not None else None,
        frequency_90d=frequency,
        monetary_365d=money(monetary),
        lapse_risk=lapse_score if profiling else None,
        last_purchase_at=last,
    )


def check_lapse_score(score: float) -> float:
    """A churn model's score for a member: a probability."""
    if not isinstance(score, (int, float)) or isinstance(score, bool) or not math.isfinite(score) \
            or not 0.0 <= score <= 1.0:
        raise BadUserInput("a lapse risk score is a number from 0 to 1", field="score")
    return float(score)
