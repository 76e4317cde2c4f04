"""The rewards engine's domain: baskets in, effects out. No I/O here.

`evaluate` is the dry run every channel calls; checkout records its result and
posts the points. Points are attributed per line, so that a return takes back
exactly what its line earned.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from core.errors import BadUserInput, Conflict
from core.vocabulary import Channel
from subgraphs.kernel.bounds import MAX_INT, MAX_SIZE_LENGTH, check_aware, check_id, check_length, check_sku

CENT = Decimal("0.01")
MAX_LINES = 1000  # what the best engines accept in one session
MAX_QUANTITY = 10_000
MAX_EXTERNAL_ID = 128
MAX_UNIT_PRICE = Decimal(1_000_000)  # beyond any till's price: a typo or an attack, refused for everyone
MAX_COUPON_CODES = 30  # what the best engines accept in one call
MAX_COUPON_CODE_LENGTH = 64
BASE_EARN_RATE = Decimal(1)  # points per currency unit, before campaigns


class EffectKind(StrEnum):
    DISCOUNT = "DISCOUNT"
    ADD_POINTS = "ADD_POINTS"
    COUPON_ACCEPTED = "COUPON_ACCEPTED"
    COUPON_REJECTED = "COUPON_REJECTED"
    FREE_SHIPPING = "FREE_SHIPPING"
    ISSUE_OFFER = "ISSUE_OFFER"
    ISSUE_COUPON = "ISSUE_COUPON"


@dataclass(frozen=True, slots=True)
class BasketLine:
    sku: str
    quantity: int
    unit_price: Decimal
    size: str | None = None


@dataclass(frozen=True, slots=True)
class Basket:
    channel: Channel
    lines: tuple[BasketLine, ...]
    store_id: str | None = None
    coupon_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Effect:
    kind: EffectKind
    description: str
    amount: Decimal | None = None
    points: int | None = None
    coupon_code: str | None = None
    sku: str | None = None
    campaign_id: str | None = None


@dataclass(frozen=True, slots=True)
class LineResult:
    line_id: str  # the line's position in the basket, "1", "2", ...
    sku: str
    quantity: int
    unit_price: Decimal
    size: str | None
    amount: Decimal  # after discounts
    points: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    subtotal: Decimal
    discount: Decimal
    total: Decimal
    points_to_earn: int
    effects: tuple[Effect, ...]
    lines: tuple[LineResult, ...] = field(default=())


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def validate_basket(basket: Basket) -> Basket:
    """The basket as it will be stored (SKUs, sizes and the store id trimmed), or
    BAD_USER_INPUT naming the first line that cannot be stored or priced."""
    if not basket.lines:
        raise BadUserInput("a basket needs at least one line", field="lines")
    if len(basket.lines) > MAX_LINES:
        raise BadUserInput(f"a basket has at most {MAX_LINES} lines", field="lines")
    if len(basket.coupon_codes) > MAX_COUPON_CODES:
        raise BadUserInput(f"a basket carries at most {MAX_COUPON_CODES} coupon codes", field="couponCodes")
    for code in basket.coupon_codes:
        check_length(code, MAX_COUPON_CODE_LENGTH, "couponCodes", "a coupon code")
    lines = []
    for number, line in enumerate(basket.lines, start=1):
        if not line.sku.strip():
            raise BadUserInput(f"line {number} has no SKU", field="lines")
        sku = check_sku(line.sku, "lines")
        size = line.size.strip() if line.size is not None else None
        if size is not None:
            check_length(size, MAX_SIZE_LENGTH, "lines", f"line {number}: a size")
        if not 0 < line.quantity <= MAX_QUANTITY:
            raise BadUserInput(f"line {number}: quantity must be between 1 and {MAX_QUANTITY}", field="lines")
        if not line.unit_price.is_finite() or line.unit_price < 0:
            raise BadUserInput(f"line {number}: unit price must be a non-negative amount", field="lines")
        if line.unit_price > MAX_UNIT_PRICE:
            raise BadUserInput(f"line {number}: unit price must be at most {MAX_UNIT_PRICE}", field="lines")
        lines.append(BasketLine(sku, line.quantity, line.unit_price, size or None))
    store_id = check_id(basket.store_id, "storeId") if basket.store_id is not None else None
    return replace(basket, lines=tuple(lines), store_id=store_id)


def check_occurred_at(occurred_at: datetime, now: datetime, *, max_age: timedelta, max_skew: timedelta
                      ) -> datetime:
    """When a purchase happened, as the channel says: with a zone, not in the future
    (beyond clock drift) and not so long ago that its points would be born expired."""
    check_aware(occurred_at, "occurredAt")
    if occurred_at > now + max_skew:
        raise BadUserInput("occurredAt is in the future", field="occurredAt")
    if occurred_at < now - max_age:
        raise BadUserInput(f"occurredAt is more than {max_age.days} days ago", field="occurredAt")
    return occurred_at


@dataclass(frozen=True, slots=True)
class CheckoutLimits:
    """Prices come from the till and are trusted (catalogues lag), within these
    bounds; above them a checkout needs a supervisor."""

    max_line_amount: Decimal
    max_basket_amount: Decimal
    max_line_points: int
    max_basket_points: int
    max_price_factor: Decimal  # a unit price above this many times the catalogue price


def limit_breaches(evaluation: Evaluation, limits: CheckoutLimits, catalogue_prices: Mapping[str, Decimal]
                   ) -> list[str]:
    """What in an evaluated basket goes past the limits, in words for the cashier; empty when nothing."""
    breaches: list[str] = []
    for line in evaluation.lines:
        if line.amount > limits.max_line_amount:
            breaches.append(f"line {line.line_id} ({line.sku}) comes to {line.amount}, "
                            f"above the line limit of {limits.max_line_amount}")
        if line.points > limits.max_line_points:
            breaches.append(f"line {line.line_id} ({line.sku}) earns {line.points} points, "
                            f"above the line limit of {limits.max_line_points}")
        listed = catalogue_prices.get(line.sku)
        if listed is not None and line.unit_price > listed * limits.max_price_factor:
            breaches.append(f"line {line.line_id} ({line.sku}) is priced {line.unit_price}, more than "
                            f"{limits.max_price_factor} times the catalogue price of {listed}")
    if evaluation.subtotal > limits.max_basket_amount:
        breaches.append(f"the basket comes to {evaluation.subtotal}, above the limit of {limits.max_basket_amount}")
    if evaluation.points_to_earn > limits.max_basket_points:
        breaches.append(f"the basket earns {evaluation.points_to_earn} points, "
                        f"above the limit of {limits.max_basket_points}")
    return breaches


def validate_external_id(external_id: str) -> str:
    cleaned = external_id.strip()
    if not cleaned or len(cleaned) > MAX_EXTERNAL_ID:
        raise BadUserInput(f"externalId must have 1 to {MAX_EXTERNAL_ID} characters", field="externalId")
    return cleaned


def evaluate(basket: Basket, *, member_known: bool) -> Evaluation:
    """The effects of a basket. Unknown SKUs are normal (catalogues lag) and earn
    like any other line. Anonymous baskets earn nothing."""
    basket = validate_basket(basket)
    effects: list[Effect] = []
    results: list[LineResult] = []
    for number, line in enumerate(basket.lines, start=1):
        amount = money(line.unit_price * line.quantity)
        points = int((amount * BASE_EARN_RATE).to_integral_value(rounding=ROUND_FLOOR)) if member_known else 0
        results.append(LineResult(str(number), line.sku, line.quantity, line.unit_price, line.size, amount, points))
    for code in basket.coupon_codes:
        # No coupon has been issued by this engine yet, so every code is unknown here.
        effects.append(Effect(EffectKind.COUPON_REJECTED, f"coupon {code} is not valid", coupon_code=code))
    subtotal = money(sum((r.amount for r in results), Decimal(0)))
    discount = Decimal("0.00")
    points = sum(r.points for r in results)
    if points > MAX_INT:
        raise BadUserInput(f"this basket would earn {points} points, more than a posting can hold ({MAX_INT})",
                           field="lines")
    if points:
        effects.append(Effect(EffectKind.ADD_POINTS, f"{points} points: 1 point per 1.00 spent", points=points))
    return Evaluation(subtotal, discount, money(subtotal - discount), points, tuple(effects), tuple(results))


def evaluation_facts(evaluation: Evaluation) -> dict[str, Any]:
    """A stored evaluation (for replays of a checkout) and the event payload."""
    return {
        "subtotal": str(evaluation.subtotal),
        "discount": str(evaluation.discount),
        "total": str(evaluation.total),
        "points_to_earn": evaluation.points_to_earn,
        "effects": [
            {"kind": str(e.kind), "description": e.description,
             "amount": str(e.amount) if e.amount is not None else None, "points": e.points,
             "coupon_code": e.coupon_code, "sku": e.sku, "campaign_id": e.campaign_id}
            for e in evaluation.effects
        ],
        "lines": [
            {"line_id": r.line_id, "sku": r.sku, "quantity": r.quantity, "unit_price": str(r.unit_price),
             "size": r.size, "amount": str(r.amount), "points": r.points}
            for r in evaluation.lines
        ],
    }


def evaluation_from_facts(facts: dict[str, Any]) -> Evaluation:
    def dec(value: str | None) -> Decimal | None:
        return Decimal(value) if value is not None else None

    return Evaluation(
        subtotal=Decimal(facts["subtotal"]),
        discount=Decimal(facts["discount"]),
        total=Decimal(facts["total"]),
        points_to_earn=facts["points_to_earn"],
        effects=tuple(
            Effect(EffectKind(e["kind"]), e["description"], dec(e["amount"]), e["points"], e["coupon_code"],
                   e["sku"], e["campaign_id"])
            for e in facts["effects"]
        ),
        lines=tuple(
            LineResult(r["line_id"], r["sku"], r["quantity"], Decimal(r["unit_price"]), r["size"],
                       Decimal(r["amount"]), r["points"])
            for r in facts["lines"]
        ),
    )


def same_basket(evaluation: Evaluation, basket: Basket) -> bool:
    """Is this basket the one the evaluation was made for (a replay of one checkout)?"""
    recorded = [(r.sku, r.quantity, r.unit_price, r.size) for r in evaluation.lines]
    return recorded == [(ln.sku, ln.quantity, ln.unit_price, ln.size) for ln in basket.lines]


@dataclass(frozen=True, slots=True)
class ReturnRequest:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ReturnedLine:
    line_id: str
    sku: str
    quantity: int
    points: int  # what the returned units earned, taken back
    amount: Decimal | None  # what the returned units cost (their share of the line's amount); None on
    #                         returns recorded before amounts were kept


def line_reversal(earned: int, quantity: int, returned_before: int, returning: int) -> int:
    """The points a return of `returning` units takes back from a line that earned
    `earned` points for `quantity` units. Cumulative, so returning every unit, in
    any number of returns, takes back exactly what the line earned."""
    if returning <= 0 or returned_before < 0 or returned_before + returning > quantity:
        raise BadUserInput("a return cannot take back more units than the line had")
    return earned * (returned_before + returning) // quantity - earned * returned_before // quantity


def line_refund(amount: Decimal, quantity: int, returned_before: int, returning: int) -> Decimal:
    """What `returning` units of a line that came to `amount` for `quantity` units cost: the
    line's amount pro rata per unit, in whole cents, cumulative like `line_reversal`, so the
    returns of a line never add up to more than its amount and every unit back adds up to
    exactly its amount."""
    if returning <= 0 or returned_before < 0 or returned_before + returning > quantity:
        raise BadUserInput("a return cannot take back more units than the line had")
    cents = int((amount / CENT).to_integral_value(rounding=ROUND_FLOOR))
    refunded = cents * (returned_before + returning) // quantity - cents * returned_before // quantity
    return (Decimal(refunded) * CENT).quantize(CENT)


def allocate_return(purchase: Evaluation, returned_before: Mapping[str, int], requested: Sequence[ReturnRequest]
                    ) -> list[ReturnedLine]:
    """Which purchase lines a return takes units from (a SKU on several lines: in
    order), and the points each gives back. Units already returned cannot be
    returned again (CONFLICT)."""
    if not requested:
        raise BadUserInput("a return needs at least one line", field="lines")
    wanted: dict[str, int] = {}
    for line in requested:
        if line.quantity <= 0 or line.quantity > MAX_QUANTITY:
            raise BadUserInput(f"{line.sku}: return between 1 and {MAX_QUANTITY} units", field="lines")
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    result: list[ReturnedLine] = []
    for sku, quantity in wanted.items():
        lines = [line for line in purchase.lines if line.sku == sku]
        if not lines:
            raise BadUserInput(f"{sku} was not in this purchase", field="lines")
        left = sum(line.quantity - returned_before.get(line.line_id, 0) for line in lines)
        if quantity > left:
            raise Conflict(f"{sku}: {left} of the purchased units can still be returned, not {quantity}")
        for line in lines:
            before = returned_before.get(line.line_id, 0)
            take = min(quantity, line.quantity - before)
            if take <= 0:
                continue
            result.append(ReturnedLine(line.line_id, sku, take, line_reversal(line.points, line.quantity, before, take),
                                       line_refund(line.amount, line.quantity, before, take)))
            quantity -= take
            if not quantity:
                break
    return result


def returned_amount(lines: Sequence[ReturnedLine]) -> Decimal:
    """What a return gives back in money: its lines' amounts."""
    return money(sum((line.amount or Decimal(0) for line in lines), Decimal(0)))


def return_facts(lines: Sequence[ReturnedLine]) -> dict[str, Any]:
    """The money and units of a return, for its event (PurchaseReturned): consumers such as
    profile's traits keep a member's spend net of returns without asking for the purchase."""
    return {
        "amount": str(returned_amount(lines)),
        "lines": [{"line_id": ln.line_id, "sku": ln.sku, "quantity": ln.quantity, "points": ln.points,
                   "amount": str(ln.amount) if ln.amount is not None else None} for ln in lines],
    }


def purchase_description(channel: Channel) -> str:
    """How a purchase reads in the member's activity (the externalId is its reference)."""
    return {
        Channel.POS: "In-store purchase",
        Channel.ECOMMERCE: "Online purchase",
        Channel.APP: "In-app purchase",
    }.get(channel, "Purchase")


def return_description(channel: Channel) -> str:
    return {
        Channel.POS: "Returned in store",
        Channel.ECOMMERCE: "Returned online purchase",
        Channel.APP: "Returned in-app purchase",
    }.get(channel, "Returned items")


def earning_lines(evaluation: Evaluation) -> Sequence[LineResult]:
    """The lines that earned something: what the ledger records per line."""
    return [r for r in evaluation.lines if r.points > 0]


RETRY_CAP = timedelta(hours=1)


def retry_after(attempts: int, *, first: timedelta, max_attempts: int, cap: timedelta = RETRY_CAP
                ) -> timedelta | None:
    """How long to wait after `attempts` failed tries to post to the ledger: doubling
    from `first` up to `cap`; None once `max_attempts` have failed (park it)."""
    if attempts >= max_attempts:
        return None
    return min(first * 2 ** (attempts - 1), cap)
