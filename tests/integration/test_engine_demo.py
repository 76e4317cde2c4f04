"""The demo program's campaigns and rewards, each kind through the gateway, on a stack seeded
with them and a clock on a Saturday: free shipping for Silver and up online, the weekend
bonus within its budget, the A/B shoe bonus with its counts, double points on hydration,
Gold's accessories discount, the coupon a big basket gives and its redemption, the rewards
catalogue and what a member can afford."""
from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.auth import Role
from core.clock import ManualClock
from tests.integration.test_golden_record import eventually
from tests.support.stack import Stack, make_settings

SATURDAY = datetime(2026, 11, 28, 11, tzinfo=UTC)
EVALUATE = """query($b: BasketInput!) { evaluateBasket(input: $b) { subtotal discount total pointsToEarn
  effects { kind description amount points couponCode campaignId } } }"""
CHECKOUT = """mutation($i: CheckoutInput!) { checkout(input: $i) { pointsEarned
  evaluation { discount total effects { kind amount points couponCode campaignId } } } }"""
TIER = "query($id: ID!) { member(id: $id) { tier { current { name } } points { available } } }"
CAMPAIGNS = "{ campaigns { id status version budget { limit used unit } variants { name exposures conversions } } }"
external_ids = (f"demo-{n}" for n in itertools.count())


@pytest.fixture(scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    running = Stack(make_settings(tmp_path_factory.mktemp("engine-demo")), clock=ManualClock(SATURDAY),
                    campaigns=True)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def line(sku: str, quantity: int, price: str, size: str | None = None) -> dict:
    return {"sku": sku, "quantity": quantity, "unitPrice": price, "size": size}


def basket(member: str | None, *lines: dict, channel: str = "POS", coupons: tuple[str, ...] = ()) -> dict:
    found = {"channel": channel, "lines": list(lines), "couponCodes": list(coupons)}
    if channel == "POS":
        found["storeId"] = "st_portland"
    if member:
        found["memberId"] = member
    return found


async def evaluate(demo: Stack, shop: dict) -> dict:
    return (await demo.gql(EVALUATE, {"b": shop}, demo.token(Role.SERVICE))).ok()["evaluateBasket"]


async def checkout(demo: Stack, shop: dict) -> dict:
    return (await demo.gql(CHECKOUT, {"i": {"externalId": next(external_ids), "basket": shop}},
                           demo.token(Role.SUPERVISOR))).ok()["checkout"]


def by_campaign(effects: list[dict], campaign: str) -> list[dict]:
    return [e for e in effects if e["campaignId"] == campaign]


async def reach(demo: Stack, member: str, tier: str, *lines: dict) -> None:
    """Buy until the member holds `tier`, and wait until the engine learned it (TierChanged)."""
    await checkout(demo, basket(member, *lines))

    async def learned() -> None:
        assert (await demo.gql(TIER, {"id": member}, demo.token(Role.SUPERVISOR))).ok()["member"]["tier"][
            "current"]["name"] == tier
        assert await demo.scalar("rewards", "SELECT tier_name FROM member_tiers WHERE member_id = :m", m=member) == tier

    await eventually(learned)


async def test_free_shipping_for_silver_and_up_online(demo: Stack) -> None:
    member = await demo.enroll("Shipper")
    online = basket(member, line("CAP-TRAIL", 1, "29.00"), channel="ECOMMERCE")
    assert by_campaign((await evaluate(demo, online))["effects"], "cmp_free_shipping_silver") == []  # Bronze
    await reach(demo, member, "Silver", line("TEE-MERINO-150", 16, "69.00", "M"))  # 1,104 points

    async def milestone_bonus() -> None:  # 1,000 lifetime points: the milestone campaign's 100, from the ledger
        activity = (await demo.gql("query($id: ID!) { member(id: $id) { activity(first: 5) { edges { node { kind "
                                   "points description } } } } }", {"id": member}, demo.token(Role.SUPERVISOR))
                    ).ok()["member"]["activity"]["edges"]
        assert {"kind": "BONUS", "points": 100, "description": "Milestone bonus"} in [e["node"] for e in activity]

    await eventually(milestone_bonus)
    shipped = by_campaign((await evaluate(demo, online))["effects"], "cmp_free_shipping_silver")
    assert [e["kind"] for e in shipped] == ["FREE_SHIPPING"]
    at_till = basket(member, line("CAP-TRAIL", 1, "29.00"))
    assert by_campaign((await evaluate(demo, at_till))["effects"], "cmp_free_shipping_silver") == []


async def test_the_weekend_bonus_spends_its_budget_and_stops_on_monday(demo: Stack) -> None:
    member = await demo.enroll("Weekender")
    shop = basket(member, line("SHT-SPLIT-5", 2, "45.00", "M"))  # 90.00
    bonus = by_campaign((await evaluate(demo, shop))["effects"], "cmp_weekend_bonus")
    assert [(e["kind"], e["points"]) for e in bonus] == [("ADD_POINTS", 50)]
    small = basket(member, line("SOK-CREW-3PK", 1, "24.00"))
    assert by_campaign((await evaluate(demo, small))["effects"], "cmp_weekend_bonus") == []  # under 50.00
    before = next(c for c in (await demo.gql(CAMPAIGNS, token=demo.token(Role.ADMIN))).ok()["campaigns"]
                  if c["id"] == "cmp_weekend_bonus")["budget"]
    bought = await checkout(demo, shop)
    assert bought["pointsEarned"] == 90 + 50
    after = next(c for c in (await demo.gql(CAMPAIGNS, token=demo.token(Role.ADMIN))).ok()["campaigns"]
                 if c["id"] == "cmp_weekend_bonus")["budget"]
    assert after == {**before, "used": before["used"] + 50} and after["unit"] == "points"
    assert isinstance(demo.clock, ManualClock)
    demo.clock.advance(timedelta(days=2))  # Monday
    try:
        assert by_campaign((await evaluate(demo, shop))["effects"], "cmp_weekend_bonus") == []
    finally:
        demo.clock.set(SATURDAY)


async def ab_counts(demo: Stack) -> tuple[int, int, set[str]]:
    ab = next(c for c in (await demo.gql(CAMPAIGNS, token=demo.token(Role.ADMIN))).ok()["campaigns"]
              if c["id"] == "cmp_shoe_bonus_ab")
    return (sum(v["exposures"] for v in ab["variants"]), sum(v["conversions"] for v in ab["variants"]),
            {v["name"] for v in ab["variants"]})


async def test_the_shoe_bonus_is_an_ab_test_with_counts(demo: Stack) -> None:
    exposed, converted, _ = await ab_counts(demo)
    members = [await demo.enroll(f"Runner{n}") for n in range(6)]
    for member in members:
        shoes = basket(member, line("SHO-RIDGE-TR", 1, "139.95", "42"))
        effect = by_campaign((await evaluate(demo, shoes))["effects"], "cmp_shoe_bonus_ab")
        assert len(effect) == 1 and effect[0]["points"] in (25, 75)
        again = by_campaign((await evaluate(demo, shoes))["effects"], "cmp_shoe_bonus_ab")
        assert again == effect  # a member stays in their variant
        await checkout(demo, shoes)
    await checkout(demo, basket(members[0], line("CAP-TRAIL", 1, "29.00")))  # not shoes: exposed, not converted
    assert await ab_counts(demo) == (exposed + 7, converted + 6, {"25 points", "75 points"})


async def test_double_points_on_hydration_and_gold_accessories(demo: Stack) -> None:
    member = await demo.enroll("Hydrated")
    flask = basket(member, line("BTL-SOFT-500", 2, "34.50"), line("CAP-TRAIL", 1, "29.00"))
    evaluation = await evaluate(demo, flask)
    assert [(e["kind"], e["points"]) for e in by_campaign(evaluation["effects"], "cmp_hydration_double")] == [
        ("ADD_POINTS", 69)]
    assert by_campaign(evaluation["effects"], "cmp_accessories_gold") == []  # Bronze: full price
    await reach(demo, member, "Gold", line("VST-HYDRO-8", 20, "129.00", "M"))  # 2,580 doubled: 5,160
    gold = await evaluate(demo, flask)
    discount = by_campaign(gold["effects"], "cmp_accessories_gold")
    assert [(e["kind"], e["amount"]) for e in discount] == [("DISCOUNT", "2.90")]  # 10% of the cap only
    assert gold["total"] == "95.10"
    # Gold's 1.5x on every line, the hydration double on the flasks' base points, Saturday's bonus
    assert gold["pointsToEarn"] == int(69 * 1.5) + int(26 * 1.5) + 69 + 50


async def test_a_big_basket_gives_a_coupon_for_the_next_visit(demo: Stack) -> None:
    member = await demo.enroll("Spender")
    big = basket(member, line("JKT-TRAIL-SHELL", 2, "149.00", "M"))
    preview = by_campaign((await evaluate(demo, big))["effects"], "cmp_big_basket_coupon")
    assert [(e["kind"], e["amount"], e["couponCode"]) for e in preview] == [("ISSUE_COUPON", "10.00", None)]
    await checkout(demo, big)
    coupons = (await demo.gql("query($id: ID!) { member(id: $id) { coupons { code status discountAmount "
                              "description reason campaignId } } }", {"id": member}, demo.token(Role.MEMBER, member))
               ).ok()["member"]["coupons"]
    by_campaign_id = {c["campaignId"]: c for c in coupons}
    assert by_campaign_id.keys() == {"cmp_big_basket_coupon", "cmp_welcome_coupon"}  # new members get a welcome
    big_one = by_campaign_id["cmp_big_basket_coupon"]
    assert (big_one["status"], big_one["discountAmount"], big_one["description"], big_one["reason"]) == (
        "ACTIVE", "10.00", "10.00 off your next visit", None)
    coupons = [big_one]
    code = coupons[0]["code"]
    used = await checkout(demo, basket(member, line("CAP-TRAIL", 1, "29.00"), coupons=(code,)))
    assert [(e["kind"], e["amount"]) for e in used["evaluation"]["effects"] if e["couponCode"]] == [
        ("COUPON_ACCEPTED", "10.00")]
    assert used["evaluation"]["total"] == "19.00"
    twice = await evaluate(demo, basket(member, line("CAP-TRAIL", 1, "29.00"), coupons=(code,)))
    assert [e["description"] for e in twice["effects"] if e["kind"] == "COUPON_REJECTED"] == [
        f"coupon {code}: already redeemed"]
    other = await demo.enroll("Someone")
    theirs = await evaluate(demo, basket(other, line("CAP-TRAIL", 1, "29.00"), coupons=(code,)))
    assert theirs["total"] == "29.00"


async def test_the_rewards_catalogue_and_what_a_member_can_afford(demo: Stack) -> None:
    listed = (await demo.gql("{ rewards { id name pointsCost active stock } }")).ok()["rewards"]
    assert [r["id"] for r in listed] == ["rwd_coffee", "rwd_10_off", "rwd_15_percent", "rwd_trail_cap"]
    member = await demo.enroll("Saver")
    await checkout(demo, basket(member, line("JKT-TRAIL-SHELL", 8, "149.00", "M")))  # 1,192 points at the till
    affordable = (await demo.gql("query($id: ID!) { member(id: $id) { points { available } availableRewards "
                                 "{ id pointsCost } } }", {"id": member}, demo.token(Role.MEMBER, member))
                  ).ok()["member"]
    assert affordable["points"]["available"] >= 1192
    assert [r["id"] for r in affordable["availableRewards"]] == ["rwd_coffee", "rwd_10_off"]
