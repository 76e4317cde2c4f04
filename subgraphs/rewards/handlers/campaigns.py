"""Campaigns: admins save them (every save a new version), start, pause and end them, and
try a draft on a real member; the engine reads the running ones.

Live at once on every replica, with no restart: each evaluation asks the database for the
campaigns' generation (one indexed aggregate) and recompiles the running ones of a trigger
only when it changed. Budgets and per-member use are read fresh each time (they move with
every checkout)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from core.auth import Principal, Role, require_role
from core.cel import CelEvaluationError
from core.errors import BadUserInput, NotFound
from core.ids import new_id
from core.vocabulary import Channel
from subgraphs.kernel import aliases
from subgraphs.kernel.bounds import check_id
from subgraphs.kernel.runtime import Runtime

from ..adapters import campaigns as store
from ..adapters import coupons as coupon_store
from ..adapters import offers as offer_store
from ..adapters import repository
from ..domain import campaigns as rules
from ..domain.basket import Basket, BasketLine
from ..domain.campaigns import Campaign, CampaignDraft, CampaignStatus, Trigger
from ..domain.coupons import normalize_code
from ..domain.effects import AddPoints, IssueCoupon
from ..domain.evaluation import Context, Effect, EffectKind, LiveCampaign, evaluate
from ..domain.members import MemberFacts, condition_values
from . import members

ADMIN_ROLES = (Role.ADMIN,)
_ALWAYS = rules.compile_condition("true")  # a member's own bonus offer has no condition of its own
READING_ROLES = (Role.ADMIN, Role.SERVICE)
MAX_EVENT_LENGTH = 20_000  # a dry run's event JSON
CACHE = "campaigns"


@dataclass(frozen=True, slots=True)
class CampaignView:
    """A campaign with its A/B counts, for the admin."""

    campaign: Campaign
    variant_counts: dict[str, tuple[int, int]]


def _actor(who: Principal) -> str:
    return f"{who.role}:{who.subject}"


async def upsert_campaign(runtime: Runtime, principal: Principal | None, draft: CampaignDraft,
                          campaign_id: str | None) -> Campaign:
    """Save a campaign: a new one starts as a DRAFT; saving an existing one is its next version
    (its status and budget use carry over) and is live at once if it runs."""
    who = require_role(principal, *ADMIN_ROLES)
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        previous = await store.lock_campaign(uow, check_id(campaign_id, "id")) if campaign_id else None
        campaign = rules.define(draft, campaign_id=campaign_id or new_id("cmp"), now=now, previous=previous)
        await store.save_campaign(uow, campaign, actor=_actor(who), new=previous is None)
        await uow.commit()
    return campaign


async def set_status(runtime: Runtime, principal: Principal | None, campaign_id: str, status: CampaignStatus
                     ) -> Campaign:
    who = require_role(principal, *ADMIN_ROLES)
    async with runtime.unit_of_work() as uow:
        campaign = await store.lock_campaign(uow, check_id(campaign_id, "id"))
        if campaign is None:
            raise NotFound(f"no campaign {campaign_id}")
        changed = rules.change_status(campaign, status, runtime.clock.now())
        if changed is not campaign:
            await store.save_status(uow, changed, actor=_actor(who))
            await uow.commit()
    return changed


async def all_campaigns(runtime: Runtime, principal: Principal | None) -> list[CampaignView]:
    require_role(principal, *READING_ROLES)
    async with runtime.db.reading() as connection:
        found = await store.all_campaigns(connection)
        counts = await store.variant_counts(connection, [c.id for c in found])
    return [CampaignView(c, {variant: n for (cid, variant), n in counts.items() if cid == c.id}) for c in found]


async def campaign_by_id(runtime: Runtime, principal: Principal | None, campaign_id: str) -> CampaignView | None:
    require_role(principal, *READING_ROLES)
    async with runtime.db.reading() as connection:
        found = await store.campaign(connection, check_id(campaign_id, "id"))
        counts = await store.variant_counts(connection, [campaign_id]) if found else {}
    return CampaignView(found, {variant: n for (_, variant), n in counts.items()}) if found else None


# --- what the engine reads --------------------------------------------------------------------


async def running(runtime: Runtime, connection: AsyncConnection, trigger: Trigger, now: datetime
                  ) -> list[LiveCampaign]:
    """The trigger's active campaigns, compiled, with their budgets as they are now."""
    generation = await store.generation(connection)
    cache: dict = runtime.cache.setdefault(CACHE, {})  # type: ignore[assignment]
    cached = cache.get(trigger)
    if cached is None or cached[0] != generation:
        found = await store.active_campaigns(connection, str(trigger))
        cached = (generation, [LiveCampaign(c, rules.compile_condition(c.condition)) for c in found])
        cache[trigger] = cached
    live = [lc for lc in cached[1] if rules.running(lc.campaign, now)]
    budgeted = [lc.campaign.id for lc in live if lc.campaign.budget is not None]
    used = await store.budgets_used(connection, budgeted) if budgeted else {}
    return [_with_budget(lc, used) for lc in live]


def _with_budget(live: LiveCampaign, used: dict[str, int]) -> LiveCampaign:
    budget = live.campaign.budget
    if budget is None or live.campaign.id not in used:
        return live
    return LiveCampaign(replace(live.campaign, budget=replace(budget, used=used[live.campaign.id])),
                        live.condition)


def reads_traits(campaigns: Sequence[LiveCampaign]) -> bool:
    """Traits cost a query: read them only when a running condition mentions them, or an offer's
    message or reason does ("It has been {member.traits.recency_days} days since your last visit")."""
    return any("traits" in lc.campaign.condition or any("member.traits" in e for e in lc.campaign.effects)
               for lc in campaigns)


async def context_for(runtime: Runtime, connection: AsyncConnection, basket: Basket, member: MemberFacts | None,
                      now: datetime, live: list[LiveCampaign]) -> Context:
    """Everything `evaluate` needs besides the basket, from the engine's own tables (`live`: the
    running basket campaigns the caller has just read on this connection)."""
    capped = [lc.campaign.id for lc in live if lc.campaign.per_member_cap is not None]
    codes = [normalize_code(code) for code in basket.coupon_codes]
    usage = await store.usage(connection, member.member_id, capped) if member and capped else {}
    bonuses = await offer_store.open_bonus_offers(connection, member.member_id, now) if member else []
    coupons = await coupon_store.coupons_by_code(connection, [c for c in codes if c])
    categories = await repository.catalogue_categories(connection, [line.sku for line in basket.lines])
    live = live + [LiveCampaign(rules.offer_campaign(offer), _ALWAYS, offer.id) for offer in bonuses]
    return Context(now=now, member=member, campaigns=live, coupons=coupons, categories=categories, usage=usage,
                   max_coupons=runtime.settings.coupons_per_basket)


# --- checking a draft as it is typed --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """What keeps a draft from being saved: the field, the words, and for a condition where."""

    field: str
    message: str
    line: int | None = None
    column: int | None = None


def _problem(error: BadUserInput) -> Problem:
    details = error.details
    return Problem(str(details.get("field") or ""), error.message, details.get("line"), details.get("column"))


def check_draft(runtime: Runtime, principal: Principal | None, draft: CampaignDraft) -> list[Problem]:
    """The save's own checks (`rules.define`), run without saving, for an admin screen that checks
    as the marketer types: the condition's problem with its line and column, and the first
    problem of the rest (checked with the condition set aside, so both show at once). Bounded
    like a save: the condition is at most MAX_CONDITION characters, compiled once."""
    require_role(principal, *ADMIN_ROLES)
    now = runtime.clock.now()
    problems = []
    try:
        rules.compile_condition(draft.condition.strip() or "true")
    except BadUserInput as error:
        problems.append(_problem(error))
    try:
        rules.define(replace(draft, condition="true") if problems else draft, campaign_id="cmp_check", now=now,
                     previous=None)
    except BadUserInput as error:
        problems.append(_problem(error))
    return problems


# --- the dry run ---------------------------------------------------------------------------------


async def dry_run(runtime: Runtime, principal: Principal | None, draft: CampaignDraft, member_id: str,
                  event: str | None) -> list[Effect]:
    """What a draft campaign would do for a real member now (nothing is saved): for a `basket`
    campaign, on the basket in `event` (JSON: {"channel", "storeId", "lines": [{"sku", "quantity",
    "unitPrice", "size"}], "couponCodes"}) or else the member's last purchase; for the other
    triggers, with `event` as the event's facts."""
    require_role(principal, *ADMIN_ROLES)
    now = runtime.clock.now()
    campaign = rules.define(draft, campaign_id="cmp_dry_run", now=now, previous=None)
    campaign = replace(campaign, status=CampaignStatus.ACTIVE, starts_at=None, ends_at=None)
    facts = _event_facts(event)
    async with runtime.db.reading() as connection:
        member_id = await aliases.current_member_id(connection, check_id(member_id, "memberId"))
    known = await members.find_member(runtime, members.MemberRef(member_id=member_id))
    live = LiveCampaign(campaign, rules.compile_condition(campaign.condition))
    async with runtime.db.reading() as connection:
        member = await members.member_facts(connection, known, now, traits=reads_traits([live]))
    if campaign.trigger is Trigger.BASKET:
        basket = await _dry_run_basket(runtime, facts, member_id)
        async with runtime.db.reading() as connection:
            context = await context_for(runtime, connection, basket, member, now, live=[])
        context = Context(now=now, member=member, campaigns=[live], coupons=context.coupons,
                          categories=context.categories, usage={}, max_coupons=context.max_coupons)
        evaluation = evaluate(basket, context)
        return [e for e in evaluation.effects if e.campaign_id == campaign.id]
    values = {"member": condition_values(member, now), "basket": None, "event": facts,
              "now": {"day_of_week": now.isoweekday(), "hour": now.hour, "date": now.date().isoformat()}}
    try:
        holds = live.condition.evaluate(values) is True
    except CelEvaluationError as error:
        raise BadUserInput(f"the condition cannot be evaluated for this event: {error.message}",
                           field="condition") from None
    return event_effects(campaign, member) if holds else []


def event_effects(campaign: Campaign, member: MemberFacts) -> list[Effect]:
    """The effects a campaign on an event trigger has for a member (what the triggers issue)."""
    variant = rules.variant_of(campaign, member.member_id)
    effects = []
    for spec in campaign.specs + (variant.specs if variant else ()):
        if isinstance(spec, AddPoints) and spec.points is not None:
            effects.append(Effect(EffectKind.ADD_POINTS, campaign.name, points=spec.points, campaign_id=campaign.id))
        elif isinstance(spec, IssueCoupon):
            effects.append(Effect(EffectKind.ISSUE_COUPON, f"{campaign.name}: {spec.description}",
                                  amount=spec.amount, campaign_id=campaign.id))
    return effects


def _event_facts(event: str | None) -> dict:
    if event is None or not event.strip():
        return {}
    if len(event) > MAX_EVENT_LENGTH:
        raise BadUserInput(f"event has at most {MAX_EVENT_LENGTH} characters", field="event")
    try:
        facts = orjson.loads(event)
    except orjson.JSONDecodeError as error:
        raise BadUserInput(f"event is not JSON ({error})", field="event") from None
    if not isinstance(facts, dict):
        raise BadUserInput("event is a JSON object", field="event")
    return facts


async def _dry_run_basket(runtime: Runtime, facts: dict, member_id: str) -> Basket:
    if facts:
        try:
            lines = tuple(BasketLine(str(line["sku"]), int(line["quantity"]), Decimal(str(line["unitPrice"])),
                                     line.get("size")) for line in facts["lines"])
            return Basket(Channel(facts.get("channel", "POS")), lines, facts.get("storeId"),
                          tuple(facts.get("couponCodes") or ()))
        except (KeyError, TypeError, ValueError, InvalidOperation) as error:
            raise BadUserInput(f"event: a basket is {{\"channel\", \"storeId\", \"lines\": [{{\"sku\", \"quantity\", "
                               f"\"unitPrice\"}}]}} ({type(error).__name__})", field="event") from None
    async with runtime.db.reading() as connection:
        last = await repository.last_purchase(connection, member_id)
    if last is None:
        raise BadUserInput("this member has no purchase to try it on: give a basket as the event", field="event")
    return Basket(last.channel, tuple(BasketLine(r.sku, r.quantity, r.unit_price, r.size)
                                      for r in last.evaluation.lines), last.store_id)
