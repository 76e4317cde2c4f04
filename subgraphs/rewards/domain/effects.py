"""What a campaign does when it applies: typed effect specs, written by marketers as
JSON and checked at upsert, so that a checkout never meets a spec it cannot apply.
No I/O here.

The kinds (README "Campaign effects" shows an example of each):

    {"type": "discount", "percent": 10}                              the whole cart
    {"type": "discount", "amount": "5.00"}                           off the cart
    {"type": "discount", "percent": 20, "skus": ["JKT-1"]}           lines of these SKUs
    {"type": "discount", "amount": "2.00", "categories": ["Socks"]}  per unit, lines of these categories
    {"type": "discount", "percent": 15, "per_line": true}            every line
    {"type": "add_points", "points": 100}                            fixed, spread over the lines
    {"type": "add_points", "multiplier": 2, "categories": [...]}     the lines' base points x2
    {"type": "free_shipping"}
    {"type": "issue_coupon", "amount": "10.00", "valid_days": 30, "description": "10 off your next visit"}
    {"type": "issue_coupon", "percent": 15, "valid_days": 14}
    {"type": "issue_offer", "kind": "RESERVATION", "message": "Want us to reserve one for you?",
     "reason": "You viewed the {event.product.name} {event.views_in_window} times this week", "valid_hours": 48}
    {"type": "issue_offer", "kind": "BONUS_POINTS", "message": "Double points on matching items",
     "reason": "...", "valid_hours": 336, "effects": [{"type": "add_points", "multiplier": 2, "categories": [...]}]}
    {"type": "issue_offer", "kind": "DISCOUNT", "percent": 20, "message": "...", "reason": "...", "valid_hours": 168}

Discounts and per-line points need a basket: only `basket` campaigns have them. Offers come from
events: every trigger but `basket` (a purchase has its own trigger). `value` (optional, money) is
what an offer is worth to the member, for the next best offer when several are eligible.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import orjson

from core.errors import BadUserInput
from subgraphs.kernel.bounds import MAX_INT, MAX_SKU_LENGTH

from .offers import MAX_VALID_HOURS, OfferKind, OfferSpec, check_template

MAX_SPEC_LENGTH = 2000
MAX_EFFECTS = 20
MAX_TARGETS = 100  # SKUs or categories one spec names
MAX_DISCOUNT_AMOUNT = Decimal(1_000_000)
MAX_MULTIPLIER = Decimal(100)
MAX_VALID_DAYS = 3650
MAX_DESCRIPTION = 200


class EffectType(StrEnum):
    DISCOUNT = "discount"
    ADD_POINTS = "add_points"
    FREE_SHIPPING = "free_shipping"
    ISSUE_COUPON = "issue_coupon"
    ISSUE_OFFER = "issue_offer"


NEEDS_A_BASKET = frozenset({EffectType.DISCOUNT, EffectType.FREE_SHIPPING})


@dataclass(frozen=True, slots=True)
class Target:
    """Which lines an effect reaches: the whole cart, every line, or lines by SKU or category."""

    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()  # compared case-insensitively
    per_line: bool = False

    @property
    def cart(self) -> bool:
        return not (self.skus or self.categories or self.per_line)

    def matches(self, sku: str, category: str | None) -> bool:
        if self.cart or self.per_line:
            return True
        return sku in self.skus or (category is not None and category.casefold() in self.categories)


@dataclass(frozen=True, slots=True)
class Discount:
    target: Target
    percent: Decimal | None = None  # 0 < percent <= 100
    amount: Decimal | None = None  # off the cart, or off each unit of the matched lines


@dataclass(frozen=True, slots=True)
class AddPoints:
    target: Target
    points: int | None = None  # fixed, spread over the lines
    multiplier: Decimal | None = None  # the matched lines' base points times this


@dataclass(frozen=True, slots=True)
class FreeShipping:
    pass


@dataclass(frozen=True, slots=True)
class IssueCoupon:
    valid_days: int
    description: str
    amount: Decimal | None = None
    percent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class IssueOffer:
    offer: OfferSpec
    value: Decimal | None = None  # what it is worth to the member (next best offer)


EffectSpec = Discount | AddPoints | FreeShipping | IssueCoupon | IssueOffer


def parse_effects(specs: list[str], *, basket: bool, field: str = "effects") -> tuple[EffectSpec, ...]:
    """Every spec of a campaign (or a variant), or BAD_USER_INPUT naming the first bad one."""
    if len(specs) > MAX_EFFECTS:
        raise BadUserInput(f"a campaign has at most {MAX_EFFECTS} effects", field=field)
    return tuple(parse_effect(spec, basket=basket, position=n, field=field) for n, spec in enumerate(specs, 1))


def parse_effect(text: str, *, basket: bool, position: int = 1, field: str = "effects") -> EffectSpec:
    where = f"effect {position}"

    def bad(message: str) -> BadUserInput:
        return BadUserInput(f"{where}: {message}", field=field, position=position)

    if len(text) > MAX_SPEC_LENGTH:
        raise bad(f"a spec has at most {MAX_SPEC_LENGTH} characters")
    try:
        spec = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise bad(f"not JSON ({error})") from None
    if not isinstance(spec, dict):
        raise bad('a spec is a JSON object such as {"type": "discount", "percent": 10}')
    kind = spec.get("type")
    try:
        effect_type = EffectType(kind)
    except ValueError:
        raise bad(f"type must be one of {', '.join(t.value for t in EffectType)}, not {kind!r}") from None
    if effect_type in NEEDS_A_BASKET and not basket:
        raise bad(f"{effect_type.value} needs a basket: only campaigns with the trigger 'basket' have it")
    if effect_type is EffectType.ISSUE_OFFER and basket:
        raise bad("offers come from events: use the trigger 'purchase' for an offer after a checkout")
    reader = _Reader(spec, bad)
    if effect_type is EffectType.DISCOUNT:
        target = reader.target()
        percent, amount = reader.percent_or_amount()
        reader.done()
        return Discount(target, percent, amount)
    if effect_type is EffectType.ADD_POINTS:
        target = reader.target()
        points = reader.integer("points", 1, MAX_INT)
        multiplier = reader.decimal("multiplier", Decimal(1), MAX_MULTIPLIER, exclusive_low=True)
        if (points is None) == (multiplier is None):
            raise bad("add_points needs either points (a fixed number) or multiplier (of the lines' base points)")
        if multiplier is not None and not basket:
            raise bad("a multiplier needs a basket: only campaigns with the trigger 'basket' have one")
        if points is not None and not target.cart:
            raise bad("fixed points go to the whole basket: drop skus, categories and per_line")
        reader.done()
        return AddPoints(target, points, multiplier)
    if effect_type is EffectType.FREE_SHIPPING:
        reader.done()
        return FreeShipping()
    if effect_type is EffectType.ISSUE_OFFER:
        return _offer(reader, bad)
    percent, amount = reader.percent_or_amount()
    valid_days = reader.integer("valid_days", 1, MAX_VALID_DAYS)
    if valid_days is None:
        raise bad("issue_coupon needs valid_days (1 to 3650)")
    description = reader.text("description") or (f"{amount} off" if amount is not None else f"{percent}% off")
    reader.done()
    return IssueCoupon(valid_days, description, amount, percent)


def _offer(reader: _Reader, bad) -> IssueOffer:  # noqa: ANN001
    kind_name = reader.text("kind")
    try:
        kind = OfferKind(kind_name or "")
    except ValueError:
        raise bad(f"kind must be one of {', '.join(k.value for k in OfferKind)}") from None
    try:
        message = check_template(reader.text("message") or "", "message")
        reason = check_template(reader.text("reason") or "", "reason")
    except BadUserInput as error:
        raise bad(error.message) from None
    valid_hours = reader.integer("valid_hours", 1, MAX_VALID_HOURS)
    if valid_hours is None:
        raise bad(f"issue_offer needs valid_hours (1 to {MAX_VALID_HOURS})")
    hold_hours = reader.integer("hold_hours", 1, 168)
    value = reader.decimal("value", Decimal(0), MAX_DISCOUNT_AMOUNT)
    nested = reader.objects("effects")
    percent = amount = None
    if kind in (OfferKind.DISCOUNT, OfferKind.GIFT):
        if kind is OfferKind.DISCOUNT or "percent" in reader.spec or "amount" in reader.spec:
            percent, amount = reader.percent_or_amount()
    if kind is OfferKind.BONUS_POINTS:
        if not nested:
            raise bad("a BONUS_POINTS offer needs effects: the basket effects it gives, e.g. a multiplier")
        for position, spec in enumerate(nested, 1):
            parsed = parse_effect(orjson.dumps(spec).decode(), basket=True, position=position)
            if isinstance(parsed, IssueCoupon | IssueOffer):
                raise bad(f"a bonus offer's effect {position} must act on the basket")
    elif "effects" in reader.spec:
        raise bad("only a BONUS_POINTS offer has effects")
    reader.done()
    return IssueOffer(OfferSpec(kind, message, reason, valid_hours, hold_hours or 48,
                                tuple(orjson.dumps(spec).decode() for spec in nested), amount, percent), value)


class _Reader:
    """Reads the fields of one spec, refusing wrong types and unknown fields by name."""

    def __init__(self, spec: dict[str, Any], bad) -> None:  # noqa: ANN001
        self.spec = spec
        self.bad = bad
        self.read = {"type"}

    def _get(self, name: str) -> Any:
        self.read.add(name)
        return self.spec.get(name)

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = self._get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.bad(f"{name} must be a whole number from {low} to {high}")
        return value

    def decimal(self, name: str, low: Decimal, high: Decimal, *, exclusive_low: bool = False) -> Decimal | None:
        value = self._get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.bad(f"{name} must be a number")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.bad(f"{name} must be a number, not {str(value)[:40]!r}") from None
        too_low = number <= low if exclusive_low else number < low
        if not number.is_finite() or too_low or number > high:
            bound = "above" if exclusive_low else "at least"
            raise self.bad(f"{name} must be {bound} {low} and at most {high}")
        if number.as_tuple().exponent < -2:  # type: ignore[operator]
            raise self.bad(f"{name} has at most 2 decimal places")
        return number

    def percent_or_amount(self) -> tuple[Decimal | None, Decimal | None]:
        percent = self.decimal("percent", Decimal(0), Decimal(100), exclusive_low=True)
        amount = self.decimal("amount", Decimal(0), MAX_DISCOUNT_AMOUNT, exclusive_low=True)
        if (percent is None) == (amount is None):
            raise self.bad("give either percent (0 to 100) or amount (a money amount such as \"5.00\")")
        return percent, amount

    def text(self, name: str) -> str | None:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_DESCRIPTION:
            raise self.bad(f"{name} must be a text of 1 to {MAX_DESCRIPTION} characters")
        return value.strip()

    def names(self, name: str, limit: int) -> frozenset[str]:
        value = self._get(name)
        if value is None:
            return frozenset()
        if not isinstance(value, list) or not value or len(value) > MAX_TARGETS or not all(
                isinstance(v, str) and v.strip() and len(v) <= limit for v in value):
            raise self.bad(f"{name} must be a list of 1 to {MAX_TARGETS} names of at most {limit} characters")
        return frozenset(v.strip() for v in value)

    def objects(self, name: str) -> list[dict[str, Any]]:
        value = self._get(name)
        if value is None:
            return []
        if not isinstance(value, list) or len(value) > MAX_EFFECTS or not all(isinstance(v, dict) for v in value):
            raise self.bad(f"{name} must be a list of at most {MAX_EFFECTS} effect objects")
        return value

    def target(self) -> Target:
        skus = self.names("skus", MAX_SKU_LENGTH)
        categories = frozenset(c.casefold() for c in self.names("categories", 100))
        per_line = self._get("per_line")
        if per_line is not None and not isinstance(per_line, bool):
            raise self.bad("per_line must be true or false")
        if per_line and (skus or categories):
            raise self.bad("per_line means every line: drop skus and categories, or per_line")
        return Target(skus, categories, bool(per_line))

    def done(self) -> None:
        unknown = sorted(set(self.spec) - self.read)
        if unknown:
            raise self.bad(f"unknown field {unknown[0]!r}")
