"""`offerUpdated` through the gateway: a member's offers as they change, wherever they change.
An offer issued arrives as it is, and so does each decision on it made elsewhere (declined on
another device, a reservation offer accepted and its unit held), so a wallet open on two
devices never shows an offer open that is not. On a stack with the demo campaigns: three
views of the limited jacket in a week bring a reservation offer."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from core.auth import Role
from subgraphs.kernel.events import subject_for
from tests.support.graphql import subscribe
from tests.support.stack import Stack, make_settings

JACKET = "JKT-AURORA-LTD"
UPDATES = ("subscription($m: ID!) { offerUpdated(memberId: $m) { id kind status reservationId store { id } "
           "size } }")
VIEW = "mutation($i: ProductViewInput!) { recordProductView(input: $i) }"
ACCEPT = "mutation($id: ID!) { acceptOffer(offerId: $id) { id status reservationId } }"
DECLINE = "mutation($id: ID!) { declineOffer(offerId: $id) { id status } }"


@pytest.fixture(scope="module")
async def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    running = Stack(make_settings(tmp_path_factory.mktemp("offer-updates")), campaigns=True)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def new_member(stack: Stack, name: str) -> tuple[str, str]:
    """A new member whose home store is Portland (two jackets left in M there), with their token."""
    member = await stack.enroll(name, homeStoreId="st_portland")
    return member, stack.token(Role.MEMBER, member)


async def view_three_times(stack: Stack, member: str, token: str) -> None:
    """Three views in the week, a size each: the engine offers to reserve one in the last size (M)."""
    for size in ("S", "L", "M"):
        viewed = await stack.gql(VIEW, {"i": {"memberId": member, "sku": JACKET, "size": size, "channel": "APP"}},
                                 token)
        assert viewed.ok() == {"recordProductView": True}


async def until_rewards_listens(stack: Stack, member: str) -> None:
    """Until rewards holds both live listeners for the member (issued and changed offers)."""
    assert stack.host is not None
    runtime = stack.host.runtime("rewards")
    hubs = [runtime.live(subject_for("rewards", kind)) for kind in ("OfferIssued", "OfferChanged")]
    deadline = time.monotonic() + 10
    while not all(member in hub._subscribers for hub in hubs):
        assert time.monotonic() < deadline, "offerUpdated never reached rewards"
        await asyncio.sleep(0.02)


async def test_an_offer_declined_elsewhere_arrives_declined(demo_stack: Stack) -> None:
    member, token = await new_member(demo_stack, "Declines")
    async with subscribe(demo_stack.url, UPDATES, {"m": member}, token) as updates:
        await until_rewards_listens(demo_stack, member)
        await view_three_times(demo_stack, member, token)
        issued = (await updates.next(15))["data"]["offerUpdated"]
        assert (issued["kind"], issued["status"], issued["size"], issued["store"]) == (
            "RESERVATION", "ISSUED", "M", {"id": "st_portland"})

        declined = (await demo_stack.gql(DECLINE, {"id": issued["id"]}, token)).ok()["declineOffer"]
        assert declined == {"id": issued["id"], "status": "DECLINED"}
        change = (await updates.next(15))["data"]["offerUpdated"]
        assert (change["id"], change["status"], change["reservationId"]) == (issued["id"], "DECLINED", None)


async def test_a_reservation_offer_accepted_arrives_with_its_reservation(demo_stack: Stack) -> None:
    member, token = await new_member(demo_stack, "Accepts")
    async with subscribe(demo_stack.url, UPDATES, {"m": member}, token) as updates:
        await until_rewards_listens(demo_stack, member)
        await view_three_times(demo_stack, member, token)
        issued = (await updates.next(15))["data"]["offerUpdated"]
        assert issued["status"] == "ISSUED"

        accepted = (await demo_stack.gql(ACCEPT, {"id": issued["id"]}, demo_stack.cashier)).ok()["acceptOffer"]
        assert accepted["status"] == "REDEEMED" and accepted["reservationId"]
        change = (await updates.next(15))["data"]["offerUpdated"]
        assert (change["id"], change["status"], change["reservationId"]) == (
            issued["id"], "REDEEMED", accepted["reservationId"])


async def test_another_members_offers_are_not_pushed(demo_stack: Stack) -> None:
    watcher, watcher_token = await new_member(demo_stack, "Watcher")
    other, other_token = await new_member(demo_stack, "Other")
    async with subscribe(demo_stack.url, UPDATES, {"m": watcher}, watcher_token) as updates:
        await until_rewards_listens(demo_stack, watcher)
        await view_three_times(demo_stack, other, other_token)
        with pytest.raises(TimeoutError):
            await updates.next(2)
    async with subscribe(demo_stack.url, UPDATES, {"m": other}, watcher_token) as foreign:
        refused = await foreign.next(15)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
