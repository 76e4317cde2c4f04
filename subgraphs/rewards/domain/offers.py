"""Offers: what a triggered campaign puts in front of one member, with a reason they can
read ("You viewed the Aurora jacket 3 times this week; 2 are left in M at Portland"), an
expiry, and at most one open offer per campaign and member. No I/O here.

    ISSUED -> ACCEPTED -> REDEEMED      (accepted, then used: a reservation, a checkout)
    ISSUED -> DECLINED | EXPIRED
    ISSUED -> REDEEMED                  (a bonus offer used at a checkout without accepting it)

Kinds: RESERVATION (accepting it holds the product at the store), BONUS_POINTS (its basket
effects apply at the member's checkouts until it expires), DISCOUNT and GIFT (accepting
gives a coupon), EARLY_ACCESS (an invitation; accepting says yes).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from core.errors import BadUserInput, Conflict

MAX_TEXT = 300
MAX_VALID_HOURS = 24 * 365
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*){0,3})\}")
PLACEHOLDER_ROOTS = ("event", "member", "campaign")


class OfferKind(StrEnum):
    DISCOUNT = "DISCOUNT"
    BONUS_POINTS = "BONUS_POINTS"
    RESERVATION = "RESERVATION"
    EARLY_ACCESS = "EARLY_ACCESS"
    GIFT = "GIFT"


class OfferStatus(StrEnum):
    ISSUED = "ISSUED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"
    REDEEMED = "REDEEMED"


@dataclass(frozen=True, slots=True)
class OfferSpec:
    """What an `issue_offer` effect says (domain/effects.py parses it)."""

    kind: OfferKind
    message: str  # a template: {event.x}, {member.x}, {campaign.name}
    reason: str  # a template too
    valid_hours: int
    hold_hours: int = 48  # RESERVATION: how long the store holds the unit
    basket_effects: tuple[str, ...] = ()  # BONUS_POINTS: effect specs applied at checkouts (basket effects)
    coupon_amount: Decimal | None = None  # DISCOUNT, GIFT: the coupon accepting gives
    coupon_percent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    id: str
    member_id: str
    campaign_id: str
    kind: OfferKind
    status: OfferStatus
    message: str
    reason: str
    issued_at: datetime
    expires_at: datetime
    sku: str | None = None
    size: str | None = None
    store_id: str | None = None
    hold_hours: int = 48
    basket_effects: tuple[str, ...] = ()
    coupon_amount: Decimal | None = None
    coupon_percent: Decimal | None = None
    expected_value: float | None = None  # what picked it over the campaign's rivals (next best offer)
    reservation_id: str | None = None
    coupon_code: str | None = None
    decided_at: datetime | None = None


def check_template(text: str, field: str) -> str:
    """A message or reason: 1 to 300 characters, placeholders only of event, member or campaign."""
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise BadUserInput(f"{field} has 1 to {MAX_TEXT} characters", field=field)
    for match in PLACEHOLDER.finditer(text):
        if match.group(1).split(".")[0] not in PLACEHOLDER_ROOTS:
            raise BadUserInput(f"{field}: {{{match.group(1)}}} is not a known value (use event.*, member.*, "
                               "campaign.name)", field=field)
    leftover = PLACEHOLDER.sub("", text)
    if "{" in leftover or "}" in leftover:
        raise BadUserInput(f"{field}: a placeholder is {{event.name}} (letters, digits, _ and dots)", field=field)
    return text


def render(template: str, values: Mapping[str, Any]) -> str:
    """Placeholders filled from nested maps (never attributes or calls); a missing value is
    left out, so a reason never shows 'None'. One line of at most MAX_TEXT characters."""
    return " ".join(fill(template, values).split())[:MAX_TEXT]


def fill(template: str, values: Mapping[str, Any]) -> str:
    """`render` without its one-line shape: messages (domain/messages.py) keep their lines."""
    def value(match: re.Match[str]) -> str:
        found: Any = values
        for part in match.group(1).split("."):
            if not isinstance(found, Mapping) or part not in found:
                return ""
            found = found[part]
        if found is None or isinstance(found, Mapping | list):
            return ""
        if isinstance(found, bool):
            return "yes" if found else "no"
        return str(found)

    return PLACEHOLDER.sub(value, template)


def new(spec: OfferSpec, *, offer_id: str, member_id: str, campaign_id: str, values: Mapping[str, Any],
        now: datetime, expected_value: float | None = None) -> Offer:
    """An offer for this member from this event. A RESERVATION offer names the product, size
    and store the event is about (a product_viewed event: the member's home store)."""
    event = values.get("event") or {}
    sku = event.get("sku") if isinstance(event, Mapping) else None
    store = event.get("home_store_id") if isinstance(event, Mapping) else None
    if spec.kind is OfferKind.RESERVATION and (not sku or not store):
        raise Conflict("a reservation offer needs an event about a product and a store (product_viewed)")
    return Offer(offer_id, member_id, campaign_id, spec.kind, OfferStatus.ISSUED, render(spec.message, values),
                 render(spec.reason, values), now, now + timedelta(hours=spec.valid_hours),
                 sku=str(sku) if sku else None, size=event.get("size") if isinstance(event, Mapping) else None,
                 store_id=str(store) if store else None, hold_hours=spec.hold_hours,
                 basket_effects=spec.basket_effects, coupon_amount=spec.coupon_amount,
                 coupon_percent=spec.coupon_percent, expected_value=expected_value)


def status_at(offer: Offer, now: datetime) -> OfferStatus:
    if offer.status in (OfferStatus.ISSUED, OfferStatus.ACCEPTED) and offer.expires_at <= now:
        return OfferStatus.EXPIRED
    return offer.status


def is_open(offer: Offer, now: datetime) -> bool:
    return status_at(offer, now) in (OfferStatus.ISSUED, OfferStatus.ACCEPTED)


def accept(offer: Offer, now: datetime, *, reservation_id: str | None = None, coupon_code: str | None = None
           ) -> Offer:
    status = status_at(offer, now)
    if status is not OfferStatus.ISSUED:
        raise Conflict(f"offer {offer.id} is {status.lower()}")
    # A reservation is used once it is held; a coupon once it is given: both are redeemed offers.
    done = reservation_id is not None or coupon_code is not None
    return replace(offer, status=OfferStatus.REDEEMED if done else OfferStatus.ACCEPTED, decided_at=now,
                   reservation_id=reservation_id, coupon_code=coupon_code)


def decline(offer: Offer, now: datetime) -> Offer:
    status = status_at(offer, now)
    if status is not OfferStatus.ISSUED:
        raise Conflict(f"offer {offer.id} is {status.lower()}")
    return replace(offer, status=OfferStatus.DECLINED, decided_at=now)


def applies_at_checkout(offer: Offer, now: datetime) -> bool:
    """A bonus offer's basket effects apply while it is open (issued or accepted)."""
    return offer.kind is OfferKind.BONUS_POINTS and bool(offer.basket_effects) and is_open(offer, now)


def pick(candidates: list[tuple[float, str]]) -> int:
    """Next best offer: the index of the candidate with the highest expected value (ties: the
    campaign order they came in)."""
    best = 0
    for index, (value, _) in enumerate(candidates):
        if value > candidates[best][0]:
            best = index
    return best


def propensity(lapse_risk: float | None, horizon_days: int, valid_hours: int) -> float:
    """How likely the member is to use an offer before it ends: the chance they shop within its
    `valid_hours`. The churn model gives the chance of no purchase within `horizon_days`; at a
    steady rate that is risk^(days / horizon) for any other span, so the chance of a visit while
    the offer lasts is 1 - risk^(valid days / horizon). A longer-lived offer is likelier to be
    used, and more so for a member who shops often. Without a score (none yet, or no consent to
    profiling) every member is as likely as the next: 1."""
    if lapse_risk is None:
        return 1.0
    risk = min(max(float(lapse_risk), 0.0), 1.0)
    span = max(valid_hours, 1) / 24 / max(horizon_days, 1)
    return 1.0 - risk ** span


def expected_value(value: Decimal | None, propensity_: float) -> float:
    """Next best offer's measure: what the offer is worth (its `value`, 1 when the campaign gives
    none) times how likely the member is to use it."""
    return (float(value) if value is not None else 1.0) * propensity_


def best_of_reason(reason: str, candidates: int, *, scored: bool) -> str:
    """The reason of an offer picked among several, saying why in words."""
    if candidates < 2:
        return reason
    if scored:
        return (f"{reason} (the best of {candidates} offers for you now: what each is worth, and how likely "
                "you are to shop before it ends, from how often you shop)")
    return f"{reason} (the best of {candidates} offers for you now)"


def with_reason(offer: Offer, reason: str) -> Offer:
    return replace(offer, reason=" ".join(reason.split())[:MAX_TEXT])


def offer_facts(offer: Offer) -> dict[str, Any]:
    """What an OfferIssued event carries (the live `offerIssued`, messages, webhooks)."""
    return {
        "id": offer.id, "member_id": offer.member_id, "campaign_id": offer.campaign_id, "kind": str(offer.kind),
        "status": str(offer.status), "message": offer.message, "reason": offer.reason,
        "issued_at": offer.issued_at.isoformat(), "expires_at": offer.expires_at.isoformat(), "sku": offer.sku,
        "size": offer.size, "store_id": offer.store_id, "hold_hours": offer.hold_hours,
        "basket_effects": list(offer.basket_effects),
        "coupon_amount": str(offer.coupon_amount) if offer.coupon_amount is not None else None,
        "coupon_percent": str(offer.coupon_percent) if offer.coupon_percent is not None else None,
        "expected_value": offer.expected_value, "reservation_id": offer.reservation_id,
        "coupon_code": offer.coupon_code,
        "decided_at": offer.decided_at.isoformat() if offer.decided_at else None,
    }


def offer_from_facts(facts: Mapping[str, Any]) -> Offer:
    def at(name: str) -> datetime | None:
        return datetime.fromisoformat(facts[name]) if facts.get(name) else None

    def dec(name: str) -> Decimal | None:
        return Decimal(facts[name]) if facts.get(name) is not None else None

    return Offer(facts["id"], facts["member_id"], facts["campaign_id"], OfferKind(facts["kind"]),
                 OfferStatus(facts["status"]), facts["message"], facts["reason"], at("issued_at"),  # type: ignore[arg-type]
                 at("expires_at"), facts.get("sku"), facts.get("size"), facts.get("store_id"),  # type: ignore[arg-type]
                 int(facts.get("hold_hours", 48)), tuple(facts.get("basket_effects", ())), dec("coupon_amount"),
                 dec("coupon_percent"), facts.get("expected_value"), facts.get("reservation_id"),
                 facts.get("coupon_code"), at("decided_at"))
