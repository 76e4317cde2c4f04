"""The till's operations on the public API, and the pure rules of its screen: which
identifier a cashier typed, the basket as lines, the BasketInput it sends, sale ids."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.ids import new_ulid

from . import words
from .gateway import RESERVATION_FIELDS

TILL_MEMBER_FIELDS = f"""
  id givenName familyName email phone enrolledAt
  homeStore {{ id name }}
  tier {{ current {{ name }} next {{ name }} pointsToNext progress }}
  points {{ available pending lifetimeEarned expiringNext {{ points on }} }}
  reservations {{ {RESERVATION_FIELDS} }}
  activity(first: 8) {{ edges {{ node {{ id kind points description occurredAt reference }} }} }}
"""

STAFF_SIGN_IN = """
mutation StaffSignIn($staffId: String!, $pin: String!) {
  staffSignIn(staffId: $staffId, pin: $pin) { token staffId name role expiresAt store { id name city } }
}
"""
STORES = "query Stores { stores { id name city } }"
LOOKUP = f"query Lookup($kind: IdentifierKind!, $value: String!) {{ lookupMember(kind: $kind, value: $value) {{ {TILL_MEMBER_FIELDS} }} }}"
MEMBER = f"query Member($id: ID!) {{ member(id: $id) {{ {TILL_MEMBER_FIELDS} }} }}"
ENROL = "mutation Enrol($input: EnrollMemberInput!) { enrollMember(input: $input) { id } }"
PRODUCTS = """
query Products($search: String) {
  products(search: $search, first: 8) { edges { node { sku name category price } } }
}
"""
PRODUCT_STOCK = """
query ProductStock($sku: ID!, $storeId: ID!) {
  product(sku: $sku) { sku name category price stock(storeId: $storeId) { size available } }
}
"""
EVALUATION_FIELDS = "subtotal discount total pointsToEarn effects { kind description amount points couponCode sku }"
EVALUATE = f"query Evaluate($input: BasketInput!) {{ evaluateBasket(input: $input) {{ {EVALUATION_FIELDS} }} }}"
CHECKOUT = f"""
mutation Checkout($input: CheckoutInput!) {{
  checkout(input: $input) {{
    externalId pointsEarned duplicate evaluation {{ {EVALUATION_FIELDS} }}
    member {{ {TILL_MEMBER_FIELDS} }}
  }}
}}
"""
RECORD_RETURN = f"""
mutation Return($input: ReturnInput!) {{
  recordReturn(input: $input) {{ externalId pointsReversed member {{ {TILL_MEMBER_FIELDS} }} }}
}}
"""
FULFIL = f"mutation Fulfil($id: ID!) {{ fulfillReservation(id: $id) {{ {RESERVATION_FIELDS} }} }}"
ADJUST = """
mutation Adjust($input: AdjustPointsInput!) {
  adjustPoints(input: $input) { id points balanceAfter description }
}
"""

# --- what the cashier typed -----------------------------------------------------------------------

KINDS = {"PHONE": "Phone", "EMAIL": "Email", "LOYALTY_CARD": "Card", "CODE": "Wallet code"}
KIND_LABELS = {"PHONE": "Phone", "EMAIL": "Email", "LOYALTY_CARD": "Card", "CODE": "Code"}
# A member id: mbr_ and a ULID (26 letters and digits, upper case); typed in any case at the till.
MEMBER_CODE = re.compile(r"^mbr_([0-9a-z]{26})$", re.IGNORECASE)


def member_code(value: str) -> str | None:
    """The wallet card's code (a member id, as the QR encodes it or as printed in groups; a
    cashier may type it in lower case): the member id it names, or None."""
    found = MEMBER_CODE.match(re.sub(r"\s+", "", value))
    return f"mbr_{found.group(1).upper()}" if found else None


def lookup_kind(value: str, chosen: str) -> str:
    """What to look a member up by: what the cashier chose, unless the value says otherwise
    (an email has an @, a wallet code starts with mbr_)."""
    cleaned = value.strip()
    if member_code(cleaned):
        return "CODE"
    if "@" in cleaned:
        return "EMAIL"
    return chosen if chosen in KINDS else "PHONE"


CAMERA_UNAVAILABLE = "The camera is not available here: type the code under the card's QR instead."
SCAN_TIMED_OUT = ("No QR code was seen for a minute, so the camera is off: scan again, or type the code under "
                  "the card's QR.")


def scan_result(result: Any) -> tuple[str | None, str]:
    """What a camera scan came back with (wallet_ui/till_scan.py): the QR's text to look up as a
    wallet code, or None and the words to show (none for a cancel)."""
    outcome = result.get("outcome") if isinstance(result, dict) else None
    if outcome == "found" and isinstance(result.get("text"), str):
        return result["text"], ""
    if outcome == "cancelled":
        return None, ""
    if outcome == "timeout":
        return None, SCAN_TIMED_OUT
    return None, CAMERA_UNAVAILABLE


# --- the basket ----------------------------------------------------------------------------------

APPAREL = ["XXS", "XS", "S", "M", "L", "XL", "XXL"]


def size_order(size: str) -> tuple[int, float, str]:
    """XS before S before M ...; 40 before 41; anything else after, by name."""
    if size in APPAREL:
        return (0, APPAREL.index(size), size)
    try:
        return (1, float(size), size)
    except ValueError:
        return (2, 0.0, size)


@dataclass(frozen=True)
class SizeChoice:
    size: str
    available: int

    @property
    def label(self) -> str:
        return f"{self.size} · {self.available} left" if self.available > 0 else f"{self.size} · none here"


def sizes_of(stock: list[dict[str, Any]]) -> list[SizeChoice]:
    return sorted((SizeChoice(level["size"], int(level["available"])) for level in stock if level.get("size")),
                  key=lambda c: size_order(c.size))


def first_size(choices: list[SizeChoice]) -> str:
    """The size a new line starts with: the first one in stock here, else the first one."""
    for choice in choices:
        if choice.available > 0:
            return choice.size
    return choices[0].size if choices else ""


def line_key(sku: str, size: str) -> str:
    return f"{sku}|{size}"


def add_line(lines: list[dict[str, str]], product: dict[str, Any], size: str) -> list[dict[str, str]]:
    """One more of a product in a size: the same product and size is one line."""
    key = line_key(product["sku"], size)
    if any(line["key"] == key for line in lines):
        return set_quantity(lines, key, int(next(ln for ln in lines if ln["key"] == key)["quantity"]) + 1)
    line = {"key": key, "sku": product["sku"], "name": product["name"], "size": size,
            "quantity": "1", "unit_price": str(Decimal(str(product["price"])))}
    return [*lines, _priced(line)]


MAX_QUANTITY = 99  # a till line; the API takes up to 10,000 units, a counter sells fewer


def set_quantity(lines: list[dict[str, str]], key: str, quantity: int) -> list[dict[str, str]]:
    """A quantity of 0 removes the line."""
    quantity = min(max(quantity, 0), MAX_QUANTITY)
    if quantity == 0:
        return [line for line in lines if line["key"] != key]
    return [_priced({**line, "quantity": str(quantity)}) if line["key"] == key else line for line in lines]


def set_size(lines: list[dict[str, str]], key: str, size: str) -> list[dict[str, str]]:
    """A line in another size; if the basket already has that size, the two become one line."""
    line = next((ln for ln in lines if ln["key"] == key), None)
    if line is None or line["size"] == size:
        return lines
    new_key = line_key(line["sku"], size)
    twin = next((ln for ln in lines if ln["key"] == new_key), None)
    if twin is not None:
        merged = set_quantity(lines, new_key, int(twin["quantity"]) + int(line["quantity"]))
        return [ln for ln in merged if ln["key"] != key]
    return [_priced({**ln, "key": new_key, "size": size}) if ln["key"] == key else ln for ln in lines]


def _priced(line: dict[str, str]) -> dict[str, str]:
    amount = Decimal(line["unit_price"]) * int(line["quantity"])
    return {**line, "amount": words.money(amount), "unit_words": words.money(line["unit_price"])}


def basket_input(lines: list[dict[str, str]], *, member_id: str, store_id: str,
                 coupons: list[str]) -> dict[str, Any]:
    """The BasketInput of the contract: a till sale is channel POS at the till's store."""
    basket: dict[str, Any] = {
        "channel": "POS",
        "storeId": store_id,
        "lines": [{"sku": ln["sku"], "quantity": int(ln["quantity"]), "unitPrice": ln["unit_price"],
                   "size": ln["size"] or None} for ln in lines],
    }
    if member_id:
        basket["memberId"] = member_id
    if coupons:
        basket["couponCodes"] = coupons
    return basket


def new_sale_id(store_id: str) -> str:
    """A fresh externalId for each sale; the same one for every retry of that sale, so a
    retry after a lost answer is answered `duplicate: true` and posts nothing twice."""
    return f"till-{store_id or 'store'}-{new_ulid()}"


def new_key(kind: str) -> str:
    return f"till-{kind}-{new_ulid()}"


EFFECT_TONE = {"COUPON_REJECTED": "bad", "COUPON_ACCEPTED": "good", "DISCOUNT": "good", "ADD_POINTS": "points",
               "FREE_SHIPPING": "good"}


def effect_rows(effects: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The engine's effects as the till shows them: what, why, and whether it is good news."""
    rows = []
    for effect in effects:
        kind = effect["kind"]
        detail = ""
        if effect.get("amount") not in (None, ""):
            detail = f"\u2212{words.money(effect['amount'])}"
        elif effect.get("points"):
            detail = f"+{words.points(int(effect['points']))} pts"
        rows.append({"kind": kind, "tone": EFFECT_TONE.get(kind, "info"), "text": words.sentence(effect["description"]),
                     "detail": detail, "code": effect.get("couponCode") or ""})
    return rows
