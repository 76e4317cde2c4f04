"""Campaigns as data: what triggers one, the CEL condition it checks, the effects it has,
when it runs, in which order, for whom, how often and within which budget. Marketers
change them at run time; every change is a new version. No I/O here.

Order is total and stable: higher `priority` first, ties by id (never by edit time). An
`exclusive` campaign that applies stops the campaigns after it. A/B variants are assigned
per member by a hash of campaign and member, so a member stays in their variant.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from core.cel import CelError, Expression, compile_expression
from core.errors import BadUserInput, Conflict
from subgraphs.kernel.bounds import MAX_INT, check_aware, check_id

from .effects import EffectSpec, parse_effects
from .offers import Offer

MAX_NAME = 100
MAX_CONDITION = 2000
MAX_VARIANTS = 10
MAX_WEIGHT = 1000
MAX_PRIORITY = 1_000_000
# What a condition reads (README "Campaign conditions" lists the fields of each).
CONDITION_VARIABLES = ("member", "basket", "event", "now")


class Trigger(StrEnum):
    BASKET = "basket"  # evaluateBasket and checkout: discounts, points, free shipping, coupons
    PURCHASE = "purchase"
    TIER_CHANGED = "tier_changed"
    MILESTONE = "milestone"
    PRODUCT_VIEWED = "product_viewed"
    SEGMENT_ENTERED = "segment_entered"
    REDEMPTION = "redemption"
    LAPSE_RISK = "lapse_risk"
    BIRTHDAY = "birthday"


class CampaignStatus(StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    ENDED = "ENDED"


NEXT_STATUSES = {
    CampaignStatus.DRAFT: {CampaignStatus.ACTIVE, CampaignStatus.ENDED},
    CampaignStatus.ACTIVE: {CampaignStatus.PAUSED, CampaignStatus.ENDED},
    CampaignStatus.PAUSED: {CampaignStatus.ACTIVE, CampaignStatus.ENDED},
    CampaignStatus.ENDED: set(),
}


class BudgetUnit(StrEnum):
    POINTS = "points"
    DISCOUNT_CENTS = "discount_cents"
    REDEMPTIONS = "redemptions"


@dataclass(frozen=True, slots=True)
class Budget:
    limit: int
    unit: BudgetUnit
    used: int = 0

    @property
    def left(self) -> int:
        return max(self.limit - self.used, 0)


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    weight: int
    effects: tuple[str, ...]
    specs: tuple[EffectSpec, ...]


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    """What an admin sends (CampaignInput)."""

    name: str
    trigger: str
    condition: str
    effects: tuple[str, ...]
    personalized: bool = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: int = 0
    exclusive: bool = False
    per_member_cap: int | None = None
    audience: str | None = None
    budget_limit: int | None = None
    budget_unit: str | None = None
    variants: tuple[tuple[str, int, tuple[str, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    name: str
    status: CampaignStatus
    trigger: Trigger
    condition: str
    effects: tuple[str, ...]
    specs: tuple[EffectSpec, ...]
    personalized: bool
    starts_at: datetime | None
    ends_at: datetime | None
    priority: int
    exclusive: bool
    per_member_cap: int | None
    audience: str | None
    budget: Budget | None
    variants: tuple[Variant, ...]
    version: int
    created_at: datetime
    updated_at: datetime


def compile_condition(condition: str) -> Expression:
    """The condition, compiled once; BAD_USER_INPUT with its line and column otherwise."""
    try:
        return compile_expression(condition, variables=CONDITION_VARIABLES, max_length=MAX_CONDITION)
    except CelError as error:
        raise BadUserInput(f"condition, {error.where}: {error.message}", field="condition", line=error.line,
                           column=error.column) from None


def define(draft: CampaignDraft, *, campaign_id: str, now: datetime, previous: Campaign | None) -> Campaign:
    """A new campaign (a DRAFT), or the next version of `previous`: everything checked, nothing
    half-valid is ever stored. Budget use carries over to the next version."""
    name = draft.name.strip()
    if not name or len(name) > MAX_NAME:
        raise BadUserInput(f"a campaign name has 1 to {MAX_NAME} characters", field="name")
    try:
        trigger = Trigger(draft.trigger.strip().lower())
    except ValueError:
        raise BadUserInput(f"trigger must be one of {', '.join(t.value for t in Trigger)}",
                           field="trigger") from None
    condition = draft.condition.strip() or "true"
    compile_condition(condition)
    basket = trigger is Trigger.BASKET
    specs = parse_effects(list(draft.effects), basket=basket)
    if draft.starts_at is not None:
        check_aware(draft.starts_at, "startsAt")
    if draft.ends_at is not None:
        check_aware(draft.ends_at, "endsAt")
    if draft.starts_at and draft.ends_at and draft.ends_at <= draft.starts_at:
        raise BadUserInput("endsAt must come after startsAt", field="endsAt")
    if not -MAX_PRIORITY <= draft.priority <= MAX_PRIORITY:
        raise BadUserInput(f"priority is between -{MAX_PRIORITY} and {MAX_PRIORITY}", field="priority")
    if draft.per_member_cap is not None and not 1 <= draft.per_member_cap <= MAX_INT:
        raise BadUserInput("perMemberCap is at least 1 (leave it out for no cap)", field="perMemberCap")
    audience = check_id(draft.audience, "audience") if draft.audience else None
    budget = _budget(draft, previous)
    variants = _variants(draft.variants, basket=basket)
    if not specs and not variants:
        raise BadUserInput("a campaign needs at least one effect (in effects or in its variants)", field="effects")
    if previous is not None and previous.status is CampaignStatus.ENDED:
        raise Conflict(f"campaign {previous.id} has ended; create a new one")
    return Campaign(
        id=campaign_id, name=name, status=previous.status if previous else CampaignStatus.DRAFT, trigger=trigger,
        condition=condition, effects=tuple(draft.effects), specs=specs, personalized=draft.personalized,
        starts_at=draft.starts_at, ends_at=draft.ends_at, priority=draft.priority, exclusive=draft.exclusive,
        per_member_cap=draft.per_member_cap, audience=audience, budget=budget, variants=variants,
        version=previous.version + 1 if previous else 1, created_at=previous.created_at if previous else now,
        updated_at=now,
    )


def _budget(draft: CampaignDraft, previous: Campaign | None) -> Budget | None:
    if draft.budget_limit is None and draft.budget_unit is None:
        return None
    if draft.budget_limit is None or draft.budget_unit is None:
        raise BadUserInput("a budget needs a limit and a unit", field="budget")
    try:
        unit = BudgetUnit(draft.budget_unit.strip().lower())
    except ValueError:
        raise BadUserInput(f"a budget's unit is one of {', '.join(u.value for u in BudgetUnit)}",
                           field="budget") from None
    if not 1 <= draft.budget_limit <= MAX_INT:
        raise BadUserInput(f"a budget's limit is between 1 and {MAX_INT}", field="budget")
    used = previous.budget.used if previous and previous.budget and previous.budget.unit is unit else 0
    return Budget(draft.budget_limit, unit, used)


def _variants(drafts: Sequence[tuple[str, int, tuple[str, ...]]], *, basket: bool) -> tuple[Variant, ...]:
    if not drafts:
        return ()
    if not 2 <= len(drafts) <= MAX_VARIANTS:
        raise BadUserInput(f"an A/B test has 2 to {MAX_VARIANTS} variants", field="variants")
    variants = []
    for name, weight, effects in drafts:
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise BadUserInput(f"a variant name has 1 to {MAX_NAME} characters", field="variants")
        if not 1 <= weight <= MAX_WEIGHT:
            raise BadUserInput(f"variant {name}: weight is between 1 and {MAX_WEIGHT}", field="variants")
        variants.append(Variant(name, weight, tuple(effects), parse_effects(list(effects), basket=basket,
                                                                             field="variants")))
    if len({v.name for v in variants}) != len(variants):
        raise BadUserInput("variant names must differ", field="variants")
    return tuple(variants)


def change_status(campaign: Campaign, status: CampaignStatus, now: datetime) -> Campaign:
    if status is campaign.status:
        return campaign
    if status not in NEXT_STATUSES[campaign.status]:
        raise Conflict(f"campaign {campaign.id} is {campaign.status.lower()}; it cannot become {status.lower()}")
    return replace(campaign, status=status, updated_at=now)


def order_key(campaign: Campaign) -> tuple[int, str]:
    """Higher priority first, then by id: total, stable, independent of edit times."""
    return (-campaign.priority, campaign.id)


def running(campaign: Campaign, now: datetime) -> bool:
    return campaign.status is CampaignStatus.ACTIVE and (campaign.starts_at is None or campaign.starts_at <= now) \
        and (campaign.ends_at is None or now < campaign.ends_at)


def variant_of(campaign: Campaign, member_id: str | None) -> Variant | None:
    """The member's variant: the same every time (a hash of campaign and member), in
    proportion to the weights. An anonymous basket gets the first variant."""
    if not campaign.variants:
        return None
    if member_id is None:
        return campaign.variants[0]
    total = sum(v.weight for v in campaign.variants)
    point = int.from_bytes(hashlib.sha256(f"{campaign.id}:{member_id}".encode()).digest()[:8], "big") % total
    for variant in campaign.variants:
        if point < variant.weight:
            return variant
        point -= variant.weight
    raise AssertionError("unreachable: the point lies within the total weight")


def definition(campaign: Campaign) -> dict[str, object]:
    """A campaign's definition as stored (JSON): everything an admin set, nothing derived."""
    return {
        "name": campaign.name, "trigger": str(campaign.trigger), "condition": campaign.condition,
        "effects": list(campaign.effects), "personalized": campaign.personalized,
        "starts_at": campaign.starts_at.isoformat() if campaign.starts_at else None,
        "ends_at": campaign.ends_at.isoformat() if campaign.ends_at else None,
        "priority": campaign.priority, "exclusive": campaign.exclusive, "per_member_cap": campaign.per_member_cap,
        "audience": campaign.audience,
        "budget": {"limit": campaign.budget.limit, "unit": str(campaign.budget.unit)} if campaign.budget else None,
        "variants": [{"name": v.name, "weight": v.weight, "effects": list(v.effects)} for v in campaign.variants],
    }


def from_definition(facts: dict, *, campaign_id: str, status: str, version: int, created_at: datetime,
                    updated_at: datetime, budget_used: int) -> Campaign:
    """A stored campaign (checked when it was saved; its specs are parsed again)."""
    trigger = Trigger(facts["trigger"])
    basket = trigger is Trigger.BASKET

    def at(name: str) -> datetime | None:
        return datetime.fromisoformat(facts[name]) if facts.get(name) else None

    budget = facts.get("budget")
    return Campaign(
        id=campaign_id, name=facts["name"], status=CampaignStatus(status), trigger=trigger,
        condition=facts["condition"], effects=tuple(facts["effects"]),
        specs=parse_effects(list(facts["effects"]), basket=basket), personalized=bool(facts["personalized"]),
        starts_at=at("starts_at"), ends_at=at("ends_at"), priority=int(facts["priority"]),
        exclusive=bool(facts["exclusive"]), per_member_cap=facts.get("per_member_cap"),
        audience=facts.get("audience"),
        budget=Budget(int(budget["limit"]), BudgetUnit(budget["unit"]), budget_used) if budget else None,
        variants=tuple(Variant(v["name"], int(v["weight"]), tuple(v["effects"]),
                               parse_effects(list(v["effects"]), basket=basket)) for v in facts.get("variants", ())),
        version=version, created_at=created_at, updated_at=updated_at,
    )


def offer_campaign(offer: Offer) -> Campaign:
    """A member's open bonus offer at their checkouts: a campaign of one member, first in
    order, its effects the offer's (checked when the offer's campaign was saved)."""
    return Campaign(
        id=offer.campaign_id, name=offer.message, status=CampaignStatus.ACTIVE, trigger=Trigger.BASKET,
        condition="true", effects=offer.basket_effects, specs=parse_effects(list(offer.basket_effects), basket=True),
        personalized=False, starts_at=offer.issued_at, ends_at=offer.expires_at, priority=MAX_PRIORITY,
        exclusive=False, per_member_cap=None, audience=None, budget=None, variants=(), version=1,
        created_at=offer.issued_at, updated_at=offer.issued_at,
    )
