from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from subgraphs.kernel.errors import BadUserInput, Conflict
from subgraphs.kernel.vocabulary import Channel
from subgraphs.ledger.domain import (
    Account,
    Entry,
    EntryKind,
    Tier,
    TierChange,
    entry_facts,
    entry_from_facts,
    new_account,
    ordered,
    post,
    tier_facts,
    tier_for,
    tier_from_facts,
    tier_status,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
BRONZE = Tier("bronze", "Bronze", 0, 1.0)
SILVER = Tier("silver", "Silver", 1000, 1.25, ("free shipping",))
GOLD = Tier("gold", "Gold", 5000, 1.5, ("free shipping", "early access"))
TIERS = (GOLD, BRONZE, SILVER)  # deliberately unordered


def _account(**changes):
    return replace(new_account("mbr_1", TIERS, T0), **changes)


def _post(account, kind, points, *, description="Purchase", entry_id="ent_1"):
    return post(
        account,
        entry_id=entry_id,
        kind=kind,
        points=points,
        occurred_at=NOW - timedelta(minutes=5),
        channel=Channel.POS,
        reference="tx-1",
        description=description,
        tiers=TIERS,
        now=NOW,
    )


def test_new_account_starts_empty_at_the_lowest_tier():
    assert new_account("mbr_1", TIERS, T0) == Account("mbr_1", 0, 0, 0, 0, "bronze", T0, 0)


def test_earn_adds_points_and_numbers_the_entry():
    posting = _post(_account(available=100, lifetime_earned=100, qualifying_points=100, last_seq=3), EntryKind.EARN, 50)
    assert posting.account.available == 150
    assert posting.account.lifetime_earned == 150
    assert posting.account.qualifying_points == 150
    assert posting.account.last_seq == 4
    assert posting.entry == Entry(
        "ent_1", "mbr_1", 4, EntryKind.EARN, 50, 150, NOW - timedelta(minutes=5), Channel.POS, "tx-1", "Purchase"
    )
    assert posting.tier_change is None


def test_seq_increments_across_postings():
    first = _post(_account(), EntryKind.EARN, 10, entry_id="e1")
    second = _post(first.account, EntryKind.EARN, 20, entry_id="e2")
    assert (first.entry.seq, second.entry.seq) == (1, 2)
    assert (first.entry.balance_after, second.entry.balance_after) == (10, 30)


@pytest.mark.parametrize(
    ("kind", "points", "counted"),
    [
        (EntryKind.EARN, 40, True),
        (EntryKind.BONUS, 40, True),
        (EntryKind.ADJUST, 40, False),
        (EntryKind.ADJUST, -40, False),
        (EntryKind.REDEEM, -40, False),
        (EntryKind.EXPIRE, -40, False),
        (EntryKind.REVERSE, -40, False),
    ],
)
def test_only_earn_and_bonus_count_toward_lifetime_and_qualifying(kind, points, counted):
    account = _account(available=100, lifetime_earned=300, qualifying_points=200)
    posting = _post(account, kind, points)
    assert posting.account.available == 100 + points
    assert posting.account.lifetime_earned == 300 + (points if counted else 0)
    assert posting.account.qualifying_points == 200 + (points if counted else 0)


@pytest.mark.parametrize("kind", [EntryKind.EARN, EntryKind.BONUS])
@pytest.mark.parametrize("points", [0, -5])
def test_earn_and_bonus_must_add_points(kind, points):
    with pytest.raises(BadUserInput, match="add points"):
        _post(_account(available=100), kind, points)


@pytest.mark.parametrize("points", [0, 10])
def test_redeem_must_be_negative(points):
    with pytest.raises(BadUserInput, match="negative"):
        _post(_account(available=100), EntryKind.REDEEM, points)


def test_redeeming_more_than_available_is_a_conflict():
    with pytest.raises(Conflict, match="insufficient points: 100 available, 101 needed"):
        _post(_account(available=100), EntryKind.REDEEM, -101)


def test_redeeming_exactly_the_balance_leaves_zero():
    posting = _post(_account(available=100), EntryKind.REDEEM, -100)
    assert posting.account.available == 0
    assert posting.entry.balance_after == 0


@pytest.mark.parametrize("description", ["", "   \t"])
def test_blank_description_is_refused(description):
    with pytest.raises(BadUserInput, match="description"):
        _post(_account(), EntryKind.EARN, 10, description=description)


def test_description_is_trimmed():
    assert _post(_account(), EntryKind.EARN, 10, description="  Purchase  ").entry.description == "Purchase"


def test_crossing_a_threshold_upgrades_at_once():
    account = _account(available=900, lifetime_earned=900, qualifying_points=900)
    posting = _post(account, EntryKind.EARN, 100)
    assert posting.account.tier_id == "silver"
    assert posting.account.tier_since == NOW
    assert posting.tier_change == TierChange("mbr_1", BRONZE, SILVER, NOW)


def test_crossing_two_thresholds_lands_on_the_highest_reached():
    posting = _post(_account(qualifying_points=900), EntryKind.BONUS, 4500)
    assert posting.account.tier_id == "gold"
    assert posting.tier_change == TierChange("mbr_1", BRONZE, GOLD, NOW)


def test_staying_below_the_next_threshold_changes_no_tier():
    posting = _post(_account(qualifying_points=900), EntryKind.EARN, 99)
    assert posting.account.tier_id == "bronze"
    assert posting.account.tier_since == T0
    assert posting.tier_change is None


def test_no_downgrade_when_points_go_down():
    gold = _account(available=6000, lifetime_earned=6000, qualifying_points=6000, tier_id="gold")
    posting = _post(gold, EntryKind.REDEEM, -5900)
    assert posting.account.tier_id == "gold"
    assert posting.account.tier_since == T0
    assert posting.tier_change is None


def test_no_downgrade_when_qualifying_points_are_below_the_current_tier():
    # e.g. a member placed in Gold by a supervisor: earning a little must not "upgrade" to Silver
    gold = _account(qualifying_points=1200, tier_id="gold")
    posting = _post(gold, EntryKind.EARN, 10)
    assert posting.account.tier_id == "gold"
    assert posting.tier_change is None


def test_tier_status_progress_toward_next():
    status = tier_status(_account(qualifying_points=250, tier_since=T0), TIERS)
    assert status.current == BRONZE
    assert status.since == T0
    assert status.qualifying_points == 250
    assert status.next == SILVER
    assert status.points_to_next == 750
    assert status.progress == 0.25


def test_tier_status_in_a_middle_tier_measures_from_its_threshold():
    status = tier_status(_account(qualifying_points=3000, tier_id="silver"), TIERS)
    assert status.next == GOLD
    assert status.points_to_next == 2000
    assert status.progress == 0.5


def test_tier_status_progress_is_rounded_and_clamped():
    assert tier_status(_account(qualifying_points=1), TIERS).progress == 0.001
    assert tier_status(_account(qualifying_points=2, tier_id="silver"), TIERS).progress == 0.0
    held = tier_status(_account(qualifying_points=1200, tier_id="silver"), TIERS)
    assert held.progress == 0.05
    assert held.points_to_next == 3800


def test_tier_status_at_the_top_tier():
    status = tier_status(_account(qualifying_points=7000, tier_id="gold"), TIERS)
    assert status.current == GOLD
    assert status.next is None
    assert status.points_to_next is None
    assert status.progress == 1.0


def test_tier_status_unknown_tier_id_falls_back_to_the_lowest():
    assert tier_status(_account(tier_id="retired"), TIERS).current == BRONZE


@pytest.mark.parametrize(
    ("points", "expected"),
    [(0, BRONZE), (999, BRONZE), (1000, SILVER), (4999, SILVER), (5000, GOLD), (10**9, GOLD)],
)
def test_tier_for(points, expected):
    assert tier_for(points, TIERS) == expected


def test_tier_for_below_every_threshold_is_the_lowest_tier():
    assert tier_for(10, (Tier("a", "A", 100, 1.0), Tier("b", "B", 500, 1.0))).id == "a"


def test_ordered_sorts_by_threshold():
    assert ordered(TIERS) == [BRONZE, SILVER, GOLD]


def test_ordered_without_tiers_raises_lookup_error():
    with pytest.raises(LookupError, match="no tiers"):
        ordered([])


def test_entry_facts_round_trip():
    entry = Entry("ent_9", "mbr_1", 9, EntryKind.REDEEM, -300, 1200, NOW, Channel.APP, None, "Reward: coffee")
    facts = entry_facts(entry)
    assert facts == {
        "id": "ent_9",
        "member_id": "mbr_1",
        "seq": 9,
        "kind": "REDEEM",
        "points": -300,
        "balance_after": 1200,
        "occurred_at": "2025-03-01T09:30:00+00:00",
        "channel": "APP",
        "reference": None,
        "description": "Reward: coffee",
    }
    assert entry_from_facts(facts) == entry


def test_tier_facts_round_trip():
    facts = tier_facts(GOLD)
    assert facts == {
        "id": "gold",
        "name": "Gold",
        "threshold": 5000,
        "multiplier": 1.5,
        "benefits": ["free shipping", "early access"],
    }
    assert tier_from_facts(facts) == GOLD
    assert tier_from_facts(tier_facts(BRONZE)) == BRONZE
