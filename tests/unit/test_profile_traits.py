"""Profile's traits: purchases and returns as they arrive (late, twice, out of order),
running totals, and recency, frequency and monetary at the edges of their windows."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.errors import BadUserInput
from subgraphs.profile.domain.traits import (
    PurchaseRecord,
    TraitTotals,
    check_lapse_score,
    purchase_recorded,
    return_recorded,
    totals_after,
    totals_of,
    traits_as_of,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def bought(external_id: str, days_ago: float, amount: str, units: int = 1, member_id: str = "mbr_1"):
    record = purchase_recorded(None, external_id=external_id, member_id=member_id, occurred_at=NOW - days_ago * DAY,
                               amount=Decimal(amount), units=units)
    assert record is not None
    return record


def returned(record: PurchaseRecord | None, amount: str, units: int, external_id: str = "p1"):
    return return_recorded(record, purchase_external_id=external_id, member_id="mbr_1", amount=Decimal(amount),
                           units=units)


def traits(*records: PurchaseRecord, lapse_score: float | None = None, profiling: bool = True):
    return traits_as_of(NOW, totals_of("mbr_1", records), records, lapse_score=lapse_score, profiling=profiling)


# --- purchase records: twice, late, after their return ---------------------------------------------


def test_the_same_purchase_twice_changes_nothing():
    first = bought("p1", 3, "50.00")
    assert purchase_recorded(first, external_id="p1", member_id="mbr_1", occurred_at=NOW, amount=Decimal("99.00"),
                             units=5) is None


def test_a_return_before_its_purchase_waits_for_it():
    early = returned(None, "20.00", 1)
    assert not early.known and not early.counts
    assert early.net_amount == Decimal("0.00")
    assert (early.returned_amount, early.returned_units) == (Decimal("20.00"), 1)
    complete = purchase_recorded(early, external_id="p1", member_id="mbr_2", occurred_at=NOW - DAY,
                                 amount=Decimal("50.00"), units=2)
    assert complete == PurchaseRecord("p1", "mbr_1", NOW - DAY, Decimal("50.00"), 2, Decimal("20.00"), 1)
    assert complete.counts and complete.net_amount == Decimal("30.00")


def test_returns_add_up_and_a_whole_return_stops_the_purchase_counting():
    purchase = bought("p1", 3, "50.00", units=2)
    partly = returned(purchase, "20.00", 1)
    assert partly.counts and not partly.fully_returned and partly.net_amount == Decimal("30.00")
    whole = returned(partly, "30.00", 1)
    assert whole.fully_returned and not whole.counts and whole.net_amount == Decimal("0.00")


def test_a_free_purchase_counts_until_its_units_come_back():
    free = bought("p1", 1, "0.00", units=2)
    assert free.counts
    assert returned(free, "0.00", 1).counts
    assert not returned(returned(free, "0.00", 1), "0.00", 1).counts


def test_net_spend_never_goes_below_zero():
    assert returned(bought("p1", 1, "10.00"), "12.00", 1).net_amount == Decimal("0.00")


# --- running totals ------------------------------------------------------------------------------


def test_totals_move_with_each_record():
    empty = TraitTotals("mbr_1")
    first = bought("p1", 10, "50.00")
    totals, look_again = totals_after(empty, None, first)
    assert (totals.purchases, totals.spend, totals.last_purchase_at, look_again) == (1, Decimal("50.00"),
                                                                                     NOW - 10 * DAY, False)
    older = bought("p0", 40, "20.00")
    totals, _ = totals_after(totals, None, older)
    assert (totals.purchases, totals.spend, totals.last_purchase_at) == (2, Decimal("70.00"), NOW - 10 * DAY)
    partly = returned(first, "10.00", 0)
    totals, look_again = totals_after(totals, first, partly)
    assert (totals.purchases, totals.spend, look_again) == (2, Decimal("60.00"), False)


def test_bringing_back_the_latest_purchase_whole_asks_for_the_last_purchase_again():
    latest, older = bought("p1", 1, "50.00"), bought("p0", 30, "20.00")
    totals = totals_of("mbr_1", [latest, older])
    totals, look_again = totals_after(totals, latest, returned(latest, "50.00", 1))
    assert look_again
    assert (totals.purchases, totals.spend) == (1, Decimal("20.00"))


def test_bringing_back_an_older_purchase_whole_keeps_the_last_purchase():
    latest, older = bought("p1", 1, "50.00"), bought("p0", 30, "20.00", units=1)
    totals, look_again = totals_after(totals_of("mbr_1", [latest, older]), older,
                                      returned(older, "20.00", 1, external_id="p0"))
    assert not look_again and totals.last_purchase_at == NOW - DAY


def test_a_return_before_its_purchase_leaves_the_totals_alone_until_the_purchase_comes():
    early = returned(None, "20.00", 1)
    totals, _ = totals_after(TraitTotals("mbr_1"), None, early)
    assert (totals.purchases, totals.spend, totals.last_purchase_at) == (0, Decimal("0.00"), None)
    complete = purchase_recorded(early, external_id="p1", member_id="mbr_1", occurred_at=NOW - DAY,
                                 amount=Decimal("50.00"), units=2)
    totals, _ = totals_after(totals, early, complete)
    assert (totals.purchases, totals.spend, totals.last_purchase_at) == (1, Decimal("30.00"), NOW - DAY)


def test_totals_from_scratch_equal_the_running_ones():
    records = [bought("p1", 1, "10.00"), returned(bought("p2", 5, "30.00", 2), "15.00", 1, "p2"),
               returned(bought("p3", 2, "8.00"), "8.00", 1, "p3"), returned(None, "5.00", 1, "p4")]
    running = TraitTotals("mbr_1")
    for record in records:
        running, _ = totals_after(running, None, record)
    assert totals_of("mbr_1", records) == running == TraitTotals("mbr_1", NOW - DAY, 2, Decimal("25.00"))


# --- traits at the edges of their windows --------------------------------------------------------


def test_no_purchase_yet():
    assert traits() == traits_as_of(NOW, None, [], lapse_score=None, profiling=True)
    result = traits()
    assert (result.recency_days, result.frequency_90d, result.monetary_365d, result.lapse_risk) == (
        None, 0, Decimal("0.00"), None)


@pytest.mark.parametrize(("days_ago", "recency", "in_90", "in_365"), [
    (0, 0, True, True),
    (0.99, 0, True, True),
    (1, 1, True, True),
    (89.99, 89, True, True),
    (90, 90, False, True),  # exactly 90 x 24 hours ago: out of the 90-day window
    (364.99, 364, False, True),
    (365, 365, False, False),  # exactly 365 days ago: out of the year
    (400, 400, False, False),
    (-0.001, 0, True, True),  # a till's clock a little ahead
])
def test_window_edges(days_ago, recency, in_90, in_365):
    result = traits(bought("p1", days_ago, "40.00"))
    assert result.recency_days == recency
    assert result.frequency_90d == int(in_90)
    assert result.monetary_365d == (Decimal("40.00") if in_365 else Decimal("0.00"))


def test_a_partial_return_lowers_spend_and_keeps_the_purchase_counting():
    result = traits(returned(bought("p1", 10, "50.00", units=2), "20.00", 1))
    assert (result.recency_days, result.frequency_90d, result.monetary_365d) == (10, 1, Decimal("30.00"))


def test_a_whole_return_takes_the_purchase_out_of_frequency_recency_and_spend():
    result = traits(returned(bought("p1", 10, "50.00", units=2), "50.00", 2), bought("p0", 100, "20.00"))
    assert (result.recency_days, result.frequency_90d, result.monetary_365d) == (100, 0, Decimal("20.00"))


def test_a_return_whose_purchase_has_not_arrived_counts_for_nothing():
    result = traits(returned(None, "20.00", 1), bought("p2", 5, "10.00"))
    assert (result.recency_days, result.frequency_90d, result.monetary_365d) == (5, 1, Decimal("10.00"))


def test_windows_add_up_several_purchases():
    result = traits(bought("a", 1, "10.00"), bought("b", 45, "20.50"), bought("c", 120, "30.25"),
                    bought("d", 370, "99.00"))
    assert (result.recency_days, result.frequency_90d, result.monetary_365d) == (1, 2, Decimal("60.75"))


def test_lapse_risk_is_the_models_score_and_never_without_profiling_consent():
    assert traits(lapse_score=0.8).lapse_risk == 0.8
    assert traits(lapse_score=0.8, profiling=False).lapse_risk is None
    assert traits(lapse_score=None).lapse_risk is None


@pytest.mark.parametrize("score", [-0.01, 1.01, float("nan"), float("inf"), True, "0.5"])
def test_a_lapse_score_is_a_probability(score):
    with pytest.raises(BadUserInput):
        check_lapse_score(score)


@pytest.mark.parametrize("score", [0, 0.0, 0.5, 1])
def test_lapse_scores_at_the_edges(score):
    assert check_lapse_score(score) == float(score)
