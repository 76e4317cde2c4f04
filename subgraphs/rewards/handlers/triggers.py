"""Triggered campaigns: the engine acts on domain events within a second.

Each event the engine listens to (a purchase, a tier change, a milestone, a product view, a
segment entered, a redemption, a lapse-risk score, a birthday) is handled effectively once
(the inbox): the trigger's running campaigns are checked in order against the member (audience,
consent, cap, budget) and the event's facts (their CEL condition), and those that apply give
what their effects say, in the same transaction: an offer (at most one open per campaign and
member; when several campaigns offer the same kind of thing for one event, only the one worth
most to the member: next best offer), a coupon, bonus points (a `BonusPointsAwarded` event the ledger posts).
Nothing here calls another subgraph: the event carries the facts (event-carried state), the
engine's tables hold the member."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from core.cel import Bindings, CelEvaluationError, bind
from core.ids import new_id
from subgraphs.kernel import aliases
from subgraphs.kernel.db import UnitOfWork
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime

from ..adapters import campaigns as campaign_store
from ..adapters import offers as offer_store
from ..adapters import repository
from ..domain import campaigns as rules
from ..domain import offers as offer_rules
from ..domain.campaigns import BudgetUnit, Trigger
from ..domain.effects import AddPoints, IssueCoupon, IssueOffer
from ..domain.evaluation import LiveCampaign
from ..domain.members import MemberFacts, condition_values
from ..domain.offers import Offer
from . import campaigns, coupons, members

log = logging.getLogger(__name__)

SOURCE = "rewards"
BIRTHDAY_PAGE = 500


async def on_purchase(runtime: Runtime, event: Event) -> None:
    """The engine's own PurchaseCompleted: post-purchase campaigns (early access, bonus offers)."""
    facts = event.payload
    lines = facts.get("lines", ())
    skus = sorted({ln["sku"] for ln in lines})

    async def categories(connection: AsyncConnection) -> dict[str, Any]:
        return {"categories": sorted(set((await repository.catalogue_categories(connection, skus)).values()))}

    await run(runtime, Trigger.PURCHASE, event, {
        "external_id": facts.get("external_id"), "channel": facts.get("channel"), "store_id": facts.get("store_id"),
        "total": float(Decimal(facts.get("total", "0"))), "subtotal": float(Decimal(facts.get("subtotal", "0"))),
        "quantity": sum(int(ln["quantity"]) for ln in lines), "lines": len(lines), "skus": skus,
    }, read_facts=categories)


async def on_tier_changed(runtime: Runtime, event: Event) -> None:
    before, after = event.payload["from"], event.payload["to"]
    await run(runtime, Trigger.TIER_CHANGED, event, {
        "from": before["id"], "to": after["id"], "from_name": before["name"], "to_name": after["name"],
        "upgrade": int(after["threshold"]) > int(before["threshold"]),
    })


async def on_milestone(runtime: Runtime, event: Event) -> None:
    await run(runtime, Trigger.MILESTONE, event, {"threshold": int(event.payload["threshold"]),
                                                  "lifetime_earned": int(event.payload["lifetime_earned"])})


async def on_product_viewed(runtime: Runtime, event: Event) -> None:
    await run(runtime, Trigger.PRODUCT_VIEWED, event, dict(event.payload))


async def on_segment_entered(runtime: Runtime, event: Event) -> None:
    await run(runtime, Trigger.SEGMENT_ENTERED, event, {"segment_id": event.payload["segment_id"],
                                                        "segment_name": event.payload.get("segment_name")})


async def on_redemption(runtime: Runtime, event: Event) -> None:
    await run(runtime, Trigger.REDEMPTION, event, dict(event.payload))


async def on_lapse_risk(runtime: Runtime, event: Event) -> None:
    """Profile's LapseRiskScored: the engine's copy of the score first (what conditions and the
    next best offer read), then the `lapse_risk` campaigns, each step once per event (its own
    inbox). Members who object to profiling get neither: the score is not kept, no campaign runs."""
    try:
        score = float(event.payload["score"])
        model = str(event.payload.get("model") or "unknown")[:64]
        horizon = int(event.payload.get("horizon_days") or 90)
        if not 0.0 <= score <= 1.0 or not 1 <= horizon <= 3650:
            raise ValueError("out of range")
    except (KeyError, TypeError, ValueError) as error:
        log.error("LapseRiskScored %s cannot be read (%s); skipped", event.id, error)
        return
    if event.member_id is None:
        return
    async with runtime.unit_of_work() as uow:
        if await uow.mark_handled("lapse-risk", event.id):
            member_id = await aliases.current_member_id(uow.connection, str(event.member_id))
            await repository.remember_lapse_risk(uow, member_id, score, model, horizon, event.occurred_at)
            await uow.commit()
    async with runtime.db.reading() as connection:
        known = await repository.known_member(
            connection, await aliases.current_member_id(connection, str(event.member_id)))
    if known is None or not known.consents.profiling:
        async with runtime.unit_of_work() as uow:  # seen all the same: a redelivery finds it handled
            if await uow.mark_handled(f"triggers:{Trigger.LAPSE_RISK}", event.id):
                await uow.commit()
        return
    await run(runtime, Trigger.LAPSE_RISK, event, {"score": score, "model": model, "horizon_days": horizon})


async def birthdays(runtime: Runtime) -> int:
    """Job (daily, at any time of the day): members whose birthday is today, once a year each."""
    now = runtime.clock.now()
    async with runtime.db.reading() as connection:
        if not await campaigns.running(runtime, connection, Trigger.BIRTHDAY, now):
            return 0
    handled = 0
    after: str | None = None
    while True:
        async with runtime.db.reading() as connection:
            page = await repository.birthdays_on(connection, now.month, now.day, after, BIRTHDAY_PAGE)
        for member_id in page:
            # The id makes it once a year per member (the inbox), whichever hour the job finds it.
            event = Event(id=f"bd{now.year}{member_id}"[:40], type="Birthday", source=SOURCE, member_id=member_id,
                          occurred_at=now, payload={"date": now.date().isoformat()})
            handled += await run(runtime, Trigger.BIRTHDAY, event, {"date": now.date().isoformat()})
        if len(page) < BIRTHDAY_PAGE:
            return handled
        after = page[-1]


async def run(runtime: Runtime, trigger: Trigger, event: Event, facts: dict[str, Any], *,
              read_facts: Callable[[AsyncConnection], Awaitable[dict[str, Any]]] | None = None) -> int:
    """Apply the trigger's campaigns to the event's member, once per event; how many applied.
    `read_facts`: the event's facts that cost a read (the catalogue's categories of a purchase),
    read only when a campaign of the trigger is running, on the same connection."""
    if event.member_id is None:
        return 0
    now = runtime.clock.now()
    member: MemberFacts | None = None
    async with runtime.db.reading() as connection:  # one connection for every read
        live = await campaigns.running(runtime, connection, trigger, now)
        if live:
            known = await repository.known_member(
                connection, await aliases.current_member_id(connection, str(event.member_id)))
            if known is not None and known.status == "ACTIVE":
                member = await members.member_facts(connection, known, now, traits=campaigns.reads_traits(live))
                if read_facts is not None:
                    facts = {**facts, **await read_facts(connection)}
    if member is None:
        async with runtime.unit_of_work() as uow:  # nothing to do: remember it was seen all the same
            if await uow.mark_handled(f"triggers:{trigger}", event.id):
                await uow.commit()
        return 0
    values = {"member": condition_values(member, now), "basket": None, "event": facts,
              "now": {"day_of_week": now.isoweekday(), "hour": now.hour, "date": now.date().isoformat()}}
    try:  # converted once for every campaign's condition
        bound: Bindings | None = bind(values)
    except CelEvaluationError:
        bound = None  # facts CEL cannot hold: no condition can be evaluated on them
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled(f"triggers:{trigger}", event.id):
            return 0
        if not _might_apply(live, member, bound):  # most events: nothing more to read or write
            await uow.commit()
            return 0
        applied = await _apply(runtime, uow, live, member, event, values, bound, now)
        await uow.commit()
    return applied


def _might_apply(live: list[LiveCampaign], member: MemberFacts, bound: Bindings | None) -> bool:
    """Whether a campaign could apply or an A/B exposure is to be counted, judged on what was
    read before the transaction (caps and open offers are checked in it)."""
    for lc in live:
        if not _targets(lc.campaign, member, {}):
            continue
        if lc.campaign.variants:
            return True
        try:
            if bound is not None and lc.condition.evaluate(bound) is True:
                return True
        except CelEvaluationError:
            continue
    return False


async def _apply(runtime: Runtime, uow: UnitOfWork, live: list[LiveCampaign], member: MemberFacts, event: Event,
                 values: dict[str, Any], bound: Bindings | None, now: datetime) -> int:
    holding = await offer_store.open_offer_campaigns(uow.connection, member.member_id,
                                                     [lc.campaign.id for lc in live], now)
    capped = [lc.campaign.id for lc in live if lc.campaign.per_member_cap is not None]
    usage = await campaign_store.usage(uow.connection, member.member_id, capped) if capped else {}
    offered: list[tuple[float, LiveCampaign, IssueOffer]] = []
    exposed, converted, applied = [], [], 0
    for lc in sorted(live, key=lambda lc: rules.order_key(lc.campaign)):
        campaign = lc.campaign
        if not _targets(campaign, member, usage):
            continue
        variant = rules.variant_of(campaign, member.member_id)
        if variant is not None:
            exposed.append((campaign.id, variant.name))
        try:
            holds = bound is not None and lc.condition.evaluate(bound) is True
        except CelEvaluationError:
            holds = False
        if not holds:
            continue
        specs = campaign.specs + (variant.specs if variant else ())
        offers = [s for s in specs if isinstance(s, IssueOffer)]
        if offers and campaign.id in holding:
            continue  # one open offer per campaign and member: this one waits for the last to close
        points = sum(s.points or 0 for s in specs if isinstance(s, AddPoints))
        if not await _consume(uow, campaign, member.member_id, points):
            continue  # its budget or the member's cap ran out (a concurrent event took the rest)
        applied += 1
        if variant is not None:
            converted.append((campaign.id, variant.name))
        offered += [(_expected_value(spec, member), lc, spec) for spec in offers]
        for n, spec in enumerate((s for s in specs if isinstance(s, IssueCoupon)), start=1):
            coupon = await coupons.issue(uow, issued_for=f"{event.id}:{campaign.id}:{n}", member_id=member.member_id,
                                         description=spec.description, now=now, valid_days=spec.valid_days,
                                         amount=spec.amount, percent=spec.percent, campaign_id=campaign.id)
            uow.publish(coupons.issued_event(coupon))
        if points:
            uow.publish(Event(type="BonusPointsAwarded", source=SOURCE, member_id=member.member_id, payload={
                "member_id": member.member_id, "points": points, "reference": f"{campaign.id}:{event.id}"[:128],
                "description": campaign.name, "campaign_id": campaign.id}))
        if campaign.exclusive:
            break
    for kind in dict.fromkeys(spec.offer.kind for _, _, spec in offered):  # one of each kind, in campaign order
        await _issue_best(uow, [o for o in offered if o[2].offer.kind is kind], member, event, values, now)
    await campaign_store.count_variants(uow, exposed, converted)
    return applied


def _targets(campaign: rules.Campaign, member: MemberFacts, usage: dict[str, int]) -> bool:
    if campaign.audience is not None and campaign.audience not in member.segments:
        return False
    if campaign.personalized and not member.profiling:
        return False
    if campaign.per_member_cap is not None and usage.get(campaign.id, 0) >= campaign.per_member_cap:
        return False
    return campaign.budget is None or campaign.budget.left > 0


async def _consume(uow: UnitOfWork, campaign: rules.Campaign, member_id: str, points: int) -> bool:
    budget = campaign.budget
    if budget is not None:
        amount = points if budget.unit is BudgetUnit.POINTS else 1 if budget.unit is BudgetUnit.REDEMPTIONS else 0
        if not await campaign_store.consume_budget(uow, campaign.id, amount):
            return False
    if campaign.per_member_cap is not None:
        return await campaign_store.add_use(uow, campaign.id, member_id, campaign.per_member_cap)
    return True


def _expected_value(spec: IssueOffer, member: MemberFacts) -> float:
    """What the offer is worth to the member, times how likely they are to use it before it ends
    (from the churn model's score when the member consents to profiling and has one; otherwise
    every member is as likely as the next)."""
    return offer_rules.expected_value(spec.value, offer_rules.propensity(
        _scored_risk(member), member.traits.lapse_horizon_days, spec.offer.valid_hours))


def _scored_risk(member: MemberFacts) -> float | None:
    return member.traits.lapse_risk if member.profiling else None


async def _issue_best(uow: UnitOfWork, offered: list[tuple[float, LiveCampaign, IssueOffer]], member: MemberFacts,
                      event: Event, values: dict[str, Any], now: datetime) -> Offer | None:
    """Next best offer: of the offers of one kind an event makes eligible, the one worth most
    (ties: campaign order)."""
    best = offer_rules.pick([(value, lc.campaign.id) for value, lc, _ in offered])
    value, lc, spec = offered[best]
    rendered = {**values, "campaign": {"name": lc.campaign.name}}
    try:
        offer = offer_rules.new(spec.offer, offer_id=new_id("ofr"), member_id=member.member_id,
                                campaign_id=lc.campaign.id, values=rendered, now=now, expected_value=value)
    except Exception as error:  # noqa: BLE001 - a campaign on the wrong event must not stop the others
        log.warning("campaign %s could not make an offer from %s %s: %s", lc.campaign.id, event.type, event.id, error)
        return None
    if len(offered) > 1:
        offer = offer_rules.with_reason(offer, offer_rules.best_of_reason(
            offer.reason, len(offered), scored=_scored_risk(member) is not None))
    if not await offer_store.add_offer(uow, offer, issued_for=f"{event.id}:{lc.campaign.id}"):
        return None
    uow.publish(Event(type="OfferIssued", source=SOURCE, member_id=member.member_id, occurred_at=now,
                      payload=offer_rules.offer_facts(offer)))
    return offer


__all__ = ["birthdays", "on_lapse_risk", "on_milestone", "on_product_viewed", "on_purchase", "on_redemption",
           "on_segment_entered", "on_tier_changed", "run"]
