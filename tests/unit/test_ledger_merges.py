"""Two members' books merged into one, and separated again, as pure functions: lots keep
their dates, balances add up, each book still sums to its balance, a merge never
downgrades, and an unmerge gives each member their own back (what the survivor
spent of the other's points it owes, by the negative-balance policy)."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from core.vocabulary import Channel
from subgraphs.ledger.domain import (
    Account,
    Entry,
    EntryKind,
    ExpiryPolicy,
    Lot,
    NegativeBalancePolicy,
    Policy,
    Tier,
    TierChange,
    Wallet,
    add_months,
    merge_wallets,
    new_account,
    unmerge_wallets,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
TIERS = (Tier("bronze", "Bronze", 0, 1.0), Tier("silver", "Silver", 1000, 1.25), Tier("gold", "Gold", 5000, 1.5))
IDS = itertools.count(1)


class Book:
    """One member's account, lots and entries in memory, as the database would hold them."""

    def __init__(self, member_id: str, policy: Policy | None = None) -> None:
        self.policy = policy or Policy()
        self.account: Account = new_account(member_id, TIERS, NOW - 30 * DAY, self.policy)
        self.lots: list[Lot] = []
        self.entries: list[Entry] = []
        self.events: list = []

    def wallet(self, now: datetime = NOW) -> Wallet:
        return Wallet(self.account, self.lots, TIERS, self.policy, now, lambda prefix: f"{prefix}{next(IDS)}")

    def keep(self, wallet: Wallet) -> None:
        self.entries += wallet.new_entries
        self.events += wallet.events
        self.lots = wallet.lots

    def earn(self, points: int, channel: Channel = Channel.POS, at: datetime = NOW - DAY,
             reference: str | None = None) -> None:
        wallet = self.wallet()
        wallet.earn(kind=EntryKind.EARN, points=points, occurred_at=at, channel=channel, reference=reference,
                    description="Purchase")
        self.keep(wallet)

    def spend(self, points: int, now: datetime = NOW) -> None:
        wallet = self.wallet(now)
        wallet.spend(kind=EntryKind.REDEEM, points=points, occurred_at=now, channel=Channel.APP, reference=None,
                     description="Reward")
        self.keep(wallet)

    def balanced(self) -> bool:
        """Invariant I1: the entries sum to the balance."""
        return sum(e.points for e in self.entries) == self.account.available + self.account.pending


def merged(survivor: Book, absorbed: Book, merge_id: str = "mrg_1", now: datetime = NOW):
    s_wallet, a_wallet = survivor.wallet(now), absorbed.wallet(now)
    record = merge_wallets(s_wallet, a_wallet, merge_id=merge_id)
    survivor.keep(s_wallet)
    absorbed.keep(a_wallet)
    return record


def unmerged(survivor: Book, absorbed: Book, record, now: datetime = NOW) -> None:
    s_wallet, a_wallet = survivor.wallet(now), absorbed.wallet(now)
    unmerge_wallets(s_wallet, a_wallet, record)
    survivor.keep(s_wallet)
    absorbed.keep(a_wallet)


def test_a_merge_adds_the_books_up_and_keeps_every_lot_s_dates():
    julia, jules = Book("mbr_a"), Book("mbr_b")
    julia.earn(100)
    julia.earn(50, Channel.ECOMMERCE, at=NOW - DAY)  # pending for 14 days
    jules.earn(30, at=NOW - 10 * DAY)
    moved = jules.lots[0]
    record = merged(julia, jules)
    assert (julia.account.available, julia.account.pending, julia.account.lifetime_earned) == (130, 50, 180)
    assert (jules.account.available, jules.account.pending, jules.account.lifetime_earned) == (0, 0, 0)
    assert moved in julia.lots and moved.member_id == "mbr_a" and moved.merge_id == "mrg_1"
    assert (moved.earned_at, moved.expires_at) == (NOW - 10 * DAY, add_months(NOW - 10 * DAY, 18))
    assert [(e.kind, e.points, e.reference) for e in jules.entries[-1:]] == [(EntryKind.TRANSFER, -30, "mrg_1")]
    assert [(e.kind, e.points) for e in julia.entries[-1:]] == [(EntryKind.TRANSFER, 30)]
    assert julia.balanced() and jules.balanced()
    assert record.lots == {moved.id: 30} and record.absorbed["available"] == 30


def test_a_merge_takes_the_higher_tier_and_may_upgrade_with_the_points_together():
    gold, bronze = Book("mbr_gold"), Book("mbr_bronze")
    gold.earn(5200)
    assert gold.account.tier_id == "gold"
    merged(bronze, gold)  # the Gold member is absorbed: the survivor becomes Gold, never lower
    assert bronze.account.tier_id == "gold"
    assert [(e.from_tier.id, e.to_tier.id) for e in bronze.events if isinstance(e, TierChange)] == [("bronze", "gold")]
    a, b = Book("mbr_a"), Book("mbr_b")
    a.earn(3000)
    b.earn(2500)
    assert (a.account.tier_id, b.account.tier_id) == ("silver", "silver")
    merged(a, b)
    assert a.account.tier_id == "gold"  # 5,500 qualifying points together


def test_a_merge_never_downgrades():
    gold, newcomer = Book("mbr_gold"), Book("mbr_new")
    gold.account.tier_id = "gold"  # Gold from an earlier year; no qualifying points this year
    merged(gold, newcomer)
    assert gold.account.tier_id == "gold"


def test_an_unmerge_right_away_gives_both_their_own_books_back_exactly():
    julia, jules = Book("mbr_a"), Book("mbr_b")
    julia.earn(1200)  # Silver
    jules.earn(300)
    jules.earn(40, Channel.APP)
    before = [(b.account.available, b.account.pending, b.account.lifetime_earned, b.account.tier_id)
              for b in (julia, jules)]
    jules_lots = {lot.id: lot.remaining for lot in jules.lots}
    record = merged(julia, jules)
    unmerged(julia, jules, record)
    assert [(b.account.available, b.account.pending, b.account.lifetime_earned, b.account.tier_id)
            for b in (julia, jules)] == before
    assert {lot.id: lot.remaining for lot in jules.lots} == jules_lots
    assert all(lot.member_id == "mbr_b" and lot.merge_id is None for lot in jules.lots)
    assert julia.balanced() and jules.balanced()


def test_what_the_survivor_spent_of_the_other_s_points_it_owes():
    for policy, available, debt in ((NegativeBalancePolicy.CAP_AT_ZERO, 0, 80),
                                    (NegativeBalancePolicy.ALLOW_NEGATIVE, -80, 0)):
        survivor, absorbed = Book("mbr_s", Policy(negative_balance=policy)), Book("mbr_x")
        absorbed.earn(100)
        record = merged(survivor, absorbed)
        survivor.spend(80)  # out of the absorbed member's lot (the only one)
        unmerged(survivor, absorbed, record)
        assert absorbed.account.available == 100  # their lot refilled
        assert (survivor.account.available, survivor.account.debt) == (available, debt)
        assert survivor.balanced() and absorbed.balanced()


def test_the_survivor_pays_back_from_its_own_points_first():
    survivor, absorbed = Book("mbr_s"), Book("mbr_x")
    survivor.earn(50, at=NOW - DAY)
    absorbed.earn(100, at=NOW - 20 * DAY)  # expires first: spent first
    record = merged(survivor, absorbed)
    survivor.spend(70)  # 70 of the absorbed member's 100
    unmerged(survivor, absorbed, record)
    assert absorbed.account.available == 100
    assert (survivor.account.available, survivor.account.debt) == (0, 20)  # 50 of its own, 20 owed
    assert survivor.balanced() and absorbed.balanced()


def test_points_that_expired_while_merged_are_not_given_back():
    survivor, absorbed = Book("mbr_s", Policy(expiry=ExpiryPolicy(months=1))), Book("mbr_x",
                                                                                   Policy(expiry=ExpiryPolicy(months=1)))
    absorbed.earn(100, at=NOW - 20 * DAY)  # expires 10 days after NOW
    record = merged(survivor, absorbed)
    later = NOW + 15 * DAY
    wallet = survivor.wallet(later)
    wallet.expire()
    survivor.keep(wallet)
    assert survivor.account.available == 0
    unmerged(survivor, absorbed, record, now=later)
    assert (absorbed.account.available, survivor.account.available, survivor.account.debt) == (0, 0, 0)
    assert survivor.balanced() and absorbed.balanced()


def test_an_unmerge_takes_back_an_upgrade_the_merge_brought():
    bronze, gold = Book("mbr_s"), Book("mbr_gold")
    gold.earn(5200)
    record = merged(bronze, gold)
    assert bronze.account.tier_id == "gold"
    unmerged(bronze, gold, record)
    assert (bronze.account.tier_id, gold.account.tier_id) == ("bronze", "gold")
    assert gold.account.available == 5200
