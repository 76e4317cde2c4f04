"""The engine's pure domain at its edges: effect specs, campaign definitions, order and
variants, coupons, and the evaluation pipeline, with properties (hypothesis) for what must
hold for every basket: every point sits on a line and they add up, no line goes below zero,
the result never depends on the order campaigns are listed in, budgets are never passed."""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import BadUserInput, Conflict
from core.vocabulary import Channel
from subgraphs.rewards.domain import campaigns as rules
from subgraphs.rewards.domain.basket import Basket, BasketLine
from subgraphs.rewards.domain.campaigns import Budget, BudgetUnit, CampaignDraft, CampaignStatus, Trigger
from subgraphs.rewards.domain.coupons import (
    ALPHABET,
    CODE_LENGTH,
    Coupon,
    CouponStatus,
    display_code,
    new_code,
    normalize_code,
    redeem,
    status_at,
    void,
    why_not,
)
from subgraphs.rewards.domain.effects import AddPoints, Discount, FreeShipping, IssueCoupon, parse_effect, parse_effects
from subgraphs.rewards.domain.evaluation import Context, EffectKind, LiveCampaign, evaluate, spread
from subgraphs.rewards.domain.members import MemberFacts, Traits, condition_values

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)  # a Saturday
GOLD = MemberFacts("mbr_1", tier_id="gold", tier_name="Gold", multiplier=Decimal("1.5"), segments=frozenset({"vip"}))
BRONZE = MemberFacts("mbr_2")


def campaign(cid: str, *effects: str, condition: str = "true", priority: int = 0, **changes) -> LiveCampaign:
    draft = CampaignDraft(name=changes.pop("name", cid), trigger=changes.pop("trigger", "basket"),
                          condition=condition, effects=effects, priority=priority, **changes)
    made = replace(rules.define(draft, campaign_id=cid, now=NOW, previous=None), status=CampaignStatus.ACTIVE)
    return LiveCampaign(made, rules.compile_condition(made.condition))


def basket(*lines: tuple[str, int, str], coupons: tuple[str, ...] = (), channel=Channel.POS) -> Basket:
    return Basket(channel, tuple(BasketLine(sku, qty, Decimal(price)) for sku, qty, price in lines), "st_1", coupons)


def context(*live: LiveCampaign, member: MemberFacts | None = GOLD, **changes) -> Context:
    return Context(now=NOW, member=member, campaigns=live, categories={"JKT": "Jackets", "SOK": "Socks"}, **changes)


JACKET, SOCKS = ("JKT", 1, "189.00"), ("SOK", 3, "8.00")

# --- effect specs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "parsed"), [
    ('{"type": "discount", "percent": 10}', Discount(parse_effect('{"type":"discount","percent":10}',
                                                                  basket=True).target, Decimal(10))),
    ('{"type": "free_shipping"}', FreeShipping()),
    ('{"type": "add_points", "points": 1}', AddPoints(parse_effect('{"type":"add_points","points":5}',
                                                                   basket=True).target, 1)),
])
def test_valid_specs(text, parsed):
    assert parse_effect(text, basket=True) == parsed


def test_targets_read_skus_and_categories_case_insensitively():
    spec = parse_effect('{"type": "discount", "amount": "2.00", "categories": ["SOCKS"], "skus": ["JKT"]}',
                        basket=True)
    assert spec.target.matches("JKT", None) and spec.target.matches("X", "socks")
    assert not spec.target.matches("X", "Jackets") and not spec.target.cart
    every = parse_effect('{"type": "discount", "percent": 5, "per_line": true}', basket=True).target
    assert every.per_line and every.matches("anything", None) and not every.cart


@pytest.mark.parametrize(("text", "message"), [
    ("not json", "not JSON"),
    ("[1]", "JSON object"),
    ('{"type": "gift"}', "type must be one of"),
    ('{"type": "discount"}', "either percent"),
    ('{"type": "discount", "percent": 10, "amount": "1"}', "either percent"),
    ('{"type": "discount", "percent": 0}', "above 0"),
    ('{"type": "discount", "percent": 100.01}', "at most 100"),
    ('{"type": "discount", "percent": "abc"}', "must be a number"),
    ('{"type": "discount", "percent": true}', "must be a number"),
    ('{"type": "discount", "amount": "1.005"}', "2 decimal places"),
    ('{"type": "discount", "percent": 10, "colour": "red"}', "unknown field 'colour'"),
    ('{"type": "discount", "percent": 10, "skus": []}', "list of 1 to 100"),
    ('{"type": "discount", "percent": 10, "skus": ["A"], "per_line": true}', "per_line means every line"),
    ('{"type": "discount", "percent": 10, "per_line": "yes"}', "true or false"),
    ('{"type": "add_points"}', "either points"),
    ('{"type": "add_points", "points": 0}', "from 1 to"),
    ('{"type": "add_points", "points": 2147483648}', "from 1 to"),
    ('{"type": "add_points", "multiplier": 1}', "above 1"),
    ('{"type": "add_points", "multiplier": 101}', "at most 100"),
    ('{"type": "add_points", "points": 5, "skus": ["A"]}', "fixed points go to the whole basket"),
    ('{"type": "issue_coupon", "amount": "10.00"}', "needs valid_days"),
    ('{"type": "issue_coupon", "amount": "10.00", "valid_days": 3651}', "from 1 to 3650"),
    ('{"type": "issue_coupon", "amount": "10.00", "valid_days": 5, "description": ""}', "1 to 200"),
])
def test_bad_specs_are_refused_with_a_reason(text, message):
    with pytest.raises(BadUserInput, match=message) as refused:
        parse_effect(text, basket=True, position=3)
    assert refused.value.details == {"field": "effects", "position": 3}
    assert refused.value.message.startswith("effect 3: ")


def test_an_overlong_spec_is_refused_before_it_is_parsed():
    with pytest.raises(BadUserInput, match="at most 2000"):
        parse_effect('{"type": "free_shipping", "x": "' + "a" * 2000 + '"}', basket=True)


@pytest.mark.parametrize("text", ['{"type": "discount", "percent": 10}', '{"type": "free_shipping"}',
                                  '{"type": "add_points", "multiplier": 2}'])
def test_basket_effects_need_a_basket_trigger(text):
    with pytest.raises(BadUserInput, match="needs a basket"):
        parse_effect(text, basket=False)


def test_event_triggers_take_fixed_points_and_coupons():
    assert parse_effect('{"type": "add_points", "points": 50}', basket=False).points == 50
    coupon = parse_effect('{"type": "issue_coupon", "percent": 15, "valid_days": 14}', basket=False)
    assert coupon == IssueCoupon(14, "15% off", None, Decimal(15))


def test_at_most_twenty_effects():
    assert len(parse_effects(['{"type": "free_shipping"}'] * 20, basket=True)) == 20
    with pytest.raises(BadUserInput, match="at most 20"):
        parse_effects(['{"type": "free_shipping"}'] * 21, basket=True)


# --- campaign definitions ----------------------------------------------------------------------------

DRAFT = CampaignDraft(name="Double points", trigger="basket", condition="true",
                      effects=('{"type": "add_points", "multiplier": 2}',))


def test_a_new_campaign_is_a_draft_version_1_and_saving_it_again_is_version_2():
    first = rules.define(DRAFT, campaign_id="cmp_1", now=NOW, previous=None)
    assert (first.status, first.version, first.created_at) == (CampaignStatus.DRAFT, 1, NOW)
    running = replace(first, status=CampaignStatus.ACTIVE, budget=Budget(10, BudgetUnit.POINTS, 7))
    later = NOW + timedelta(hours=1)
    second = rules.define(replace(DRAFT, name="Triple", budget_limit=20, budget_unit="points"), campaign_id="cmp_1",
                          now=later, previous=running)
    assert (second.version, second.status, second.created_at, second.updated_at) == (
        2, CampaignStatus.ACTIVE, NOW, later)
    assert second.budget == Budget(20, BudgetUnit.POINTS, 7)  # what was used carries over
    other_unit = rules.define(replace(DRAFT, budget_limit=5, budget_unit="redemptions"), campaign_id="cmp_1",
                              now=later, previous=running)
    assert other_unit.budget == Budget(5, BudgetUnit.REDEMPTIONS, 0)


def test_an_ended_campaign_cannot_be_saved_again():
    ended = replace(rules.define(DRAFT, campaign_id="c", now=NOW, previous=None), status=CampaignStatus.ENDED)
    with pytest.raises(Conflict, match="has ended"):
        rules.define(DRAFT, campaign_id="c", now=NOW, previous=ended)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": " "}, "name", "1 to 100"),
    ({"name": "x" * 101}, "name", "1 to 100"),
    ({"trigger": "sometimes"}, "trigger", "trigger must be one of"),
    ({"condition": "member.tier =="}, "condition", "condition, line 1, column"),
    ({"condition": "member.tier == 'gold' &&\n  unknown > 3"}, "condition", "line 2, column 3"),
    ({"condition": "[1, 2].map(x, x * 2).size() > 0"}, "condition", "not available here"),
    ({"effects": ()}, "effects", "at least one effect"),
    ({"effects": ('{"type": "nope"}',)}, "effects", "effect 1"),
    ({"starts_at": NOW, "ends_at": NOW}, "endsAt", "after startsAt"),
    ({"starts_at": datetime(2026, 1, 1)}, "startsAt", None),
    ({"priority": 1_000_001}, "priority", "between"),
    ({"per_member_cap": 0}, "perMemberCap", "at least 1"),
    ({"budget_limit": 10}, "budget", "a limit and a unit"),
    ({"budget_limit": 10, "budget_unit": "euros"}, "budget", "unit is one of"),
    ({"budget_limit": 0, "budget_unit": "points"}, "budget", "between 1 and"),
    ({"variants": (("a", 1, ()),)}, "variants", "2 to 10 variants"),
    ({"variants": (("a", 1, ()), ("a", 1, ()))}, "variants", "must differ"),
    ({"variants": (("a", 0, ()), ("b", 1, ()))}, "variants", "weight is between 1 and 1000"),
])
def test_bad_definitions_are_refused_naming_the_field(changes, field, message):
    with pytest.raises(BadUserInput, match=message) as refused:
        rules.define(replace(DRAFT, **changes), campaign_id="c", now=NOW, previous=None)
    assert refused.value.details["field"] == field


def test_a_condition_error_carries_its_line_and_column():
    with pytest.raises(BadUserInput) as refused:
        rules.compile_condition("true &&\n  member.tier == ")
    assert refused.value.details["line"] == 2


def test_the_trigger_and_an_empty_condition_are_normalised():
    made = rules.define(replace(DRAFT, trigger=" BASKET ", condition="  "), campaign_id="c", now=NOW, previous=None)
    assert (made.trigger, made.condition) == (Trigger.BASKET, "true")


@pytest.mark.parametrize(("now", "status", "runs"), [
    (NOW - timedelta(seconds=1), CampaignStatus.ACTIVE, False),
    (NOW, CampaignStatus.ACTIVE, True),
    (NOW + timedelta(days=1) - timedelta(microseconds=1), CampaignStatus.ACTIVE, True),
    (NOW + timedelta(days=1), CampaignStatus.ACTIVE, False),
    (NOW, CampaignStatus.PAUSED, False),
    (NOW, CampaignStatus.DRAFT, False),
])
def test_a_campaign_runs_from_its_start_until_before_its_end(now, status, runs):
    made = rules.define(replace(DRAFT, starts_at=NOW, ends_at=NOW + timedelta(days=1)), campaign_id="c", now=NOW,
                        previous=None)
    assert rules.running(replace(made, status=status), now) is runs


@pytest.mark.parametrize(("start", "to", "allowed"), [
    (CampaignStatus.DRAFT, CampaignStatus.ACTIVE, True), (CampaignStatus.DRAFT, CampaignStatus.PAUSED, False),
    (CampaignStatus.ACTIVE, CampaignStatus.PAUSED, True), (CampaignStatus.PAUSED, CampaignStatus.ACTIVE, True),
    (CampaignStatus.ACTIVE, CampaignStatus.DRAFT, False), (CampaignStatus.ENDED, CampaignStatus.ACTIVE, False),
    (CampaignStatus.PAUSED, CampaignStatus.ENDED, True),
])
def test_status_changes(start, to, allowed):
    made = replace(rules.define(DRAFT, campaign_id="c", now=NOW, previous=None), status=start)
    later = NOW + timedelta(minutes=1)
    if allowed:
        changed = rules.change_status(made, to, later)
        assert (changed.status, changed.updated_at) == (to, later)
    else:
        with pytest.raises(Conflict):
            rules.change_status(made, to, later)
    assert rules.change_status(made, start, later) is made  # the same status: nothing changes


def test_the_order_is_priority_then_id_never_edit_time():
    live = [campaign("b", '{"type": "free_shipping"}', priority=1), campaign("a", '{"type": "free_shipping"}'),
            campaign("c", '{"type": "free_shipping"}', priority=1)]
    assert [lc.campaign.id for lc in sorted(live, key=lambda lc: rules.order_key(lc.campaign))] == ["b", "c", "a"]


def test_variants_are_stable_per_member_and_follow_the_weights():
    ab = campaign("cmp_ab", variants=(("small", 1, ('{"type": "add_points", "points": 10}',)),
                                      ("big", 3, ('{"type": "add_points", "points": 50}',)))).campaign
    assert rules.variant_of(ab, "mbr_7") == rules.variant_of(ab, "mbr_7")
    counts = Counter(rules.variant_of(ab, f"mbr_{n}").name for n in range(4000))
    assert 900 <= counts["small"] <= 1100 and counts["small"] + counts["big"] == 4000
    assert rules.variant_of(ab, None).name == "small"
    assert rules.variant_of(campaign("plain", '{"type": "free_shipping"}').campaign, "mbr_7") is None


def test_definitions_round_trip():
    made = campaign("cmp_x", '{"type": "discount", "percent": 10, "skus": ["JKT"]}', priority=3, exclusive=True,
                    per_member_cap=2, audience="seg_vip", budget_limit=100, budget_unit="discount_cents",
                    starts_at=NOW, ends_at=NOW + timedelta(days=2), personalized=True,
                    variants=(("a", 1, ('{"type": "free_shipping"}',)), ("b", 2, ()))).campaign
    back = rules.from_definition(rules.definition(made), campaign_id=made.id, status=str(made.status),
                                 version=made.version, created_at=made.created_at, updated_at=made.updated_at,
                                 budget_used=40)
    assert back == replace(made, budget=Budget(100, BudgetUnit.DISCOUNT_CENTS, 40))


# --- coupons ------------------------------------------------------------------------------------------


def coupon(code: str = "ABCDEFGHJK", **changes) -> Coupon:
    return Coupon(**{"code": code, "status": CouponStatus.ACTIVE, "description": "10 off", "amount": Decimal("10.00"),
                     "percent": None, "member_id": "mbr_1", "issued_at": NOW - timedelta(days=1),
                     "expires_at": NOW + timedelta(days=1), **changes})


def test_codes_use_the_unambiguous_alphabet():
    assert not set("O0I1L") & set(ALPHABET)
    draws = iter(range(100))
    code = new_code(lambda n: next(draws) % n)
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert normalize_code(" abcd-efgh-jk ") == "ABCDEFGHJK" and display_code("ABCDEFGHJK") == "ABCD-EFGH-JK"


@pytest.mark.parametrize(("found", "member", "reason"), [
    (None, "mbr_1", "no such coupon"),
    (coupon(), "mbr_1", None),
    (coupon(member_id=None), None, None),
    (coupon(), "mbr_2", "issued to another member"),
    (coupon(), None, "issued to a member: identify the member first"),
    (coupon(status=CouponStatus.REDEEMED), "mbr_1", "already redeemed"),
    (coupon(status=CouponStatus.VOID), "mbr_1", "void"),
    (coupon(expires_at=NOW), "mbr_1", "expired"),
    (coupon(expires_at=NOW + timedelta(microseconds=1)), "mbr_1", None),
])
def test_why_a_coupon_cannot_be_redeemed(found, member, reason):
    assert why_not(found, member, NOW) == reason


def test_redeeming_and_voiding():
    redeemed = redeem(coupon(), "pos-1", NOW)
    assert (redeemed.status, redeemed.redeemed_by, redeemed.redeemed_at) == (CouponStatus.REDEEMED, "pos-1", NOW)
    with pytest.raises(Conflict):
        redeem(redeemed, "pos-2", NOW)
    with pytest.raises(Conflict, match="expired"):
        redeem(coupon(expires_at=NOW), "pos-3", NOW)
    assert status_at(coupon(expires_at=NOW), NOW) is CouponStatus.EXPIRED
    assert void(coupon()).status is CouponStatus.VOID
    with pytest.raises(Conflict):
        void(redeemed)


# --- the evaluation -----------------------------------------------------------------------------------


def test_base_and_tier_points_sit_on_the_lines():
    result = evaluate(basket(JACKET, SOCKS), context())
    assert [line.points for line in result.lines] == [283, 36]  # floor(189 x 1.5), floor(24 x 1.5)
    assert [(e.kind, e.points, e.description) for e in result.effects] == [
        (EffectKind.ADD_POINTS, 213, "213 points: 1 point per 1.00 spent"),
        (EffectKind.ADD_POINTS, 106, "Gold: 1.5x points"),
    ]
    assert result.points_to_earn == 319


def test_an_anonymous_basket_earns_nothing_but_gets_its_discounts():
    result = evaluate(basket(JACKET), context(campaign("c", '{"type": "discount", "percent": 10}'), member=None))
    assert (result.points_to_earn, result.total, result.discount) == (0, Decimal("170.10"), Decimal("18.90"))


def test_discounts_by_scope():
    off_socks = campaign("socks", '{"type": "discount", "amount": "2.00", "categories": ["socks"]}')
    result = evaluate(basket(JACKET, SOCKS), context(off_socks, member=BRONZE))
    assert [line.amount for line in result.lines] == [Decimal("189.00"), Decimal("18.00")]
    effect = next(e for e in result.effects if e.kind is EffectKind.DISCOUNT)
    assert (effect.amount, effect.sku, effect.campaign_id) == (Decimal("6.00"), "SOK", "socks")
    cart = campaign("cart", '{"type": "discount", "amount": "20.00"}')
    spread_off = evaluate(basket(JACKET, SOCKS), context(cart, member=BRONZE))
    assert [line.amount for line in spread_off.lines] == [Decimal("171.25"), Decimal("21.75")]  # 17.75 + 2.25 off
    assert spread_off.discount == Decimal("20.00") and spread_off.points_to_earn == 171 + 21


def test_a_discount_never_takes_a_line_below_zero():
    huge = campaign("huge", '{"type": "discount", "amount": "500.00", "skus": ["SOK"]}')
    result = evaluate(basket(JACKET, SOCKS), context(huge, member=BRONZE))
    assert [line.amount for line in result.lines] == [Decimal("189.00"), Decimal("0.00")]
    assert result.discount == Decimal("24.00")


def test_priority_and_exclusivity():
    ten = campaign("a_ten", '{"type": "discount", "percent": 10}', priority=1, exclusive=True)
    twenty = campaign("b_twenty", '{"type": "discount", "percent": 20}')
    assert evaluate(basket(JACKET), context(ten, twenty, member=BRONZE)).total == Decimal("170.10")
    first = campaign("z_first", '{"type": "discount", "percent": 10}', priority=2)
    both = evaluate(basket(JACKET), context(ten, twenty, first, member=BRONZE))
    assert both.total == Decimal("153.09")  # 10% then the exclusive 10%, then nothing
    assert [a.campaign_id for a in both.applied] == ["z_first", "a_ten"]


def test_conditions_read_the_member_the_basket_and_the_clock():
    gold_weekend = campaign("gw", '{"type": "add_points", "points": 100}',
                            condition="member.tier == 'gold' && now.day_of_week >= 6 && basket.subtotal >= 100.0 "
                                      "&& 'Jackets' in basket.categories && 'vip' in member.segments")
    assert evaluate(basket(JACKET), context(gold_weekend)).points_to_earn == 283 + 100
    assert evaluate(basket(SOCKS), context(gold_weekend)).points_to_earn == 36
    assert evaluate(basket(JACKET), context(gold_weekend, member=BRONZE)).points_to_earn == 189


def test_a_condition_that_cannot_be_evaluated_does_not_hold():
    broken = campaign("x", '{"type": "discount", "percent": 50}', condition="member.tier > 3")
    assert evaluate(basket(JACKET), context(broken, member=None)).discount == Decimal("0.00")


def test_multipliers_and_fixed_points():
    double_socks = campaign("d", '{"type": "add_points", "multiplier": 2, "skus": ["SOK"]}')
    bonus = campaign("b", '{"type": "add_points", "points": 7}')
    result = evaluate(basket(JACKET, SOCKS), context(double_socks, bonus, member=BRONZE))
    assert [line.points for line in result.lines] == [189 + 6, 24 + 24 + 1]  # 7 spread by amount: 6 and 1
    assert sum(e.points or 0 for e in result.effects) == result.points_to_earn == 244


def test_targeting_audience_consent_cap_and_budget():
    vip = campaign("vip", '{"type": "add_points", "points": 5}', audience="vip")
    personal = campaign("p", '{"type": "add_points", "points": 5}', personalized=True)
    capped = campaign("cap", '{"type": "add_points", "points": 5}', per_member_cap=2)
    assert evaluate(basket(SOCKS), context(vip)).points_to_earn == 36 + 5
    assert evaluate(basket(SOCKS), context(vip, member=BRONZE)).points_to_earn == 24
    assert evaluate(basket(SOCKS), context(personal, member=replace(GOLD, profiling=False))).points_to_earn == 36
    assert evaluate(basket(SOCKS), context(capped, usage={"cap": 1})).points_to_earn == 41
    assert evaluate(basket(SOCKS), context(capped, usage={"cap": 2})).points_to_earn == 36
    budget = campaign("bud", '{"type": "add_points", "points": 5}', budget_limit=9, budget_unit="points")
    left_4 = replace(budget.campaign, budget=Budget(9, BudgetUnit.POINTS, 5))
    assert evaluate(basket(SOCKS), context(LiveCampaign(left_4, budget.condition))).points_to_earn == 36
    left_5 = replace(budget.campaign, budget=Budget(9, BudgetUnit.POINTS, 4))
    assert evaluate(basket(SOCKS), context(LiveCampaign(left_5, budget.condition))).points_to_earn == 41


def test_a_campaign_that_does_not_fit_its_budget_applies_not_at_all():
    both = campaign("both", '{"type": "discount", "percent": 10}', '{"type": "add_points", "points": 50}',
                    budget_limit=10, budget_unit="points")
    result = evaluate(basket(JACKET), context(both, member=BRONZE))
    assert (result.discount, result.points_to_earn, result.applied) == (Decimal("0.00"), 189, ())
    money = campaign("money", '{"type": "discount", "amount": "5.00"}', budget_limit=499, budget_unit="discount_cents")
    assert evaluate(basket(JACKET), context(money, member=BRONZE)).discount == Decimal("0.00")
    money = campaign("money", '{"type": "discount", "amount": "5.00"}', budget_limit=500, budget_unit="discount_cents")
    applied = evaluate(basket(JACKET), context(money, member=BRONZE))
    assert applied.discount == Decimal("5.00") and applied.applied[0].discount_cents == 500


def test_coupons_stack_up_to_the_limit_and_an_exclusive_one_stands_alone():
    codes = {c: coupon(c, amount=Decimal("1.00")) for c in ("AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC", "DDDDDDDDDD")}
    codes["EXCLUSIVE1"] = coupon("EXCLUSIVE1", exclusive=True)
    result = evaluate(basket(JACKET, coupons=("aaaa-aaaa-aa", "AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC",
                                              "DDDDDDDDDD", "EXCLUSIVE1", "ZZZZZZZZZZ")),
                      context(coupons=codes))
    outcome = [(e.kind, e.coupon_code, e.description.split(": ", 1)[1]) for e in result.effects
               if e.kind in (EffectKind.COUPON_ACCEPTED, EffectKind.COUPON_REJECTED)]
    assert outcome == [
        (EffectKind.COUPON_ACCEPTED, "AAAAAAAAAA", "10 off"),
        (EffectKind.COUPON_REJECTED, "AAAAAAAAAA", "already in this basket"),
        (EffectKind.COUPON_ACCEPTED, "BBBBBBBBBB", "10 off"),
        (EffectKind.COUPON_ACCEPTED, "CCCCCCCCCC", "10 off"),
        (EffectKind.COUPON_REJECTED, "DDDDDDDDDD", "at most 3 coupons per basket"),
        (EffectKind.COUPON_REJECTED, "EXCLUSIVE1", "at most 3 coupons per basket"),
        (EffectKind.COUPON_REJECTED, "ZZZZZZZZZZ", "no such coupon"),
    ]
    assert result.coupons_redeemed == ("AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC")
    alone = evaluate(basket(JACKET, coupons=("EXCLUSIVE1", "AAAAAAAAAA")), context(coupons=codes))
    assert alone.coupons_redeemed == ("EXCLUSIVE1",) and alone.discount == Decimal("10.00")
    after = evaluate(basket(JACKET, coupons=("AAAAAAAAAA", "EXCLUSIVE1")), context(coupons=codes))
    assert after.coupons_redeemed == ("AAAAAAAAAA",)


def test_a_percent_coupon_takes_its_share_of_what_is_left():
    pct = {"PCTPCTPCT2": coupon("PCTPCTPCT2", amount=None, percent=Decimal(10))}
    result = evaluate(basket(JACKET, coupons=("PCTPCTPCT2",)), context(campaign("c", '{"type": "discount",'
                                                                                 ' "amount": "9.00"}'), coupons=pct))
    assert result.discount == Decimal("27.00")  # 9.00, then 10% of 180.00


def test_free_shipping_and_issued_coupons():
    rules_ = (campaign("ship", '{"type": "free_shipping"}'),
              campaign("next", '{"type": "issue_coupon", "amount": "10.00", "valid_days": 30}'))
    result = evaluate(basket(JACKET), context(*rules_))
    assert result.free_shipping
    assert [(c.campaign_id, c.spec.valid_days) for c in result.coupons_to_issue] == [("next", 30)]
    anonymous = evaluate(basket(JACKET), context(*rules_, member=None))
    assert anonymous.coupons_to_issue == () and EffectKind.ISSUE_COUPON not in {e.kind for e in anonymous.effects}


def test_exposures_and_the_applied_variant():
    ab = campaign("ab", condition="basket.subtotal > 100.0",
                  variants=(("a", 1, ('{"type": "add_points", "points": 1}',)),
                            ("b", 1, ('{"type": "add_points", "points": 2}',))))
    hit = evaluate(basket(JACKET), context(ab))
    miss = evaluate(basket(SOCKS), context(ab))
    variant = rules.variant_of(ab.campaign, "mbr_1").name
    assert hit.exposed == miss.exposed == (("ab", variant),)
    assert [(a.campaign_id, a.variant) for a in hit.applied] == [("ab", variant)] and miss.applied == ()


def test_spread_adds_up_and_breaks_ties_to_the_earlier():
    assert spread(10, [1, 1, 1]) == [4, 3, 3]
    assert spread(7, [0, 0]) == [4, 3]
    assert spread(0, [5, 5]) == [0, 0]
    assert spread(5, []) == []


def test_condition_values_for_a_member():
    values = condition_values(replace(GOLD, birthday=datetime(1990, 11, 28).date(), enrolled_at=NOW - timedelta(days=3),
                                      traits=Traits(4, 2, Decimal("120.50"), 0.7)), NOW)
    assert values["birthday_today"] is True and values["enrolled_days"] == 3
    assert values["traits"] == {"recency_days": 4, "frequency_90d": 2, "monetary_365d": 120.5, "lapse_risk": 0.7}
    opted_out = condition_values(replace(GOLD, profiling=False, traits=Traits(lapse_risk=0.7)), NOW)
    assert opted_out["traits"]["lapse_risk"] is None  # a score is never read without the consent
    assert values["consents"]["profiling"] is True and values["segments"] == ["vip"]
    assert condition_values(None, NOW) is None


# --- properties ------------------------------------------------------------------------------------------

EFFECTS = st.sampled_from([
    '{"type": "discount", "percent": 10}', '{"type": "discount", "percent": 100, "skus": ["B"]}',
    '{"type": "discount", "amount": "3.33"}', '{"type": "discount", "amount": "0.50", "per_line": true}',
    '{"type": "discount", "amount": "99.00", "categories": ["Socks"]}', '{"type": "add_points", "points": 17}',
    '{"type": "add_points", "multiplier": 2.5, "skus": ["A"]}', '{"type": "free_shipping"}',
])
CAMPAIGNS = st.lists(st.tuples(st.integers(-2, 2), st.booleans(), st.lists(EFFECTS, min_size=1, max_size=3),
                               st.none() | st.integers(1, 300)), max_size=6)
LINES = st.lists(st.tuples(st.sampled_from(["A", "B", "SOK", "JKT"]), st.integers(1, 5),
                           st.decimals(Decimal("0.00"), Decimal("300.00"), places=2)), min_size=1, max_size=8)


def _live(specs) -> list[LiveCampaign]:
    made = []
    for n, (priority, exclusive, effects, budget) in enumerate(specs):
        made.append(campaign(f"c{n}", *effects, priority=priority, exclusive=exclusive, budget_limit=budget,
                             budget_unit="points" if budget else None))
    return made


@settings(max_examples=300, deadline=None)
@given(lines=LINES, specs=CAMPAIGNS, member=st.sampled_from([GOLD, BRONZE, None]), order=st.randoms())
def test_every_evaluation_adds_up_never_goes_below_zero_and_ignores_listing_order(lines, specs, member, order):
    live = _live(specs)
    shop = Basket(Channel.POS, tuple(BasketLine(sku, qty, price) for sku, qty, price in lines), "st_1")
    result = evaluate(shop, context(*live, member=member))
    assert all(line.amount >= 0 for line in result.lines)
    assert result.total == sum((line.amount for line in result.lines), Decimal("0.00"))
    assert result.discount == result.subtotal - result.total >= 0
    assert result.discount == sum((e.amount for e in result.effects if e.kind is EffectKind.DISCOUNT), Decimal(0))
    assert result.points_to_earn == sum(line.points for line in result.lines)
    assert result.points_to_earn == sum(e.points or 0 for e in result.effects if e.kind is EffectKind.ADD_POINTS)
    if member is None:
        assert result.points_to_earn == 0
    for applied in result.applied:  # a budget is never passed
        budget = next(lc.campaign.budget for lc in live if lc.campaign.id == applied.campaign_id)
        assert budget is None or applied.points <= budget.left
    shuffled = list(live)
    order.shuffle(shuffled)
    assert evaluate(shop, context(*shuffled, member=member)) == result
