"""Triggered campaigns through the engine's handlers on a real database: each trigger kind
issues its offer, coupon or bonus once; a redelivered event issues nothing more; one open offer
per campaign and member; the next best offer among offers of one kind; audience, consent,
caps and budgets hold; a birthday is celebrated once a year; accepting and declining."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from core.auth import Principal, Role
from core.clock import ManualClock
from core.errors import Conflict, Forbidden
from subgraphs.kernel.events import Event, subject_for
from subgraphs.kernel.host import SubgraphHost
from subgraphs.kernel.runtime import Runtime
from subgraphs.rewards import handlers
from subgraphs.rewards.domain.campaigns import CampaignDraft, CampaignStatus
from subgraphs.rewards.domain.offers import OfferStatus
from tests.support.stack import make_settings

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
ADMIN = Principal("adm", Role.ADMIN)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Runtime]:
    host = SubgraphHost(["rewards"], make_settings(tmp_path), clock=ManualClock(NOW))
    await host.start(relays=False, jobs=False)
    try:
        yield host.runtime("rewards")
    finally:
        await host.stop()


async def enrol(runtime: Runtime, member_id: str, *, profiling: bool = True, birthday: date | None = None) -> None:
    await handlers.on_member_enrolled(runtime, Event(type="MemberEnrolled", source="profile", member_id=member_id,
                                                     occurred_at=NOW - timedelta(days=30), payload={
        "member_id": member_id, "status": "ACTIVE", "birthday": birthday.isoformat() if birthday else None,
        "home_store_id": "st_1", "enrolled_at": (NOW - timedelta(days=30)).isoformat(), "identities": [],
        "consents": {"profiling": profiling, "email_marketing": True, "sms_marketing": False,
                     "push_marketing": False}}))


async def start(runtime: Runtime, cid: str, trigger: str, condition: str, *effects: str, **fields) -> None:
    draft = CampaignDraft(name=cid, trigger=trigger, condition=condition, effects=effects, **fields)
    await handlers.campaigns.upsert_campaign(runtime, ADMIN, draft, cid)
    await handlers.campaigns.set_status(runtime, ADMIN, cid, CampaignStatus.ACTIVE)


def viewed(member_id: str, views: int = 3, *, event_id: str | None = None) -> Event:
    payload = {"member_id": member_id, "sku": "JKT", "size": "M", "views_in_window": views, "home_store_id": "st_1",
               "home_store_name": "Portland", "available_at_home": 2, "bought_recently": False,
               "product": {"name": "Aurora jacket", "price": "189.00", "category": "Jackets", "sku": "JKT"}}
    return Event(type="ProductViewed", source="inventory", member_id=member_id, payload=payload,
                 **({"id": event_id} if event_id else {}))


async def rows(runtime: Runtime, sql: str, **params) -> list:
    async with runtime.db.reading() as connection:
        return list((await connection.execute(sa.text(sql), params)).all())


async def outbox(runtime: Runtime, event_type: str) -> list[Event]:
    async with runtime.db.reading() as connection:
        bodies = (await connection.scalars(sa.text("SELECT body FROM outbox WHERE subject = :s ORDER BY seq"),
                                           {"s": subject_for("rewards", event_type)})).all()
    return [Event.from_json(body) for body in bodies]


RESERVE_OFFER = ('{"type": "issue_offer", "kind": "RESERVATION", "valid_hours": 48, "message": "Reserve?", '
                 '"reason": "You viewed the {event.product.name} {event.views_in_window} times"}')


async def test_a_product_view_issues_its_offer_once_and_a_redelivery_nothing(engine: Runtime) -> None:
    await enrol(engine, "mbr_1")
    await start(engine, "cmp_eye", "product_viewed", "event.views_in_window >= 3", RESERVE_OFFER)
    await handlers.triggers.on_product_viewed(engine, viewed("mbr_1", views=2))
    assert await rows(engine, "SELECT id FROM offers") == []
    third = viewed("mbr_1", views=3)
    await handlers.triggers.on_product_viewed(engine, third)
    await handlers.triggers.on_product_viewed(engine, third)  # the bus delivers it again
    offers = await handlers.offers.offers_of(engine, ADMIN, "mbr_1", None)
    assert [(o.kind, s, o.reason) for o, s in offers] == [("RESERVATION", OfferStatus.ISSUED,
                                                           "You viewed the Aurora jacket 3 times")]
    assert [e.payload["id"] for e in await outbox(engine, "OfferIssued")] == [offers[0][0].id]
    await handlers.triggers.on_product_viewed(engine, viewed("mbr_1", views=4))  # one open offer per campaign
    assert len(await rows(engine, "SELECT id FROM offers")) == 1
    await handlers.offers.decline(engine, Principal("mbr_1", Role.MEMBER), offers[0][0].id)
    await handlers.triggers.on_product_viewed(engine, viewed("mbr_1", views=5))  # closed: a new one may come
    assert len(await rows(engine, "SELECT id FROM offers")) == 2


async def test_each_trigger_kind(engine: Runtime) -> None:
    await enrol(engine, "mbr_2")
    gift = ('{"type": "issue_offer", "kind": "GIFT", "amount": "15.00", "valid_hours": 720, '
            '"message": "Welcome to {event.to_name}", "reason": "You reached {event.to_name}"}')
    await start(engine, "cmp_tier", "tier_changed", "event.upgrade", gift)
    await start(engine, "cmp_mile", "milestone", "event.threshold >= 1000", '{"type": "add_points", "points": 100}')
    await start(engine, "cmp_seg", "segment_entered", "event.segment_id == 'new-members'",
                '{"type": "issue_coupon", "amount": "10.00", "valid_days": 30}')
    await start(engine, "cmp_red", "redemption", "event.points >= 1000", '{"type": "add_points", "points": 50}')
    await start(engine, "cmp_buy", "purchase", "'Jackets' in event.categories || event.total > 100.0",
                '{"type": "issue_offer", "kind": "EARLY_ACCESS", "valid_hours": 24, "message": "Early", '
                '"reason": "You spent {event.total}"}')
    tier = {"from": {"id": "bronze", "name": "Bronze", "threshold": 0, "multiplier": 1.0},
            "to": {"id": "silver", "name": "Silver", "threshold": 1000, "multiplier": 1.25}, "at": NOW.isoformat()}
    down = {"from": tier["to"], "to": tier["from"], "at": NOW.isoformat()}
    events = [
        (handlers.triggers.on_tier_changed, Event(type="TierChanged", source="ledger", member_id="mbr_2", payload=tier)),
        (handlers.triggers.on_tier_changed, Event(type="TierChanged", source="ledger", member_id="mbr_2", payload=down)),
        (handlers.triggers.on_milestone, Event(type="MilestoneReached", source="ledger", member_id="mbr_2",
                                               payload={"threshold": 1000, "lifetime_earned": 1004})),
        (handlers.triggers.on_segment_entered, Event(type="SegmentEntered", source="profile", member_id="mbr_2",
                                                     payload={"segment_id": "new-members", "member_id": "mbr_2",
                                                              "segment_name": "New"})),
        (handlers.triggers.on_redemption, Event(type="RewardRedeemed", source="rewards", member_id="mbr_2",
                                                payload={"reward_id": "r", "reward_name": "R", "points": 1000})),
        (handlers.triggers.on_purchase, Event(type="PurchaseCompleted", source="rewards", member_id="mbr_2", payload={
            "external_id": "p-1", "channel": "POS", "store_id": "st_1", "total": "120.00", "subtotal": "120.00",
            "lines": [{"line_id": "1", "sku": "X", "quantity": 1}]})),
    ]
    for handle, event in events:
        await handle(engine, event)
        await handle(engine, event)  # every one redelivered: nothing doubles
    offers = {o.kind: (o.message, o.reason, o.coupon_amount)
              for o, _ in await handlers.offers.offers_of(engine, ADMIN, "mbr_2", None)}
    assert offers == {"GIFT": ("Welcome to Silver", "You reached Silver", 15), "EARLY_ACCESS": (
        "Early", "You spent 120.0", None)}
    bonuses = [(e.payload["points"], e.payload["campaign_id"]) for e in await outbox(engine, "BonusPointsAwarded")]
    assert bonuses == [(100, "cmp_mile"), (50, "cmp_red")]
    coupons = await handlers.coupons.coupons_of(engine, ADMIN, "mbr_2", None)
    assert [(v.coupon.amount, v.coupon.campaign_id) for v in coupons] == [(10, "cmp_seg")]


async def test_the_next_best_offer_among_one_kind_audience_consent_and_caps(engine: Runtime) -> None:
    await enrol(engine, "mbr_3")
    await enrol(engine, "mbr_4", profiling=False)
    cheap = RESERVE_OFFER.replace('"valid_hours": 48', '"valid_hours": 48, "value": 1')
    rich = RESERVE_OFFER.replace('"valid_hours": 48', '"valid_hours": 48, "value": 9')
    await start(engine, "cmp_a_cheap", "product_viewed", "true", cheap)
    await start(engine, "cmp_b_rich", "product_viewed", "true", rich)
    await start(engine, "cmp_personal", "product_viewed", "true", '{"type": "add_points", "points": 5}',
                personalized=True)
    await start(engine, "cmp_vip", "product_viewed", "true", '{"type": "add_points", "points": 7}', audience="vip")
    await start(engine, "cmp_once", "product_viewed", "true", '{"type": "add_points", "points": 3}', per_member_cap=1)
    for member in ("mbr_3", "mbr_4"):
        await handlers.triggers.on_product_viewed(engine, viewed(member))
        await handlers.triggers.on_product_viewed(engine, viewed(member))  # a second view event, not a redelivery
    issued = [(o.member_id, o.campaign_id, o.reason) for o, _ in
              await handlers.offers.offers_of(engine, ADMIN, "mbr_3", None)]
    assert issued == [  # newest first: the second view found the rich campaign's offer open, so the cheap one came
        ("mbr_3", "cmp_a_cheap", "You viewed the Aurora jacket 3 times"),
        ("mbr_3", "cmp_b_rich", "You viewed the Aurora jacket 3 times (the best of 2 offers for you now)")]
    bonuses = sorted((e.member_id, e.payload["campaign_id"]) for e in await outbox(engine, "BonusPointsAwarded"))
    assert bonuses == [("mbr_3", "cmp_once"), ("mbr_3", "cmp_personal"), ("mbr_3", "cmp_personal"),
                       ("mbr_4", "cmp_once")]  # no vip for anyone; no personalised one for the opted-out member


async def test_a_budget_of_redemptions_is_never_passed(engine: Runtime) -> None:
    for n in range(5):
        await enrol(engine, f"mbr_b{n}")
    await start(engine, "cmp_budget", "milestone", "true", '{"type": "add_points", "points": 10}',
                budget_limit=3, budget_unit="redemptions")
    for n in range(5):
        await handlers.triggers.on_milestone(engine, Event(type="MilestoneReached", source="ledger",
                                                           member_id=f"mbr_b{n}", payload={"threshold": 1000,
                                                                                           "lifetime_earned": 1000}))
    assert len(await outbox(engine, "BonusPointsAwarded")) == 3
    assert await rows(engine, "SELECT used, budget_limit FROM campaign_budgets") == [(3, 3)]


async def test_birthdays_once_a_year(engine: Runtime) -> None:
    await enrol(engine, "mbr_bday", birthday=date(1990, 11, 30))
    await enrol(engine, "mbr_other", birthday=date(1990, 12, 1))
    await start(engine, "cmp_bday", "birthday", "member.birthday_today",
                '{"type": "issue_coupon", "percent": 20, "valid_days": 14}')
    assert await handlers.triggers.birthdays(engine) == 1
    assert await handlers.triggers.birthdays(engine) == 0  # the job runs hourly: once a day, once a year
    coupons = await handlers.coupons.coupons_of(engine, ADMIN, "mbr_bday", None)
    assert [(v.coupon.percent, v.coupon.campaign_id) for v in coupons] == [(20, "cmp_bday")]
    assert await handlers.coupons.coupons_of(engine, ADMIN, "mbr_other", None) == []


async def test_accepting_a_gift_gives_its_coupon_once_and_only_the_member_decides(engine: Runtime) -> None:
    await enrol(engine, "mbr_5")
    await start(engine, "cmp_gift", "milestone", "true",
                '{"type": "issue_offer", "kind": "GIFT", "amount": "15.00", "valid_hours": 720, "message": "A gift",'
                ' "reason": "You reached {event.threshold}"}')
    await handlers.triggers.on_milestone(engine, Event(type="MilestoneReached", source="ledger", member_id="mbr_5",
                                                       payload={"threshold": 1000, "lifetime_earned": 1000}))
    [(offer, _)] = await handlers.offers.offers_of(engine, ADMIN, "mbr_5", None)
    with pytest.raises(Forbidden):
        await handlers.offers.accept(engine, Principal("mbr_other", Role.MEMBER), offer.id)
    accepted = await handlers.offers.accept(engine, Principal("mbr_5", Role.MEMBER), offer.id)
    assert accepted.status is OfferStatus.REDEEMED and accepted.coupon_code
    with pytest.raises(Conflict):
        await handlers.offers.accept(engine, Principal("mbr_5", Role.MEMBER), offer.id)
    coupons = await handlers.coupons.coupons_of(engine, ADMIN, "mbr_5", None)
    assert [(v.coupon.code, v.coupon.amount) for v in coupons] == [(accepted.coupon_code, 15)]
    clock = engine.clock
    assert isinstance(clock, ManualClock)
    await handlers.triggers.on_milestone(engine, Event(type="MilestoneReached", source="ledger", member_id="mbr_5",
                                                       payload={"threshold": 5000, "lifetime_earned": 5000}))
    newest = (await handlers.offers.offers_of(engine, ADMIN, "mbr_5", None))[0][0]
    clock.advance(timedelta(hours=721))
    assert (await handlers.offers.offers_of(engine, ADMIN, "mbr_5", OfferStatus.EXPIRED))[0][0].id == newest.id
    with pytest.raises(Conflict, match="expired"):
        await handlers.offers.accept(engine, Principal("mbr_5", Role.MEMBER), newest.id)


def merge(kind: str, absorbed: str, survivor: str) -> Event:
    return Event(type=kind, source="profile", member_id=survivor, occurred_at=NOW, payload={
        "merge_id": f"mrg_{absorbed}", "absorbed_id": absorbed, "survivor_id": survivor, "at": NOW.isoformat()})


async def test_a_merge_does_not_reopen_a_per_member_cap_and_an_unmerge_gives_each_their_own(engine: Runtime
                                                                                          ) -> None:
    for member in ("mbr_card", "mbr_web", "mbr_fresh"):
        await enrol(engine, member)
    await start(engine, "cmp_twice", "milestone", "true", '{"type": "add_points", "points": 5}', per_member_cap=2)

    async def milestone(member: str) -> None:
        await handlers.triggers.on_milestone(engine, Event(type="MilestoneReached", source="ledger", member_id=member,
                                                           payload={"threshold": 1000, "lifetime_earned": 1000}))

    async def bonuses() -> list[str]:
        return [e.member_id for e in await outbox(engine, "BonusPointsAwarded")]

    await milestone("mbr_card")  # one person's store card and web account, one use each
    await milestone("mbr_web")
    await handlers.on_members_merged(engine, merge("MembersMerged", "mbr_card", "mbr_web"))
    await milestone("mbr_web")  # the merged member has used the campaign twice: its cap
    await milestone("mbr_card")  # an event about the absorbed id is the survivor's
    assert await bonuses() == ["mbr_card", "mbr_web"]
    await milestone("mbr_fresh")
    await milestone("mbr_fresh")
    await milestone("mbr_fresh")
    assert await bonuses() == ["mbr_card", "mbr_web", "mbr_fresh", "mbr_fresh"]

    await handlers.on_members_unmerged(engine, merge("MembersUnmerged", "mbr_card", "mbr_web"))
    await milestone("mbr_web")  # apart again: each has used it once
    await milestone("mbr_card")
    await milestone("mbr_card")
    assert await bonuses() == ["mbr_card", "mbr_web", "mbr_fresh", "mbr_fresh", "mbr_web", "mbr_card"]


def lapse_scored(member_id: str, score: float, *, event_id: str | None = None) -> Event:
    return Event(type="LapseRiskScored", source="profile", member_id=member_id,
                 payload={"member_id": member_id, "score": score, "model": "churn-lr-test", "horizon_days": 90},
                 **({"id": event_id} if event_id else {}))


def discount_offer(value: int, days: int, percent: int) -> str:
    return orjson.dumps({"type": "issue_offer", "kind": "DISCOUNT", "percent": percent, "value": value,
                         "valid_hours": days * 24, "message": f"{percent}% off", "reason": "For you"}).decode()


async def test_lapse_risk_scores_fire_their_campaigns_once_and_weigh_the_next_best_offer(engine: Runtime) -> None:
    for member in ("mbr_drift", "mbr_keen", "mbr_plain"):
        await enrol(engine, member)
    await enrol(engine, "mbr_objects", profiling=False)
    # A big offer for two weeks and a smaller one for two months, on a lapse score and on a view.
    for trigger, condition in (("lapse_risk", "member.traits.lapse_risk > 0.7 && event.score > 0.7"),
                               ("product_viewed", "true")):
        await start(engine, f"cmp_{trigger}_big", trigger, condition, discount_offer(40, 14, 20))
        await start(engine, f"cmp_{trigger}_patient", trigger, condition, discount_offer(15, 60, 10))
    drifting = lapse_scored("mbr_drift", 0.85)
    await handlers.triggers.on_lapse_risk(engine, drifting)
    await handlers.triggers.on_lapse_risk(engine, drifting)  # delivered again: nothing more
    await handlers.triggers.on_lapse_risk(engine, lapse_scored("mbr_keen", 0.1))  # below the campaigns' 0.7
    await handlers.triggers.on_lapse_risk(engine, lapse_scored("mbr_objects", 0.95))  # no consent: not kept
    [(offer, _)] = await handlers.offers.offers_of(engine, ADMIN, "mbr_drift", None)
    # Drifting away: the patient offer is likelier to be used before it ends, and worth more so.
    assert offer.campaign_id == "cmp_lapse_risk_patient"
    assert offer.reason == ("For you (the best of 2 offers for you now: what each is worth, and how likely you are "
                            "to shop before it ends, from how often you shop)")
    assert await handlers.offers.offers_of(engine, ADMIN, "mbr_keen", None) == []
    assert await handlers.offers.offers_of(engine, ADMIN, "mbr_objects", None) == []
    assert sorted(await rows(engine, "SELECT member_id, score FROM member_lapse_risk")) == [
        ("mbr_drift", 0.85), ("mbr_keen", 0.1)]

    for member in ("mbr_keen", "mbr_plain", "mbr_objects"):
        await handlers.triggers.on_product_viewed(engine, viewed(member))
    picked = {m: [(o.campaign_id, o.reason) for o, _ in await handlers.offers.offers_of(engine, ADMIN, m, None)]
              for m in ("mbr_keen", "mbr_plain", "mbr_objects")}
    assert picked["mbr_keen"] == [("cmp_product_viewed_big", "For you (the best of 2 offers for you now: what each "
                                   "is worth, and how likely you are to shop before it ends, from how often you shop)")]
    # Without a score (none yet, or no consent to profiling): the standard choice, by value alone.
    assert picked["mbr_plain"] == picked["mbr_objects"] == [
        ("cmp_product_viewed_big", "For you (the best of 2 offers for you now)")]

    # An objection to profiling takes the engine's copy of the score away.
    await handlers.on_consents_changed(engine, Event(type="ConsentsChanged", source="profile", member_id="mbr_drift",
                                                     payload={"profiling": False}))
    assert await rows(engine, "SELECT member_id FROM member_lapse_risk WHERE member_id = 'mbr_drift'") == []
