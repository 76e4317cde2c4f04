"""The screens' pure rules (wallet_ui/words.py, till_api.py, state.py): errors in words,
what the cashier typed, the basket's lines and the BasketInput they make, live
reservation updates, the member card's QR code."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wallet_ui import gateway, till_api, words
from wallet_ui.gateway import GatewayError
from wallet_ui.state import card_qr, reservation_news, reservation_row, with_reservation

SHOE = {"sku": "SHO-RIDGE-TR", "name": "Ridge Trail Running Shoe", "price": "139.95"}
SOCKS = {"sku": "SOK-CREW-3PK", "name": "Crew Running Socks (3 pack)", "price": "24.00"}


@pytest.mark.parametrize(("message", "code", "shown"), [
    ("the staff id or the PIN is not right", "UNAUTHENTICATED", "The staff id or the PIN is not right."),
    ("no member with the email a@b.c", "NOT_FOUND", "No member with the email a@b.c."),
    ("a cashier may only check out at their own store", "FORBIDDEN",
     "A cashier may only check out at their own store."),
    ("quantity must be between 1 and 10000", "BAD_USER_INPUT", "Quantity must be between 1 and 10000."),
    ("not enough points!", "CONFLICT", "Not enough points!"),
    ("ledger: connection refused at 127.0.0.1:4002", "SUBGRAPH_UNAVAILABLE",
     "Part of the platform is not answering right now. Try again in a moment."),
    ("Traceback (most recent call last): ...", "INTERNAL",
     "Something went wrong on our side. Try again; if it keeps happening, call a supervisor."),
    ("Cannot query field 'x' on type 'Query'.", "GRAPHQL_VALIDATION_FAILED",
     "This screen asked for something the platform does not offer: reload the page."),
    ("something odd", "SOME_NEW_CODE",
     "Something went wrong on our side. Try again; if it keeps happening, call a supervisor."),
    ("the gateway cannot be reached", None, words.UNREACHABLE),
])
def test_errors_are_shown_in_words_never_raw(message: str, code: str | None, shown: str) -> None:
    assert words.error_words(message, code) == shown


async def test_a_gateway_that_cannot_be_reached_reads_as_words() -> None:
    """The screens' one way to the platform, against a port nothing listens on (a refused
    connection, as when the gateway is down): the person reads the unreachable words."""
    with pytest.raises(GatewayError) as refused:
        await gateway.query(None, "{ __typename }", url="http://127.0.0.1:9/graphql")
    assert refused.value.words == words.UNREACHABLE


def test_numbers_money_and_dates_read_like_an_app() -> None:
    assert words.points(5207) == "5,207"
    assert words.signed_points(163) == "+163" and words.signed_points(-50) == "\u221250"
    assert words.money("1234.5") == "$1,234.50" and words.money("-3") == "\u2212$3.00"
    assert words.day("2027-08-03") == "Aug 3, 2027"
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert words.when("2026-11-30T09:05:00+00:00", now) == "today 09:05"
    assert words.when("2026-11-29T23:00:00+00:00", now) == "yesterday"
    assert words.when("2026-11-02T10:00:00+00:00", now) == "Nov 2"
    assert words.when("2025-11-02T10:00:00+00:00", now) == "Nov 2, 2025"


@pytest.mark.parametrize(("typed", "chosen", "kind"), [
    ("503 555 0142", "PHONE", "PHONE"),
    ("julia@example.com", "PHONE", "EMAIL"),              # an @ says email whatever was chosen
    ("mbr_01M8 Q5H9 0Z30 F0X5 SXW0 WAAK 5E", "PHONE", "CODE"),  # the code as printed under the QR
    ("mbr_01M8Q5H90Z30F0X5SXW0WAAK5E", "EMAIL", "CODE"),
    ("LYL 4000 1234 5678", "LOYALTY_CARD", "LOYALTY_CARD"),
    ("12345", "NONSENSE", "PHONE"),
])
def test_the_till_looks_up_by_what_was_typed(typed: str, chosen: str, kind: str) -> None:
    assert till_api.lookup_kind(typed, chosen) == kind


def test_the_wallet_code_is_the_member_id_without_spaces() -> None:
    assert till_api.member_code(" mbr_01M8 Q5H9 0Z30 F0X5 SXW0 WAAK 5E ") == "mbr_01M8Q5H90Z30F0X5SXW0WAAK5E"
    assert till_api.member_code("mbr_short") is None
    assert till_api.member_code("MBR_01m8 q5h9 0z30 f0x5 sxw0 waak 5e") == "mbr_01M8Q5H90Z30F0X5SXW0WAAK5E"  # typed
    assert till_api.member_code("mbr_01M8Q5H90Z30F0X5SXW0WAAK5") is None  # 25: one short, as the words say
    assert till_api.member_code("mbr_01M8Q5H90Z30F0X5SXW0WAAK5EE") is None  # 27
    assert till_api.member_code("mbr_01M8Q5H90Z30F0X5SXW0WAAK5-") is None
    assert till_api.member_code("julia@example.com") is None


@pytest.mark.parametrize(("result", "text", "shown"), [
    ({"outcome": "found", "text": "mbr_01M8Q5H90Z30F0X5SXW0WAAK5E"}, "mbr_01M8Q5H90Z30F0X5SXW0WAAK5E", ""),
    ({"outcome": "found", "text": "https://example.com/menu"}, "https://example.com/menu", ""),  # parsed as typed
    ({"outcome": "cancelled"}, None, ""),
    ({"outcome": "timeout"}, None, till_api.SCAN_TIMED_OUT),
    ({"outcome": "unavailable"}, None, till_api.CAMERA_UNAVAILABLE),
    ({"outcome": "found"}, None, till_api.CAMERA_UNAVAILABLE),  # no text: nothing to look up
    ({"outcome": "found", "text": 12}, None, till_api.CAMERA_UNAVAILABLE),
    ("TypeError: x is undefined", None, till_api.CAMERA_UNAVAILABLE),  # never raw on the screen
    (None, None, till_api.CAMERA_UNAVAILABLE),
])
def test_a_camera_scan_is_a_code_to_look_up_or_words(result: object, text: str | None, shown: str) -> None:
    assert till_api.scan_result(result) == (text, shown)


def test_sizes_sort_like_a_shelf_and_a_new_line_starts_in_stock() -> None:
    stock = [{"size": s, "available": n} for s, n in [("L", 0), ("M", 0), ("S", 3), ("XL", 1), ("XS", 0)]]
    choices = till_api.sizes_of(stock)
    assert [c.size for c in choices] == ["XS", "S", "M", "L", "XL"]
    assert till_api.first_size(choices) == "S"
    assert choices[1].label == "S · 3 left" and choices[0].label == "XS · none here"
    shoes = till_api.sizes_of([{"size": s, "available": 0} for s in ("44", "40", "42")])
    assert [c.size for c in shoes] == ["40", "42", "44"]
    assert till_api.first_size(shoes) == "40"  # none in stock here: still sellable (a catalogue lags)
    assert till_api.sizes_of([{"size": None, "available": 9}]) == [] and till_api.first_size([]) == ""


def test_the_basket_adds_changes_merges_and_removes_lines() -> None:
    lines = till_api.add_line([], SHOE, "41")
    lines = till_api.add_line(lines, SHOE, "41")  # the same product and size: one line of 2
    lines = till_api.add_line(lines, SOCKS, "")
    assert [(ln["sku"], ln["size"], ln["quantity"], ln["amount"]) for ln in lines] == [
        ("SHO-RIDGE-TR", "41", "2", "$279.90"), ("SOK-CREW-3PK", "", "1", "$24.00")]
    lines = till_api.add_line(lines, SHOE, "42")
    lines = till_api.set_size(lines, "SHO-RIDGE-TR|42", "41")  # into the size the basket has: one line
    assert [(ln["key"], ln["quantity"]) for ln in lines] == [("SHO-RIDGE-TR|41", "3"), ("SOK-CREW-3PK|", "1")]
    lines = till_api.set_size(lines, "SHO-RIDGE-TR|41", "43")
    assert lines[0]["key"] == "SHO-RIDGE-TR|43" and lines[0]["amount"] == "$419.85"
    assert till_api.set_quantity(lines, "SOK-CREW-3PK|", 500)[1]["quantity"] == str(till_api.MAX_QUANTITY)
    assert [ln["sku"] for ln in till_api.set_quantity(lines, "SOK-CREW-3PK|", 0)] == ["SHO-RIDGE-TR"]
    assert till_api.set_size(lines, "nothing|here", "M") is lines


def test_the_basket_input_is_a_pos_sale_at_the_tills_store() -> None:
    lines = till_api.add_line(till_api.add_line([], SHOE, "41"), SOCKS, "")
    assert till_api.basket_input(lines, member_id="mbr_1", store_id="st_portland", coupons=["WELCOME10"]) == {
        "channel": "POS", "storeId": "st_portland", "memberId": "mbr_1", "couponCodes": ["WELCOME10"],
        "lines": [{"sku": "SHO-RIDGE-TR", "quantity": 1, "unitPrice": "139.95", "size": "41"},
                  {"sku": "SOK-CREW-3PK", "quantity": 1, "unitPrice": "24.00", "size": None}],
    }
    anonymous = till_api.basket_input(lines, member_id="", store_id="st_portland", coupons=[])
    assert "memberId" not in anonymous and "couponCodes" not in anonymous


def test_each_sale_has_its_own_external_id() -> None:
    first, second = till_api.new_sale_id("st_portland"), till_api.new_sale_id("st_portland")
    assert first.startswith("till-st_portland-") and first != second and len(first) <= 128


def test_effects_say_what_and_why() -> None:
    rows = till_api.effect_rows([
        {"kind": "COUPON_REJECTED", "description": "coupon WELCOME10 is not valid", "couponCode": "WELCOME10"},
        {"kind": "DISCOUNT", "description": "10% off running shoes", "amount": "14.00"},
        {"kind": "ADD_POINTS", "description": "163 points: 1 point per 1.00 spent", "points": 163},
    ])
    assert [(r["tone"], r["text"], r["detail"]) for r in rows] == [
        ("bad", "Coupon WELCOME10 is not valid.", ""),
        ("good", "10% off running shoes.", "\u2212$14.00"),
        ("points", "163 points: 1 point per 1.00 spent.", "+163 pts"),
    ]


def _reservation(status: str, reservation_id: str = "rsv_1") -> dict:
    return {"id": reservation_id, "status": status, "size": "M", "holdUntil": "2026-12-02T10:00:00+00:00",
            "product": {"sku": "JKT-TRAIL-SHELL", "name": "Trail Shell Jacket"},
            "store": {"id": "st_portland", "name": "Portland Pearl District"}}


def test_a_reservation_update_changes_its_row_in_place_and_a_new_one_goes_on_top() -> None:
    rows = [reservation_row(_reservation("HELD", "rsv_1")), reservation_row(_reservation("HELD", "rsv_0"))]
    assert rows[0]["status_words"] == "Ready to pick up" and rows[0]["hold_until"] == "Dec 2, 2026"
    picked_up = with_reservation(rows, _reservation("FULFILLED", "rsv_1"))
    assert [(r["id"], r["status_words"]) for r in picked_up] == [("rsv_1", "Picked up"), ("rsv_0", "Ready to pick up")]
    newer = with_reservation(picked_up, _reservation("HELD", "rsv_2"))
    assert [r["id"] for r in newer] == ["rsv_2", "rsv_1", "rsv_0"]


def test_the_member_card_qr_encodes_the_member_id() -> None:
    uri = card_qr("mbr_01M8Q5H90Z30F0X5SXW0WAAK5E")
    assert uri.startswith("data:image/svg+xml")
    assert card_qr("") == ""
    assert card_qr("mbr_01M8Q5H90Z30F0X5SXW0WAAK5E") == uri and card_qr("mbr_01M8Q5H90Z30F0X5SXW0WAAK5F") != uri


@pytest.mark.parametrize(("extensions", "shown"), [
    ({"reason": "WRONG_CODE", "attemptsLeft": 3}, "That code is not right. You can try 3 more times."),
    ({"reason": "WRONG_CODE", "attemptsLeft": 1}, "That code is not right. You can try 1 more time."),
    ({"reason": "WRONG_CODE", "attemptsLeft": 0}, "That code is not right, and it was the last try. Ask for a new code."),
    ({"reason": "EXPIRED"}, "That code has expired. Ask for a new one."),
    ({"reason": "NO_ATTEMPTS_LEFT", "attemptsLeft": 0}, "Too many wrong tries with that code. Ask for a new one."),
    ({"reason": "TOO_MANY_CODES", "retryAt": "2026-12-01T14:05:09+00:00"},
     "Too many codes were asked for this email. Try again after 14:05 UTC."),
    ({"reason": "TOO_MANY_CODES", "retryAt": "soon"}, "Too many codes were asked for this email. Try again later."),
])
def test_a_refused_sign_in_code_says_what_happened_and_what_to_do(extensions: dict, shown: str) -> None:
    code = "FORBIDDEN" if extensions["reason"] == "TOO_MANY_CODES" else "UNAUTHENTICATED"
    assert words.sign_in_words("raw message", code, extensions) == shown


def test_a_sign_in_refusal_without_a_reason_reads_like_any_error() -> None:
    assert words.sign_in_words("email is not valid", "BAD_USER_INPUT", {}) == "Email is not valid."


def test_a_refused_staff_pin_says_how_many_attempts_are_left() -> None:
    from wallet_ui.words import staff_sign_in_words

    said = "The staff id or the PIN is not right."
    assert staff_sign_in_words(said, "UNAUTHENTICATED", {"attemptsLeft": 2}) == (
        f"{said} 2 attempts left before this id is locked.")
    assert staff_sign_in_words(said, "UNAUTHENTICATED", {"attemptsLeft": 1}).endswith(" 1 attempt left before this id is locked.")
    assert staff_sign_in_words(said, "UNAUTHENTICATED", {"attemptsLeft": 0}) == said
    assert staff_sign_in_words(said, "FORBIDDEN", {"attemptsLeft": 3}) == said
    assert staff_sign_in_words(said, "UNAUTHENTICATED", None) == said


def test_a_held_reservation_that_ends_live_is_news_and_nothing_else_is() -> None:
    rows = [reservation_row(_reservation("HELD", "rsv_1")), reservation_row(_reservation("FULFILLED", "rsv_0"))]
    assert reservation_news(rows, _reservation("CANCELLED", "rsv_1")) == (
        "Your reservation of the Trail Shell Jacket was cancelled: Portland Pearl District no longer holds it.")
    assert reservation_news(rows, _reservation("EXPIRED", "rsv_1")) == (
        "Your reservation of the Trail Shell Jacket has ended: Portland Pearl District no longer holds it.")
    assert reservation_news(rows, _reservation("FULFILLED", "rsv_1")) == "Picked up: enjoy your Trail Shell Jacket."
    assert reservation_news(rows, _reservation("HELD", "rsv_1")) == ""  # a repeat of the hold
    assert reservation_news(rows, _reservation("HELD", "rsv_2")) == ""  # a new hold: it shows in the list
    assert reservation_news(rows, _reservation("CANCELLED", "rsv_0")) == ""  # not held before: no news
