"""The riskiest path, end to end through real servers: a purchase at the till
reaches the member's wallet subscription, live, enriched across subgraphs."""
from __future__ import annotations

from core.auth import Role
from tests.support.graphql import subscribe
from tests.support.stack import Stack

WALLET_UPDATED = """
subscription($memberId: ID!) {
  walletUpdated(memberId: $memberId) {
    at
    entry { kind points balanceAfter reference channel }
    member { id givenName points { available lifetimeEarned } tier { current { name } } }
  }
}
"""

LINES = [
    {"sku": "JKT-TRAIL-SHELL", "quantity": 1, "unitPrice": "149.00", "size": "M"},
    {"sku": "SOK-CREW-3PK", "quantity": 2, "unitPrice": "24.00"},
]


async def test_checkout_reaches_the_wallet_subscription_enriched(stack: Stack) -> None:
    member_id = await stack.enroll("Julia")
    member_token = stack.token(Role.MEMBER, member_id)
    async with subscribe(stack.url, WALLET_UPDATED, {"memberId": member_id}, member_token) as wallet:
        await stack.wait_for_live_subscriber(member_id)
        result = (await stack.checkout(member_id, "till-e2e-1", LINES)).ok()["checkout"]
        assert result["pointsEarned"] == 197  # 149 + 48, one point per currency unit
        assert result["duplicate"] is False
        assert result["member"] == {"id": member_id, "givenName": "Julia", "points": {"available": 197}}

        event = await wallet.next()
        assert "errors" not in event, event
        update = event["data"]["walletUpdated"]
        assert update["entry"] == {"kind": "EARN", "points": 197, "balanceAfter": 197, "reference": "till-e2e-1",
                                   "channel": "POS"}
        # givenName comes from profile, points and tier from the ledger: the gateway enriched the event
        assert update["member"] == {"id": member_id, "givenName": "Julia",
                                    "points": {"available": 197, "lifetimeEarned": 197},
                                    "tier": {"current": {"name": "Bronze"}}}


async def test_every_wallet_event_carries_the_balance_after_it(stack: Stack) -> None:
    """Each event of a live subscription is resolved afresh: the third event of a
    subscription shows the balance after the third checkout, not the first one's."""
    member_id = await stack.enroll("Steady")
    member_token = stack.token(Role.MEMBER, member_id)
    async with subscribe(stack.url, WALLET_UPDATED, {"memberId": member_id}, member_token) as wallet:
        await stack.wait_for_live_subscriber(member_id)
        seen = []
        for n, points in enumerate((10, 20, 30), start=1):
            lines = [{"sku": "SOK-CREW-3PK", "quantity": 1, "unitPrice": f"{points}.00"}]
            (await stack.checkout(member_id, f"till-steady-{n}", lines)).ok()
            update = (await wallet.next())["data"]["walletUpdated"]
            seen.append((update["entry"]["balanceAfter"], update["member"]["points"]["available"],
                         update["member"]["points"]["lifetimeEarned"]))
    assert seen == [(10, 10, 10), (30, 30, 30), (60, 60, 60)]


async def test_the_same_checkout_twice_is_recorded_once(stack: Stack) -> None:
    member_id = await stack.enroll("Repeat")
    first = (await stack.checkout(member_id, "till-repeat-1", LINES)).ok()["checkout"]
    again = (await stack.checkout(member_id, "till-repeat-1", LINES)).ok()["checkout"]
    assert first["duplicate"] is False and again["duplicate"] is True
    assert again["pointsEarned"] == first["pointsEarned"] == 197
    assert again["member"]["points"]["available"] == 197  # posted once

    assert await stack.scalar("ledger", "SELECT count(*) FROM entries WHERE reference = :r", r="till-repeat-1") == 1


async def test_a_repeat_does_not_fire_the_wallet_again(stack: Stack) -> None:
    member_id = await stack.enroll("Quiet")
    member_token = stack.token(Role.MEMBER, member_id)
    async with subscribe(stack.url, WALLET_UPDATED, {"memberId": member_id}, member_token) as wallet:
        await stack.wait_for_live_subscriber(member_id)
        (await stack.checkout(member_id, "till-quiet-1", LINES)).ok()
        await wallet.next()
        (await stack.checkout(member_id, "till-quiet-1", LINES)).ok()
        (await stack.checkout(member_id, "till-quiet-2", LINES[:1])).ok()
        event = await wallet.next()
        assert event["data"]["walletUpdated"]["entry"]["reference"] == "till-quiet-2"


async def test_an_event_published_twice_fires_the_wallet_once(stack: Stack) -> None:
    """A relay may publish a row twice (two replicas, a crash before marking it): live subscribers see it once."""
    member_id = await stack.enroll("Twice")
    member_token = stack.token(Role.MEMBER, member_id)
    async with subscribe(stack.url, WALLET_UPDATED, {"memberId": member_id}, member_token) as wallet:
        await stack.wait_for_live_subscriber(member_id)
        (await stack.checkout(member_id, "till-twice-1", LINES)).ok()
        assert (await wallet.next())["data"]["walletUpdated"]["entry"]["reference"] == "till-twice-1"
        await stack.publish_again(await stack.outbox_events("ledger", member_id))
        (await stack.checkout(member_id, "till-twice-2", LINES[:1])).ok()
        event = await wallet.next()
        assert event["data"]["walletUpdated"]["entry"]["reference"] == "till-twice-2"


async def test_checkout_by_phone_at_the_till(stack: Stack) -> None:
    member_id = await stack.enroll("Phoned", phone="+1 (503) 555-0177")
    response = await stack.gql(
        """mutation($input: CheckoutInput!) { checkout(input: $input) { member { id } pointsEarned } }""",
        {"input": {"externalId": "till-phone-1", "basket": {
            "channel": "POS", "identifier": {"kind": "PHONE", "value": "503 555 0177"},
            "lines": [{"sku": "CAP-TRAIL", "quantity": 1, "unitPrice": "29.00"}]}}},
        stack.cashier,
    )
    assert response.ok()["checkout"] == {"member": {"id": member_id}, "pointsEarned": 29}


async def test_the_seeded_program_is_served(stack: Stack) -> None:
    data = (await stack.gql("{ tiers { name threshold } stores { id name } product(sku: \"JKT-AURORA-LTD\") "
                            "{ name price stock(storeId: \"st_portland\") { size available store { city } } } }")).ok()
    assert [t["name"] for t in data["tiers"]] == ["Bronze", "Silver", "Gold", "Platinum"]
    assert {"id": "st_portland", "name": "Portland Pearl District"} in data["stores"]
    medium = next(s for s in data["product"]["stock"] if s["size"] == "M")
    assert medium == {"size": "M", "available": 2, "store": {"city": "Portland"}}


async def test_julia_signs_in_as_gold(stack: Stack) -> None:
    found = (await stack.gql('{ lookupMember(kind: EMAIL, value: "julia@example.com") { id } }',
                             token=stack.cashier)).ok()["lookupMember"]
    me = (await stack.gql("{ me { givenName tier { current { name } next { name } } points { available } } }",
                          token=stack.token(Role.MEMBER, found["id"]))).ok()["me"]
    assert me["givenName"] == "Julia"
    assert me["tier"]["current"]["name"] == "Gold"
    assert me["points"]["available"] >= 5000
