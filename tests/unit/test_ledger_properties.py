"""Property-based: random sequences of earnings, spending, returns, maturing,
expiry and tier reviews keep the book consistent, under both negative-balance
policies."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import Conflict
from core.vocabulary import Channel
from subgraphs.ledger.domain import (
    Account,
    EntryKind,
    Lot,
    NegativeBalancePolicy,
    Policy,
    Tier,
    Wallet,
    new_account,
    tier_for,
)

TIERS = [Tier("bronze", "Bronze", 0, 1.0), Tier("silver", "Silver", 1000, 1.25), Tier("gold", "Gold", 5000, 1.5)]
START = datetime(2026, 1, 1, 12, tzinfo=UTC)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.sampled_from([EntryKind.EARN, EntryKind.BONUS, EntryKind.ADJUST]),
                  st.integers(1, 800), st.sampled_from([Channel.POS, Channel.ECOMMERCE])),
        st.tuples(st.just("spend"), st.sampled_from([EntryKind.REDEEM, EntryKind.ADJUST]), st.integers(1, 800)),
        st.tuples(st.just("return"), st.integers(0, 50), st.integers(1, 800)),
        st.tuples(st.just("wait"), st.integers(0, 200)),
        st.tuples(st.just("review"),),
    ),
    max_size=60,
)


class Book:
    """The member's whole history, held in memory like the database would."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.now = START
        self.account: Account = new_account("m1", TIERS, START, policy)
        self.lots: list[Lot] = []
        self.entries = []
        self.purchases: list[str] = []
        self.ids = itertools.count()

    def wallet(self) -> Wallet:
        return Wallet(self.account, self.lots, TIERS, self.policy, self.now, lambda prefix: f"{prefix}{next(self.ids)}")

    def apply(self, operation: tuple) -> None:
        wallet = self.wallet()
        kind = operation[0]
        if kind == "earn":
            _, entry_kind, points, channel = operation
            reference = f"p{len(self.purchases)}"
            self.purchases.append(reference)
            wallet.earn(kind=entry_kind, points=points, occurred_at=self.now, channel=channel,
                        reference=reference, description="earned")
        elif kind == "spend":
            _, entry_kind, points = operation
            before = (self.account.available, self.account.pending, len(self.entries))
            try:
                wallet.spend(kind=entry_kind, points=points, occurred_at=self.now, channel=Channel.POS,
                             reference=None, description="spent")
            except Conflict:
                assert points > self.account.available
                assert (self.account.available, self.account.pending) == before[:2]
                return
        elif kind == "return":
            _, index, points = operation
            if not self.purchases:
                return
            reference = self.purchases[index % len(self.purchases)]
            lot = next(lot for lot in self.lots if lot.reference == reference)
            if not lot.qualifying:
                return
            wallet.reverse(purchase_reference=reference, points=min(points, lot.net), occurred_at=self.now,
                           channel=Channel.POS, reference=f"r{next(self.ids)}", description="returned")
        elif kind == "wait":
            self.now += timedelta(days=operation[1])
            wallet = self.wallet()
            wallet.mature()
            wallet.expire()
        else:
            wallet.review()
        self.entries += wallet.new_entries
        self.check(wallet)

    def check(self, wallet: Wallet) -> None:
        account = self.account
        # I1: the balance is the sum of the entries, and every entry says the running balance.
        running = 0
        for seq, entry in enumerate(self.entries, start=1):
            running += entry.points
            assert entry.balance_after == running
            assert entry.seq == seq
        assert running == account.available + account.pending
        # I2, I3: the cached balances are the lots.
        assert account.pending == sum(lot.remaining for lot in self.lots if not lot.matured)
        assert account.available == sum(lot.remaining for lot in self.lots if lot.matured) - account.shortfall
        for lot in self.lots:
            assert 0 <= lot.remaining <= lot.net <= lot.points
            assert lot.matured == (lot.matures_at <= self.now)  # time only moves through mature()
        assert account.shortfall >= 0 and account.debt >= 0
        if self.policy.negative_balance is NegativeBalancePolicy.CAP_AT_ZERO:
            assert account.shortfall == 0
            assert account.available >= 0
        elif account.available < 0:
            assert account.shortfall == -account.available
        if account.shortfall:
            assert all(lot.remaining == 0 for lot in self.lots if lot.matured)
        # Lifetime counts what qualifying lots kept; a member is never below the tier their
        # window reaches (upgrades are immediate; only reviews move down).
        assert account.lifetime_earned == sum(lot.net for lot in self.lots if lot.qualifying)
        reached = tier_for(wallet.qualifying(), TIERS)
        current = next(t for t in TIERS if t.id == account.tier_id)
        assert current.threshold >= reached.threshold


@pytest.mark.parametrize("negative", list(NegativeBalancePolicy))
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_random_histories_keep_the_book_consistent(negative: NegativeBalancePolicy, steps: list) -> None:
    book = Book(Policy(negative_balance=negative))
    for step in steps:
        book.apply(step)


def test_expiry_takes_the_first_expiring_lots() -> None:
    book = Book(Policy())
    book.apply(("earn", EntryKind.EARN, 100, Channel.POS))
    book.apply(("wait", 100))
    book.apply(("earn", EntryKind.EARN, 50, Channel.POS))
    book.apply(("spend", EntryKind.REDEEM, 30))  # from the first lot
    assert [lot.remaining for lot in book.lots] == [70, 50]
    book.apply(("wait", 460))  # 18 months after the first earning
    assert book.entries[-1].kind is EntryKind.EXPIRE and book.entries[-1].points == -70
    assert book.account.available == 50
