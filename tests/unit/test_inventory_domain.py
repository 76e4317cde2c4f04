"""Inventory's domain at its edges: the catalogue, stock (on hand, held, available and
every movement), reservations (requests, states, who may touch one) and product
interest (repeat views, the rolling window)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.auth import Principal, Role
from core.errors import BadUserInput, Conflict, Forbidden
from subgraphs.inventory.domain import interest, reservations, stock
from subgraphs.inventory.domain.catalogue import Product, product_facts, validate_product
from subgraphs.inventory.domain.interest import Interest, View
from subgraphs.inventory.domain.reservations import Reservation, ReservationStatus
from subgraphs.inventory.domain.stock import ONE_SIZE, Movement, MovementKind, StockLevel
from subgraphs.kernel.bounds import MAX_INT

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)

# --- the catalogue ---------------------------------------------------------------------------------


def test_validate_product_accepts_a_valid_product():
    product = Product("TEE-1", "Tee", "Tops", Decimal("24.00"))
    assert validate_product(product) is product
    free = Product("BAG-1", "Bag", "Accessories", Decimal("0"))
    assert validate_product(free) is free


@pytest.mark.parametrize(
    ("product", "message"),
    [
        (Product("", "Tee", "Tops", Decimal("1")), "needs a SKU"),
        (Product("  ", "Tee", "Tops", Decimal("1")), "needs a SKU"),
        (Product("T" * 65, "Tee", "Tops", Decimal("1")), "at most 64"),
        (Product("TEE-1", "Tee", "Tops", Decimal("-0.01")), "not negative"),
    ],
)
def test_validate_product_refuses(product, message):
    with pytest.raises(BadUserInput, match=message):
        validate_product(product)


def test_a_sku_of_the_longest_length_is_accepted():
    assert validate_product(Product("T" * 64, "Tee", "Tops", Decimal("1"))).sku == "T" * 64


@pytest.mark.parametrize("price", ["NaN", "Infinity"])
def test_validate_product_refuses_a_non_finite_price(price):
    with pytest.raises(BadUserInput):
        validate_product(Product("TEE-1", "Tee", "Tops", Decimal(price)))


def test_product_facts_are_what_a_product_changed_event_carries():
    product = Product("JKT-1", "Aurora Jacket", "Running jackets", Decimal("189.00"))
    assert product_facts(product) == {"sku": "JKT-1", "name": "Aurora Jacket", "category": "Running jackets",
                                      "price": "189.00"}


# --- sizes and quantities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "key"),
    [(None, ONE_SIZE), ("", ""), ("   ", ""), ("m ", "M"), ("M", "M"), (" xl", "XL"), ("32/34", "32/34")],
)
def test_size_key(size, key):
    assert stock.size_key(size) == key


def test_size_key_length_limit():
    assert stock.size_key(" " + "x" * 16 + " ") == "X" * 16
    with pytest.raises(BadUserInput, match="at most 16"):
        stock.size_key("x" * 17)


def test_stock_level_normalises_the_size():
    assert stock.stock_level("st_1", "TEE-1", " m", 5) == StockLevel("st_1", "TEE-1", "M", 5, 0)
    assert stock.stock_level("st_1", "TEE-1", "m", 5, held=2).reserved == 2


@pytest.mark.parametrize("size", [None, "", "  "])
def test_stock_level_without_a_size_has_size_none(size):
    assert stock.stock_level("st_1", "MUG-1", size, 0).size is None


@pytest.mark.parametrize(("quantity", "message"), [(-1, "negative"), (MAX_INT + 1, "at most")])
def test_quantities_out_of_range_are_refused(quantity, message):
    with pytest.raises(BadUserInput, match=message) as refused:
        stock.check_quantity(quantity)
    assert refused.value.details["field"] == "quantity"


@pytest.mark.parametrize("quantity", [0, 1, MAX_INT])
def test_quantities_in_range_are_accepted(quantity):
    assert stock.check_quantity(quantity) == quantity


def test_available_is_on_hand_less_held():
    level = StockLevel("st_1", "A", "M", on_hand=5, held=2)
    assert (level.available, level.reserved) == (3, 2)


# --- stock movements ------------------------------------------------------------------------------------

LEVEL = StockLevel("st_1", "JKT", "M", on_hand=2, held=0)


def test_a_feed_sets_the_count_and_records_the_change():
    level, movement, released = stock.feed(LEVEL, 7)
    assert level == StockLevel("st_1", "JKT", "M", 7, 0)
    assert movement == Movement(MovementKind.FEED, 5, 0)
    assert released == 0


def test_a_feed_down_to_exactly_the_held_units_releases_none():
    held = StockLevel("st_1", "JKT", "M", on_hand=5, held=2)
    level, movement, released = stock.feed(held, 2)
    assert (level.on_hand, level.held, level.available, released) == (2, 2, 0, 0)
    assert movement == Movement(MovementKind.FEED, -3, 0)


def test_a_feed_one_below_the_held_units_releases_one_hold():
    held = StockLevel("st_1", "JKT", "M", on_hand=5, held=2)
    level, movement, released = stock.feed(held, 1)
    assert (level.on_hand, level.held, released) == (1, 1, 1)
    assert movement == Movement(MovementKind.FEED, -4, -1)


def test_a_feed_of_zero_releases_every_hold():
    level, movement, released = stock.feed(StockLevel("st_1", "JKT", "M", 3, 3), 0)
    assert (level.on_hand, level.held, released) == (0, 0, 3)
    assert movement == Movement(MovementKind.FEED, -3, -3)


def test_a_negative_feed_is_refused():
    with pytest.raises(BadUserInput):
        stock.feed(LEVEL, -1)


def test_a_hold_takes_the_last_available_unit():
    level = StockLevel("st_1", "JKT", "M", on_hand=2, held=1)
    held, movement = stock.hold(level, "rsv_1")
    assert (held.on_hand, held.held, held.available) == (2, 2, 0)
    assert movement == Movement(MovementKind.HOLD, 0, 1, "rsv_1")


def test_a_hold_with_nothing_available_is_a_conflict():
    with pytest.raises(Conflict, match="no JKT M left") as refused:
        stock.hold(StockLevel("st_1", "JKT", "M", on_hand=2, held=2), "rsv_1")
    assert refused.value.details["available"] == 0
    with pytest.raises(Conflict, match="no MUG left"):
        stock.hold(StockLevel("st_1", "MUG", None, on_hand=0, held=0), "rsv_1")


def test_a_release_gives_the_unit_back():
    level, movement = stock.release(StockLevel("st_1", "JKT", "M", 2, 1), "rsv_1")
    assert (level.on_hand, level.held, level.available) == (2, 0, 2)
    assert movement == Movement(MovementKind.RELEASE, 0, -1, "rsv_1")


def test_a_release_with_nothing_held_is_a_conflict():
    with pytest.raises(Conflict, match="nothing is held of JKT at st_1"):
        stock.release(StockLevel("st_1", "JKT", "M", 2, 0), "rsv_1")


def test_a_fulfilment_takes_the_unit_from_on_hand_and_held():
    level, movement = stock.fulfil(StockLevel("st_1", "JKT", "M", 1, 1), "rsv_1")
    assert (level.on_hand, level.held, level.available) == (0, 0, 0)
    assert movement == Movement(MovementKind.FULFIL, -1, -1, "rsv_1")


@pytest.mark.parametrize(("on_hand", "held"), [(1, 0), (0, 0)])
def test_a_fulfilment_without_a_held_unit_is_a_conflict(on_hand, held):
    with pytest.raises(Conflict):
        stock.fulfil(StockLevel("st_1", "JKT", "M", on_hand, held), "rsv_1")


def test_a_sale_takes_free_units_only():
    level = StockLevel("st_1", "JKT", "M", on_hand=5, held=2)
    sold, movement = stock.sell(level, 3, "p1")
    assert (sold.on_hand, sold.held, sold.available) == (2, 2, 0)
    assert movement == Movement(MovementKind.SALE, -3, 0, "p1")
    more, movement = stock.sell(level, 4, "p2")  # one more than is free: never a held unit
    assert (more.on_hand, more.held, more.available) == (2, 2, 0)
    assert movement.on_hand == -3


def test_a_sale_of_one_unit():
    sold, movement = stock.sell(StockLevel("st_1", "JKT", "M", 1, 0), 1, "p1")
    assert (sold.on_hand, movement.on_hand) == (0, -1)


def test_a_return_puts_units_back_up_to_the_largest_count():
    level, movement = stock.take_back(StockLevel("st_1", "JKT", "M", 1, 1), 2, "x1")
    assert (level.on_hand, level.held, level.available) == (3, 1, 2)
    assert movement == Movement(MovementKind.RETURN, 2, 0, "x1")
    full, movement = stock.take_back(StockLevel("st_1", "JKT", "M", MAX_INT - 1, 0), 5, "x2")
    assert (full.on_hand, movement.on_hand) == (MAX_INT, 1)


# --- reservations ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("hours", [0, -1, 169, 10_000])
def test_hold_hours_out_of_range_are_refused(hours):
    with pytest.raises(BadUserInput, match="between 1 and 168") as refused:
        reservations.check_request(hours, "key")
    assert refused.value.details["field"] == "holdHours"


@pytest.mark.parametrize("hours", [1, 48, 168])
def test_hold_hours_in_range_are_accepted(hours):
    assert reservations.check_request(hours, " key ") == "key"


@pytest.mark.parametrize("key", ["", "   ", "k" * 129])
def test_bad_idempotency_keys_are_refused(key):
    with pytest.raises(BadUserInput) as refused:
        reservations.check_request(24, key)
    assert refused.value.details["field"] == "idempotencyKey"


def test_an_idempotency_key_of_the_longest_length_is_accepted():
    assert reservations.check_request(24, "k" * 128) == "k" * 128


def _reservation(**changes) -> Reservation:
    made = reservations.new(reservation_id="rsv_1", member_id="mbr_1", store_id="st_1", sku="JKT", size="M",
                            hold_hours=48, idempotency_key="k1", offer_id=None, now=NOW)
    return Reservation(**{**{f: getattr(made, f) for f in made.__slots__}, **changes})


def test_a_new_reservation_is_held_until_its_hours_have_passed():
    made = _reservation()
    assert made.status is ReservationStatus.HELD and made.open
    assert made.hold_until == NOW + timedelta(hours=48)
    assert made.created_at == made.updated_at == NOW


def test_a_repeat_is_the_same_member_store_sku_and_size():
    made = _reservation()
    assert reservations.same_request(made, member_id="mbr_1", store_id="st_1", sku="JKT", size="M")
    for other in ({"member_id": "mbr_2"}, {"store_id": "st_2"}, {"sku": "TEE"}, {"size": "L"}):
        request = {"member_id": "mbr_1", "store_id": "st_1", "sku": "JKT", "size": "M", **other}
        assert not reservations.same_request(made, **request)


def test_the_open_reservation_limit():
    reservations.check_open_limit(2, 3)
    with pytest.raises(Conflict, match="at most 3") as refused:
        reservations.check_open_limit(3, 3)
    assert refused.value.details["limit"] == 3


@pytest.mark.parametrize("status", [ReservationStatus.FULFILLED, ReservationStatus.CANCELLED,
                                    ReservationStatus.EXPIRED])
def test_a_reservation_closes_once(status):
    later = NOW + timedelta(hours=1)
    closed = reservations.close(_reservation(), status, at=later, by="why " * 100)
    assert (closed.status, closed.updated_at, closed.open) == (status, later, False)
    assert len(closed.closed_by) == 160
    with pytest.raises(Conflict, match=f"already {status.lower()}"):
        reservations.close(closed, ReservationStatus.CANCELLED, at=later, by="again")


def test_closing_into_held_is_a_programming_error():
    with pytest.raises(ValueError):
        reservations.close(_reservation(), ReservationStatus.HELD, at=NOW, by="x")


def test_a_reservation_is_due_to_expire_at_its_hold_time_exactly():
    made = _reservation()
    assert not reservations.due_to_expire(made, made.hold_until - timedelta(microseconds=1))
    assert reservations.due_to_expire(made, made.hold_until)
    assert not reservations.due_to_expire(_reservation(status=ReservationStatus.CANCELLED), made.hold_until)


MEMBER = Principal("mbr_1", Role.MEMBER)
CASHIER_HERE = Principal("csh_1", Role.CASHIER, store="st_1")
CASHIER_THERE = Principal("csh_2", Role.CASHIER, store="st_2")
SUPERVISOR = Principal("sup_1", Role.SUPERVISOR)
ADMIN = Principal("adm_1", Role.ADMIN)
SERVICE = Principal("service:rewards", Role.SERVICE)


@pytest.mark.parametrize("who", [MEMBER, CASHIER_HERE, SUPERVISOR, ADMIN, SERVICE])
def test_who_may_reserve_and_touch(who):
    reservations.check_may_reserve(who, "st_1")
    reservations.check_may_touch(who, _reservation())
    assert reservations.visible_to(who, _reservation())


def test_a_cashier_of_another_store_may_not_reserve_touch_or_see():
    with pytest.raises(Forbidden, match="cashier of store st_2 cannot reserve at st_1"):
        reservations.check_may_reserve(CASHIER_THERE, "st_1")
    with pytest.raises(Forbidden):
        reservations.check_may_touch(CASHIER_THERE, _reservation())
    assert not reservations.visible_to(CASHIER_THERE, _reservation())


@pytest.mark.parametrize("who", [CASHIER_HERE, SUPERVISOR, ADMIN, SERVICE])
def test_staff_fulfil(who):
    reservations.check_may_fulfil(who, _reservation())


@pytest.mark.parametrize("who", [MEMBER, CASHIER_THERE])
def test_members_and_other_stores_do_not_fulfil(who):
    with pytest.raises(Forbidden):
        reservations.check_may_fulfil(who, _reservation())


@pytest.mark.parametrize("size", [None, "M"])
def test_reservation_facts_round_trip(size):
    made = _reservation(offer_id="off_1", closed_by="x", size=size)
    facts = reservations.reservation_facts(made)
    assert facts["status"] == "HELD" and facts["size"] == size
    assert reservations.reservation_from_facts(facts) == made


def test_a_reservation_an_offer_made_remembers_the_offer():
    made = reservations.new(reservation_id="rsv_2", member_id="mbr_1", store_id="st_1", sku="JKT", size=None,
                            hold_hours=1, idempotency_key="k2", offer_id="off_9", now=NOW)
    assert (made.offer_id, made.size, made.hold_until) == ("off_9", None, NOW + timedelta(hours=1))


# --- product interest -------------------------------------------------------------------------------------


def test_a_view_counts_unless_it_repeats_within_the_interval():
    assert interest.counts(None, NOW)
    assert not interest.counts(NOW - timedelta(minutes=29, seconds=59), NOW)
    assert interest.counts(NOW - timedelta(minutes=30), NOW)
    assert interest.counts(NOW - timedelta(minutes=5), NOW, repeat=timedelta(minutes=5))


def _view(sku: str, ago: timedelta) -> View:
    return View("mbr_1", sku, "M", NOW - ago, "ECOMMERCE")


def test_the_window_excludes_its_start_and_includes_now():
    views = [_view("A", timedelta(days=7)), _view("B", timedelta(days=7) - timedelta(seconds=1)),
             _view("C", timedelta(0)), _view("D", -timedelta(seconds=1))]
    assert [v.sku for v in interest.views_in_window(views, NOW)] == ["B", "C"]


def test_interest_per_product_most_recent_first():
    views = [_view("A", timedelta(days=3)), _view("B", timedelta(days=2)), _view("A", timedelta(hours=1)),
             _view("A", timedelta(days=8)), _view("C", timedelta(hours=1))]
    assert interest.interest(views, NOW) == [
        Interest("C", 1, NOW - timedelta(hours=1)),
        Interest("A", 2, NOW - timedelta(hours=1)),
        Interest("B", 1, NOW - timedelta(days=2)),
    ]
    assert interest.interest(views, NOW, window=timedelta(days=1)) == [
        Interest("C", 1, NOW - timedelta(hours=1)), Interest("A", 1, NOW - timedelta(hours=1))]
    assert interest.interest([], NOW) == []
