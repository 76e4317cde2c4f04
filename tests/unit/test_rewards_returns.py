"""Returns, per line: each returned unit gives back what it earned, never twice; a
SKU on several lines is taken in order; what was already returned cannot be
returned again. Exact points at the edges (1 unit, the last unit, rounding)."""
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import BadUserInput, Conflict
from core.vocabulary import Channel
from subgraphs.rewards.domain.basket import MAX_QUANTITY, Basket, BasketLine, purchase_description, return_description
from subgraphs.rewards.domain.evaluation import Context, evaluate
from subgraphs.rewards.domain.members import MemberFacts
from subgraphs.rewards.domain.returns import (
    ReturnedLine,
    ReturnRequest,
    allocate_return,
    line_refund,
    line_reversal,
    return_facts,
    returned_amount,
)

KNOWN = Context(datetime(2026, 11, 30, 12, tzinfo=UTC), member=MemberFacts("mbr_test"))
ANON = Context(datetime(2026, 11, 30, 12, tzinfo=UTC))


def _purchase(*lines: BasketLine):
    return evaluate(Basket(Channel.POS, tuple(lines), store_id="st_1"), KNOWN)


# --- line_reversal: cumulative, so every unit returned gives back exactly what the line earned


@pytest.mark.parametrize(("earned", "quantity", "before", "returning", "points"), [
    (100, 1, 0, 1, 100),  # the only unit
    (100, 4, 0, 1, 25),
    (100, 4, 1, 3, 75),  # the rest
    (10, 3, 0, 1, 3),  # 10/3: floor of the running share ...
    (10, 3, 1, 1, 3),
    (10, 3, 2, 1, 4),  # ... the last unit takes the remainder
    (0, 5, 0, 5, 0),
    (1, 2, 0, 1, 0),  # one point over two units: the first unit gives back nothing ...
    (1, 2, 1, 1, 1),  # ... the second gives back the point
])
def test_line_reversal_takes_back_the_running_share(earned, quantity, before, returning, points):
    assert line_reversal(earned, quantity, before, returning) == points


def test_returning_units_one_by_one_takes_back_exactly_what_the_line_earned():
    for earned, quantity in ((10, 3), (97, 7), (1, 10), (149, 1), (1000, 999)):
        taken = sum(line_reversal(earned, quantity, before, 1) for before in range(quantity))
        assert taken == earned, (earned, quantity)


@pytest.mark.parametrize(("quantity", "before", "returning"), [
    (0, 0, 1), (3, 0, 0), (3, 0, -1), (3, -1, 1), (3, 2, 2), (3, 3, 1),
])
def test_line_reversal_refuses_impossible_returns(quantity, before, returning):
    with pytest.raises(BadUserInput) as caught:
        line_reversal(10, quantity, before, returning)
    assert caught.value.message == "a return cannot take back more units than the line had"


def test_line_reversal_accepts_returning_the_last_unit_exactly():
    assert line_reversal(9, 3, 2, 1) == 3


# --- allocate_return -------------------------------------------------------------------------------


JACKET = BasketLine("JKT", 1, Decimal("149.00"), "M")
SOCKS = BasketLine("SOK", 3, Decimal("24.00"))  # 72 points, 24 a pack


def test_a_partial_return_takes_its_share_of_one_line():
    purchase = _purchase(JACKET, SOCKS)
    assert allocate_return(purchase, {}, [ReturnRequest("SOK", 1)]) == [ReturnedLine("2", "SOK", 1, 24, Decimal("24.00"))]


def test_a_return_of_several_skus_names_each_line():
    purchase = _purchase(JACKET, SOCKS)
    assert allocate_return(purchase, {}, [ReturnRequest("JKT", 1), ReturnRequest("SOK", 3)]) == [
        ReturnedLine("1", "JKT", 1, 149, Decimal("149.00")), ReturnedLine("2", "SOK", 3, 72, Decimal("72.00"))]


def test_units_already_returned_are_counted():
    purchase = _purchase(SOCKS)
    assert allocate_return(purchase, {"1": 2}, [ReturnRequest("SOK", 1)]) == [
        ReturnedLine("1", "SOK", 1, 24, Decimal("24.00"))]
    with pytest.raises(Conflict, match="SOK: 1 of the purchased units can still be returned, not 2"):
        allocate_return(purchase, {"1": 2}, [ReturnRequest("SOK", 2)])
    with pytest.raises(Conflict, match="0 of the purchased units"):
        allocate_return(purchase, {"1": 3}, [ReturnRequest("SOK", 1)])


def test_one_sku_on_several_lines_is_taken_line_by_line_in_order():
    purchase = _purchase(BasketLine("TEE", 2, Decimal("10.00")), JACKET, BasketLine("TEE", 1, Decimal("30.00")))
    assert allocate_return(purchase, {}, [ReturnRequest("TEE", 3)]) == [
        ReturnedLine("1", "TEE", 2, 20, Decimal("20.00")), ReturnedLine("3", "TEE", 1, 30, Decimal("30.00"))]
    # the first line already back: the next units come from the third line
    assert allocate_return(purchase, {"1": 2}, [ReturnRequest("TEE", 1)]) == [
        ReturnedLine("3", "TEE", 1, 30, Decimal("30.00"))]
    # a part of the first line, then the rest
    assert allocate_return(purchase, {"1": 1}, [ReturnRequest("TEE", 2)]) == [
        ReturnedLine("1", "TEE", 1, 10, Decimal("10.00")), ReturnedLine("3", "TEE", 1, 30, Decimal("30.00"))]


def test_a_return_that_ends_inside_the_lines_of_a_sku_stops_there():
    tees = [BasketLine("TEE", 2, Decimal("10.00")), BasketLine("TEE", 1, Decimal("30.00")),
            BasketLine("TEE", 1, Decimal("40.00"))]
    assert allocate_return(_purchase(*tees), {}, [ReturnRequest("TEE", 3)]) == [
        ReturnedLine("1", "TEE", 2, 20, Decimal("20.00")), ReturnedLine("2", "TEE", 1, 30, Decimal("30.00"))]


def test_earlier_returns_of_a_line_decide_the_share_of_the_next_unit():
    purchase = _purchase(BasketLine("GEL", 3, Decimal("3.34")))  # 10.02: 10 points over 3 units
    assert allocate_return(purchase, {"1": 2}, [ReturnRequest("GEL", 1)]) == [
        ReturnedLine("1", "GEL", 1, 4, Decimal("3.34"))]
    assert allocate_return(purchase, {}, [ReturnRequest("GEL", 1)]) == [
        ReturnedLine("1", "GEL", 1, 3, Decimal("3.34"))]


def test_the_same_sku_asked_twice_is_added_up():
    purchase = _purchase(SOCKS)
    assert allocate_return(purchase, {}, [ReturnRequest("SOK", 1), ReturnRequest("SOK", 2)]) == [
        ReturnedLine("1", "SOK", 3, 72, Decimal("72.00"))]
    with pytest.raises(Conflict):
        allocate_return(purchase, {}, [ReturnRequest("SOK", 2), ReturnRequest("SOK", 2)])


def test_a_return_needs_lines_of_this_purchase_and_sane_quantities():
    purchase = _purchase(SOCKS)
    with pytest.raises(BadUserInput) as caught:
        allocate_return(purchase, {}, [])
    assert (caught.value.message, caught.value.details) == ("a return needs at least one line", {"field": "lines"})
    with pytest.raises(BadUserInput, match="CAP was not in this purchase") as caught:
        allocate_return(purchase, {}, [ReturnRequest("CAP", 1)])
    assert caught.value.details == {"field": "lines"}
    for quantity in (0, -1, MAX_QUANTITY + 1):
        with pytest.raises(BadUserInput, match=f"SOK: return between 1 and {MAX_QUANTITY} units") as caught:
            allocate_return(purchase, {}, [ReturnRequest("SOK", quantity)])
        assert caught.value.details == {"field": "lines"}


def test_a_return_of_the_most_units_a_line_can_hold():
    purchase = _purchase(BasketLine("SOK", MAX_QUANTITY, Decimal("1.00")))
    assert allocate_return(purchase, {}, [ReturnRequest("SOK", MAX_QUANTITY)]) == [
        ReturnedLine("1", "SOK", MAX_QUANTITY, MAX_QUANTITY, Decimal("10000.00"))]


def test_lines_that_earned_nothing_give_back_nothing():
    purchase = _purchase(BasketLine("BAG", 1, Decimal("0.50")))
    assert allocate_return(purchase, {}, [ReturnRequest("BAG", 1)]) == [ReturnedLine("1", "BAG", 1, 0, Decimal("0.50"))]


# --- line_refund: the money a return gives back, pro rata per unit, exact to the cent


@pytest.mark.parametrize(("amount", "quantity", "before", "returning", "refund"), [
    ("149.00", 1, 0, 1, "149.00"),
    ("10.00", 3, 0, 1, "3.33"),  # floor of the running share ...
    ("10.00", 3, 1, 1, "3.33"),
    ("10.00", 3, 2, 1, "3.34"),  # ... the last unit takes the remaining cent
    ("10.00", 3, 0, 3, "10.00"),
    ("0.01", 2, 0, 1, "0.00"),  # one cent over two units: the first gives back nothing ...
    ("0.01", 2, 1, 1, "0.01"),  # ... the second the cent
    ("0.00", 4, 1, 2, "0.00"),
    ("10000000.00", 10_000, 9_999, 1, "1000.00"),
])
def test_line_refund_gives_back_the_running_share_in_cents(amount, quantity, before, returning, refund):
    assert line_refund(Decimal(amount), quantity, before, returning) == Decimal(refund)


@given(cents=st.integers(0, 10**11), quantity=st.integers(1, 60), data=st.data())
def test_the_returns_of_a_line_never_add_up_to_more_than_its_amount(cents, quantity, data):
    """Any split of a line into returns: each refund is whole cents, they never exceed the
    line's amount, and every unit back adds up to exactly the amount."""
    amount = Decimal(cents) / 100
    returned, refunded = 0, Decimal(0)
    while returned < quantity:
        returning = data.draw(st.integers(1, quantity - returned))
        refund = line_refund(amount, quantity, returned, returning)
        assert refund == refund.quantize(Decimal("0.01")) and refund >= 0
        returned, refunded = returned + returning, refunded + refund
        assert refunded <= amount
    assert refunded == amount


@pytest.mark.parametrize(("quantity", "before", "returning"), [(3, 0, 0), (3, 2, 2), (3, -1, 1), (0, 0, 1)])
def test_line_refund_refuses_impossible_returns(quantity, before, returning):
    with pytest.raises(BadUserInput):
        line_refund(Decimal("10.00"), quantity, before, returning)


def test_a_return_event_carries_its_money_per_line_and_in_total():
    purchase = _purchase(JACKET, BasketLine("GEL", 3, Decimal("3.34")))
    lines = allocate_return(purchase, {"2": 1}, [ReturnRequest("JKT", 1), ReturnRequest("GEL", 2)])
    assert returned_amount(lines) == Decimal("155.68")
    assert return_facts(lines) == {"amount": "155.68", "lines": [
        {"line_id": "1", "sku": "JKT", "quantity": 1, "points": 149, "amount": "149.00"},
        {"line_id": "2", "sku": "GEL", "quantity": 2, "points": 7, "amount": "6.68"},
    ]}


# --- how a purchase and a return read in the member's activity -------------------------------------


@pytest.mark.parametrize(("channel", "purchase", "returned"), [
    (Channel.POS, "In-store purchase", "Returned in store"),
    (Channel.ECOMMERCE, "Online purchase", "Returned online purchase"),
    (Channel.APP, "In-app purchase", "Returned in-app purchase"),
    (Channel.CRM, "Purchase", "Returned items"),
    (Channel.SYSTEM, "Purchase", "Returned items"),
])
def test_descriptions(channel, purchase, returned):
    assert purchase_description(channel) == purchase
    assert return_description(channel) == returned
