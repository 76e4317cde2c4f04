"""Example-based unit tests of the ledger's domain: lots, the Wallet aggregate,
tiers, expiry and the facts events carry. Every test uses a fixed clock and a
deterministic id factory, and asserts exact values."""
from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from core.errors import BadUserInput, Conflict
from core.vocabulary import Channel
from subgraphs.ledger.domain import (
    MAX_BALANCE,
    Account,
    Entry,
    EntryKind,
    ExpiringPoints,
    ExpiryKind,
    ExpiryPolicy,
    Lot,
    MilestoneReached,
    NegativeBalancePolicy,
    PointsMatured,
    PointsOwed,
    Policy,
    Tier,
    TierChange,
    TierReview,
    TierStatus,
    Wallet,
    WalletChange,
    WalletUpdate,
    add_months,
    entry_facts,
    entry_from_facts,
    expiring_next,
    new_account,
    ordered,
    qualifying_points,
    tier_facts,
    tier_for,
    tier_from_facts,
    tier_review,
    tier_status,
    wallet_update,
)

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
BRONZE = Tier("bronze", "Bronze", 0, 1.0)
SILVER = Tier("silver", "Silver", 1000, 1.25, ("free shipping",))
GOLD = Tier("gold", "Gold", 5000, 1.5, ("free shipping", "early access"))
TIERS = (GOLD, BRONZE, SILVER)  # deliberately unordered
ALLOW = Policy(negative_balance=NegativeBalancePolicy.ALLOW_NEGATIVE)


class Book:
    """One member's history in memory, as the database would hold it: each
    operation runs on a fresh Wallet, like a handler does."""

    def __init__(self, policy: Policy | None = None) -> None:
        self.policy = policy or Policy()
        self.now = NOW
        self.account: Account = new_account("m1", TIERS, NOW, self.policy)
        self.lots: list[Lot] = []
        self.entries: list[Entry] = []
        self.events: list = []
        self.ids = itertools.count(1)

    def wallet(self) -> Wallet:
        return Wallet(self.account, self.lots, TIERS, self.policy, self.now, lambda prefix: f"{prefix}{next(self.ids)}")

    def run(self, operation):
        wallet = self.wallet()
        result = operation(wallet)
        self.entries += wallet.new_entries
        self.events += wallet.events
        return result

    def earn(self, points: int, *, channel: Channel = Channel.POS, kind: EntryKind = EntryKind.EARN,
             reference: str | None = None, at: datetime | None = None, description: str = "Purchase") -> Entry:
        return self.run(lambda w: w.earn(kind=kind, points=points, occurred_at=at or self.now, channel=channel,
                                         reference=reference, description=description))

    def spend(self, points: int, *, kind: EntryKind = EntryKind.REDEEM, description: str = "Reward") -> Entry:
        return self.run(lambda w: w.spend(kind=kind, points=points, occurred_at=self.now, channel=Channel.POS,
                                          reference=None, description=description))

    def reverse(self, purchase: str, points: int, *, reference: str = "r1") -> Entry | None:
        return self.run(lambda w: w.reverse(purchase_reference=purchase, points=points, occurred_at=self.now,
                                            channel=Channel.POS, reference=reference, description="Return"))

    def wait(self, days: int = 0, **delta: int) -> None:
        self.now += timedelta(days=days, **delta)

    def at(self, moment: datetime) -> None:
        self.now = moment

    def mature(self) -> list[Lot]:
        return self.run(lambda w: w.mature())

    def expire(self) -> Entry | None:
        return self.run(lambda w: w.expire())

    def review(self) -> None:
        self.run(lambda w: w.review())

    def qualifying(self) -> int:
        return self.wallet().qualifying()

    def lot(self, reference: str) -> Lot:
        return next(lot for lot in self.lots if lot.reference == reference)

    def tier_changes(self) -> list[TierChange]:
        return [e for e in self.events if isinstance(e, TierChange)]


def make_lot(points: int, *, earned_at: datetime = NOW, remaining: int | None = None, matured: bool = True,
             kind: EntryKind = EntryKind.EARN, reversed_: int = 0, expires_at: datetime | None = None,
             lot_id: str = "lot") -> Lot:
    return Lot(lot_id, "m1", f"led-{lot_id}", kind, None, points, points - reversed_ if remaining is None else remaining,
               earned_at, earned_at, expires_at or add_months(earned_at, 18), matured, reversed_)


# --- calendar -------------------------------------------------------------------------


@pytest.mark.parametrize(("moment", "months", "expected"), [
    (datetime(2026, 1, 15, 8, 30, tzinfo=UTC), 1, datetime(2026, 2, 15, 8, 30, tzinfo=UTC)),
    (datetime(2026, 1, 31, 12, tzinfo=UTC), 1, datetime(2026, 2, 28, 12, tzinfo=UTC)),
    (datetime(2024, 1, 31, 12, tzinfo=UTC), 1, datetime(2024, 2, 29, 12, tzinfo=UTC)),
    (datetime(2024, 2, 29, 12, tzinfo=UTC), 12, datetime(2025, 2, 28, 12, tzinfo=UTC)),
    (datetime(2026, 8, 31, tzinfo=UTC), 1, datetime(2026, 9, 30, tzinfo=UTC)),
    (datetime(2026, 11, 30, tzinfo=UTC), 3, datetime(2027, 2, 28, tzinfo=UTC)),
    (datetime(2026, 1, 1, 12, tzinfo=UTC), 18, datetime(2027, 7, 1, 12, tzinfo=UTC)),
    (datetime(2026, 1, 15, tzinfo=UTC), 0, datetime(2026, 1, 15, tzinfo=UTC)),
])
def test_add_months_clamps_to_the_end_of_shorter_months(moment, months, expected):
    assert add_months(moment, months) == expected


@pytest.mark.parametrize(("moment", "months", "expected"), [
    (datetime(2026, 1, 15, tzinfo=UTC), -1, datetime(2025, 12, 15, tzinfo=UTC)),
    (datetime(2026, 1, 15, tzinfo=UTC), -12, datetime(2025, 1, 15, tzinfo=UTC)),
    (datetime(2026, 1, 15, tzinfo=UTC), -13, datetime(2024, 12, 15, tzinfo=UTC)),
    (datetime(2026, 3, 31, tzinfo=UTC), -1, datetime(2026, 2, 28, tzinfo=UTC)),
    (datetime(2025, 3, 29, tzinfo=UTC), -13, datetime(2024, 2, 29, tzinfo=UTC)),
])
def test_add_months_goes_back_with_negative_months(moment, months, expected):
    assert add_months(moment, months) == expected


def test_rolling_expiry_is_n_months_after_the_earning():
    policy = ExpiryPolicy(ExpiryKind.ROLLING_MONTHS, 18)
    assert policy.expires_at(NOW) == datetime(2027, 7, 1, 12, tzinfo=UTC)
    assert ExpiryPolicy(ExpiryKind.ROLLING_MONTHS, 6).expires_at(datetime(2025, 8, 31, 9, tzinfo=UTC)) \
        == datetime(2026, 2, 28, 9, tzinfo=UTC)


@pytest.mark.parametrize(("earned_at", "months", "expected"), [
    (datetime(2026, 1, 15, 9, tzinfo=UTC), 1, datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC)),
    (datetime(2026, 1, 31, 23, tzinfo=UTC), 1, datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC)),
    (datetime(2026, 1, 1, tzinfo=UTC), 12, datetime(2027, 1, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    (datetime(2023, 12, 10, tzinfo=UTC), 2, datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)),
    (datetime(2026, 7, 31, tzinfo=UTC), 18, datetime(2028, 1, 31, 23, 59, 59, 999999, tzinfo=UTC)),
])
def test_end_of_month_expiry_is_the_last_instant_of_the_nth_month(earned_at, months, expected):
    expires = ExpiryPolicy(ExpiryKind.END_OF_MONTH, months).expires_at(earned_at)
    assert expires == expected
    assert expires.tzinfo is UTC


# --- policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(("channel", "days"), [
    (Channel.ECOMMERCE, 14), (Channel.APP, 14), (Channel.POS, 0), (Channel.CRM, 0), (Channel.SYSTEM, 0),
])
def test_default_return_window_per_channel(channel, days):
    assert Policy().pending_for(channel) == timedelta(days=days)


def test_return_window_follows_the_programs_channels():
    policy = Policy(pending_days={"POS": 30, "ECOMMERCE": 7})
    assert policy.pending_for(Channel.POS) == timedelta(days=30)
    assert policy.pending_for(Channel.ECOMMERCE) == timedelta(days=7)
    assert policy.pending_for(Channel.APP) == timedelta(0)


def test_policy_facts_of_the_default_policy():
    assert Policy().facts() == {
        "expiry": {"kind": "ROLLING_MONTHS", "months": 18},
        "pending_days": {"ECOMMERCE": 14, "APP": 14},
        "qualification_months": 12,
        "review_months": 12,
        "grace_days": 30,
        "negative_balance": "CAP_AT_ZERO",
        "milestones": [1000, 5000, 10000, 25000, 50000, 100000],
        "max_adjustment": 100000,
    }


def test_policy_round_trips_through_its_facts():
    policy = Policy(expiry=ExpiryPolicy(ExpiryKind.END_OF_MONTH, 24), pending_days={"POS": 3, "APP": 21},
                    qualification_months=6, review_months=3, grace_days=0,
                    negative_balance=NegativeBalancePolicy.ALLOW_NEGATIVE, milestones=(500, 2000),
                    max_adjustment=250)
    again = Policy.from_facts(policy.facts())
    assert again == policy
    assert again.expiry.kind is ExpiryKind.END_OF_MONTH
    assert again.negative_balance is NegativeBalancePolicy.ALLOW_NEGATIVE


def test_policy_from_partial_facts_takes_the_defaults_and_sorts_milestones():
    assert Policy.from_facts({}) == Policy()
    policy = Policy.from_facts({"grace_days": 10, "milestones": [5000, 100, 1000]})
    assert policy.grace_days == 10
    assert policy.milestones == (100, 1000, 5000)
    assert policy.expiry == ExpiryPolicy(ExpiryKind.ROLLING_MONTHS, 18)


def test_policy_without_return_windows_round_trips():
    policy = Policy(pending_days={})
    assert Policy.from_facts(policy.facts()).pending_days == {}


@pytest.mark.parametrize(("policy", "message"), [
    (Policy(expiry=ExpiryPolicy(months=0)), "expiry, qualification and review periods are at least one month"),
    (Policy(qualification_months=0), "expiry, qualification and review periods are at least one month"),
    (Policy(review_months=-1), "expiry, qualification and review periods are at least one month"),
    (Policy(grace_days=-1), "grace and return windows cannot be negative"),
    (Policy(pending_days={"ECOMMERCE": -1}), "grace and return windows cannot be negative"),
])
def test_policy_check_refuses_impossible_periods(policy, message):
    with pytest.raises(BadUserInput) as error:
        policy.check()
    assert error.value.message == message


def test_policy_check_accepts_the_defaults_and_zero_windows():
    Policy().check()
    Policy(grace_days=0, pending_days={"ECOMMERCE": 0}).check()


def test_from_facts_checks_the_policy():
    with pytest.raises(BadUserInput, match="grace and return windows cannot be negative"):
        Policy.from_facts({"pending_days": {"APP": -3}})
    with pytest.raises(BadUserInput, match="at least one month"):
        Policy.from_facts({"expiry": {"kind": "END_OF_MONTH", "months": 0}})


# --- accounts -------------------------------------------------------------------------


def test_new_account_starts_empty_at_the_lowest_tier_with_a_review_a_year_on():
    assert new_account("m1", TIERS, NOW) == Account("m1", 0, 0, 0, "bronze", NOW, datetime(2027, 1, 1, 12, tzinfo=UTC),
                                                    0, shortfall=0, debt=0, grace_until=None, milestone=0,
                                                    next_due_at=datetime(2027, 1, 1, 12, tzinfo=UTC))
    assert new_account("m1", TIERS, NOW, Policy(review_months=3)).review_at == datetime(2026, 4, 1, 12, tzinfo=UTC)


# --- earning --------------------------------------------------------------------------


def test_pos_earning_is_available_at_once():
    book = Book()
    entry = book.earn(100, reference="p1")
    assert entry == Entry("led1", "m1", 1, EntryKind.EARN, 100, 100, NOW, Channel.POS, "p1", "Purchase")
    assert (book.account.available, book.account.pending, book.account.balance) == (100, 0, 100)
    assert book.lots == [Lot("lot2", "m1", "led1", EntryKind.EARN, "p1", 100, 100, NOW, NOW,
                             datetime(2027, 7, 1, 12, tzinfo=UTC), matured=True, reversed=0)]
    assert book.events == []  # matured in the same change: no PointsMatured
    assert book.account.lifetime_earned == 100


def test_ecommerce_earning_is_pending_for_the_return_window():
    book = Book()
    entry = book.earn(100, channel=Channel.ECOMMERCE, reference="p1")
    lot = book.lot("p1")
    assert (book.account.available, book.account.pending) == (0, 100)
    assert entry.balance_after == 100
    assert (lot.matured, lot.matures_at) == (False, datetime(2026, 1, 15, 12, tzinfo=UTC))
    assert book.qualifying() == 0

    book.wait(14, seconds=-1)
    assert book.mature() == []
    assert (book.account.available, book.account.pending) == (0, 100)

    book.wait(seconds=1)
    assert book.mature() == [lot]
    assert lot.matured is True
    assert (book.account.available, book.account.pending) == (100, 0)
    assert book.events == [PointsMatured("m1", "led1", 100, datetime(2026, 1, 15, 12, tzinfo=UTC))]
    assert book.qualifying() == 100
    assert [e.kind for e in book.entries] == [EntryKind.EARN]  # maturing adds no entry
    assert book.mature() == []  # only once


def test_app_bonus_is_pending_and_qualifies_once_matured():
    book = Book()
    book.earn(300, kind=EntryKind.BONUS, channel=Channel.APP, reference="b1")
    assert (book.account.pending, book.account.lifetime_earned, book.qualifying()) == (300, 300, 0)
    book.wait(14)
    book.mature()
    assert (book.account.available, book.qualifying()) == (300, 300)


def test_adjustments_are_never_pending_and_do_not_qualify():
    book = Book()
    book.earn(2000, kind=EntryKind.ADJUST, channel=Channel.ECOMMERCE, description="Goodwill")
    lot = book.lots[0]
    assert (lot.matured, lot.matures_at, lot.qualifying) == (True, NOW, False)
    assert (book.account.available, book.account.pending) == (2000, 0)
    assert book.account.lifetime_earned == 0
    assert book.account.milestone == 0
    assert book.qualifying() == 0
    assert book.account.tier_id == "bronze"
    assert book.events == []


def test_each_milestone_is_reached_once():
    book = Book()
    book.earn(999)
    assert book.events == []
    book.earn(1)
    assert [e for e in book.events if isinstance(e, MilestoneReached)] == [MilestoneReached("m1", 1000, 1000, NOW)]
    book.events.clear()

    book.earn(10_500)  # crosses 5 000 and 10 000 at once
    assert [e for e in book.events if isinstance(e, MilestoneReached)] == [
        MilestoneReached("m1", 5000, 11_500, NOW), MilestoneReached("m1", 10_000, 11_500, NOW)]
    assert book.account.milestone == 10_000
    book.events.clear()

    book.earn(100)
    assert book.events == []


def test_a_milestone_lost_to_a_return_is_not_reached_again():
    book = Book()
    book.earn(1000, reference="p1")
    book.reverse("p1", 500)
    assert book.account.lifetime_earned == 500
    book.events.clear()
    book.earn(600)
    assert book.account.lifetime_earned == 1100
    assert [e for e in book.events if isinstance(e, MilestoneReached)] == []
    assert book.account.milestone == 1000


def test_pending_points_count_toward_lifetime_and_milestones():
    book = Book()
    book.earn(1000, channel=Channel.ECOMMERCE)
    assert book.account.lifetime_earned == 1000
    assert book.events == [MilestoneReached("m1", 1000, 1000, NOW)]


def test_entries_are_numbered_and_carry_available_plus_pending():
    book = Book()
    book.earn(100, channel=Channel.ECOMMERCE)
    book.earn(50)
    book.spend(30)
    book.earn(20, kind=EntryKind.BONUS, channel=Channel.APP)
    assert [(e.seq, e.points, e.balance_after) for e in book.entries] == [(1, 100, 100), (2, 50, 150),
                                                                         (3, -30, 120), (4, 20, 140)]
    assert (book.account.available, book.account.pending, book.account.last_seq) == (20, 120, 4)
    assert [e.id for e in book.entries] == ["led1", "led3", "led5", "led6"]


@pytest.mark.parametrize("points", [0, -5])
def test_earning_nothing_is_refused(points):
    book = Book()
    with pytest.raises(BadUserInput, match=f"earn postings add points: got {points}"):
        book.earn(points)
    assert (book.account.available, book.account.pending, book.account.last_seq) == (0, 0, 0)
    assert book.lots == [] and book.entries == []


def test_earning_with_a_blank_description_is_refused():
    book = Book()
    with pytest.raises(BadUserInput, match="every entry needs a description"):
        book.earn(100, description="   ")
    assert book.entries == [] and book.lots == []


def test_a_refused_earning_leaves_the_account_unchanged():
    book = Book()
    with pytest.raises(BadUserInput):
        book.earn(100, description="   ")
    assert (book.account.available, book.account.pending, book.account.last_seq) == (0, 0, 0)


def test_refused_spending_and_returns_leave_the_wallet_unchanged():
    book = Book()
    book.earn(100, reference="p1")
    before = (book.account.available, book.account.lifetime_earned, book.lot("p1").remaining, book.lot("p1").reversed)
    with pytest.raises(BadUserInput):
        book.spend(30, description=" ")
    with pytest.raises(BadUserInput):
        book.run(lambda w: w.reverse(purchase_reference="p1", points=20, occurred_at=NOW, channel=Channel.POS,
                                     reference="r1", description=""))
    assert (book.account.available, book.account.lifetime_earned, book.lot("p1").remaining,
            book.lot("p1").reversed) == before


def test_descriptions_are_trimmed():
    book = Book()
    assert book.earn(10, description="  Purchase 42 \n").description == "Purchase 42"


def test_only_earning_kinds_add_points():
    for kind in (EntryKind.EXPIRE, EntryKind.REVERSE, EntryKind.TRANSFER):
        with pytest.raises(ValueError, match=f"{kind} does not add points"):
            Book().earn(10, kind=kind)


def test_a_redemption_given_back_is_available_at_once_and_never_qualifies():
    book = Book()
    entry = book.earn(40, kind=EntryKind.REDEEM, description="Reward not issued: Coffee")
    assert entry.points == 40 and entry.kind is EntryKind.REDEEM
    assert (book.account.available, book.account.pending, book.account.lifetime_earned) == (40, 0, 0)


# --- spending -------------------------------------------------------------------------


def test_spending_takes_matured_lots_first_expiring_first():
    book = Book()
    book.earn(100, reference="new")  # expires 2027-07-01
    book.earn(50, reference="old", at=NOW - 30 * DAY)  # expires 2027-06-01
    book.earn(500, channel=Channel.ECOMMERCE, reference="pending")
    entry = book.spend(70)
    assert entry == Entry("led7", "m1", 4, EntryKind.REDEEM, -70, 580, NOW, Channel.POS, None, "Reward")
    assert (book.lot("old").remaining, book.lot("new").remaining, book.lot("pending").remaining) == (0, 80, 500)
    assert (book.account.available, book.account.pending) == (80, 500)
    assert book.lot("old").reversed == 0  # spending is not a return


def test_spending_follows_each_lots_own_expiry_not_the_order_of_earning():
    book = Book(Policy(expiry=ExpiryPolicy(months=24)))
    book.earn(100, reference="long", at=NOW - 30 * DAY)  # expires 2027-12-02
    book.policy = Policy(expiry=ExpiryPolicy(months=6))  # the program changes its rules
    book.earn(100, reference="short")  # expires 2026-07-01
    book.spend(120)
    assert (book.lot("short").remaining, book.lot("long").remaining) == (0, 80)


def test_spending_more_than_available_is_a_conflict_and_changes_nothing():
    book = Book()
    book.earn(100)
    book.earn(500, channel=Channel.ECOMMERCE)
    with pytest.raises(Conflict) as error:
        book.spend(150)
    assert error.value.message == "insufficient points: 100 available, 150 needed"
    assert (book.account.available, book.account.pending, book.account.last_seq) == (100, 500, 2)
    assert [lot.remaining for lot in book.lots] == [100, 500]


def test_pending_points_cannot_be_spent():
    book = Book()
    book.earn(500, channel=Channel.ECOMMERCE)
    with pytest.raises(Conflict, match="insufficient points: 0 available, 1 needed"):
        book.spend(1)


def test_spending_everything_and_negative_adjustments():
    book = Book()
    book.earn(100)
    assert book.spend(40, kind=EntryKind.ADJUST, description="Correction").points == -40
    assert book.spend(60).balance_after == 0
    assert book.lots[0].remaining == 0


@pytest.mark.parametrize("points", [0, -1])
def test_spending_nothing_is_refused(points):
    book = Book()
    book.earn(100)
    with pytest.raises(BadUserInput, match=f"the points to take must be positive: got {points}"):
        book.spend(points)


def test_only_spending_kinds_take_points():
    book = Book()
    book.earn(100)
    with pytest.raises(ValueError, match="EARN does not spend points"):
        book.spend(10, kind=EntryKind.EARN)


# --- returns --------------------------------------------------------------------------


def test_a_return_takes_from_the_purchases_pending_lot_first():
    book = Book()
    book.earn(100, reference="other")
    book.earn(200, channel=Channel.ECOMMERCE, reference="p1")
    entry = book.reverse("p1", 50)
    assert entry == Entry("led5", "m1", 3, EntryKind.REVERSE, -50, 250, NOW, Channel.POS, "r1", "Return")
    lot = book.lot("p1")
    assert (lot.remaining, lot.reversed, lot.net) == (150, 50, 150)
    assert book.lot("other").remaining == 100
    assert (book.account.available, book.account.pending) == (100, 150)
    assert book.account.lifetime_earned == 250
    assert book.events == []


def test_a_return_takes_the_purchases_pending_lot_before_its_matured_one():
    book = Book()
    book.earn(50, kind=EntryKind.BONUS, reference="p1")  # matured at once
    book.earn(100, channel=Channel.ECOMMERCE, reference="p1")  # pending
    book.reverse("p1", 60)
    bonus, earning = book.lots
    assert (earning.remaining, earning.reversed, bonus.remaining, bonus.reversed) == (40, 60, 50, 0)
    assert (book.account.available, book.account.pending) == (50, 40)
    book.reverse("p1", 70, reference="r2")
    assert (earning.remaining, earning.reversed, bonus.remaining, bonus.reversed) == (0, 100, 20, 30)
    assert (book.account.available, book.account.pending, book.account.lifetime_earned) == (20, 0, 20)


def test_a_return_takes_the_rest_from_other_lots_first_expiring_first():
    book = Book()
    book.earn(200, reference="p1", at=NOW - 90 * DAY)
    book.earn(100, reference="a", at=NOW - 60 * DAY)
    book.earn(100, reference="b", at=NOW - 30 * DAY)
    book.spend(150)  # from p1, the first to expire: 50 left
    assert book.lot("p1").remaining == 50
    entry = book.reverse("p1", 120)
    assert entry.points == -120 and entry.balance_after == 130
    assert [book.lot(r).remaining for r in ("p1", "a", "b")] == [0, 30, 100]
    assert (book.lot("p1").reversed, book.lot("a").reversed, book.lot("b").reversed) == (120, 0, 0)
    assert book.account.available == 130
    assert book.account.lifetime_earned == 280
    assert book.account.debt == 0


def test_a_return_does_not_take_other_pending_points():
    book = Book()
    book.earn(100, reference="p1")
    book.spend(100)
    book.earn(300, channel=Channel.ECOMMERCE, reference="p2")
    assert book.reverse("p1", 40) is None  # nothing available to take: all owed
    assert book.lot("p2").remaining == 300
    assert (book.account.available, book.account.pending, book.account.debt) == (0, 300, 40)
    assert book.events == [PointsOwed("m1", 40, 40, "r1", NOW)]


def test_capped_return_of_spent_points_becomes_debt_settled_by_later_points():
    book = Book()  # CAP_AT_ZERO by default
    book.earn(100, reference="p1")
    book.spend(80)
    entry = book.reverse("p1", 100)
    assert entry == Entry("led4", "m1", 3, EntryKind.REVERSE, -20, 0, NOW, Channel.POS, "r1", "Return")
    assert book.events == [PointsOwed("m1", 80, 80, "r1", NOW)]
    assert (book.account.available, book.account.debt, book.account.shortfall) == (0, 80, 0)
    assert (book.lot("p1").reversed, book.lot("p1").net, book.lot("p1").remaining) == (100, 0, 0)
    assert book.account.lifetime_earned == 0

    book.wait(1)
    book.earn(50, reference="p2")
    assert [(e.kind, e.points, e.balance_after) for e in book.entries[-2:]] == [
        (EntryKind.EARN, 50, 50), (EntryKind.REVERSE, -50, 0)]
    settle = book.entries[-1]
    assert (settle.description, settle.reference, settle.channel, settle.occurred_at, settle.seq) == (
        "Settles 50 points owed from an earlier return", None, Channel.SYSTEM, NOW + DAY, 5)
    assert (book.account.available, book.account.debt) == (0, 30)
    assert book.lot("p2").remaining == 0
    assert book.account.lifetime_earned == 50  # settling a debt is not a return

    book.earn(100, reference="p3")
    assert [(e.kind, e.points, e.balance_after) for e in book.entries[-2:]] == [
        (EntryKind.EARN, 100, 100), (EntryKind.REVERSE, -30, 70)]
    assert book.entries[-1].description == "Settles 30 points owed from an earlier return"
    assert (book.account.available, book.account.debt, book.lot("p3").remaining) == (70, 0, 70)

    book.earn(10)
    assert book.entries[-1].kind is EntryKind.EARN  # nothing owed any more


def test_debt_waits_for_pending_points_to_mature():
    book = Book()
    book.earn(100, reference="p1")
    book.spend(100)
    book.reverse("p1", 60)
    book.earn(200, channel=Channel.ECOMMERCE, reference="p2")
    assert (book.account.debt, book.account.pending, book.entries[-1].kind) == (60, 200, EntryKind.EARN)
    book.wait(14)
    book.mature()
    assert [(e.kind, e.points, e.balance_after) for e in book.entries[-1:]] == [(EntryKind.REVERSE, -60, 140)]
    assert (book.account.available, book.account.pending, book.account.debt) == (140, 0, 0)
    assert book.lot("p2").remaining == 140


def test_allow_negative_return_makes_a_shortfall_repaid_by_the_next_matured_lot():
    book = Book(ALLOW)
    book.earn(100, reference="p1")
    book.spend(80)
    entry = book.reverse("p1", 100)
    assert (entry.points, entry.balance_after) == (-100, -80)
    assert (book.account.available, book.account.shortfall, book.account.debt) == (-80, 80, 0)
    assert book.events == []  # nothing owed: the balance shows it

    book.earn(50, reference="p2")
    assert book.entries[-1].kind is EntryKind.EARN and book.entries[-1].balance_after == -30
    assert (book.account.available, book.account.shortfall, book.lot("p2").remaining) == (-30, 30, 0)

    book.earn(200, channel=Channel.ECOMMERCE, reference="p3")
    assert (book.account.available, book.account.pending, book.account.shortfall) == (-30, 200, 30)
    book.wait(14)
    book.mature()
    assert (book.account.available, book.account.pending, book.account.shortfall) == (170, 0, 0)
    assert book.lot("p3").remaining == 170
    assert [e.kind for e in book.entries] == [EntryKind.EARN, EntryKind.REDEEM, EntryKind.REVERSE,
                                              EntryKind.EARN, EntryKind.EARN]
    with pytest.raises(Conflict, match="insufficient points: 170 available, 171 needed"):
        book.spend(171)


def test_allow_negative_conflict_reports_zero_available():
    book = Book(ALLOW)
    book.earn(100, reference="p1")
    book.spend(100)
    book.reverse("p1", 100)
    with pytest.raises(Conflict, match="insufficient points: 0 available, 1 needed"):
        book.spend(1)


def test_a_return_lowers_qualifying_points_but_not_the_tier():
    book = Book()
    book.earn(1200, reference="p1")
    assert (book.qualifying(), book.account.tier_id) == (1200, "silver")
    book.reverse("p1", 400)
    assert book.qualifying() == 800
    assert book.account.tier_id == "silver"
    assert book.account.lifetime_earned == 800
    assert len(book.tier_changes()) == 1


def test_a_pending_lot_fully_returned_matures_without_an_event():
    book = Book()
    book.earn(100, channel=Channel.ECOMMERCE, reference="p1")
    book.reverse("p1", 100)
    assert (book.account.pending, book.account.balance) == (0, 0)
    book.wait(14)
    assert book.mature() == [book.lot("p1")]
    assert book.events == []


def test_returning_nothing_is_no_entry():
    book = Book()
    book.earn(100, reference="p1")
    assert book.reverse("p1", 0) is None
    assert len(book.entries) == 1 and book.lot("p1").reversed == 0
    with pytest.raises(BadUserInput):
        book.reverse("p1", -1)


# --- expiry ---------------------------------------------------------------------------


def test_expiry_takes_what_is_left_of_lots_past_their_date():
    book = Book()
    book.earn(100, reference="a")  # expires 2027-07-01 12:00
    book.wait(90)
    book.earn(50, reference="b")
    book.spend(30)
    book.at(datetime(2027, 7, 1, 11, 59, tzinfo=UTC))
    assert book.expire() is None
    book.at(datetime(2027, 7, 1, 12, tzinfo=UTC))
    entry = book.expire()
    assert entry == Entry("led6", "m1", 4, EntryKind.EXPIRE, -70, 50, datetime(2027, 7, 1, 12, tzinfo=UTC),
                          Channel.SYSTEM, None, "70 points expired")
    assert (book.lot("a").remaining, book.lot("b").remaining) == (0, 50)
    assert book.account.available == 50
    assert book.expire() is None
    assert len(book.entries) == 4


def test_expiry_with_nothing_due_adds_nothing():
    book = Book()
    book.earn(100)
    book.wait(365)
    assert book.expire() is None
    assert book.entries[-1].kind is EntryKind.EARN
    assert book.account.available == 100


def test_end_of_month_expiry_expires_every_lot_of_the_month_together():
    book = Book(Policy(expiry=ExpiryPolicy(ExpiryKind.END_OF_MONTH, 1)))
    book.earn(10, reference="a", at=datetime(2026, 1, 2, tzinfo=UTC))
    book.earn(20, reference="b", at=datetime(2026, 1, 30, tzinfo=UTC))
    book.earn(40, reference="c", at=datetime(2026, 2, 1, tzinfo=UTC))
    book.at(datetime(2026, 3, 1, tzinfo=UTC))
    entry = book.expire()
    assert (entry.points, entry.balance_after, entry.description) == (-30, 40, "30 points expired")
    assert [lot.remaining for lot in book.lots] == [0, 0, 40]


# --- tiers ----------------------------------------------------------------------------


def test_maturing_points_lift_the_tier_at_once():
    book = Book()
    book.earn(1200, channel=Channel.ECOMMERCE)
    assert book.account.tier_id == "bronze" and book.tier_changes() == []
    book.wait(14)
    book.mature()
    at = datetime(2026, 1, 15, 12, tzinfo=UTC)
    assert book.tier_changes() == [TierChange("m1", BRONZE, SILVER, at)]
    assert (book.account.tier_id, book.account.tier_since) == ("silver", at)
    assert book.account.review_at == datetime(2027, 1, 15, 12, tzinfo=UTC)


def test_an_upgrade_can_skip_a_tier():
    book = Book()
    book.earn(6000)
    assert book.tier_changes() == [TierChange("m1", BRONZE, GOLD, NOW)]
    assert book.account.tier_id == "gold"


def test_adjusted_points_do_not_lift_the_tier():
    book = Book()
    book.earn(6000, kind=EntryKind.ADJUST)
    assert book.account.tier_id == "bronze" and book.tier_changes() == []


def test_review_keeps_a_tier_that_still_qualifies_and_moves_the_review_on():
    book = Book()
    book.earn(1000)  # silver; review 2027-01-01 12:00
    book.wait(180)
    book.earn(1000)
    book.at(datetime(2027, 1, 1, 11, 59, tzinfo=UTC))  # just before the review
    book.review()
    assert book.account.review_at == datetime(2027, 1, 1, 12, tzinfo=UTC)
    book.at(datetime(2027, 1, 1, 12, tzinfo=UTC))
    book.review()
    assert (book.account.tier_id, book.account.grace_until) == ("silver", None)
    assert book.account.review_at == datetime(2028, 1, 1, 12, tzinfo=UTC)
    assert book.account.tier_since == NOW
    assert len(book.tier_changes()) == 1


def test_review_before_the_review_date_does_nothing():
    book = Book()
    book.earn(1000)
    book.wait(364)
    book.review()
    assert (book.account.tier_id, book.account.review_at, book.account.grace_until) == (
        "silver", datetime(2027, 1, 1, 12, tzinfo=UTC), None)


def test_review_below_the_tier_starts_a_grace_period_then_goes_down_one_level():
    book = Book()
    book.earn(1000)  # silver, review 2027-01-01 12:00; the lot leaves the window after that
    book.at(datetime(2027, 1, 2, 12, tzinfo=UTC))
    assert book.qualifying() == 0
    book.review()
    grace = datetime(2027, 1, 31, 12, tzinfo=UTC)
    assert (book.account.tier_id, book.account.grace_until) == ("silver", grace)
    assert book.account.review_at == datetime(2027, 1, 1, 12, tzinfo=UTC)

    book.at(grace - timedelta(seconds=1))
    book.review()
    assert (book.account.tier_id, book.account.grace_until) == ("silver", grace)

    book.at(grace)
    book.review()
    assert book.tier_changes()[-1] == TierChange("m1", SILVER, BRONZE, grace)
    assert (book.account.tier_id, book.account.tier_since, book.account.grace_until) == ("bronze", grace, None)
    assert book.account.review_at == datetime(2028, 1, 31, 12, tzinfo=UTC)


def test_a_downgrade_is_one_level_at_most():
    book = Book()
    book.earn(5000)  # gold
    book.at(datetime(2027, 3, 1, tzinfo=UTC))  # past review and grace, nothing in the window
    book.review()
    assert book.tier_changes() == [TierChange("m1", BRONZE, GOLD, NOW),
                                   TierChange("m1", GOLD, SILVER, datetime(2027, 3, 1, tzinfo=UTC))]
    assert book.account.tier_id == "silver"
    book.review()  # the next review is a year on
    assert book.account.tier_id == "silver"


def test_requalifying_during_grace_clears_it():
    book = Book()
    book.earn(1000)
    book.at(datetime(2027, 1, 2, 12, tzinfo=UTC))
    book.review()
    assert book.account.grace_until == datetime(2027, 1, 31, 12, tzinfo=UTC)
    book.earn(1000, channel=Channel.ECOMMERCE)
    assert book.account.grace_until == datetime(2027, 1, 31, 12, tzinfo=UTC)  # pending does not qualify
    book.wait(14)
    book.mature()
    assert (book.account.tier_id, book.account.grace_until) == ("silver", None)
    assert len(book.tier_changes()) == 1
    book.at(datetime(2027, 2, 1, tzinfo=UTC))
    book.review()
    assert (book.account.tier_id, book.account.grace_until) == ("silver", None)
    assert book.account.review_at == datetime(2028, 1, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(("tier_id", "qualifying", "expected_next", "to_next", "progress"), [
    ("bronze", 0, SILVER, 1000, 0.0),
    ("bronze", 250, SILVER, 750, 0.25),
    ("bronze", 1500, SILVER, 0, 1.0),  # over the line: points_to_next never negative
    ("silver", 3000, GOLD, 2000, 0.5),
    ("silver", 800, GOLD, 4200, 0.0),  # kept in grace below the threshold
    ("gold", 7000, None, None, 1.0),
])
def test_tier_status(tier_id, qualifying, expected_next, to_next, progress):
    account = new_account("m1", TIERS, NOW)
    account.tier_id = tier_id
    current = {"bronze": BRONZE, "silver": SILVER, "gold": GOLD}[tier_id]
    assert tier_status(account, TIERS, qualifying) == TierStatus(current, NOW, qualifying, expected_next, to_next,
                                                                  progress)


# --- the next tier review, as the wallet shows it ---------------------------------------


def review_of(book: Book) -> TierReview | None:
    return tier_review(book.account, TIERS, book.lots, book.now, book.policy)


def test_the_lowest_tier_has_no_review_to_show():
    book = Book()
    book.earn(999)
    assert book.account.tier_id == "bronze"
    assert review_of(book) is None


def test_a_tier_no_longer_in_the_program_reads_as_the_lowest_one():
    book = Book()
    book.earn(1000)
    assert review_of(book) is not None  # silver: reviewed
    book.account.tier_id = "retired-tier"  # the program dropped it since
    assert review_of(book) is None
    assert tier_review(book.account, [SILVER, GOLD, BRONZE], book.lots, book.now, book.policy) is None  # any order


def test_exactly_the_threshold_at_the_review_keeps_the_tier_until_the_following_review():
    book = Book()
    book.earn(1000)  # silver at once (in store); review 2027-01-01 12:00
    review = review_of(book)
    assert review == TierReview(datetime(2027, 1, 1, 12, tzinfo=UTC), None, 0,
                                datetime(2028, 1, 1, 12, tzinfo=UTC))
    assert review.decides_at == datetime(2027, 1, 1, 12, tzinfo=UTC)
    book.at(review.review_at)  # and the review agrees
    book.review()
    assert (book.account.tier_id, book.account.review_at) == ("silver", review.kept_until)


def test_one_point_short_at_the_review_is_one_point_to_keep():
    book = Book()
    book.earn(1000, reference="p1")
    book.reverse("p1", 1)  # a return takes one point back: the tier stays until the review
    assert (book.account.tier_id, book.qualifying()) == ("silver", 999)
    assert review_of(book) == TierReview(datetime(2027, 1, 1, 12, tzinfo=UTC), None, 1, None)
    book.at(datetime(2027, 1, 1, 12, tzinfo=UTC))  # and the review agrees: short, a grace period
    book.review()
    assert book.account.grace_until == datetime(2027, 1, 31, 12, tzinfo=UTC)


def test_points_that_leave_the_window_before_the_review_do_not_count():
    book = Book()
    book.earn(1000)  # silver; review 2027-01-01 12:00
    book.wait(1)
    book.earn(400)  # still in the window at the review
    book.at(datetime(2026, 6, 1, tzinfo=UTC))
    # the first 1,000 were earned exactly 12 months before the review: they still count then
    assert review_of(book).points_to_keep == 0
    book.account.review_at = datetime(2027, 1, 1, 12, 1, tzinfo=UTC)  # a minute later they would not
    assert review_of(book).points_to_keep == 600


def test_pending_points_are_not_counted_until_they_mature():
    book = Book()
    book.earn(1000)
    book.earn(1, channel=Channel.ECOMMERCE)
    book.account.tier_id = "gold"  # say a merge brought it
    assert review_of(book).points_to_keep == 4000  # 5,000 - 1,000 matured: the pending point waits
    book.wait(14)
    book.mature()
    assert review_of(book).points_to_keep == 3999


def test_after_the_review_date_short_of_the_tier_the_grace_period_decides():
    book = Book()
    book.earn(1000)  # silver, review 2027-01-01 12:00; the lot leaves the window after that
    book.at(datetime(2027, 1, 2, 12, tzinfo=UTC))  # past the review; the job has not run yet
    assert review_of(book) == TierReview(datetime(2027, 1, 1, 12, tzinfo=UTC), None, 1000, None)
    book.review()
    grace = datetime(2027, 1, 31, 12, tzinfo=UTC)
    review = review_of(book)
    assert review == TierReview(datetime(2027, 1, 1, 12, tzinfo=UTC), grace, 1000, None)
    assert review.decides_at == grace
    book.earn(1000)  # in store: qualifies again at once, the grace period ends
    assert review_of(book) == TierReview(datetime(2027, 1, 1, 12, tzinfo=UTC), None, 0,
                                         datetime(2028, 1, 1, 12, tzinfo=UTC))


def test_in_the_grace_period_the_points_count_as_at_its_end():
    book = Book()
    book.earn(1000)  # silver; review 2027-01-01 12:00
    book.at(datetime(2026, 1, 10, tzinfo=UTC))
    book.earn(200)  # in the window at the review, not at the end of its grace period
    book.at(datetime(2027, 1, 2, 12, tzinfo=UTC))
    book.review()
    assert (book.qualifying(), book.account.grace_until) == (200, datetime(2027, 1, 31, 12, tzinfo=UTC))
    assert review_of(book).points_to_keep == 1000


@pytest.mark.parametrize(("points", "tier"), [
    (-10, BRONZE), (0, BRONZE), (999, BRONZE), (1000, SILVER), (4999, SILVER), (5000, GOLD), (1_000_000, GOLD),
])
def test_tier_for(points, tier):
    assert tier_for(points, TIERS) == tier


def test_tier_for_is_the_lowest_tier_when_none_is_reached():
    ladder = [Tier("silver", "Silver", 1000, 1.25), Tier("gold", "Gold", 5000, 1.5)]
    assert tier_for(10, ladder).id == "silver"


def test_ordered_sorts_by_threshold_and_needs_tiers():
    assert ordered(TIERS) == [BRONZE, SILVER, GOLD]
    with pytest.raises(LookupError, match="the program has no tiers"):
        ordered([])


# --- windows and expiry dates ---------------------------------------------------------


def test_qualifying_points_count_matured_earnings_in_the_window_net_of_returns():
    now = datetime(2027, 1, 1, 12, tzinfo=UTC)
    lots = [
        make_lot(300, earned_at=datetime(2026, 1, 1, 11, 59, tzinfo=UTC), lot_id="before"),
        make_lot(200, earned_at=datetime(2026, 1, 1, 12, tzinfo=UTC), lot_id="edge"),
        make_lot(400, earned_at=datetime(2026, 6, 1, tzinfo=UTC), reversed_=150, remaining=0, lot_id="returned"),
        make_lot(500, earned_at=datetime(2026, 12, 25, tzinfo=UTC), matured=False, lot_id="pending"),
        make_lot(700, earned_at=datetime(2026, 7, 1, tzinfo=UTC), kind=EntryKind.ADJUST, lot_id="adjust"),
        make_lot(60, earned_at=datetime(2026, 7, 1, tzinfo=UTC), kind=EntryKind.BONUS, lot_id="bonus"),
    ]
    assert qualifying_points(lots, now, Policy()) == 200 + 250 + 60
    assert qualifying_points(lots, now, Policy(qualification_months=3)) == 0
    assert qualifying_points(lots, now, Policy(qualification_months=24)) == 300 + 200 + 250 + 60
    assert qualifying_points([], now, Policy()) == 0


def test_spending_does_not_lower_qualifying_points():
    lot = make_lot(1000, remaining=0)
    assert qualifying_points([lot], NOW, Policy()) == 1000


def test_expiring_next_sums_the_lots_of_the_first_day():
    lots = [
        make_lot(100, remaining=40, expires_at=datetime(2027, 7, 1, 9, tzinfo=UTC), lot_id="a"),
        make_lot(100, remaining=25, expires_at=datetime(2027, 7, 1, 23, tzinfo=UTC), matured=False, lot_id="b"),
        make_lot(100, remaining=0, expires_at=datetime(2027, 6, 1, tzinfo=UTC), lot_id="spent"),
        make_lot(100, expires_at=datetime(2027, 7, 2, tzinfo=UTC), lot_id="later"),
    ]
    assert expiring_next(lots) == ExpiringPoints(65, date(2027, 7, 1))


def test_expiring_next_is_none_when_nothing_is_left():
    assert expiring_next([]) is None
    assert expiring_next([make_lot(100, remaining=0)]) is None


# --- facts ----------------------------------------------------------------------------


def test_entry_facts_round_trip():
    entry = Entry("led1", "m1", 7, EntryKind.REVERSE, -20, 80, datetime(2026, 1, 1, 12, 30, 5, 123, tzinfo=UTC),
                  Channel.ECOMMERCE, "r1", "Return of line 2")
    facts = entry_facts(entry)
    assert facts == {"id": "led1", "member_id": "m1", "seq": 7, "kind": "REVERSE", "points": -20, "balance_after": 80,
                     "occurred_at": "2026-01-01T12:30:05.000123+00:00", "channel": "ECOMMERCE", "reference": "r1",
                     "description": "Return of line 2"}
    again = entry_from_facts(facts)
    assert again == entry
    assert again.kind is EntryKind.REVERSE and again.channel is Channel.ECOMMERCE


def test_entry_facts_round_trip_without_a_reference():
    entry = Entry("led2", "m1", 1, EntryKind.EXPIRE, -5, 0, NOW, Channel.SYSTEM, None, "5 points expired")
    assert entry_from_facts(entry_facts(entry)) == entry


def test_tier_facts_round_trip():
    assert tier_facts(GOLD) == {"id": "gold", "name": "Gold", "threshold": 5000, "multiplier": 1.5,
                                "benefits": ["free shipping", "early access"]}
    assert tier_from_facts(tier_facts(GOLD)) == GOLD
    assert tier_from_facts(tier_facts(BRONZE)) == BRONZE
    assert tier_from_facts({"id": "x", "name": "X", "threshold": "10", "multiplier": 1}) == Tier("x", "X", 10, 1.0, ())


# --- the schedule: when an account is next due -------------------------------------------------


def test_a_new_account_is_next_due_at_its_review():
    book = Book()
    assert book.wallet().next_due() == add_months(NOW, 12)


def test_a_pending_earning_is_due_when_it_matures():
    book = Book()
    book.earn(100, channel=Channel.ECOMMERCE, reference="web")  # 14 days pending
    assert book.wallet().next_due() == NOW + 14 * DAY
    book.wait(14)
    book.mature()
    assert book.wallet().next_due() == add_months(NOW, 12)  # then: the review, before its expiry at 18 months


def test_the_first_open_lot_to_expire_decides_and_spent_lots_do_not():
    book = Book(Policy(expiry=ExpiryPolicy(months=3)))
    book.earn(10, reference="a")
    book.wait(10)
    book.earn(20, reference="b")
    assert book.wallet().next_due() == add_months(NOW, 3)
    book.spend(10)  # all of lot a: FEFO
    assert book.wallet().next_due() == add_months(NOW + 10 * DAY, 3)
    book.spend(20)
    assert book.wallet().next_due() == add_months(NOW, 12)  # nothing open: the review


def test_in_grace_the_account_is_due_when_grace_ends_not_at_every_run():
    book = Book()
    book.earn(1000)  # Silver
    book.at(add_months(NOW, 12) + DAY)  # the window no longer qualifies at the review
    book.review()
    grace_until = book.account.review_at + timedelta(days=30)
    assert book.account.grace_until == grace_until
    assert book.wallet().next_due() == grace_until  # not the review date, which has passed


def test_reschedule_records_the_next_due_time_on_the_account():
    book = Book()
    wallet = book.wallet()
    wallet.earn(kind=EntryKind.EARN, points=5, occurred_at=NOW, channel=Channel.APP, reference="app",
                description="Purchase")
    wallet.reschedule()
    assert book.account.next_due_at == NOW + 14 * DAY


def test_an_earning_past_the_most_an_account_holds_is_refused_and_changes_nothing():
    book = Book()
    book.earn(MAX_BALANCE - 1)
    with pytest.raises(Conflict, match="the most it can hold"):
        book.earn(2)
    assert book.account.available == MAX_BALANCE - 1
    book.earn(1)  # exactly the most
    assert book.account.available == MAX_BALANCE


# --- live wallet updates from ledger events ----------------------------------------------------

EARNED = Entry("led_1", "m1", 3, EntryKind.EARN, 221, 500, NOW, Channel.ECOMMERCE, "web-1", "Online purchase")


@pytest.mark.parametrize("event_type", ["PointsEarned", "PointsRedeemed", "PointsAdjusted", "PointsExpired",
                                        "PointsReversed", "BonusPointsAwarded"])
def test_an_entry_event_is_a_new_entry(event_type):
    at = NOW + DAY
    assert wallet_update(event_type, {"entry": entry_facts(EARNED), "balance": {}}, at) == WalletUpdate(
        WalletChange.NEW_ENTRY, EARNED, 221, at)


def test_a_maturing_is_not_a_new_entry():
    update = wallet_update("PointsMatured", {"entry": entry_facts(EARNED), "points": 149}, NOW)
    assert update == WalletUpdate(WalletChange.POINTS_MATURED, EARNED, 149, NOW)


@pytest.mark.parametrize("event_type", ["TierChanged", "MilestoneReached", "PointsOwed", "Unknown"])
def test_other_ledger_events_do_not_change_the_wallet(event_type):
    assert wallet_update(event_type, {}, NOW) is None
