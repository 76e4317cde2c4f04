"""Live segment counts through the gateway (`segmentUpdated`, profile, staff only): a checkout
moves a member into a segment and the subscription delivers the segment with its new count; a
return moves them out and the count goes back; members and anonymous callers are refused."""
from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from core.auth import Role
from tests.integration.test_golden_record import eventually
from tests.support.graphql import Subscription, subscribe
from tests.support.stack import Stack

UPDATES = "subscription { segmentUpdated { id name members evaluating } }"
UPSERT = "mutation($input: SegmentInput!) { upsertSegment(input: $input) { id members evaluating } }"
SEGMENTS = "{ segments { id members evaluating } }"
RETURN = "mutation($input: ReturnInput!) { recordReturn(input: $input) { pointsReversed } }"
STORE = "st_boulder"
SOCKS = {"sku": "SOK-CREW-3PK", "quantity": 1, "unitPrice": "24.00"}
# Boulder members who bought twice in 90 days: the first purchase leaves a member out, the second takes them in.
CONDITION = f"homeStoreId == '{STORE}' && frequency90d >= 2"


async def listed(stack: Stack, segment_id: str) -> dict[str, Any]:
    found = (await stack.gql(SEGMENTS, token=stack.token(Role.ADMIN))).ok()["segments"]
    return next(s for s in found if s["id"] == segment_id)


async def update_of(subscription: Subscription, segment_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """The next update of this segment (other segments' updates are passed over)."""
    deadline = time.monotonic() + timeout
    while True:
        payload = await subscription.next(timeout=max(0.1, deadline - time.monotonic()))
        assert "errors" not in payload, payload
        if payload["data"]["segmentUpdated"]["id"] == segment_id:
            return payload["data"]["segmentUpdated"]


async def test_a_checkout_and_a_return_move_the_live_count(stack: Stack) -> None:
    segment_id = f"live-boulder-{time.time_ns() % 1_000_000}"
    admin = stack.token(Role.ADMIN)
    (await stack.gql(UPSERT, {"input": {"id": segment_id, "name": "Boulder twice", "condition": CONDITION}},
                     admin)).ok()
    member = await stack.enroll("Live", homeStoreId=STORE)
    (await stack.checkout(member, f"{segment_id}-1", [SOCKS])).ok()

    async def evaluated() -> dict[str, Any]:
        row = await listed(stack, segment_id)
        assert row["evaluating"] is False
        return row

    before = (await eventually(evaluated, timeout=60))["members"]
    async with subscribe(stack.url, UPDATES, token=admin) as updates:
        await asyncio.sleep(0.5)  # the gateway holds its upstream subscription
        (await stack.checkout(member, f"{segment_id}-2", [SOCKS])).ok()
        entered = await update_of(updates, segment_id)
        assert entered == {"id": segment_id, "name": "Boulder twice", "members": before + 1, "evaluating": False}
        assert (await listed(stack, segment_id))["members"] == before + 1

        back = await stack.gql(RETURN, {"input": {"externalId": f"{segment_id}-2-r",
                                                  "purchaseExternalId": f"{segment_id}-2",
                                                  "lines": [{"sku": SOCKS["sku"], "quantity": 1}]}}, stack.cashier)
        assert back.ok()["recordReturn"]["pointsReversed"] == 24
        left = await update_of(updates, segment_id)
        assert left["members"] == before


async def test_only_staff_follow_segments_live(stack: Stack) -> None:
    member = await stack.enroll("Curious")
    for token, code in ((stack.token(Role.MEMBER, member), "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        async with subscribe(stack.url, UPDATES, token=token) as updates:
            refused = await updates.next(timeout=30)
            assert refused["errors"][0]["extensions"]["code"] == code, refused


async def test_the_admins_follower_sees_a_member_enter(stack: Stack) -> None:
    """wallet_ui/live.follow_segments, as the admin's Segments tab runs it, against the real stack."""
    from wallet_ui.live import SignedOut, follow_segments

    segment_id = f"live-follow-{time.time_ns() % 1_000_000}"
    admin = stack.token(Role.ADMIN)
    (await stack.gql(UPSERT, {"input": {"id": segment_id, "name": "Boulder twice, followed",
                                        "condition": CONDITION}}, admin)).ok()
    member = await stack.enroll("Followed", homeStoreId=STORE)
    (await stack.checkout(member, f"{segment_id}-1", [SOCKS])).ok()

    async def evaluated() -> dict[str, Any]:
        row = await listed(stack, segment_id)
        assert row["evaluating"] is False
        return row

    before = (await eventually(evaluated, timeout=60))["members"]
    updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def ignore(_data: dict[str, Any]) -> None:
        return None

    following = asyncio.create_task(follow_segments(admin, on_update=updates.put, on_refresh=ignore, url=stack.url))
    try:
        await asyncio.sleep(0.5)
        (await stack.checkout(member, f"{segment_id}-2", [SOCKS])).ok()
        while (update := await asyncio.wait_for(updates.get(), 30))["id"] != segment_id:
            pass
        assert update["members"] == before + 1 and update["name"] == "Boulder twice, followed"
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
    refused = asyncio.create_task(follow_segments(stack.token(Role.MEMBER, member), on_update=updates.put,
                                                  on_refresh=ignore, url=stack.url))
    with pytest.raises(SignedOut):
        await asyncio.wait_for(refused, 30)
