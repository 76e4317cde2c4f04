"""Julia's journey (seed 000), end to end through the gateway, on a stack seeded with the demo
campaigns: she views the limited Aurora jacket three times; her home store has two left in
her size, so an in-app offer to reserve one arrives live; she accepts, the store holds one;
the till's checkout of it fulfils the hold; the purchase brings early access (she is Gold)
and double points on what goes with a jacket, pushed live; her next base layer earns double.
Subscribers on offerIssued, reservationUpdated and walletUpdated see each step; the latency
of each is printed. Also run on PostgreSQL + NATS (tests/scaleout/test_scaleout.py)."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from core.auth import Role
from tests.integration.test_golden_record import eventually
from tests.support.graphql import subscribe
from tests.support.stack import Stack, make_settings

JACKET = "JKT-AURORA-LTD"
OFFERS = "subscription($m: ID!) { offerIssued(memberId: $m) { id kind status message reason product { sku } " \
         "store { id } size } }"
RESERVATIONS = "subscription($m: ID!) { reservationUpdated(memberId: $m) { id status size product { sku } } }"
WALLET = "subscription($m: ID!) { walletUpdated(memberId: $m) { entry { points reference } } }"
VIEW = "mutation($i: ProductViewInput!) { recordProductView(input: $i) }"
ACCEPT = "mutation($id: ID!) { acceptOffer(offerId: $id) { id status reservationId } }"
CHECKOUT = """mutation($i: CheckoutInput!) { checkout(input: $i) { pointsEarned
  evaluation { effects { kind points campaignId } } } }"""


@pytest.fixture(scope="module")
async def journey_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    running = Stack(make_settings(tmp_path_factory.mktemp("journey")), campaigns=True)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def timed(label: str, started: float, waiting) -> dict:  # noqa: ANN001
    message = await asyncio.wait_for(waiting, 15)
    print(f"journey: {label} after {(time.perf_counter() - started) * 1000:.0f} ms")
    assert "errors" not in message, message
    return message["data"]


async def test_julias_journey(journey_stack: Stack) -> None:
    await julias_journey(journey_stack)


async def julias_journey(stack: Stack) -> None:
    lookup = await stack.gql('{ lookupMember(kind: EMAIL, value: "julia@example.com") { id tier { current { name } } '
                             'homeStore { id } } }', token=stack.cashier)
    julia = lookup.ok()["lookupMember"]
    member, token = julia["id"], stack.token(Role.MEMBER, julia["id"])
    assert julia["tier"]["current"]["name"] == "Gold" and julia["homeStore"]["id"] == "st_portland"
    stock = (await stack.gql('{ product(sku: "JKT-AURORA-LTD") { stock(storeId: "st_portland") { size available } } }')
             ).ok()["product"]["stock"]
    assert {"size": "M", "available": 2} in stock

    async with subscribe(stack.url, OFFERS, {"m": member}, token) as offers, \
            subscribe(stack.url, RESERVATIONS, {"m": member}, token) as reservations, \
            subscribe(stack.url, WALLET, {"m": member}, token) as wallet:
        await asyncio.sleep(1.0)  # the gateway holds its three upstream subscriptions
        # Three views in the week (a size each: a refresh of one size within minutes is not interest).
        for size in ("S", "L", "M"):
            viewed = await stack.gql(VIEW, {"i": {"memberId": member, "sku": JACKET, "size": size,
                                                  "channel": "APP"}}, token)
            assert viewed.ok() == {"recordProductView": True}
        started = time.perf_counter()
        offer = (await timed("reservation offer", started, offers.next()))["offerIssued"]
        assert offer["kind"] == "RESERVATION" and offer["status"] == "ISSUED"
        assert offer["message"] == "Looks like you're eyeing this. Want us to reserve one for you?"
        assert offer["reason"] == ("You viewed the Aurora Limited Running Jacket 3 times this week; 2 left in M at "
                                   "Portland Pearl District")
        assert (offer["product"], offer["store"], offer["size"]) == ({"sku": JACKET}, {"id": "st_portland"}, "M")

        started = time.perf_counter()
        accepted = (await stack.gql(ACCEPT, {"id": offer["id"]}, token)).ok()["acceptOffer"]
        assert accepted["status"] == "REDEEMED" and accepted["reservationId"]
        held = (await timed("reservation held", started, reservations.next()))["reservationUpdated"]
        assert (held["id"], held["status"], held["size"]) == (accepted["reservationId"], "HELD", "M")
        again = await stack.gql(ACCEPT, {"id": offer["id"]}, token)
        assert again.codes == ["CONFLICT"]  # accepted once

        started = time.perf_counter()
        bought = (await stack.gql(CHECKOUT, {"i": {"externalId": f"journey-{time.monotonic_ns()}", "basket": {
            "channel": "POS", "storeId": "st_portland", "memberId": member,
            "lines": [{"sku": JACKET, "quantity": 1, "unitPrice": "189.00", "size": "M"}]}}},
            stack.cashier)).ok()["checkout"]
        assert bought["pointsEarned"] == 283  # 189 x Gold's 1.5
        fulfilled = (await timed("reservation fulfilled", started, reservations.next()))["reservationUpdated"]
        assert (fulfilled["id"], fulfilled["status"]) == (accepted["reservationId"], "FULFILLED")
        earned = (await timed("points in the wallet", started, wallet.next()))["walletUpdated"]
        assert earned["entry"]["points"] == 283
        after_purchase = [(await timed("post-purchase offer", started, offers.next()))["offerIssued"]
                          for _ in range(2)]
        assert {o["kind"] for o in after_purchase} == {"EARLY_ACCESS", "BONUS_POINTS"}
        assert all(o["status"] == "ISSUED" for o in after_purchase)

    async def held_none() -> None:
        levels = (await stack.gql('{ product(sku: "JKT-AURORA-LTD") { stock(storeId: "st_portland") '
                                  '{ size available reserved } } }')).ok()["product"]["stock"]
        assert {"size": "M", "available": 1, "reserved": 0} in levels

    await eventually(held_none)
    # The bonus offer applies by itself at her next checkout of a base layer, once.
    tee = {"channel": "POS", "storeId": "st_portland", "memberId": member,
           "lines": [{"sku": "TEE-MERINO-150", "quantity": 1, "unitPrice": "69.00", "size": "M"}]}
    first = (await stack.gql(CHECKOUT, {"i": {"externalId": f"journey-tee-{time.monotonic_ns()}", "basket": tee}},
                             stack.cashier)).ok()["checkout"]
    assert first["pointsEarned"] == 103 + 69  # 69 x 1.5, and the offer's double on the base points
    second = (await stack.gql(CHECKOUT, {"i": {"externalId": f"journey-tee2-{time.monotonic_ns()}", "basket": tee}},
                              stack.cashier)).ok()["checkout"]
    assert second["pointsEarned"] == 103  # the offer was used
    statuses = (await stack.gql("query($id: ID!) { member(id: $id) { offers { kind status } } }", {"id": member},
                                token)).ok()["member"]["offers"]
    assert {"kind": "BONUS_POINTS", "status": "REDEEMED"} in statuses
    assert {"kind": "RESERVATION", "status": "REDEEMED"} in statuses
