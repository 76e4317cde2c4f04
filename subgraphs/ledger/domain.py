"""The ledger's domain: the points book of record. No I/O here.

A member's points live in **lots**: every earning is a lot with a maturity
(the end of the return window; pending until then) and an expiry. Spending and
expiry consume matured lots first-expiring-first. **Entries** are the
append-only record; the balance is the sum of entries:

    sum(entry.points) == account.available + account.pending          (I1)
    account.pending   == sum(remaining of lots not yet matured)       (I2)
    account.available == sum(remaining of matured lots) - shortfall   (I3)

`Wallet` is a member's account with the lots that matter for one change; every
posting and every scheduled job goes through it, so the cached balances can
never disagree with the entries. Returns take back exactly what each returned
line earned, from the purchase's own lot first (pending or not), then from
available points; what was already spent follows the negative-balance policy:
ALLOW_NEGATIVE lets available go below zero (a shortfall that the next points
repay), CAP_AT_ZERO takes only what is there and records the rest as a debt
that later points settle with an entry of their own.

Tiers qualify on points earned (matured, net of returns) in a rolling window;
a member moves up at once, and down only at their review date, one level at
most, after a grace period.
"""
from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from core.errors import BadUserInput, Conflict
from core.vocabulary import Channel
from subgraphs.kernel.bounds import MAX_INT


class EntryKind(StrEnum):
    EARN = "EARN"
    REDEEM = "REDEEM"
    ADJUST = "ADJUST"
    EXPIRE = "EXPIRE"
    REVERSE = "REVERSE"
    BONUS = "BONUS"
    TRANSFER = "TRANSFER"  # points moved between the books of two members merged (or unmerged)


# The most points an account can hold (PostgreSQL integer columns; GraphQL's Int).
MAX_BALANCE = MAX_INT

# Lots that count toward tiers, lifetime points and milestones.
QUALIFYING_KINDS = frozenset({EntryKind.EARN, EntryKind.BONUS})


class NegativeBalancePolicy(StrEnum):
    ALLOW_NEGATIVE = "ALLOW_NEGATIVE"
    CAP_AT_ZERO = "CAP_AT_ZERO"


class ExpiryKind(StrEnum):
    ROLLING_MONTHS = "ROLLING_MONTHS"  # N months after the day it was earned
    END_OF_MONTH = "END_OF_MONTH"  # at the end of the Nth month after the month it was earned


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True, slots=True)
class ExpiryPolicy:
    kind: ExpiryKind = ExpiryKind.ROLLING_MONTHS
    months: int = 18

    def expires_at(self, earned_at: datetime) -> datetime:
        if self.kind is ExpiryKind.ROLLING_MONTHS:
            return add_months(earned_at, self.months)
        target = add_months(earned_at.replace(day=1), self.months)
        last_day = calendar.monthrange(target.year, target.month)[1]
        return datetime.combine(date(target.year, target.month, last_day), time.max, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Policy:
    """The program's rules for points; data, changed without a release."""

    expiry: ExpiryPolicy = field(default_factory=ExpiryPolicy)
    # The return window per channel; earnings stay pending until it closes.
    pending_days: Mapping[str, int] = field(default_factory=lambda: {"ECOMMERCE": 14, "APP": 14})
    qualification_months: int = 12
    review_months: int = 12
    grace_days: int = 30
    negative_balance: NegativeBalancePolicy = NegativeBalancePolicy.CAP_AT_ZERO
    milestones: tuple[int, ...] = (1_000, 5_000, 10_000, 25_000, 50_000, 100_000)
    max_adjustment: int = 100_000

    def pending_for(self, channel: Channel) -> timedelta:
        return timedelta(days=self.pending_days.get(str(channel), 0))

    def facts(self) -> dict[str, Any]:
        return {
            "expiry": {"kind": str(self.expiry.kind), "months": self.expiry.months},
            "pending_days": dict(self.pending_days),
            "qualification_months": self.qualification_months,
            "review_months": self.review_months,
            "grace_days": self.grace_days,
            "negative_balance": str(self.negative_balance),
            "milestones": list(self.milestones),
            "max_adjustment": self.max_adjustment,
        }

    @classmethod
    def from_facts(cls, facts: Mapping[str, Any]) -> Policy:
        default = cls()
        expiry = facts.get("expiry") or {}
        policy = cls(
            expiry=ExpiryPolicy(ExpiryKind(expiry.get("kind", default.expiry.kind)),
                                int(expiry.get("months", default.expiry.months))),
            pending_days={str(k): int(v) for k, v in facts.get("pending_days", default.pending_days).items()},
            qualification_months=int(facts.get("qualification_months", default.qualification_months)),
            review_months=int(facts.get("review_months", default.review_months)),
            grace_days=int(facts.get("grace_days", default.grace_days)),
            negative_balance=NegativeBalancePolicy(facts.get("negative_balance", default.negative_balance)),
            milestones=tuple(sorted(int(m) for m in facts.get("milestones", default.milestones))),
            max_adjustment=int(facts.get("max_adjustment", default.max_adjustment)),
        )
        policy.check()
        return policy

    def check(self) -> None:
        if self.expiry.months < 1 or self.qualification_months < 1 or self.review_months < 1:
            raise BadUserInput("expiry, qualification and review periods are at least one month")
        if self.grace_days < 0 or any(days < 0 for days in self.pending_days.values()):
            raise BadUserInput("grace and return windows cannot be negative")


@dataclass(frozen=True, slots=True)
class Tier:
    id: str
    name: str
    threshold: int  # qualifying points needed
    multiplier: float  # earn rate multiplier the engine applies
    benefits: tuple[str, ...] = ()


@dataclass(slots=True)
class Account:
    member_id: str
    available: int
    pending: int
    lifetime_earned: int  # qualifying points ever earned, net of returns
    tier_id: str
    tier_since: datetime
    review_at: datetime  # the next tier review
    last_seq: int  # entries are numbered 1, 2, 3 ... per member
    shortfall: int = 0  # spent points taken back under ALLOW_NEGATIVE: available is below the lots by this
    debt: int = 0  # spent points taken back under CAP_AT_ZERO: settled by the next points
    grace_until: datetime | None = None  # below the tier at review: kept until then
    milestone: int = 0  # the highest lifetime milestone reached
    next_due_at: datetime | None = None  # when the schedule job must next look at it (see Wallet.reschedule)

    @property
    def balance(self) -> int:
        return self.available + self.pending


@dataclass(slots=True)
class Lot:
    id: str
    member_id: str
    entry_id: str
    kind: EntryKind  # EARN, BONUS, a positive ADJUST, or a REDEEM given back
    reference: str | None  # the purchase it came from
    points: int
    remaining: int
    earned_at: datetime
    matures_at: datetime
    expires_at: datetime
    matured: bool = False
    reversed: int = 0  # taken back by returns (not by spending)
    merge_id: str | None = None  # came with this merge from another member's book (goes back if undone)

    @property
    def qualifying(self) -> bool:
        return self.kind in QUALIFYING_KINDS

    @property
    def net(self) -> int:
        return self.points - self.reversed


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    member_id: str
    seq: int
    kind: EntryKind
    points: int  # signed
    balance_after: int  # available + pending after this entry
    occurred_at: datetime
    channel: Channel
    reference: str | None
    description: str
    recorded_at: datetime | None = None  # when the book got it (set once stored)


@dataclass(frozen=True, slots=True)
class TierChange:
    member_id: str
    from_tier: Tier
    to_tier: Tier
    at: datetime


@dataclass(frozen=True, slots=True)
class MilestoneReached:
    member_id: str
    threshold: int
    lifetime_earned: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PointsMatured:
    member_id: str
    entry_id: str  # the earning whose points became available
    points: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PointsOwed:
    member_id: str
    points: int  # what a return could not take back, now owed
    debt: int
    reference: str | None
    at: datetime


DomainEvent = TierChange | MilestoneReached | PointsMatured | PointsOwed


@dataclass(frozen=True, slots=True)
class TierStatus:
    current: Tier
    since: datetime
    qualifying_points: int
    next: Tier | None
    points_to_next: int | None
    progress: float  # 0..1 toward next; 1.0 at the top tier


@dataclass(frozen=True, slots=True)
class ExpiringPoints:
    points: int
    on: date


def ordered(tiers: Sequence[Tier]) -> list[Tier]:
    if not tiers:
        raise LookupError("the program has no tiers: load the program (loyalty seed)")
    return sorted(tiers, key=lambda t: t.threshold)


def tier_for(qualifying_points: int, tiers: Sequence[Tier]) -> Tier:
    """The highest tier whose threshold the points reach (the lowest tier at worst)."""
    ladder = ordered(tiers)
    reached = [t for t in ladder if t.threshold <= qualifying_points]
    return reached[-1] if reached else ladder[0]


def new_account(member_id: str, tiers: Sequence[Tier], now: datetime, policy: Policy | None = None) -> Account:
    policy = policy or Policy()
    review_at = add_months(now, policy.review_months)
    return Account(member_id, 0, 0, 0, ordered(tiers)[0].id, now, review_at, 0, next_due_at=review_at)


def qualifying_points(lots: Iterable[Lot], now: datetime, policy: Policy) -> int:
    """Points earned in the qualification window, once matured, net of returns."""
    since = add_months(now, -policy.qualification_months)
    return sum(lot.net for lot in lots if lot.qualifying and lot.matured and lot.earned_at >= since)


def tier_status(account: Account, tiers: Sequence[Tier], qualifying: int) -> TierStatus:
    ladder = ordered(tiers)
    current = next((t for t in ladder if t.id == account.tier_id), ladder[0])
    higher = [t for t in ladder if t.threshold > current.threshold]
    if not higher:
        return TierStatus(current, account.tier_since, qualifying, None, None, 1.0)
    nxt = higher[0]
    span = nxt.threshold - current.threshold
    done = min(max(qualifying - current.threshold, 0), span)
    return TierStatus(
        current=current,
        since=account.tier_since,
        qualifying_points=qualifying,
        next=nxt,
        points_to_next=max(nxt.threshold - qualifying, 0),
        progress=round(done / span, 4) if span else 1.0,
    )


@dataclass(frozen=True, slots=True)
class TierReview:
    """What the member's next tier review decides, on the points counted now.

    The review counts the qualifying points earned in the window that ends at the
    review: enough for the tier keeps it (and the following review is a year on, or
    `review_months`); short starts a grace period, and the tier goes down one level at
    its end unless the points reach it again. `decides_at` is the review, or the end of
    the grace period once the member is in it."""

    review_at: datetime  # the review (in the past while the member is in its grace period)
    grace_until: datetime | None  # in the grace period: the tier is lowered then unless it qualifies again
    points_to_keep: int  # qualifying points still needed when it decides; 0 when the points counted reach it
    kept_until: datetime | None  # when points_to_keep is 0: the following review, until which the tier is kept

    @property
    def decides_at(self) -> datetime:
        return self.grace_until or self.review_at


def tier_review(account: Account, tiers: Sequence[Tier], lots: Iterable[Lot], now: datetime,
                policy: Policy) -> TierReview | None:
    """The next review of the member's tier; None for the lowest tier (a review can only
    keep it). Points count as they will when the review decides (its qualification
    window, matured points only, net of returns), or as of now once that moment has
    passed and the schedule job has still to run; the following review is found the
    way `Wallet.review` moves it on."""
    ladder = ordered(tiers)
    current = next((t for t in ladder if t.id == account.tier_id), ladder[0])
    if current.threshold <= ladder[0].threshold:
        return None
    decides_at = account.grace_until or account.review_at
    counted = qualifying_points(lots, max(decides_at, now), policy)
    to_keep = max(current.threshold - counted, 0)
    kept_until = None
    if not to_keep:
        kept_until = account.review_at
        while kept_until <= max(decides_at, now):
            kept_until = add_months(kept_until, policy.review_months)
    return TierReview(account.review_at, account.grace_until, to_keep, kept_until)


def expiring_next(lots: Iterable[Lot]) -> ExpiringPoints | None:
    """The points of the lot(s) that expire first."""
    open_lots = [lot for lot in lots if lot.remaining > 0]
    if not open_lots:
        return None
    first = min(lot.expires_at.date() for lot in open_lots)
    return ExpiringPoints(sum(lot.remaining for lot in open_lots if lot.expires_at.date() == first), first)


@dataclass
class Wallet:
    """A member's account and the lots one change needs, changed only through its
    operations. Each operation appends entries and events; the handler persists
    `new_entries`, `new_lots`, `touched_lots` and the account together."""

    account: Account
    lots: list[Lot]
    tiers: Sequence[Tier]
    policy: Policy
    now: datetime
    new_id: Callable[[str], str]
    new_entries: list[Entry] = field(default_factory=list)
    new_lots: list[Lot] = field(default_factory=list)
    touched_lots: dict[str, Lot] = field(default_factory=dict)
    events: list[DomainEvent] = field(default_factory=list)

    # --- the record -------------------------------------------------------------------

    @staticmethod
    def _described(description: str) -> str:
        """Checked before anything changes: a refused posting leaves the wallet as it was."""
        if not description.strip():
            raise BadUserInput("every entry needs a description")
        return description.strip()

    def _append(self, kind: EntryKind, points: int, occurred_at: datetime, channel: Channel,
                reference: str | None, description: str) -> Entry:
        """The entry for a change already applied to the balances."""
        description = self._described(description)
        self.account.last_seq += 1
        entry = Entry(self.new_id("led"), self.account.member_id, self.account.last_seq, kind, points,
                      self.account.balance, occurred_at, channel, reference, description[:300])
        self.new_entries.append(entry)
        return entry

    def _touch(self, lot: Lot) -> None:
        if lot not in self.new_lots:
            self.touched_lots[lot.id] = lot

    def _matured_by_expiry(self) -> list[Lot]:
        """Matured lots with points left, first expiring first."""
        return sorted((lot for lot in self.lots if lot.matured and lot.remaining > 0),
                      key=lambda lot: (lot.expires_at, lot.earned_at, lot.id))

    def _consume(self, points: int, lots: Iterable[Lot]) -> int:
        """Take up to `points` from these lots' remaining; returns what was taken."""
        taken = 0
        for lot in lots:
            if taken == points:
                break
            take = min(lot.remaining, points - taken)
            if take:
                lot.remaining -= take
                taken += take
                self._touch(lot)
        return taken

    # --- postings ---------------------------------------------------------------------

    def earn(self, *, kind: EntryKind, points: int, occurred_at: datetime, channel: Channel,
             reference: str | None, description: str) -> Entry:
        """Points in: a new lot, pending until its return window closes (a redemption given
        back, kind REDEEM with positive points, is available at once and never qualifies)."""
        if kind not in (EntryKind.EARN, EntryKind.BONUS, EntryKind.ADJUST, EntryKind.REDEEM):
            raise ValueError(f"{kind} does not add points")
        if points <= 0:
            raise BadUserInput(f"{kind.lower()} postings add points: got {points}")
        if max(self.account.balance, self.account.lifetime_earned, 0) + points > MAX_BALANCE:
            raise Conflict(f"this posting would take the account past {MAX_BALANCE} points, the most it can hold")
        description = self._described(description)
        matures_at = occurred_at + (self.policy.pending_for(channel) if kind in QUALIFYING_KINDS else timedelta())
        self.account.pending += points
        entry = self._append(kind, points, occurred_at, channel, reference, description)
        lot = Lot(self.new_id("lot"), self.account.member_id, entry.id, kind, reference, points, points,
                  occurred_at, matures_at, max(self.policy.expiry.expires_at(occurred_at), matures_at))
        self.lots.append(lot)
        self.new_lots.append(lot)
        if lot.qualifying:
            self.account.lifetime_earned += points
            self._milestones()
        self.mature()
        return entry

    def spend(self, *, kind: EntryKind, points: int, occurred_at: datetime, channel: Channel,
              reference: str | None, description: str) -> Entry:
        """Points out (a redemption, a negative adjustment): never below zero."""
        if kind not in (EntryKind.REDEEM, EntryKind.ADJUST):
            raise ValueError(f"{kind} does not spend points")
        if points <= 0:
            raise BadUserInput(f"the points to take must be positive: got {points}")
        description = self._described(description)
        if self.account.available < points:
            raise Conflict(f"insufficient points: {max(self.account.available, 0)} available, {points} needed")
        self._consume(points, self._matured_by_expiry())
        self.account.available -= points
        return self._append(kind, -points, occurred_at, channel, reference, description)

    def reverse(self, *, purchase_reference: str, points: int, occurred_at: datetime, channel: Channel,
                reference: str, description: str) -> Entry | None:
        """A return takes back `points` the purchase earned: from the purchase's own
        lot first (pending or available), then from available points; the rest
        follows the negative-balance policy."""
        if points < 0:
            raise BadUserInput("a return takes back a positive number of points")
        description = self._described(description)
        if points == 0:
            return None
        own = [lot for lot in self.lots if lot.reference == purchase_reference and lot.qualifying]
        attributed = points
        for lot in sorted(own, key=lambda lot: (lot.matured, lot.id)):  # pending first
            share = min(attributed, lot.net)
            if share:
                lot.reversed += share
                attributed -= share
                self._touch(lot)
        self.account.lifetime_earned = max(self.account.lifetime_earned - (points - attributed), 0)
        taken = 0
        for lot in sorted(own, key=lambda lot: (lot.matured, lot.id)):
            got = self._consume(points - taken, [lot])
            if lot.matured:
                self.account.available -= got
            else:
                self.account.pending -= got
            taken += got
        got = self._consume(points - taken, self._matured_by_expiry())
        self.account.available -= got
        taken += got
        missing = points - taken
        if missing and self.policy.negative_balance is NegativeBalancePolicy.ALLOW_NEGATIVE:
            self.account.shortfall += missing
            self.account.available -= missing
            taken += missing
        elif missing:
            self.account.debt += missing
            self.events.append(PointsOwed(self.account.member_id, missing, self.account.debt, reference, self.now))
        if not taken:
            return None
        return self._append(EntryKind.REVERSE, -taken, occurred_at, channel, reference, description)

    # --- time -------------------------------------------------------------------------

    def mature(self) -> list[Lot]:
        """Lots whose return window has closed become available: they repay any
        shortfall, settle any debt, and may lift the member's tier."""
        matured = []
        for lot in sorted((lot for lot in self.lots if not lot.matured and lot.matures_at <= self.now),
                          key=lambda lot: (lot.matures_at, lot.id)):
            lot.matured = True
            self._touch(lot)
            self.account.pending -= lot.remaining
            self.account.available += lot.remaining
            repaid = min(self.account.shortfall, lot.remaining)
            lot.remaining -= repaid
            self.account.shortfall -= repaid
            if lot not in self.new_lots and lot.net > 0:
                self.events.append(PointsMatured(self.account.member_id, lot.entry_id, lot.net, self.now))
            matured.append(lot)
        if matured:
            self._settle_debt()
            self._upgrade()
        return matured

    def _settle_debt(self) -> None:
        if not self.account.debt or self.account.available <= 0:
            return
        settle = min(self.account.debt, self.account.available)
        self._consume(settle, self._matured_by_expiry())
        self.account.available -= settle
        self.account.debt -= settle
        self._append(EntryKind.REVERSE, -settle, self.now, Channel.SYSTEM, None,
                     f"Settles {settle} points owed from an earlier return")

    def expire(self) -> Entry | None:
        """Matured lots past their expiry lose what is left of them."""
        self.mature()
        due = [lot for lot in self._matured_by_expiry() if lot.expires_at <= self.now]
        points = sum(lot.remaining for lot in due)
        if not points:
            return None
        for lot in due:
            lot.remaining = 0
            self._touch(lot)
        self.account.available -= points
        return self._append(EntryKind.EXPIRE, -points, self.now, Channel.SYSTEM, None, f"{points} points expired")

    def qualifying(self) -> int:
        return qualifying_points(self.lots, self.now, self.policy)

    def _current_tier(self) -> Tier:
        ladder = ordered(self.tiers)
        return next((t for t in ladder if t.id == self.account.tier_id), ladder[0])

    def _upgrade(self) -> None:
        current = self._current_tier()
        reached = tier_for(self.qualifying(), self.tiers)
        if reached.threshold > current.threshold:
            self._move(current, reached)
        elif self.account.grace_until is not None and self.qualifying() >= current.threshold:
            self.account.grace_until = None  # qualifies again: no downgrade pending

    def _move(self, current: Tier, to: Tier) -> None:
        self.account.tier_id = to.id
        self.account.tier_since = self.now
        self.account.review_at = add_months(self.now, self.policy.review_months)
        self.account.grace_until = None
        self.events.append(TierChange(self.account.member_id, current, to, self.now))

    def review(self) -> None:
        """At the review date: keep the tier if the window still qualifies; if not,
        a grace period, then one level down at most."""
        self.mature()
        if self.account.review_at > self.now:
            return
        current = self._current_tier()
        if self.qualifying() >= current.threshold:
            while self.account.review_at <= self.now:
                self.account.review_at = add_months(self.account.review_at, self.policy.review_months)
            self.account.grace_until = None
            return
        if self.account.grace_until is None:
            self.account.grace_until = self.account.review_at + timedelta(days=self.policy.grace_days)
        if self.account.grace_until <= self.now:
            ladder = ordered(self.tiers)
            below = [t for t in ladder if t.threshold < current.threshold]
            if below:
                self._move(current, below[-1])
            else:
                self.account.review_at = add_months(self.now, self.policy.review_months)
                self.account.grace_until = None

    # --- the schedule -------------------------------------------------------------------

    def next_due(self) -> datetime:
        """When this account next needs the schedule job: the first pending lot to
        mature, the first open lot to expire, or the tier review (the end of the grace
        period once the member is in it). Between now and then the job skips it, so
        members waiting out a grace period never crowd out those who are due."""
        account = self.account
        due = account.grace_until if account.grace_until is not None else account.review_at
        for lot in self.lots:
            if not lot.matured:
                due = min(due, lot.matures_at)
            elif lot.remaining > 0:
                due = min(due, lot.expires_at)
        return due

    def reschedule(self) -> None:
        """Record the next due time; called after every change."""
        self.account.next_due_at = self.next_due()

    def _milestones(self) -> None:
        for threshold in self.policy.milestones:
            if self.account.milestone < threshold <= self.account.lifetime_earned:
                self.account.milestone = threshold
                self.events.append(
                    MilestoneReached(self.account.member_id, threshold, self.account.lifetime_earned, self.now)
                )


# --- facts: what events carry ---------------------------------------------------------

# Every change of the balance is one of these events; each carries its entry.
EVENT_TYPE_BY_KIND = {
    EntryKind.EARN: "PointsEarned",
    EntryKind.REDEEM: "PointsRedeemed",
    EntryKind.ADJUST: "PointsAdjusted",
    EntryKind.EXPIRE: "PointsExpired",
    EntryKind.REVERSE: "PointsReversed",
    EntryKind.BONUS: "BonusPointsAwarded",
    EntryKind.TRANSFER: "PointsTransferred",
}
# Maturing moves points from pending to available: the wallet changes too.
WALLET_EVENT_TYPES = frozenset(EVENT_TYPE_BY_KIND.values()) | {"PointsMatured"}


class WalletChange(StrEnum):
    """What a live wallet update is about."""

    NEW_ENTRY = "NEW_ENTRY"  # an entry was added to the book: the client adds it to the activity
    POINTS_MATURED = "POINTS_MATURED"  # pending points of an earlier entry became available: no new entry


@dataclass(frozen=True, slots=True)
class WalletUpdate:
    change: WalletChange
    entry: Entry  # the new entry, or the earning whose points matured (one the client may already list)
    points: int  # signed: the entry's points, or the points that became available
    at: datetime


def wallet_update(event_type: str, payload: Mapping[str, Any], at: datetime) -> WalletUpdate | None:
    """The live update a ledger event makes, None for events that do not change the wallet."""
    if event_type not in WALLET_EVENT_TYPES:
        return None
    entry = entry_from_facts(dict(payload["entry"]))
    if event_type == "PointsMatured":
        return WalletUpdate(WalletChange.POINTS_MATURED, entry, int(payload["points"]), at)
    return WalletUpdate(WalletChange.NEW_ENTRY, entry, entry.points, at)


def entry_facts(entry: Entry) -> dict[str, object]:
    return {
        "id": entry.id,
        "member_id": entry.member_id,
        "seq": entry.seq,
        "kind": str(entry.kind),
        "points": entry.points,
        "balance_after": entry.balance_after,
        "occurred_at": entry.occurred_at.isoformat(),
        "channel": str(entry.channel),
        "reference": entry.reference,
        "description": entry.description,
    }


def entry_from_facts(facts: dict[str, object]) -> Entry:
    return Entry(
        id=str(facts["id"]),
        member_id=str(facts["member_id"]),
        seq=int(facts["seq"]),  # type: ignore[arg-type]
        kind=EntryKind(facts["kind"]),
        points=int(facts["points"]),  # type: ignore[arg-type]
        balance_after=int(facts["balance_after"]),  # type: ignore[arg-type]
        occurred_at=datetime.fromisoformat(str(facts["occurred_at"])),
        channel=Channel(facts["channel"]),
        reference=facts["reference"],  # type: ignore[arg-type]
        description=str(facts["description"]),
    )


def tier_facts(tier: Tier) -> dict[str, object]:
    return {"id": tier.id, "name": tier.name, "threshold": tier.threshold, "multiplier": tier.multiplier,
            "benefits": list(tier.benefits)}


def tier_from_facts(facts: dict[str, object]) -> Tier:
    return Tier(str(facts["id"]), str(facts["name"]), int(facts["threshold"]),  # type: ignore[arg-type]
                float(facts["multiplier"]), tuple(facts.get("benefits") or ()))  # type: ignore[arg-type]



# --- merges: two members' books become one, and can become two again ----------------------------


@dataclass(frozen=True, slots=True)
class AccountMerge:
    """What a merge moved, to give it back exactly if the merge is undone."""

    merge_id: str
    survivor_id: str
    absorbed_id: str
    absorbed: Mapping[str, Any]  # the absorbed account just before (account_facts)
    survivor_tier: Mapping[str, Any]  # the survivor's tier just before (tier_id, since, review_at, grace_until)
    lots: Mapping[str, int]  # lot id -> its remaining points when it moved


def account_facts(account: Account) -> dict[str, Any]:
    return {
        "available": account.available, "pending": account.pending, "lifetime_earned": account.lifetime_earned,
        "shortfall": account.shortfall, "debt": account.debt, "milestone": account.milestone,
        **_tier_facts_of(account),
    }


def _tier_facts_of(account: Account) -> dict[str, Any]:
    return {"tier_id": account.tier_id, "tier_since": account.tier_since.isoformat(),
            "review_at": account.review_at.isoformat(),
            "grace_until": account.grace_until.isoformat() if account.grace_until else None}


def _set_tier(account: Account, facts: Mapping[str, Any]) -> None:
    account.tier_id = facts["tier_id"]
    account.tier_since = datetime.fromisoformat(facts["tier_since"])
    account.review_at = datetime.fromisoformat(facts["review_at"])
    account.grace_until = datetime.fromisoformat(facts["grace_until"]) if facts["grace_until"] else None


def merge_wallets(survivor: Wallet, absorbed: Wallet, *, merge_id: str) -> AccountMerge:
    """The survivor's book takes the absorbed member's: its lots move with their maturity
    and expiry dates, its balances and lifetime points add up, and one TRANSFER entry on
    each book records the move (each book still sums to its balance). The tier is at least
    the higher of the two, and may rise with the points now counted together: a merge
    can upgrade, never downgrade."""
    s, a = survivor.account, absorbed.account
    record = AccountMerge(merge_id, s.member_id, a.member_id, account_facts(a), _tier_facts_of(s),
                          {lot.id: lot.remaining for lot in absorbed.lots})
    for lot in absorbed.lots:
        lot.member_id, lot.merge_id = s.member_id, merge_id
        survivor.lots.append(lot)
        survivor.touched_lots[lot.id] = lot
    absorbed.lots.clear()
    points = a.available + a.pending
    s.available += a.available
    s.pending += a.pending
    s.lifetime_earned += a.lifetime_earned
    s.shortfall += a.shortfall
    s.debt += a.debt
    a.available = a.pending = a.lifetime_earned = a.shortfall = a.debt = 0
    description = f"Points moved to member {s.member_id}, merged"
    if points:
        absorbed._append(EntryKind.TRANSFER, -points, survivor.now, Channel.SYSTEM, merge_id, description)
        survivor._append(EntryKind.TRANSFER, points, survivor.now, Channel.SYSTEM, merge_id,
                         f"Points of member {a.member_id}, merged into this account")
    current, theirs = survivor._current_tier(), next((t for t in ordered(survivor.tiers) if t.id == a.tier_id), None)
    if theirs is not None and theirs.threshold > current.threshold:
        _set_tier(s, record.absorbed)
        survivor.events.append(TierChange(s.member_id, current, theirs, survivor.now))
    survivor._milestones()
    survivor.mature()  # a moved lot may be due; maturing also checks for an upgrade
    survivor._upgrade()
    return record


def unmerge_wallets(survivor: Wallet, absorbed: Wallet, record: AccountMerge) -> None:
    """Each member gets their own book back. The lots that came with the merge go back,
    refilled to what they held at the merge while they are valid (points that expired
    meanwhile would have expired anyway); what the survivor spent of them it pays back
    from its own points, and what it cannot, by the negative-balance policy. Lifetime
    points, debt and shortfall go back as they were; tiers return to what each member had
    before the merge, or higher where their own points now qualify."""
    s, a = survivor.account, absorbed.account
    survivor_before, absorbed_before = s.balance, a.balance
    owed = 0
    for lot in [lot for lot in survivor.lots if lot.merge_id == record.merge_id]:
        survivor.lots.remove(lot)
        survivor.touched_lots.pop(lot.id, None)
        if lot.matured:
            s.available -= lot.remaining
        else:
            s.pending -= lot.remaining
        target = lot.remaining
        if lot.expires_at > survivor.now:
            target = max(lot.remaining, min(record.lots.get(lot.id, lot.remaining), lot.points - lot.reversed))
        owed += target - lot.remaining
        lot.remaining, lot.member_id, lot.merge_id = target, a.member_id, None
        absorbed.lots.append(lot)
        absorbed.touched_lots[lot.id] = lot
        if lot.matured:
            a.available += target
        else:
            a.pending += target
    paid = survivor._consume(owed, survivor._matured_by_expiry())
    s.available -= paid
    unpaid = owed - paid
    if unpaid and survivor.policy.negative_balance is NegativeBalancePolicy.ALLOW_NEGATIVE:
        s.shortfall += unpaid
        s.available -= unpaid
    elif unpaid:
        s.debt += unpaid
    before = record.absorbed
    shortfall = min(before["shortfall"], s.shortfall)
    s.shortfall -= shortfall
    s.available += shortfall
    a.shortfall += shortfall
    a.available -= shortfall
    debt = min(before["debt"], s.debt)
    s.debt -= debt
    a.debt += debt
    s.lifetime_earned = max(s.lifetime_earned - before["lifetime_earned"], 0)
    a.lifetime_earned = before["lifetime_earned"]
    a.milestone = max(a.milestone, before["milestone"])
    description = f"Points back from member {s.member_id}, unmerged"
    if a.balance - absorbed_before:
        absorbed._append(EntryKind.TRANSFER, a.balance - absorbed_before, survivor.now, Channel.SYSTEM,
                         record.merge_id, description)
    if s.balance - survivor_before:
        survivor._append(EntryKind.TRANSFER, s.balance - survivor_before, survivor.now, Channel.SYSTEM,
                         record.merge_id, f"Points of member {a.member_id} given back, unmerged")
    _back_to_tier(survivor, record.survivor_tier)
    _set_tier(a, before)
    absorbed._upgrade()


def _back_to_tier(wallet: Wallet, facts: Mapping[str, Any]) -> None:
    """The tier before the merge, or the one the member's own points reach now if higher
    (an unmerge is explicit: it may take back an upgrade the merge brought)."""
    current = wallet._current_tier()
    before = next((t for t in ordered(wallet.tiers) if t.id == facts["tier_id"]), ordered(wallet.tiers)[0])
    reached = tier_for(wallet.qualifying(), wallet.tiers)
    if reached.threshold > before.threshold:
        if reached.id != current.id:
            wallet._move(current, reached)
        return
    _set_tier(wallet.account, facts)
    if before.id != current.id:
        wallet.events.append(TierChange(wallet.account.member_id, current, before, wallet.now))
