"""Profile's live segment updates (`segmentUpdated`) stay bounded: a burst of members entering
and leaving is one update per segment that moved, from one read of the counts; other events
are passed over; only staff may follow."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from core.auth import Principal, Role
from core.errors import Forbidden, LoyaltyError, Unauthenticated
from subgraphs.kernel.events import Event
from subgraphs.profile.domain.segments import Segment
from subgraphs.profile.handlers import segments

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
ADMIN = Principal("lena", Role.ADMIN)


class FakeHub:
    def __init__(self) -> None:
        self.events: asyncio.Queue[Event | None] = asyncio.Queue()

    async def subscribe(self, key: str) -> AsyncIterator[Event]:
        assert key == "*"
        while (event := await self.events.get()) is not None:
            yield event


class FakeRuntime:
    def __init__(self) -> None:
        self.hub = FakeHub()
        self.reads = 0
        self.db = self

    def live_all(self, subject: str) -> FakeHub:
        assert subject == "loyalty.profile.*"
        return self.hub

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        self.reads += 1
        yield None


def moved(kind: str, segment_id: str, member: int) -> Event:
    return Event(type=kind, source="profile", member_id=f"mbr_{member}",
                 payload={"segment_id": segment_id, "segment_name": segment_id, "member_id": f"mbr_{member}"})


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    now: dict[str, int] = {"seg_a": 0, "seg_b": 0, "seg_c": 7}

    async def all_segments(_connection: Any) -> list[Segment]:
        return [Segment(i, i.upper(), "true", 1, n, 1, None, NOW) for i, n in sorted(now.items())]

    monkeypatch.setattr(segments.store, "all_segments", all_segments)
    return now


async def test_a_burst_is_one_update_per_segment_that_moved(counts: dict[str, int]) -> None:
    runtime = FakeRuntime()
    updates = segments.segment_updates(runtime, ADMIN, coalesce_seconds=0.05)  # type: ignore[arg-type]
    first = asyncio.ensure_future(anext(updates))
    for n in range(500):
        runtime.hub.events.put_nowait(moved("SegmentEntered", "seg_a", n))
        if n % 2:
            runtime.hub.events.put_nowait(moved("SegmentExited", "seg_b", n))
        runtime.hub.events.put_nowait(Event(type="MemberUpdated", source="profile", member_id=f"mbr_{n}",
                                            payload={"segment_id": "seg_c"}))  # not a membership: passed over
    counts.update(seg_a=500, seg_b=-250)
    got = [await asyncio.wait_for(first, 5), await asyncio.wait_for(anext(updates), 5)]
    assert sorted((s.id, s.members) for s in got) == [("seg_a", 500), ("seg_b", -250)]
    assert runtime.reads == 1  # 750 membership events, one read of the counts
    later = asyncio.ensure_future(anext(updates))
    await asyncio.sleep(0.2)
    assert not later.done()  # nothing moved since: nothing is sent
    runtime.hub.events.put_nowait(moved("SegmentEntered", "seg_c", 1))
    counts["seg_c"] = 8
    assert (await asyncio.wait_for(later, 5)).members == 8
    runtime.hub.events.put_nowait(None)  # the bus closed: the subscription ends
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(updates), 5)
    await updates.aclose()


@pytest.mark.parametrize(("principal", "refusal"), [(None, Unauthenticated),
                                                    (Principal("mbr_1", Role.MEMBER), Forbidden)])
async def test_only_staff_follow_segments(principal: Principal | None, refusal: type[LoyaltyError],
                                          counts: dict[str, int]) -> None:
    runtime = FakeRuntime()
    updates = segments.segment_updates(runtime, principal)  # type: ignore[arg-type]
    with pytest.raises(refusal):
        await anext(updates)
    assert runtime.reads == 0
