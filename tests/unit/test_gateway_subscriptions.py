"""The gateway's shared upstreams (gateway/subscriptions.py): how clients join,
leave and hear the end, with upstreams that are plain async generators."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.operation import RequestError
from gateway.subscriptions import CLIENT_QUEUE_SIZE, SubscriptionHub

HANG_GUARD = 5.0  # seconds; only a hang ever gets near it

KEY = SubscriptionHub.key("subscription { walletUpdated(memberId: \"m1\") { at } }", None, {}, "Bearer t")


class Upstreams:
    """An upstream factory: each start is numbered; `events` per start, then `end` ("return", "hold")."""

    def __init__(self, events: int = 1, end: str = "return") -> None:
        self.started = 0
        self.closed = 0
        self.events = events
        self.end = end
        self.ended = asyncio.Event()

    async def __call__(self) -> AsyncIterator[dict[str, Any]]:
        self.started += 1
        number = self.started
        try:
            for i in range(self.events):
                yield {"data": {"upstream": number, "event": i}}
            if self.end == "hold" or number > 1:
                await asyncio.Event().wait()
            self.ended.set()
        finally:
            self.closed += 1


async def test_a_newcomer_never_joins_an_upstream_that_has_ended() -> None:
    hub = SubscriptionHub()
    upstreams = Upstreams(events=1)
    slow = hub.subscribe(KEY, upstreams)
    assert (await anext(slow))["data"] == {"upstream": 1, "event": 0}
    await asyncio.wait_for(upstreams.ended.wait(), HANG_GUARD)  # upstream 1 is over; `slow` has not read the end

    newcomer = hub.subscribe(KEY, upstreams)
    first = await asyncio.wait_for(anext(newcomer), HANG_GUARD)
    assert first["data"] == {"upstream": 2, "event": 0}
    assert hub.upstreams == 1
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(slow), HANG_GUARD)  # the old client still hears its end
    await newcomer.aclose()
    assert hub.upstreams == 0


async def test_a_client_that_is_behind_still_hears_the_end() -> None:
    hub = SubscriptionHub()
    upstreams = Upstreams(events=CLIENT_QUEUE_SIZE)  # fills the client's queue exactly, then ends
    client = hub.subscribe(KEY, upstreams)
    received = [await anext(client)]
    await asyncio.wait_for(upstreams.ended.wait(), HANG_GUARD)
    async for event in _guarded(client):
        received.append(event)
    assert len(received) == CLIENT_QUEUE_SIZE
    assert hub.upstreams == 0


async def test_an_upstream_whose_last_client_is_let_go_stops() -> None:
    hub = SubscriptionHub()
    upstreams = Upstreams(events=CLIENT_QUEUE_SIZE + 20, end="hold")
    client = hub.subscribe(KEY, upstreams)
    await anext(client)
    for _ in range(200):  # let the upstream run ahead of the client that does not read
        if upstreams.closed:
            break
        await asyncio.sleep(0)
    assert upstreams.closed == 1, "the upstream kept running for nobody"
    assert hub.upstreams == 0
    with pytest.raises(RequestError, match="fell too far behind"):
        async for _ in _guarded(client):
            pass


async def _guarded(stream: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    while True:
        try:
            yield await asyncio.wait_for(anext(stream), HANG_GUARD)
        except StopAsyncIteration:
            return
