"""The engine through the gateway, on its own embedded stack (no demo campaigns): a campaign
saved by an admin applies at the next checkout with no restart; races on a budget, a coupon and
a member's points end exact; a coupon that cannot be issued gives the points back (the database
refuses it for real, by a trigger); a personalised campaign skips a member who objects to
profiling; a return takes back the tier-multiplied points each line earned.

Each test names its campaigns by a SKU of its own, so the campaigns of one never touch the
baskets of another."""
from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from core.auth import Role
from subgraphs.kernel.db import create_engine
from tests.integration.test_golden_record import eventually
from tests.support.stack import Stack, make_settings

UPSERT = """mutation($c: CampaignInput!) { upsertCampaign(input: $c) { id status version effects
  budget { limit used unit } } }"""
SET_STATUS = "mutation($id: ID!, $s: CampaignStatus!) { setCampaignStatus(id: $id, status: $s) { id status version } }"
CAMPAIGN = "query($id: ID!) { campaign(id: $id) { id status version budget { limit used unit } } }"
EVALUATE = """query($b: BasketInput!) { evaluateBasket(input: $b) { subtotal discount total pointsToEarn
  effects { kind amount points couponCode campaignId description } } }"""
CHECKOUT = """mutation($i: CheckoutInput!) { checkout(input: $i) { externalId pointsEarned duplicate
  evaluation { total pointsToEarn effects { kind amount points couponCode campaignId description } } } }"""
RETURN = """mutation($i: ReturnInput!) { recordReturn(input: $i) { externalId pointsReversed } }"""
POINTS = "query($id: ID!) { member(id: $id) { points { available } tier { current { name } } } }"
COUPONS = "query($id: ID!) { member(id: $id) { coupons { code status rewardId campaignId } } }"
UPSERT_REWARD = "mutation($r: RewardInput!) { upsertReward(input: $r) { id pointsCost stock } }"
REDEEM = """mutation($m: ID!, $r: ID!, $k: String!) { redeemReward(memberId: $m, rewardId: $r, idempotencyKey: $k)
  { code status rewardId } }"""
REWARD_STOCK = "{ rewards { id stock } }"
UPDATE_CONSENTS = """mutation($id: ID!, $c: ConsentsInput!) { updateConsents(memberId: $id, input: $c)
  { consents { profiling } } }"""
external_ids = (f"engine-{n}" for n in itertools.count())
SLOW = 120.0  # seconds a racing request may take on a loaded machine (see the fixture)


@pytest.fixture(scope="module")
async def engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    # The races send 50 requests at once to one process on a shared 2-core machine: the
    # gateway waits for each as long as it takes (correctness is tested here, not speed).
    running = Stack(make_settings(tmp_path_factory.mktemp("engine"), subgraph_timeout_seconds=SLOW))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def line(sku: str, quantity: int, price: str) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, "unitPrice": price}


def basket(member: str, *lines: dict[str, Any], coupons: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"channel": "POS", "storeId": "st_portland", "memberId": member, "lines": list(lines),
            "couponCodes": list(coupons)}


def admin(stack: Stack) -> str:
    return stack.token(Role.ADMIN)


async def start_campaign(stack: Stack, campaign: dict[str, Any]) -> dict[str, Any]:
    saved = (await stack.gql(UPSERT, {"c": campaign}, admin(stack))).ok()["upsertCampaign"]
    assert saved["status"] == "DRAFT"
    (await stack.gql(SET_STATUS, {"id": saved["id"], "s": "ACTIVE"}, admin(stack))).ok()
    return saved


async def checkout(stack: Stack, shop: dict[str, Any], external_id: str | None = None) -> dict[str, Any]:
    response = await stack.gql(CHECKOUT, {"i": {"externalId": external_id or next(external_ids), "basket": shop}},
                               stack.cashier, timeout=SLOW)
    return response.ok()["checkout"]


async def evaluate(stack: Stack, shop: dict[str, Any]) -> dict[str, Any]:
    return (await stack.gql(EVALUATE, {"b": shop}, stack.cashier)).ok()["evaluateBasket"]


def of_campaign(effects: list[dict[str, Any]], campaign_id: str) -> list[dict[str, Any]]:
    return [e for e in effects if e["campaignId"] == campaign_id]


async def available(stack: Stack, member: str) -> int:
    return (await stack.gql(POINTS, {"id": member}, stack.token(Role.SUPERVISOR))).ok()["member"]["points"][
        "available"]


async def rewards_sql(stack: Stack, *statements: str) -> None:
    """Statements on the engine's own SQLite database, committed (what an operator could do)."""
    engine = create_engine(stack.settings.database_url_for("rewards"))
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


# --- campaigns are data, live at once ---------------------------------------------------------------


async def test_a_campaign_saved_through_the_gateway_applies_at_the_next_checkout(engine: Stack) -> None:
    member = await engine.enroll("Live")
    shop = basket(member, line("LIVE-SKU", 2, "10.00"))
    assert (await checkout(engine, shop))["pointsEarned"] == 20  # nothing runs yet
    campaign = {"id": "cmp_live_bonus", "name": "Live bonus", "trigger": "basket",
                "condition": "'LIVE-SKU' in basket.skus", "effects": ['{"type": "add_points", "points": 30}']}
    saved = await start_campaign(engine, campaign)
    assert saved["version"] == 1
    first = await checkout(engine, shop)  # the same processes: no restart, no cache to wait out
    assert [(e["kind"], e["points"]) for e in of_campaign(first["evaluation"]["effects"], "cmp_live_bonus")] == [
        ("ADD_POINTS", 30)]
    assert first["pointsEarned"] == 50

    changed = (await engine.gql(UPSERT, {"c": {**campaign, "effects": ['{"type": "add_points", "points": 5}']}},
                                admin(engine))).ok()["upsertCampaign"]
    assert (changed["version"], changed["status"]) == (2, "ACTIVE")  # a new version of a running campaign runs
    assert (await checkout(engine, shop))["pointsEarned"] == 25
    (await engine.gql(SET_STATUS, {"id": "cmp_live_bonus", "s": "PAUSED"}, admin(engine))).ok()
    paused = await checkout(engine, shop)
    assert (paused["pointsEarned"], of_campaign(paused["evaluation"]["effects"], "cmp_live_bonus")) == (20, [])
    assert await engine.scalar("rewards", "SELECT count(*) FROM campaign_versions WHERE campaign_id = :c",
                               c="cmp_live_bonus") == 2
    assert await available(engine, member) == 20 + 50 + 25 + 20


# --- races ----------------------------------------------------------------------------------------------


async def test_fifty_concurrent_checkouts_share_a_budget_of_ten_redemptions(engine: Stack) -> None:
    members = [await engine.enroll(f"Racer{n}") for n in range(5)]
    await start_campaign(engine, {
        "id": "cmp_budget_race", "name": "First ten", "trigger": "basket", "condition": "'RACE-SKU' in basket.skus",
        "effects": ['{"type": "add_points", "points": 7}'], "budget": {"limit": 10, "unit": "redemptions"}})
    shops = [basket(members[n % 5], line("RACE-SKU", 1, "10.00")) for n in range(50)]
    results = await asyncio.gather(*(checkout(engine, shop) for shop in shops))
    winners = [r for r in results if of_campaign(r["evaluation"]["effects"], "cmp_budget_race")]
    assert len(winners) == 10
    assert sorted({r["pointsEarned"] for r in results}) == [10, 17]
    budget = (await engine.gql(CAMPAIGN, {"id": "cmp_budget_race"}, admin(engine))).ok()["campaign"]["budget"]
    assert budget == {"limit": 10, "used": 10, "unit": "redemptions"}
    # What each member was told is what the ledger holds: 50 x 10 points and 10 x 7, nothing more.
    assert sum([await available(engine, m) for m in members]) == 50 * 10 + 10 * 7
    after = await evaluate(engine, basket(members[0], line("RACE-SKU", 1, "10.00")))
    assert of_campaign(after["effects"], "cmp_budget_race") == []


async def test_one_coupon_in_ten_concurrent_checkouts_is_redeemed_once(engine: Stack) -> None:
    member = await engine.enroll("Couponer")
    await start_campaign(engine, {
        "id": "cmp_coupon_giver", "name": "Coupon giver", "trigger": "basket",
        "condition": "'COUPON-GIVER' in basket.skus",
        "effects": ['{"type": "issue_coupon", "amount": "5.00", "valid_days": 30, "description": "5.00 off"}']})
    await checkout(engine, basket(member, line("COUPON-GIVER", 1, "1.00")))
    coupons = (await engine.gql(COUPONS, {"id": member}, engine.token(Role.MEMBER, member))).ok()["member"]["coupons"]
    [code] = [c["code"] for c in coupons if c["campaignId"] == "cmp_coupon_giver"]
    shops = [basket(member, line("COUPON-USER", 1, "20.00"), coupons=(code,)) for _ in range(10)]
    ids = [next(external_ids) for _ in shops]
    results = await asyncio.gather(*(checkout(engine, shop, i) for shop, i in zip(shops, ids, strict=True)))
    accepted = [(i, r) for i, r in zip(ids, results, strict=True)
                if any(e["kind"] == "COUPON_ACCEPTED" for e in r["evaluation"]["effects"])]
    assert len(accepted) == 1
    [(winner, won)] = accepted
    assert won["evaluation"]["total"] == "15.00"
    rejected = [r for r in results if r is not won]
    assert all(r["evaluation"]["total"] == "20.00" for r in rejected)
    assert all([e["description"] for e in r["evaluation"]["effects"] if e["kind"] == "COUPON_REJECTED"] == [
        f"coupon {code}: already redeemed"] for r in rejected)
    assert await engine.scalar("rewards", "SELECT redeemed_by FROM coupons WHERE code = :c", c=code) == winner
    assert await engine.scalar("rewards", "SELECT status FROM coupons WHERE code = :c", c=code) == "REDEEMED"


async def earn(stack: Stack, member: str, points: int) -> None:
    """`points` available, from a store purchase of an unknown SKU (1 point per 1.00, no tier yet)."""
    await checkout(stack, basket(member, line("EARN-SKU", 1, f"{points}.00")))
    assert await available(stack, member) == points


async def test_twelve_concurrent_redemptions_against_points_for_three(engine: Stack) -> None:
    member = await engine.enroll("Redeemer")
    await earn(engine, member, 350)
    (await engine.gql(UPSERT_REWARD, {"r": {"id": "rwd_race", "name": "Race voucher", "pointsCost": 100,
                                            "description": "5.00 off", "stock": 20, "couponAmount": "5.00"}},
                      admin(engine))).ok()
    token = engine.token(Role.MEMBER, member)
    results = await asyncio.gather(*(engine.gql(REDEEM, {"m": member, "r": "rwd_race", "k": f"race-{n}"}, token,
                                                timeout=SLOW) for n in range(12)))
    redeemed = [r.data["redeemReward"] for r in results if not r.errors]
    assert len(redeemed) == 3 and len({c["code"] for c in redeemed}) == 3
    assert sorted(code for r in results if r.errors for code in r.codes) == ["CONFLICT"] * 9
    assert await available(engine, member) == 50
    coupons = (await engine.gql(COUPONS, {"id": member}, token)).ok()["member"]["coupons"]
    assert sorted(c["code"] for c in coupons if c["rewardId"] == "rwd_race") == sorted(c["code"] for c in redeemed)
    stock = {r["id"]: r["stock"] for r in (await engine.gql(REWARD_STOCK)).ok()["rewards"]}
    assert stock["rwd_race"] == 17  # the refused ones gave their unit back
    assert await engine.scalar("rewards", "SELECT count(*) FROM redemptions WHERE reward_id = 'rwd_race' "
                                          "AND status = 'DONE'") == 3
    won = next(n for n, r in enumerate(results) if not r.errors)
    lost = next(n for n, r in enumerate(results) if r.errors)
    again = await engine.gql(REDEEM, {"m": member, "r": "rwd_race", "k": f"race-{won}"}, token)
    assert again.ok()["redeemReward"]["code"] == results[won].data["redeemReward"]["code"]  # a repeat: the same
    assert (await engine.gql(REDEEM, {"m": member, "r": "rwd_race", "k": f"race-{lost}"}, token)).codes == [
        "CONFLICT"]
    assert await available(engine, member) == 50


async def test_a_coupon_that_cannot_be_issued_gives_the_points_back(engine: Stack) -> None:
    member = await engine.enroll("Unlucky")
    await earn(engine, member, 300)
    (await engine.gql(UPSERT_REWARD, {"r": {"id": "rwd_broken", "name": "Broken voucher", "pointsCost": 120,
                                            "description": "never issued", "stock": 5, "couponAmount": "5.00"}},
                      admin(engine))).ok()
    # The second step fails for real: the database refuses this reward's coupons.
    await rewards_sql(engine, "CREATE TRIGGER refuse_broken_coupons BEFORE INSERT ON coupons "
                              "WHEN NEW.reward_id = 'rwd_broken' BEGIN SELECT RAISE(ABORT, 'refused by test'); END")
    try:
        token = engine.token(Role.MEMBER, member)
        refused = await engine.gql(REDEEM, {"m": member, "r": "rwd_broken", "k": "broken-1"}, token)
        assert refused.data is None and refused.codes == ["INTERNAL"]  # our failure, not the member's input
        assert refused.errors[0]["message"] == "the reward could not be issued; the points were given back"
        assert await available(engine, member) == 300  # debited, then credited back
        activity = (await engine.gql("query($id: ID!) { member(id: $id) { activity(first: 5) { edges { node { kind "
                                     "points reference } } } } }", {"id": member}, token)).ok()["member"]["activity"]
        redemption = [e["node"] for e in activity["edges"] if e["node"]["reference"] == "reward:rwd_broken"]
        assert sorted(e["points"] for e in redemption) == [-120, 120]
        assert await engine.scalar("rewards", "SELECT status FROM redemptions WHERE idempotency_key = 'broken-1'"
                                   ) == "REFUNDED"
        assert await engine.scalar("rewards", "SELECT count(*) FROM coupons WHERE reward_id = 'rwd_broken'") == 0
        stock = {r["id"]: r["stock"] for r in (await engine.gql(REWARD_STOCK)).ok()["rewards"]}
        assert stock["rwd_broken"] == 5
        repeat = await engine.gql(REDEEM, {"m": member, "r": "rwd_broken", "k": "broken-1"}, token)
        assert repeat.codes == ["CONFLICT"]  # the key's outcome stands: no second debit
        assert await available(engine, member) == 300
    finally:
        await rewards_sql(engine, "DROP TRIGGER refuse_broken_coupons")


# --- consent, tiers and returns ---------------------------------------------------------------------


async def test_a_personalised_campaign_skips_a_member_who_objects_to_profiling(engine: Stack) -> None:
    consenting, objecting = await engine.enroll("Consenting"), await engine.enroll("Objecting")
    (await engine.gql(UPDATE_CONSENTS, {"id": objecting, "c": {"profiling": False}},
                      engine.token(Role.MEMBER, objecting))).ok()

    async def engine_knows() -> None:
        assert await engine.scalar("rewards", "SELECT profiling FROM members WHERE member_id = :m",
                                   m=objecting) in (0, False)

    await eventually(engine_knows)
    await start_campaign(engine, {
        "id": "cmp_for_you", "name": "Picked for you", "trigger": "basket", "personalized": True,
        "condition": "'PERSONAL-SKU' in basket.skus", "effects": ['{"type": "add_points", "points": 40}']})
    shop = {True: basket(consenting, line("PERSONAL-SKU", 1, "10.00")),
            False: basket(objecting, line("PERSONAL-SKU", 1, "10.00"))}
    assert [e["points"] for e in of_campaign((await evaluate(engine, shop[True]))["effects"], "cmp_for_you")] == [40]
    assert of_campaign((await evaluate(engine, shop[False]))["effects"], "cmp_for_you") == []
    assert (await checkout(engine, shop[True]))["pointsEarned"] == 50
    skipped = await checkout(engine, shop[False])
    assert (skipped["pointsEarned"], of_campaign(skipped["evaluation"]["effects"], "cmp_for_you")) == (10, [])


async def test_a_return_takes_back_the_gold_multiplied_points_of_each_line(engine: Stack) -> None:
    member = await engine.enroll("Golden")
    await checkout(engine, basket(member, line("GOLD-A", 1, "2550.00"), line("GOLD-B", 1, "2550.00")))

    async def gold() -> None:
        assert (await engine.gql(POINTS, {"id": member}, engine.cashier)).ok()["member"]["tier"]["current"][
            "name"] == "Gold"
        assert await engine.scalar("rewards", "SELECT tier_name FROM member_tiers WHERE member_id = :m",
                                   m=member) == "Gold"

    await eventually(gold)
    before = await available(engine, member)
    bought = await checkout(engine, basket(member, line("BOOTS", 3, "15.00"), line("LACES", 1, "33.00")))
    # 45 and 33 base points, 1.5x each, floored per line: 67 and 49
    assert bought["pointsEarned"] == 67 + 49
    assert await available(engine, member) == before + 116
    purchase = bought["externalId"]
    returns = [("BOOTS", 1, 67 * 1 // 3), ("BOOTS", 2, 67 - 67 * 1 // 3), ("LACES", 1, 49)]
    taken = 0
    for sku, quantity, points in returns:
        back = (await engine.gql(RETURN, {"i": {"externalId": next(external_ids), "purchaseExternalId": purchase,
                                                "lines": [{"sku": sku, "quantity": quantity}]}}, engine.cashier)
                ).ok()["recordReturn"]
        assert back["pointsReversed"] == points
        taken += points
        assert await available(engine, member) == before + 116 - taken
    assert taken == 116  # every unit back: exactly what the purchase earned, Gold's half included
    lines = json.loads(await engine.scalar("rewards", "SELECT evaluation FROM purchases WHERE external_id = :e",
                                           e=purchase))["lines"]
    assert [(ln["sku"], ln["points"]) for ln in lines] == [("BOOTS", 67), ("LACES", 49)]
    assert Decimal(bought["evaluation"]["total"]) == Decimal("78.00")


# --- bad input: the right code, nothing stored ----------------------------------------------------------

DRY_RUN = """query($c: CampaignInput!, $m: ID!, $e: String) { dryRunCampaign(input: $c, memberId: $m, event: $e)
  { kind points campaignId } }"""
ALL_CAMPAIGNS = "{ campaigns { id status version effects condition } }"
ALL_REWARDS = "{ rewards { id name pointsCost stock active } }"


def draft(campaign_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": campaign_id, "name": "Bad input", "trigger": "basket", "condition": "true",
            "effects": ['{"type": "add_points", "points": 1}'], **fields}


async def stored(stack: Stack) -> tuple[Any, ...]:
    """Everything an admin mutation could have written, through the API and in the tables."""
    campaigns = (await stack.gql(ALL_CAMPAIGNS, token=admin(stack))).ok()["campaigns"]
    rewards = (await stack.gql(ALL_REWARDS, token=admin(stack))).ok()["rewards"]
    counts = [await stack.scalar("rewards", f"SELECT count(*) FROM {table}") for table in (
        "campaigns", "campaign_versions", "campaign_budgets", "rewards_catalogue", "coupons", "redemptions")]
    return campaigns, rewards, counts


async def test_a_condition_that_is_not_cel_is_refused_with_its_position(engine: Stack) -> None:
    before = await stored(engine)
    for condition, line_number in (("basket.subtotal >", 1), ("basket.subtotal > 10 &&\n  basket.skus[", 2)):
        refused = await engine.gql(UPSERT, {"c": draft("cmp_bad_cel", condition=condition)}, admin(engine))
        assert refused.codes == ["BAD_USER_INPUT"] and refused.data is None
        where = refused.errors[0]["extensions"]
        assert (where["field"], where["line"]) == ("condition", line_number)
        assert 1 <= where["column"] <= len(condition.splitlines()[-1]) + 1
    for condition in ("shoe_size > 42", "basket.skus.map(s, s == 'X').size() > 0", "x" * 2001):
        refused = await engine.gql(UPSERT, {"c": draft("cmp_bad_cel", condition=condition)}, admin(engine))
        assert refused.codes == ["BAD_USER_INPUT"], condition  # unknown variable, a macro, too long
    dry = await engine.gql(DRY_RUN, {"c": draft("cmp_bad_cel", condition="basket.subtotal >"), "m": "mbr_x"},
                           admin(engine))
    assert dry.codes == ["BAD_USER_INPUT"]
    assert await stored(engine) == before
    assert (await engine.gql(CAMPAIGN, {"id": "cmp_bad_cel"}, admin(engine))).ok()["campaign"] is None


async def test_an_effect_spec_that_does_not_hold_is_refused(engine: Stack) -> None:
    before = await stored(engine)
    bad_specs = [
        "not json",
        '{"type": "teleport"}',
        '{"type": "discount"}',  # neither percent nor amount
        '{"type": "discount", "percent": 150}',
        '{"type": "discount", "percent": 10, "amount": "5.00"}',
        '{"type": "discount", "amount": "-5.00"}',
        '{"type": "add_points", "points": 0}',
        '{"type": "add_points", "points": 2147483648}',
        '{"type": "issue_coupon", "amount": "10.00", "valid_days": 0}',
        '{"type": "free_shipping", "surprise": true}',
        '["a list"]',
    ]
    for spec in bad_specs:
        refused = await engine.gql(UPSERT, {"c": draft("cmp_bad_effect", effects=[spec])}, admin(engine))
        assert refused.codes == ["BAD_USER_INPUT"], spec
        assert refused.errors[0]["extensions"]["field"] == "effects", spec
    # Discounts need a basket; an event campaign cannot have one.
    on_event = draft("cmp_bad_effect", trigger="purchase", effects=['{"type": "discount", "percent": 10}'])
    assert (await engine.gql(UPSERT, {"c": on_event}, admin(engine))).codes == ["BAD_USER_INPUT"]
    variants = draft("cmp_bad_effect", variants=[{"name": "A", "weight": 1, "effects": ['{"type": "nope"}']},
                                                 {"name": "B", "weight": 1, "effects": []}])
    assert (await engine.gql(UPSERT, {"c": variants}, admin(engine))).codes == ["BAD_USER_INPUT"]
    budget = draft("cmp_bad_effect", budget={"limit": 10, "unit": "euros"})
    assert (await engine.gql(UPSERT, {"c": budget}, admin(engine))).codes == ["BAD_USER_INPUT"]
    assert await stored(engine) == before


async def test_an_unknown_campaign_is_not_found_and_nothing_is_made(engine: Stack) -> None:
    before = await stored(engine)
    for status in ("ACTIVE", "PAUSED", "ENDED"):
        refused = await engine.gql(SET_STATUS, {"id": "cmp_nowhere", "s": status}, admin(engine))
        assert refused.codes == ["NOT_FOUND"] and refused.data is None
    assert (await engine.gql(CAMPAIGN, {"id": "cmp_nowhere"}, admin(engine))).ok()["campaign"] is None
    dry = await engine.gql(DRY_RUN, {"c": draft("cmp_dry"), "m": "mbr_nobody_at_all"}, admin(engine))
    assert dry.codes == ["NOT_FOUND"]
    redeem = await engine.gql(REDEEM, {"m": await engine.enroll("NoSuchReward"), "r": "rwd_nowhere", "k": "nowhere-1"},
                              admin(engine))
    assert redeem.codes == ["NOT_FOUND"]
    assert await stored(engine) == before


async def test_an_ended_campaign_cannot_run_or_change_again(engine: Stack) -> None:
    await start_campaign(engine, draft("cmp_ended", condition="'ENDED-SKU' in basket.skus"))
    (await engine.gql(SET_STATUS, {"id": "cmp_ended", "s": "ENDED"}, admin(engine))).ok()
    before = await stored(engine)
    assert (await engine.gql(SET_STATUS, {"id": "cmp_ended", "s": "ACTIVE"}, admin(engine))).codes == ["CONFLICT"]
    assert (await engine.gql(UPSERT, {"c": draft("cmp_ended", name="Revived")}, admin(engine))).codes == [
        "CONFLICT"]
    assert await stored(engine) == before


async def test_only_admins_run_campaigns_and_the_catalogue(engine: Stack) -> None:
    member = await engine.enroll("Meddler")
    await start_campaign(engine, draft("cmp_guarded", condition="'GUARDED-SKU' in basket.skus"))
    (await engine.gql(UPSERT_REWARD, {"r": {"id": "rwd_guarded", "name": "Guarded", "pointsCost": 500,
                                            "description": "as the admin set it", "stock": 3}}, admin(engine))).ok()
    before = await stored(engine)
    new_campaign = draft("cmp_sneaky", effects=['{"type": "add_points", "points": 100000}'])
    changed_campaign = draft("cmp_guarded", effects=['{"type": "add_points", "points": 100000}'])
    reward = {"id": "rwd_guarded", "name": "Guarded", "pointsCost": 1, "description": "free now", "stock": 1000}
    new_reward = {"id": "rwd_sneaky", "name": "Sneaky", "pointsCost": 1, "description": "free"}
    attempts = [
        (UPSERT, {"c": new_campaign}),
        (UPSERT, {"c": changed_campaign}),
        (SET_STATUS, {"id": "cmp_guarded", "s": "ENDED"}),
        (UPSERT_REWARD, {"r": reward}),
        (UPSERT_REWARD, {"r": new_reward}),
        (DRY_RUN, {"c": new_campaign, "m": member, "e": '{"lines": [{"sku": "X", "quantity": 1, "unitPrice": "1"}]}'}),
    ]
    tokens = {"member": engine.token(Role.MEMBER, member), "cashier": engine.cashier,
              "supervisor": engine.token(Role.SUPERVISOR)}
    for who, token in tokens.items():
        for query, variables in attempts:
            refused = await engine.gql(query, variables, token)
            assert refused.codes == ["FORBIDDEN"], (who, query, refused.errors)
            assert refused.data is None, (who, query)
    for query, variables in attempts:
        assert (await engine.gql(query, variables)).codes == ["UNAUTHENTICATED"], query
    assert await stored(engine) == before
    still = (await engine.gql(CAMPAIGN, {"id": "cmp_guarded"}, admin(engine))).ok()["campaign"]
    assert (still["status"], still["version"]) == ("ACTIVE", 1)
    shop = basket(member, line("GUARDED-SKU", 1, "10.00"))
    assert [e["points"] for e in of_campaign((await evaluate(engine, shop))["effects"], "cmp_guarded")] == [1]
