"""The ledger through the gateway, with a clock the tests move: returns per line,
pending points, expiry, adjustments, tiers."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.auth import Role
from core.clock import ManualClock
from subgraphs.ledger import handlers as ledger
from subgraphs.ledger.domain import add_months
from tests.support.graphql import subscribe
from tests.support.stack import Stack, make_settings

START = datetime(2026, 3, 2, 10, tzinfo=UTC)

POINTS = """query($id: ID!) { member(id: $id) {
  points { available pending lifetimeEarned expiringNext { points on } }
  tier { current { name } qualifyingPoints }
  activity(first: 10) { edges { node { kind points balanceAfter reference description } } }
} }"""

RETURN = """mutation($input: ReturnInput!) {
  recordReturn(input: $input) { externalId pointsReversed member { points { available pending } } }
}"""

ADJUST = """mutation($input: AdjustPointsInput!) {
  adjustPoints(input: $input) { kind points balanceAfter description channel }
}"""

JACKET = {"sku": "JKT-TRAIL-SHELL", "quantity": 1, "unitPrice": "149.00", "size": "M"}
SOCKS = {"sku": "SOK-CREW-3PK", "quantity": 3, "unitPrice": "24.00"}  # 72 points, 24 a pack


@pytest.fixture(scope="module")
async def timed(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """The embedded stack on a manual clock; the scheduled jobs run when a test says so."""
    running = Stack(make_settings(tmp_path_factory.mktemp("ledger")), clock=ManualClock(START))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def clock(stack: Stack) -> ManualClock:
    assert isinstance(stack.clock, ManualClock)
    return stack.clock


async def run_jobs(stack: Stack, *, days: float = 0) -> None:
    clock(stack).advance(timedelta(days=days))
    await ledger.run_schedule(stack.host.runtime("ledger"))  # type: ignore[union-attr]


async def points(stack: Stack, member_id: str) -> dict:
    return (await stack.gql(POINTS, {"id": member_id}, stack.cashier)).ok()["member"]


async def give_back(stack: Stack, external_id: str, purchase: str, *lines: tuple[str, int]):
    return await stack.gql(RETURN, {"input": {"externalId": external_id, "purchaseExternalId": purchase,
                                              "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines]}},
                           stack.cashier)


async def test_partial_then_full_returns_take_back_exactly_what_lines_earned(timed: Stack) -> None:
    member = await timed.enroll("Returner")
    (await timed.checkout(member, "ret-1", [JACKET, SOCKS])).ok()
    assert (await points(timed, member))["points"]["available"] == 221

    one_pack = (await give_back(timed, "ret-1-a", "ret-1", ("SOK-CREW-3PK", 1))).ok()["recordReturn"]
    assert one_pack["pointsReversed"] == 24
    assert one_pack["member"]["points"]["available"] == 197
    rest = (await give_back(timed, "ret-1-b", "ret-1", ("SOK-CREW-3PK", 2), ("JKT-TRAIL-SHELL", 1))).ok()
    assert rest["recordReturn"]["pointsReversed"] == 48 + 149
    state = await points(timed, member)
    assert state["points"]["available"] == 0
    assert state["points"]["lifetimeEarned"] == 0
    kinds = [(e["node"]["kind"], e["node"]["points"], e["node"]["reference"]) for e in state["activity"]["edges"]]
    assert kinds == [("REVERSE", -197, "ret-1-b"), ("REVERSE", -24, "ret-1-a"), ("EARN", 221, "ret-1")]


async def test_a_line_cannot_be_returned_twice(timed: Stack) -> None:
    member = await timed.enroll("Twice")
    (await timed.checkout(member, "ret-2", [SOCKS])).ok()
    first = (await give_back(timed, "ret-2-a", "ret-2", ("SOK-CREW-3PK", 3))).ok()["recordReturn"]
    replay = (await give_back(timed, "ret-2-a", "ret-2", ("SOK-CREW-3PK", 3))).ok()["recordReturn"]
    assert first["pointsReversed"] == replay["pointsReversed"] == 72
    second = await give_back(timed, "ret-2-b", "ret-2", ("SOK-CREW-3PK", 1))
    assert second.codes == ["CONFLICT"]
    misuse = await give_back(timed, "ret-2-a", "ret-2", ("SOK-CREW-3PK", 1))  # the same id, another return
    assert misuse.codes == ["CONFLICT"]
    assert (await give_back(timed, "ret-2-c", "ret-2", ("CAP-TRAIL", 1))).codes == ["BAD_USER_INPUT"]
    assert (await give_back(timed, "ret-2-d", "no-such-purchase", ("CAP-TRAIL", 1))).codes == ["NOT_FOUND"]
    state = await points(timed, member)
    assert state["points"]["available"] == 0
    assert [e["node"]["kind"] for e in state["activity"]["edges"]] == ["REVERSE", "EARN"]


async def test_returning_points_already_spent_records_a_debt_the_next_purchase_settles(timed: Stack) -> None:
    """The demo program caps balances at zero: what was spent is owed, then settled."""
    member = await timed.enroll("Spender")
    (await timed.checkout(member, "ret-3", [JACKET])).ok()
    supervisor = timed.token(Role.SUPERVISOR, "sup-1")
    spent = (await timed.gql(ADJUST, {"input": {"memberId": member, "points": -100, "reason": "Gift card swap",
                                                "idempotencyKey": "adj-ret-3"}}, supervisor)).ok()
    assert spent["adjustPoints"]["balanceAfter"] == 49
    returned = (await give_back(timed, "ret-3-a", "ret-3", ("JKT-TRAIL-SHELL", 1))).ok()["recordReturn"]
    assert returned["pointsReversed"] == 149
    assert returned["member"]["points"]["available"] == 0  # never below zero: 100 are owed
    (await timed.checkout(member, "ret-3-next", [SOCKS])).ok()  # 72 points: all of them settle the debt
    state = await points(timed, member)
    assert state["points"]["available"] == 0
    rows = [(e["node"]["kind"], e["node"]["points"]) for e in state["activity"]["edges"]]
    assert rows[:2] == [("REVERSE", -72), ("EARN", 72)]
    (await timed.checkout(member, "ret-3-more", [JACKET])).ok()
    assert (await points(timed, member))["points"]["available"] == 149 - 28


async def test_online_points_stay_pending_through_the_return_window(timed: Stack) -> None:
    member = await timed.enroll("Online")
    basket = {"channel": "ECOMMERCE", "memberId": member, "lines": [JACKET, SOCKS]}
    (await timed.gql("mutation($i: CheckoutInput!) { checkout(input: $i) { pointsEarned } }",
                     {"i": {"externalId": "web-1", "basket": basket}}, timed.cashier)).ok()
    state = await points(timed, member)
    assert state["points"] | {"expiringNext": None} == {"available": 0, "pending": 221, "lifetimeEarned": 221,
                                                        "expiringNext": None}
    assert state["tier"]["qualifyingPoints"] == 0  # tiers count matured points only
    returned = (await give_back(timed, "web-1-a", "web-1", ("SOK-CREW-3PK", 3))).ok()["recordReturn"]
    assert returned["member"]["points"] == {"available": 0, "pending": 149}  # taken from pending
    member_token = timed.token(Role.MEMBER, member)
    earning = (await timed.gql("query($id: ID!) { member(id: $id) { activity(first: 5) { edges { node { id kind } } } "
                               "} }", {"id": member}, timed.cashier)).ok()["member"]["activity"]["edges"]
    earning_id = next(e["node"]["id"] for e in earning if e["node"]["kind"] == "EARN")
    async with subscribe(timed.url, "subscription($m: ID!) { walletUpdated(memberId: $m) { change points entry { "
                         "id kind points reference } member { points { available pending } } } }", {"m": member},
                         member_token) as wallet:
        await timed.wait_for_live_subscriber(member)
        await run_jobs(timed, days=13)
        assert (await points(timed, member))["points"]["pending"] == 149
        await run_jobs(timed, days=1.01)
        event = (await wallet.next())["data"]["walletUpdated"]
    # Not a new entry: the earning a wallet already lists (same id) had its points mature.
    assert event == {"change": "POINTS_MATURED", "points": 149,
                     "entry": {"id": earning_id, "kind": "EARN", "points": 221, "reference": "web-1"},
                     "member": {"points": {"available": 149, "pending": 0}}}
    assert (await points(timed, member))["tier"]["qualifyingPoints"] == 149


async def test_points_expire_first_expiring_first(timed: Stack) -> None:
    member = await timed.enroll("Expiry")
    (await timed.checkout(member, "exp-1", [JACKET])).ok()  # 149, expires 18 months later
    await run_jobs(timed, days=200)
    (await timed.checkout(member, "exp-2", [SOCKS])).ok()  # 72
    state = await points(timed, member)
    first_expiry = datetime.fromisoformat(state["points"]["expiringNext"]["on"]).date()
    assert state["points"]["expiringNext"]["points"] == 149
    await run_jobs(timed, days=(datetime.combine(first_expiry, datetime.min.time(), UTC) - clock(timed).now()
                                ).days + 1)
    state = await points(timed, member)
    assert state["points"]["available"] == 72
    assert state["activity"]["edges"][0]["node"] | {"reference": None} == {
        "kind": "EXPIRE", "points": -149, "balanceAfter": 72, "reference": None,
        "description": "149 points expired"}
    again = await ledger.run_schedule(timed.host.runtime("ledger"))  # type: ignore[union-attr]
    assert again == 0 and (await points(timed, member))["points"]["available"] == 72


async def test_adjustments_need_a_supervisor_and_a_reason(timed: Stack) -> None:
    member = await timed.enroll("Adjusted")
    supervisor = timed.token(Role.SUPERVISOR, "sup-7")
    adjust = {"memberId": member, "points": 250, "reason": "Goodwill: late delivery", "idempotencyKey": "adj-1"}
    entry = (await timed.gql(ADJUST, {"input": adjust}, supervisor)).ok()["adjustPoints"]
    assert entry == {"kind": "ADJUST", "points": 250, "balanceAfter": 250, "description": "Goodwill: late delivery",
                     "channel": "CRM"}
    assert (await timed.gql(ADJUST, {"input": adjust}, supervisor)).ok()["adjustPoints"] == entry  # a repeat
    assert (await timed.gql(ADJUST, {"input": adjust}, timed.cashier)).codes == ["FORBIDDEN"]
    assert (await timed.gql(ADJUST, {"input": adjust | {"reason": "  "}}, supervisor)).codes == ["BAD_USER_INPUT"]
    assert (await timed.gql(ADJUST, {"input": adjust | {"points": 0, "idempotencyKey": "adj-0"}},
                            supervisor)).codes == ["BAD_USER_INPUT"]
    assert (await timed.gql(ADJUST, {"input": adjust | {"points": -251, "idempotencyKey": "adj-2"}},
                            supervisor)).codes == ["CONFLICT"]
    assert (await timed.gql(ADJUST, {"input": adjust | {"points": 5}}, supervisor)).codes == ["CONFLICT"]
    assert (await timed.gql(ADJUST, {"input": adjust | {"memberId": "mbr_nobody", "idempotencyKey": "adj-3"}},
                            supervisor)).codes == ["NOT_FOUND"]
    assert (await points(timed, member))["points"]["available"] == 250
    who = await timed.scalar("ledger", "SELECT actor FROM entries WHERE idempotency_key = :k", k="adjust:adj-1")
    assert who == "supervisor:sup-7"


async def test_crossing_gold_delivers_tier_changed_and_wallet_updated(timed: Stack) -> None:
    member = await timed.enroll("Climber")
    big = {"sku": "VST-HYDRO-8", "quantity": 38, "unitPrice": "129.00", "size": "M"}  # 4902 points: Silver
    (await timed.checkout(member, "tier-1", [big])).ok()
    assert (await points(timed, member))["tier"]["current"]["name"] == "Silver"
    token = timed.token(Role.MEMBER, member)
    tier_query = ("subscription($m: ID!) { tierChanged(memberId: $m) { from { name } to { name } "
                  "member { givenName tier { current { name } progress } } } }")
    wallet_query = "subscription($m: ID!) { walletUpdated(memberId: $m) { entry { points } member { tier { current { name } } } } }"
    async with subscribe(timed.url, tier_query, {"m": member}, token) as tiers, \
            subscribe(timed.url, wallet_query, {"m": member}, token) as wallet:
        await timed.wait_for_live_subscriber(member)
        # +149 x Silver's 1.25 = 186 (the engine applies the tier it learned from TierChanged): 5088 is Gold
        (await timed.checkout(member, "tier-2", [JACKET])).ok()
        change = (await tiers.next())["data"]["tierChanged"]
        update = (await wallet.next())["data"]["walletUpdated"]
    assert change == {"from": {"name": "Silver"}, "to": {"name": "Gold"},
                      "member": {"givenName": "Climber", "tier": {"current": {"name": "Gold"}, "progress": 0.0088}}}
    assert update == {"entry": {"points": 186}, "member": {"tier": {"current": {"name": "Gold"}}}}
    milestones = await timed.scalar(
        "ledger", "SELECT count(*) FROM outbox WHERE subject = 'loyalty.ledger.MilestoneReached' "
        "AND CAST(body AS TEXT) LIKE :m", m=f"%{member}%")
    assert milestones == 2  # 1,000 and 5,000 lifetime points


REVIEW = """query($id: ID!) { member(id: $id) {
  tier { current { name } reviewAt graceUntil pointsToKeep keptUntil }
} }"""


async def review(stack: Stack, member_id: str) -> dict:
    """The member's tier and its next review, the times as datetimes."""
    tier = (await stack.gql(REVIEW, {"id": member_id}, stack.cashier)).ok()["member"]["tier"]
    return {key: datetime.fromisoformat(value) if key in ("reviewAt", "graceUntil", "keptUntil") and value
            else value for key, value in tier.items()}


async def test_tiers_go_down_only_at_review_one_level_after_grace(timed: Stack) -> None:
    member = await timed.enroll("Reviewed")
    assert await review(timed, member) == {"current": {"name": "Bronze"}, "reviewAt": None, "graceUntil": None,
                                           "pointsToKeep": None, "keptUntil": None}  # nothing to review
    big = {"sku": "VST-HYDRO-8", "quantity": 40, "unitPrice": "129.00", "size": "M"}  # 5160 points: Gold
    supervisor = timed.token(Role.SUPERVISOR)  # a line above the checkout limits
    gold_at = clock(timed).now()
    (await timed.checkout(member, "review-1", [big], token=supervisor)).ok()
    reviewed_at = add_months(gold_at, 12)
    assert await review(timed, member) == {"current": {"name": "Gold"}, "reviewAt": reviewed_at, "graceUntil": None,
                                           "pointsToKeep": 0, "keptUntil": add_months(gold_at, 24)}
    await give_back(timed, "review-1-a", "review-1", ("VST-HYDRO-8", 40))
    assert await review(timed, member) == {"current": {"name": "Gold"},  # no downgrade before review
                                           "reviewAt": reviewed_at, "graceUntil": None,
                                           "pointsToKeep": 5000, "keptUntil": None}
    await run_jobs(timed, days=366)  # the review: not qualifying, a grace period starts
    assert await review(timed, member) == {"current": {"name": "Gold"}, "reviewAt": reviewed_at,
                                           "graceUntil": reviewed_at + timedelta(days=30),
                                           "pointsToKeep": 5000, "keptUntil": None}
    await run_jobs(timed, days=31)  # grace over: one level down, not straight to Bronze
    silver_at = clock(timed).now()
    assert await review(timed, member) == {"current": {"name": "Silver"}, "reviewAt": add_months(silver_at, 12),
                                           "graceUntil": None, "pointsToKeep": 1000, "keptUntil": None}


async def test_the_book_balances(timed: Stack) -> None:
    """After everything above: for every member, the cached balance is the sum of entries and of lots."""
    balances = await timed.scalar("ledger", """
        SELECT count(*) FROM accounts a WHERE a.available + a.pending !=
          (SELECT coalesce(sum(points), 0) FROM entries e WHERE e.member_id = a.member_id)
        OR a.pending != (SELECT coalesce(sum(remaining), 0) FROM lots l WHERE l.member_id = a.member_id AND NOT matured)
        OR a.available != (SELECT coalesce(sum(remaining), 0) FROM lots l
                           WHERE l.member_id = a.member_id AND matured) - a.shortfall""")
    assert balances == 0
    total = await timed.scalar("ledger", "SELECT count(*) FROM accounts")
    assert total > 10
