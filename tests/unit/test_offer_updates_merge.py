"""`offerUpdated` follows two live streams (offers issued, offers changed) as one
(subgraphs/rewards/handlers/offers.py: _merged): every event of both as it comes; it ends only
when both ended (a replay answers from one, the other ends at once); a failure ends it."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from core.errors import Unavailable
from subgraphs.kernel.events import Event
from subgraphs.rewards.handlers.offers import _merged


def event(n: int) -> Event:
    return Event(type="OfferChanged", source="rewards", member_id="mbr_1", payload={"n": n})


async def stream(*items: Event | Exception, pause: float = 0.0) -> AsyncIterator[Event]:
    for item in items:
        await asyncio.sleep(pause)
        if isinstance(item, Exception):
            raise item
        yield item


async def test_both_streams_arrive_and_it_ends_when_both_ended() -> None:
    got = [e.payload["n"] async for e in _merged(stream(event(1), event(2), pause=0.01), stream())]
    assert got == [1, 2]  # the empty one ended first: the other is still followed to its end


async def test_a_failing_stream_ends_it_with_the_error_and_stops_the_other() -> None:
    stopped = asyncio.Event()

    async def forever() -> AsyncIterator[Event]:
        try:
            while True:
                await asyncio.sleep(3600)
                yield event(0)
        finally:
            stopped.set()

    seen = []
    with pytest.raises(Unavailable):
        async for e in _merged(forever(), stream(event(7), Unavailable("live events stopped"))):
            seen.append(e.payload["n"])
    assert seen == [7]
    await asyncio.wait_for(stopped.wait(), 1)  # the other stream was let go


async def test_leaving_early_lets_both_streams_go() -> None:
    stopped = 0

    async def endless(n: int) -> AsyncIterator[Event]:
        nonlocal stopped
        try:
            while True:
                yield event(n)
                await asyncio.sleep(0.01)
        finally:
            stopped += 1

    merged = _merged(endless(1), endless(2))
    async for _ in merged:
        break
    await merged.aclose()
    assert stopped == 2
