"""The engine's edges on what a channel may send: storage bounds (refused for
everyone), checkout limits (a supervisor may pass them), when a purchase may have
happened, and how long a failed ledger posting waits before the next try."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.errors import BadUserInput
from core.vocabulary import Channel
from subgraphs.kernel.bounds import MAX_INT
from subgraphs.rewards.domain.basket import MAX_UNIT_PRICE, Basket, BasketLine, check_occurred_at, validate_basket
from subgraphs.rewards.domain.evaluation import Context, earning_lines, evaluate
from subgraphs.rewards.domain.limits import CheckoutLimits, limit_breaches
from subgraphs.rewards.domain.members import MemberFacts
from subgraphs.rewards.domain.postings import retry_after

KNOWN = Context(datetime(2026, 11, 30, 12, tzinfo=UTC), member=MemberFacts("mbr_test"))
ANON = Context(datetime(2026, 11, 30, 12, tzinfo=UTC))

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
LIMITS = CheckoutLimits(max_line_amount=Decimal(100), max_basket_amount=Decimal(150), max_line_points=90,
                        max_basket_points=140, max_price_factor=Decimal(3))


def _basket(*lines: BasketLine, store_id: str | None = "st_1", coupons: tuple[str, ...] = ()) -> Basket:
    return Basket(Channel.POS, tuple(lines), store_id=store_id, coupon_codes=coupons)


def _breaches(*lines: BasketLine, prices: dict[str, Decimal] | None = None) -> list[str]:
    return limit_breaches(evaluate(_basket(*lines), KNOWN), LIMITS, prices or {})


# --- storage bounds: BAD_USER_INPUT for everyone ---------------------------------------------


def test_validate_basket_trims_what_it_stores():
    basket = validate_basket(_basket(BasketLine("  TEE-1 ", 1, Decimal(1), " m "), store_id=" st_1 "))
    assert basket.lines == (BasketLine("TEE-1", 1, Decimal(1), "m"),)
    assert basket.store_id == "st_1"
    assert validate_basket(_basket(BasketLine("TEE-1", 1, Decimal(1), "  "))).lines[0].size is None


@pytest.mark.parametrize(("line", "store_id", "field"), [
    (BasketLine("A" * 65, 1, Decimal(1)), "st_1", "lines"),
    (BasketLine("A", 1, Decimal(1), "S" * 17), "st_1", "lines"),
    (BasketLine("A", 1, MAX_UNIT_PRICE + Decimal("0.01")), "st_1", "lines"),
    (BasketLine("A", 1, Decimal("1e30")), "st_1", "lines"),
    (BasketLine("A", 1, Decimal("Infinity")), "st_1", "lines"),
    (BasketLine("A", 1, Decimal(1)), "s" * 41, "storeId"),
    (BasketLine("A", 1, Decimal(1)), "  ", "storeId"),
])
def test_what_cannot_be_stored_is_refused(line, store_id, field):
    with pytest.raises(BadUserInput) as caught:
        validate_basket(_basket(line, store_id=store_id))
    assert caught.value.details == {"field": field}


def test_the_storage_bounds_are_inclusive():
    basket = _basket(BasketLine("A" * 64, 1, MAX_UNIT_PRICE, "S" * 16), store_id="s" * 40)
    assert validate_basket(basket) == basket


def test_coupon_codes_are_bounded():
    assert validate_basket(_basket(BasketLine("A", 1, Decimal(1)), coupons=("C" * 64,) * 30))
    with pytest.raises(BadUserInput, match="at most 30 coupon codes"):
        validate_basket(_basket(BasketLine("A", 1, Decimal(1)), coupons=("C",) * 31))
    with pytest.raises(BadUserInput, match="a coupon code has at most 64"):
        validate_basket(_basket(BasketLine("A", 1, Decimal(1)), coupons=("C" * 65,)))


def test_points_beyond_what_a_posting_holds_are_refused():
    line = BasketLine("A", 10_000, MAX_UNIT_PRICE)  # 10,000,000,000 points: past a 32-bit Int
    with pytest.raises(BadUserInput, match=f"more than a posting can hold \\({MAX_INT}\\)"):
        evaluate(_basket(line), KNOWN)
    anonymous = evaluate(_basket(line), ANON)  # earns nothing, so nothing to hold
    assert anonymous.points_to_earn == 0


def test_the_last_point_a_posting_holds_is_accepted():
    # 2,147 units at 1,000,000.00 and one at 483,647.00: exactly MAX_INT points
    lines = (BasketLine("A", 2147, MAX_UNIT_PRICE), BasketLine("B", 1, Decimal(483_647)))
    assert evaluate(_basket(*lines), KNOWN).points_to_earn == MAX_INT
    with pytest.raises(BadUserInput):
        evaluate(_basket(lines[0], BasketLine("B", 1, Decimal(483_648))), KNOWN)


# --- checkout limits: a supervisor may pass them -----------------------------------------------


def test_a_basket_at_the_limits_passes():
    # line 1: 90.00 / 90 points (line limits 100.00 / 90); basket 140.00 / 140 points (150.00 / 140)
    assert _breaches(BasketLine("A", 1, Decimal(90)), BasketLine("B", 1, Decimal(50))) == []


def test_one_point_over_each_limit_is_named():
    assert _breaches(BasketLine("A", 1, Decimal(91))) == [
        "line 1 (A) earns 91 points, above the line limit of 90"]
    assert _breaches(BasketLine("A", 1, Decimal("100.01"))) == [
        "line 1 (A) comes to 100.01, above the line limit of 100",
        "line 1 (A) earns 100 points, above the line limit of 90"]
    assert _breaches(BasketLine("A", 1, Decimal(90)), BasketLine("B", 1, Decimal(51))) == [
        "the basket earns 141 points, above the limit of 140"]
    assert _breaches(BasketLine("A", 1, Decimal(90)), BasketLine("B", 1, Decimal(50)),
                     BasketLine("C", 1, Decimal("10.01"))) == [
        "the basket comes to 150.01, above the limit of 150",
        "the basket earns 150 points, above the limit of 140"]


def test_a_price_far_above_the_catalogue_is_named_only_for_catalogue_skus():
    prices = {"A": Decimal("10.00")}
    assert _breaches(BasketLine("A", 1, Decimal("30.00")), prices=prices) == []  # exactly 3 times
    assert _breaches(BasketLine("A", 1, Decimal("30.01")), prices=prices) == [
        "line 1 (A) is priced 30.01, more than 3 times the catalogue price of 10.00"]
    assert _breaches(BasketLine("UNKNOWN", 1, Decimal("80.00")), prices=prices) == []  # catalogues lag


def test_the_quantity_multiplies_into_the_line_limits():
    assert _breaches(BasketLine("A", 3, Decimal(30))) == []
    assert _breaches(BasketLine("A", 4, Decimal(30))) == [
        "line 1 (A) comes to 120.00, above the line limit of 100",
        "line 1 (A) earns 120 points, above the line limit of 90"]


# --- when a purchase happened ------------------------------------------------------------------


def test_occurred_at_inside_the_window_is_taken_as_it_is():
    window = {"max_age": timedelta(days=400), "max_skew": timedelta(seconds=300)}
    for moment in (NOW, NOW - timedelta(days=400), NOW + timedelta(seconds=300)):
        assert check_occurred_at(moment, NOW, **window) == moment


@pytest.mark.parametrize("moment", [
    NOW + timedelta(seconds=301),
    NOW - timedelta(days=400, microseconds=1),
    datetime(9999, 12, 31, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(2026, 11, 30, 12),  # no zone
])
def test_occurred_at_outside_the_window_is_refused(moment):
    with pytest.raises(BadUserInput) as caught:
        check_occurred_at(moment, NOW, max_age=timedelta(days=400), max_skew=timedelta(seconds=300))
    assert caught.value.details == {"field": "occurredAt"}


# --- retries of a ledger posting -----------------------------------------------------------------


def test_retries_double_up_to_the_cap_then_park():
    first = timedelta(seconds=5)
    waits = [retry_after(n, first=first, max_attempts=8, cap=timedelta(seconds=100)) for n in range(1, 9)]
    assert waits == [timedelta(seconds=s) for s in (5, 10, 20, 40, 80, 100, 100)] + [None]


def test_one_attempt_allowed_parks_at_the_first_failure():
    assert retry_after(1, first=timedelta(seconds=5), max_attempts=1) is None
    assert retry_after(1, first=timedelta(seconds=5), max_attempts=2) == timedelta(seconds=5)


# --- exact edges and the fields errors name (mutation testing found these unpinned) ---------------


def test_a_line_or_basket_amount_exactly_at_its_limit_passes():
    by_amount = CheckoutLimits(max_line_amount=Decimal(100), max_basket_amount=Decimal(150),
                               max_line_points=10**6, max_basket_points=10**6, max_price_factor=Decimal(3))
    at_limits = evaluate(_basket(BasketLine("A", 1, Decimal(100)), BasketLine("B", 1, Decimal(50))), KNOWN)
    assert limit_breaches(at_limits, by_amount, {}) == []
    over = evaluate(_basket(BasketLine("A", 1, Decimal("100.01"))), KNOWN)
    assert limit_breaches(over, by_amount, {}) == ["line 1 (A) comes to 100.01, above the line limit of 100"]


def test_errors_name_what_was_wrong():
    line = BasketLine("A", 1, Decimal(1))
    cases = [
        (Basket(Channel.POS, (), "st_1"), "a basket needs at least one line", "lines"),
        (_basket(line, coupons=("C",) * 31), "a basket carries at most 30 coupon codes", "couponCodes"),
        (_basket(line, coupons=("C" * 65,)), "a coupon code has at most 64 characters", "couponCodes"),
        (_basket(BasketLine("A", 1, Decimal(1), "S" * 17)), "line 1: a size has at most 16 characters", "lines"),
        (_basket(BasketLine("A", 1, Decimal(2_000_000))), "line 1: unit price must be at most 1000000", "lines"),
        (_basket(BasketLine("A" * 65, 1, Decimal(1))), "a SKU has at most 64 characters", "lines"),
    ]
    for basket, message, field in cases:
        with pytest.raises(BadUserInput) as caught:
            validate_basket(basket)
        assert (caught.value.message, caught.value.details) == (message, {"field": field})


def test_points_past_an_int_name_the_lines():
    with pytest.raises(BadUserInput) as caught:
        evaluate(_basket(BasketLine("A", 10_000, MAX_UNIT_PRICE)), KNOWN)
    assert caught.value.details == {"field": "lines"}


def test_a_basket_without_a_store_stays_without_one():
    assert validate_basket(_basket(BasketLine("A", 1, Decimal(1)), store_id=None)).store_id is None


@pytest.mark.parametrize(("moment", "message"), [
    (NOW + timedelta(seconds=301), "occurredAt is in the future"),
    (NOW - timedelta(days=401), "occurredAt is more than 400 days ago"),
    (datetime(2026, 11, 30, 12), "occurredAt needs a time zone, e.g. 2026-11-30T10:00:00Z"),
])
def test_occurred_at_errors_say_why(moment, message):
    with pytest.raises(BadUserInput) as caught:
        check_occurred_at(moment, NOW, max_age=timedelta(days=400), max_skew=timedelta(seconds=300))
    assert caught.value.message == message


def test_a_line_of_one_point_earns():
    evaluation = evaluate(_basket(BasketLine("A", 1, Decimal("1.00")), BasketLine("B", 1, Decimal("0.99"))),
                          KNOWN)
    assert [line.sku for line in earning_lines(evaluation)] == ["A"]
