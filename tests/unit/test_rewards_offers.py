"""Offers, the rewards catalogue and stored evaluations, at their edges: offer specs and
templates, issuing, accepting, declining and expiring, the next best offer, bonus offers as a
member's own campaign; rewards and what a member can afford; facts kept before the engine
grew campaigns still read back."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.errors import BadUserInput, Conflict
from core.vocabulary import Channel
from subgraphs.rewards.domain import campaigns as campaign_rules
from subgraphs.rewards.domain import offers as rules
from subgraphs.rewards.domain.basket import Basket, BasketLine
from subgraphs.rewards.domain.catalogue import Reward, affordable, reward_coupon, validate_reward
from subgraphs.rewards.domain.coupons import CouponStatus
from subgraphs.rewards.domain.effects import IssueOffer, parse_effect
from subgraphs.rewards.domain.evaluation import (
    Applied,
    Context,
    LiveCampaign,
    evaluate,
    evaluation_facts,
    evaluation_from_facts,
)
from subgraphs.rewards.domain.members import MemberFacts
from subgraphs.rewards.domain.offers import OfferKind, OfferSpec, OfferStatus

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
VIEWED = {"event": {"sku": "JKT", "size": "M", "home_store_id": "st_1", "home_store_name": "Portland",
                    "views_in_window": 3, "available_at_home": 2, "bought_recently": False,
                    "product": {"name": "Aurora jacket"}},
          "member": {"tier_name": "Gold"}, "campaign": {"name": "Eyeing"}}
RESERVE = OfferSpec(OfferKind.RESERVATION, "Want us to reserve one?",
                    "You viewed the {event.product.name} {event.views_in_window} times; {event.available_at_home} "
                    "left in {event.size} at {event.home_store_name}", valid_hours=48, hold_hours=24)


def offer(spec: OfferSpec = RESERVE, values=VIEWED, **changes) -> rules.Offer:
    made = rules.new(spec, offer_id="ofr_1", member_id="mbr_1", campaign_id="cmp_1", values=values, now=NOW)
    return replace(made, **changes)


# --- specs and templates ----------------------------------------------------------------------------


def test_an_offer_spec_reads_its_kind_texts_and_hours():
    spec = parse_effect('{"type": "issue_offer", "kind": "RESERVATION", "message": "Reserve?", "reason": '
                        '"You viewed {event.sku}", "valid_hours": 48, "hold_hours": 24, "value": 12.5}', basket=False)
    assert spec == IssueOffer(OfferSpec(OfferKind.RESERVATION, "Reserve?", "You viewed {event.sku}", 48, 24),
                              Decimal("12.5"))
    default_hold = parse_effect('{"type": "issue_offer", "kind": "EARLY_ACCESS", "message": "m", "reason": "r", '
                                '"valid_hours": 1}', basket=False)
    assert default_hold.offer.hold_hours == 48 and default_hold.value is None


def test_a_bonus_offer_carries_basket_effects_and_a_discount_offer_its_coupon():
    bonus = parse_effect('{"type": "issue_offer", "kind": "BONUS_POINTS", "message": "m", "reason": "r", '
                         '"valid_hours": 5, "effects": [{"type": "add_points", "multiplier": 2, "skus": ["A"]}]}',
                         basket=False)
    assert bonus.offer.basket_effects == ('{"type":"add_points","multiplier":2,"skus":["A"]}',)
    discount = parse_effect('{"type": "issue_offer", "kind": "DISCOUNT", "percent": 20, "message": "m", '
                            '"reason": "r", "valid_hours": 5}', basket=False)
    assert (discount.offer.coupon_percent, discount.offer.coupon_amount) == (Decimal(20), None)
    gift = parse_effect('{"type": "issue_offer", "kind": "GIFT", "amount": "15.00", "message": "m", "reason": "r",'
                        ' "valid_hours": 5}', basket=False)
    assert gift.offer.coupon_amount == Decimal("15.00")


@pytest.mark.parametrize(("spec", "message"), [
    ('{"type": "issue_offer", "kind": "RESERVATION", "message": "m", "reason": "r", "valid_hours": 1}', None),
    ('{"type": "issue_offer", "kind": "SURPRISE", "message": "m", "reason": "r", "valid_hours": 1}', "kind must"),
    ('{"type": "issue_offer", "kind": "GIFT", "message": "m", "reason": "r"}', "needs valid_hours"),
    ('{"type": "issue_offer", "kind": "GIFT", "message": "m", "reason": "r", "valid_hours": 8761}', "from 1 to"),
    ('{"type": "issue_offer", "kind": "GIFT", "message": "", "reason": "r", "valid_hours": 1}', "message"),
    ('{"type": "issue_offer", "kind": "GIFT", "message": "Hi {profile.name}", "reason": "r", "valid_hours": 1}',
     "not a known value"),
    ('{"type": "issue_offer", "kind": "GIFT", "message": "Hi {event.name", "reason": "r", "valid_hours": 1}',
     "a placeholder is"),
    ('{"type": "issue_offer", "kind": "DISCOUNT", "message": "m", "reason": "r", "valid_hours": 1}', "either percent"),
    ('{"type": "issue_offer", "kind": "BONUS_POINTS", "message": "m", "reason": "r", "valid_hours": 1}',
     "needs effects"),
    ('{"type": "issue_offer", "kind": "BONUS_POINTS", "message": "m", "reason": "r", "valid_hours": 1, "effects": '
     '[{"type": "issue_coupon", "amount": "1", "valid_days": 1}]}', "must act on the basket"),
    ('{"type": "issue_offer", "kind": "GIFT", "message": "m", "reason": "r", "valid_hours": 1, "effects": []}',
     "only a BONUS_POINTS offer"),
    ('{"type": "issue_offer", "kind": "GIFT", "message": "m", "reason": "r", "valid_hours": 1, "effects": [1]}',
     "effect objects"),
])
def test_offer_specs_are_checked(spec, message):
    if message is None:
        assert parse_effect(spec, basket=False).offer.kind is OfferKind.RESERVATION
        with pytest.raises(BadUserInput, match="offers come from events"):
            parse_effect(spec, basket=True)
        return
    with pytest.raises(BadUserInput, match=message):
        parse_effect(spec, basket=False)


def test_templates_fill_from_maps_only_and_leave_out_what_is_missing():
    assert rules.render("{event.product.name}: {event.views_in_window} views, {event.nope}!", VIEWED) == \
        "Aurora jacket: 3 views, !"
    assert rules.render("bought: {event.bought_recently}; {event.product}", VIEWED) == "bought: no;"
    assert rules.render("{event.__class__}", VIEWED) == ""
    assert len(rules.render("x" * 400, {})) == rules.MAX_TEXT


# --- issuing and deciding --------------------------------------------------------------------------


def test_a_reservation_offer_names_the_product_size_and_store_of_the_view():
    made = offer()
    assert (made.sku, made.size, made.store_id, made.hold_hours) == ("JKT", "M", "st_1", 24)
    assert made.reason == "You viewed the Aurora jacket 3 times; 2 left in M at Portland"
    assert (made.status, made.issued_at, made.expires_at) == (OfferStatus.ISSUED, NOW, NOW + timedelta(hours=48))


def test_a_reservation_offer_needs_an_event_about_a_product_at_a_store():
    with pytest.raises(Conflict):
        offer(values={"event": {"sku": "JKT"}})
    with pytest.raises(Conflict):
        offer(values={})
    early = offer(OfferSpec(OfferKind.EARLY_ACCESS, "Early", "As {member.tier_name}", 10), values={
        "member": {"tier_name": "Gold"}})
    assert (early.reason, early.sku, early.store_id) == ("As Gold", None, None)


@pytest.mark.parametrize(("at", "status"), [
    (NOW + timedelta(hours=48) - timedelta(microseconds=1), OfferStatus.ISSUED),
    (NOW + timedelta(hours=48), OfferStatus.EXPIRED),
])
def test_an_offer_expires_at_its_expiry_exactly(at, status):
    assert rules.status_at(offer(), at) is status
    assert rules.is_open(offer(), at) is (status is OfferStatus.ISSUED)


def test_accepting():
    later = NOW + timedelta(hours=1)
    plain = rules.accept(offer(), later)
    assert (plain.status, plain.decided_at) == (OfferStatus.ACCEPTED, later)
    held = rules.accept(offer(), later, reservation_id="rsv_1")
    assert (held.status, held.reservation_id) == (OfferStatus.REDEEMED, "rsv_1")
    given = rules.accept(offer(), later, coupon_code="ABCDEFGHJK")
    assert (given.status, given.coupon_code) == (OfferStatus.REDEEMED, "ABCDEFGHJK")
    for closed in (plain, rules.decline(offer(), later)):
        with pytest.raises(Conflict):
            rules.accept(closed, later)
    with pytest.raises(Conflict, match="expired"):
        rules.accept(offer(), NOW + timedelta(hours=48))


def test_declining():
    declined = rules.decline(offer(), NOW)
    assert declined.status is OfferStatus.DECLINED
    with pytest.raises(Conflict, match="declined"):
        rules.decline(declined, NOW)
    with pytest.raises(Conflict, match="expired"):
        rules.decline(offer(), NOW + timedelta(days=3))


def test_the_next_best_offer_is_worth_most_ties_to_the_first():
    assert rules.pick([(1.0, "a"), (3.0, "b"), (3.0, "c")]) == 1
    assert rules.pick([(2.0, "a")]) == 0
    assert rules.pick([(0.0, "a"), (0.0, "b")]) == 0


def test_facts_round_trip():
    made = replace(offer(), coupon_amount=Decimal("5.00"), expected_value=2.5, decided_at=NOW)
    assert rules.offer_from_facts(rules.offer_facts(made)) == made
    assert rules.with_reason(made, "  a   new\nreason ").reason == "a new reason"


BONUS = OfferSpec(OfferKind.BONUS_POINTS, "Double on A", "r", valid_hours=24,
                  basket_effects=('{"type": "add_points", "multiplier": 2, "skus": ["A"]}',))


def test_an_open_bonus_offer_applies_at_checkout_as_the_members_own_campaign():
    bonus = offer(BONUS, values={})
    assert rules.applies_at_checkout(bonus, NOW)
    assert not rules.applies_at_checkout(bonus, NOW + timedelta(hours=24))
    assert not rules.applies_at_checkout(offer(), NOW)  # a reservation offer has no basket effects
    as_campaign = campaign_rules.offer_campaign(bonus)
    live = LiveCampaign(as_campaign, campaign_rules.compile_condition("true"), bonus.id)
    shop = Basket(Channel.POS, (BasketLine("A", 1, Decimal("10.00")), BasketLine("B", 1, Decimal("10.00"))), "st_1")
    result = evaluate(shop, Context(NOW, member=MemberFacts("mbr_1"), campaigns=[live]))
    assert [line.points for line in result.lines] == [20, 10]
    assert result.applied == (Applied("cmp_1", 1, None, 10, 0, "ofr_1"),)
    assert evaluation_from_facts(evaluation_facts(result)) == replace(result, exposed=(), coupons_to_issue=())
    expired = evaluate(shop, Context(NOW + timedelta(days=2), member=MemberFacts("mbr_1"), campaigns=[live]))
    assert expired.points_to_earn == 20  # past its expiry the offer's campaign no longer runs


def test_an_evaluation_stored_before_campaigns_still_reads():
    old = {"subtotal": "10.00", "discount": "0.00", "total": "10.00", "points_to_earn": 10,
           "effects": [{"kind": "ADD_POINTS", "description": "10 points", "amount": None, "points": 10,
                        "coupon_code": None, "sku": None, "campaign_id": None}],
           "lines": [{"line_id": "1", "sku": "A", "quantity": 1, "unit_price": "10.00", "size": None,
                      "amount": "10.00", "points": 10}]}
    read = evaluation_from_facts(old)
    assert (read.applied, read.coupons_redeemed, read.free_shipping) == ((), (), False)
    assert read.lines[0].points == 10 and read.effects[0].points == 10


# --- the rewards catalogue --------------------------------------------------------------------------


def reward(**changes) -> Reward:
    return Reward(**{"id": "rwd_1", "name": " Coffee ", "description": "", "points_cost": 250, **changes})


def test_a_valid_reward_is_trimmed_and_described():
    made = validate_reward(reward())
    assert (made.name, made.description, made.valid_days, made.stock, made.active) == ("Coffee", "Coffee", 90, None,
                                                                                         True)
    assert validate_reward(reward(stock=0, coupon_percent=Decimal(100), valid_days=3650)).stock == 0


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": "  "}, "name"), ({"name": "x" * 101}, "name"), ({"description": "d" * 501}, "description"),
    ({"points_cost": 0}, "pointsCost"), ({"points_cost": 2**31}, "pointsCost"), ({"stock": -1}, "stock"),
    ({"coupon_amount": Decimal(1), "coupon_percent": Decimal(1)}, "couponAmount"),
    ({"coupon_amount": Decimal(0)}, "couponAmount"), ({"coupon_amount": Decimal("NaN")}, "couponAmount"),
    ({"coupon_amount": Decimal(1_000_001)}, "couponAmount"),
    ({"coupon_percent": Decimal("100.01")}, "couponPercent"), ({"coupon_percent": Decimal(0)}, "couponPercent"),
    ({"valid_days": 0}, "validDays"), ({"valid_days": 3651}, "validDays"), ({"id": "x" * 41}, "id"),
])
def test_bad_rewards_are_refused(changes, field):
    with pytest.raises(BadUserInput) as refused:
        validate_reward(reward(**changes))
    assert refused.value.details["field"] == field


def test_what_a_member_can_afford_cheapest_first():
    catalogue = [reward(id="b", points_cost=300), reward(id="a", points_cost=300), reward(id="c", points_cost=301),
                 reward(id="off", points_cost=10, active=False), reward(id="gone", points_cost=10, stock=0),
                 reward(id="one", points_cost=300, stock=1)]
    assert [r.id for r in affordable(catalogue, 300)] == ["a", "b", "one"]
    assert affordable(catalogue, 9) == []


def test_a_redemption_coupon_is_the_members_for_the_rewards_days():
    coupon = reward_coupon(validate_reward(reward(coupon_amount=Decimal("10.00"), valid_days=30)), code="K",
                           member_id="mbr_1", now=NOW)
    assert (coupon.status, coupon.member_id, coupon.amount, coupon.reward_id) == (
        CouponStatus.ACTIVE, "mbr_1", Decimal("10.00"), "rwd_1")
    assert (coupon.issued_at, coupon.expires_at, coupon.description) == (NOW, NOW + timedelta(days=30), "Coffee")
