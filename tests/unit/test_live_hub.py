"""The subgraphs' live hub (subgraphs/kernel/live.py) on the real in-process bus:
a repeated publish reaches a subscriber once, one bad event leaves the others
flowing, and every subscription hears how it ended."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from core.errors import Unavailable
from subgraphs.kernel.bus.memory import InProcessBus
from subgraphs.kernel.events import Event, subject_for
from subgraphs.kernel.live import SUBSCRIBER_QUEUE_SIZE, LiveHub, RecentIds

HANG_GUARD = 5.0  # seconds; only a hang ever gets near it
SUBJECT = subject_for("ledger", "*")


def earned(member_id: str = "m1", **payload: object) -> Event:
    return Event(type="PointsEarned", source="ledger", member_id=member_id, payload=dict(payload))


async def subscribed(hub: LiveHub, key: str) -> AsyncIterator[Event]:
    """A subscription that is registered (and the listener running) when this returns."""
    stream = hub.subscribe(key)
    first = asyncio.ensure_future(anext(stream))
    for _ in range(10):  # the subscriber registers, then the listener with the bus
        await asyncio.sleep(0)
    assert key in hub._subscribers

    async def rest() -> AsyncIterator[Event]:
        try:
            yield await asyncio.wait_for(first, HANG_GUARD)
            while True:
                yield await asyncio.wait_for(anext(stream), HANG_GUARD)
        except StopAsyncIteration:
            return
        finally:
            await stream.aclose()

    return rest()


async def test_a_repeated_publish_reaches_the_subscriber_once() -> None:
    bus = InProcessBus()
    hub = LiveHub(bus, SUBJECT)
    events = await subscribed(hub, "m1")
    first, second = earned(n=1), earned(n=2)
    for event in (first, first, second, first):  # a relay that published `first` three times
        await bus.publish(event)
    assert [(await anext(events)).id for _ in range(2)] == [first.id, second.id]
    await bus.close()
    assert [e async for e in events] == []  # and nothing else


def test_recent_ids_are_bounded() -> None:
    recent = RecentIds(3)
    assert [recent.first_time(i) for i in "abca"] == [True, True, True, False]
    assert recent.first_time("d") and len(recent) == 3
    assert recent.first_time("a")  # the oldest was forgotten


async def test_one_bad_event_leaves_the_others_flowing() -> None:
    bus = InProcessBus()

    def key(event: Event) -> str | None:
        if event.payload.get("bad"):
            raise KeyError("member")  # a malformed event the key cannot be read from
        return event.member_id

    hub = LiveHub(bus, SUBJECT, key)
    events = await subscribed(hub, "m1")
    await bus.publish(earned(bad=True))
    good = earned(n=1)
    await bus.publish(good)
    assert (await anext(events)).id == good.id
    await bus.close()


class BrokenBus(InProcessBus):
    """The edge of the world: a bus connection that breaks after one event."""

    async def listen(self, subject: str) -> AsyncIterator[Event]:
        yield earned(n=1)
        raise ConnectionError("the bus went away")


async def test_a_failed_listener_ends_every_subscription_with_an_error() -> None:
    hub = LiveHub(BrokenBus(), SUBJECT)
    stream = hub.subscribe("m1")
    assert (await asyncio.wait_for(anext(stream), HANG_GUARD)).payload == {"n": 1}
    with pytest.raises(Unavailable):
        await asyncio.wait_for(anext(stream), HANG_GUARD)


async def test_a_subscriber_that_is_behind_still_hears_the_bus_close() -> None:
    bus = InProcessBus()
    hub = LiveHub(bus, SUBJECT)
    events = await subscribed(hub, "m1")
    await bus.publish(earned(n=-1))
    await anext(events)  # the subscriber is live, and from now on does not read
    for n in range(SUBSCRIBER_QUEUE_SIZE + 5):  # more than its queue holds
        await bus.publish(earned(n=n))
    for _ in range(5):
        await asyncio.sleep(0)  # the listener hands them out (closing the bus drops what it holds)
    await bus.close()
    assert hub._pump_task is not None
    await asyncio.wait_for(hub._pump_task, HANG_GUARD)  # the listener has handed out everything and ended
    received = [e async for e in events]
    assert len(received) == SUBSCRIBER_QUEUE_SIZE  # the rest were dropped (and logged); the end arrived
    assert hub._subscribers == {}
