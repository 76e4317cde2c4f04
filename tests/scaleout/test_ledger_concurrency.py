"""Per-member serialisation on real PostgreSQL: concurrent debits never take the
balance below zero, and racing repeats of one key post once."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from core.auth import Role
from tests.support.graphql import post
from tests.support.processes import ProcessStack

pytestmark = pytest.mark.scaleout

DEBIT = """mutation($input: DebitPointsInput!) { debitPoints(input: $input) { duplicate entry { points } } }"""
ADJUST = "mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { balanceAfter } }"


async def funded_member(stack: ProcessStack, points: int, name: str) -> str:
    member = await stack.enroll(name)
    supervisor = stack.token(Role.SUPERVISOR, "sup-concurrency")
    for _ in range(50):  # the account opens when the ledger hears of the enrolment (over NATS)
        response = await stack.gql(ADJUST, {"input": {"memberId": member, "points": points, "reason": "Funding",
                                                      "idempotencyKey": f"fund-{member}"}}, supervisor)
        if response.codes != ["NOT_FOUND"]:
            assert response.ok()["adjustPoints"]["balanceAfter"] == points
            return member
        await asyncio.sleep(0.1)
    raise AssertionError("the ledger never opened the account")


async def test_fifty_concurrent_redemptions_against_ten(stack: ProcessStack) -> None:
    member = await funded_member(stack, 1000, "Racer")
    ledger_url = stack.settings.subgraph_url("ledger")  # debits are service-only: straight to the subgraph
    service = stack.token(Role.SERVICE, "service:rewards")
    results = await asyncio.gather(*(
        post(ledger_url, DEBIT, {"input": {"memberId": member, "points": 100, "idempotencyKey": f"race-{i}",
                                           "description": "Reward"}}, service)
        for i in range(50)
    ))
    outcomes = Counter("ok" if not r.errors else r.codes[0] for r in results)
    assert outcomes == {"ok": 10, "CONFLICT": 40}
    balance = await stack.gql("query($id: ID!) { member(id: $id) { points { available } } }", {"id": member},
                              stack.cashier)
    assert balance.ok()["member"]["points"]["available"] == 0
    assert await stack.scalar("ledger", "SELECT count(*) FROM entries WHERE member_id = :m AND kind = 'REDEEM'",
                              m=member) == 10


async def test_racing_repeats_of_one_key_post_once(stack: ProcessStack) -> None:
    member = await funded_member(stack, 500, "Repeater")
    ledger_url = stack.settings.subgraph_url("ledger")
    service = stack.token(Role.SERVICE, "service:rewards")
    request = {"input": {"memberId": member, "points": 40, "idempotencyKey": "same-key", "description": "Reward"}}
    results = await asyncio.gather(*(post(ledger_url, DEBIT, request, service) for _ in range(20)))
    assert all(not r.errors for r in results), [r.errors for r in results if r.errors]
    assert sorted(r.data["debitPoints"]["duplicate"] for r in results) == [False] + [True] * 19
    assert {r.data["debitPoints"]["entry"]["points"] for r in results} == {-40}
    assert await stack.scalar("ledger", "SELECT count(*) FROM entries WHERE member_id = :m AND kind = 'REDEEM'",
                              m=member) == 1
