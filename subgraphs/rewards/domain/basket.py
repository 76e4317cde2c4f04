"""Baskets as the channels send them: lines, the store, coupon codes; what may be
stored and priced, and when a purchase may have happened. No I/O here."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from core.errors import BadUserInput
from core.vocabulary import Channel
from subgraphs.kernel.bounds import MAX_SIZE_LENGTH, check_aware, check_id, check_length, check_sku

CENT = Decimal("0.01")
MAX_LINES = 1000  # what the best engines accept in one session
MAX_QUANTITY = 10_000
MAX_EXTERNAL_ID = 128
MAX_UNIT_PRICE = Decimal(1_000_000)  # beyond any till's price: a typo or an attack, refused for everyone
MAX_COUPON_CODES = 30  # what the best engines accept in one call
MAX_COUPON_CODE_LENGTH = 64
BASE_EARN_RATE = Decimal(1)  # points per currency unit, before campaigns


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


def validate_external_id(external_id: str) -> str:
    cleaned = external_id.strip()
    if not cleaned or len(cleaned) > MAX_EXTERNAL_ID:
        raise BadUserInput(f"externalId must have 1 to {MAX_EXTERNAL_ID} characters", field="externalId")
    return cleaned


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


