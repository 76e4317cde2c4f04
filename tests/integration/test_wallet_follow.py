"""The wallet's live follower (wallet_ui/live.py) against the real stack: it
subscribes again when its subscription ends, catching up with a query first,
and stops with SignedOut when the gateway no longer accepts its token."""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest

from core.auth import Role, issue_token
from subgraphs.kernel.events import subject_for
from tests.support.stack import Stack
from wallet_ui.live import SignedOut, follow_wallet

HANG_GUARD = 20.0  # seconds; only a follower that gave up (or never stops) gets near it
CAP = [{"sku": "CAP-TRAIL", "quantity": 1, "unitPrice": "29.00"}]


class Seen:
    def __init__(self) -> None:
        self.updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.refreshes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def update(self, update: dict[str, Any]) -> None:
        await self.updates.put(update)

    async def refresh(self, member: dict[str, Any]) -> None:
        await self.refreshes.put(member)


async def test_the_wallet_subscribes_again_when_its_subscription_ends(stack: Stack) -> None:
    member_id = await stack.enroll("Resumed")
    token = stack.token(Role.MEMBER, member_id)
    seen = Seen()
    following = asyncio.create_task(follow_wallet(token, member_id, on_update=seen.update, on_refresh=seen.refresh,
                                                  url=stack.url, first_retry=0.2))
    try:
        await stack.wait_for_live_subscriber(member_id)
        (await stack.checkout(member_id, "resumed-1", CAP)).ok()
        first = await asyncio.wait_for(seen.updates.get(), HANG_GUARD)
        assert first["member"]["points"]["available"] == 29

        # The ledger's live listener stops (as when its bus connection breaks): every live
        # subscription there ends, and the wallet's with it.
        assert stack.host is not None
        hub = stack.host.runtime("ledger").live(subject_for("ledger", "*"))
        assert hub._pump_task is not None
        hub._pump_task.cancel()

        member = await asyncio.wait_for(seen.refreshes.get(), HANG_GUARD)  # caught up with a query
        assert member["points"]["available"] == 29
        await stack.wait_for_live_subscriber(member_id)  # and subscribed again
        (await stack.checkout(member_id, "resumed-2", CAP)).ok()
        second = await asyncio.wait_for(seen.updates.get(), HANG_GUARD)
        assert second["entry"]["description"] and second["member"]["points"]["available"] == 58
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)


async def test_the_wallet_signs_out_when_its_token_expires(stack: Stack) -> None:
    member_id = await stack.enroll("Expiring")
    token = issue_token(stack.settings, member_id, Role.MEMBER, ttl=timedelta(seconds=3))
    seen = Seen()
    started = time.perf_counter()
    with pytest.raises(SignedOut):
        await asyncio.wait_for(follow_wallet(token, member_id, on_update=seen.update, on_refresh=seen.refresh,
                                             url=stack.url, first_retry=0.2), HANG_GUARD)
    print(f"\nsigned out {time.perf_counter() - started:.1f} s after following with a 3 s token")
