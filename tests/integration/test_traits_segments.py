"""Traits and segments through the gateway, with a clock the tests move: checkouts and
returns move a member's traits, an admin's segment takes members in and lets them go
(SegmentEntered / SegmentExited in profile's outbox, Member.segments, Segment.members),
bad conditions are refused with their position, profiling opt-outs have no lapse risk,
and the daily pass moves members out of a recency segment as time passes."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.auth import Role
from core.clock import ManualClock
from subgraphs.profile.handlers import segments, traits
from tests.support.stack import Stack, make_settings

START = datetime(2026, 5, 4, 9, tzinfo=UTC)

MEMBER = """query($id: ID!) { member(id: $id) {
  segments
  traits { recencyDays frequency90d monetary365d lapseRisk }
} }"""

UPSERT = """mutation($input: SegmentInput!) {
  upsertSegment(input: $input) { id name condition members evaluating }
}"""

SEGMENTS = "{ segments { id name condition members evaluating } }"

RETURN = """mutation($input: ReturnInput!) { recordReturn(input: $input) { pointsReversed } }"""

SHOES = {"sku": "SHO-RIDGE-TR", "quantity": 1, "unitPrice": "139.95", "size": "41"}
SOCKS = {"sku": "SOK-CREW-3PK", "quantity": 3, "unitPrice": "24.00"}

ACTIVE_PORTLAND = "homeStoreId == 'st_portland' && recencyDays != null && recencyDays < 30 && monetary365d >= 100"


@pytest.fixture(scope="module")
async def timed(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """The embedded stack on a manual clock; the jobs run when a test says so."""
    running = Stack(make_settings(tmp_path_factory.mktemp("traits")), clock=ManualClock(START))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def profile(stack: Stack):  # noqa: ANN201 - the profile runtime
    assert stack.host is not None
    return stack.host.runtime("profile")


async def settle(stack: Stack) -> None:
    """Deliver what the outboxes hold now (the engine's purchase events to profile), and run
    the segment evaluation job until it has nothing left."""
    assert stack.host is not None
    await stack.host.flush()
    while await segments.evaluate_changed_segments(profile(stack)):
        pass
    await stack.host.flush()


async def member(stack: Stack, member_id: str, token: str | None = None) -> dict:
    return (await stack.gql(MEMBER, {"id": member_id}, token or stack.cashier)).ok()["member"]


async def segment(stack: Stack, segment_id: str) -> dict:
    listed = (await stack.gql(SEGMENTS, token=stack.token(Role.SUPERVISOR))).ok()["segments"]
    return next(s for s in listed if s["id"] == segment_id)


async def upsert(stack: Stack, segment_id: str, name: str, condition: str):
    return await stack.gql(UPSERT, {"input": {"id": segment_id, "name": name, "condition": condition}},
                           stack.token(Role.ADMIN))


def clock(stack: Stack) -> ManualClock:
    assert isinstance(stack.clock, ManualClock)
    return stack.clock


async def test_checkouts_and_returns_move_a_member_in_and_out_of_a_segment(timed: Stack) -> None:
    julia = await timed.enroll("Julia", homeStoreId="st_portland")
    saved = (await upsert(timed, "active-portland", "Active in Portland", ACTIVE_PORTLAND)).ok()["upsertSegment"]
    assert saved == {"id": "active-portland", "name": "Active in Portland", "condition": ACTIVE_PORTLAND,
                     "members": 0, "evaluating": True}
    await settle(timed)
    assert (await segment(timed, "active-portland"))["evaluating"] is False
    others = (await segment(timed, "active-portland"))["members"]  # seeded members may be in it too
    assert await member(timed, julia) == {"segments": ["new-members"], "traits": {  # a seeded segment
        "recencyDays": None, "frequency90d": 0, "monetary365d": "0.00", "lapseRisk": None}}

    (await timed.checkout(julia, "trait-1", [SHOES, SOCKS])).ok()
    await settle(timed)
    state = await member(timed, julia)
    assert state["traits"] == {"recencyDays": 0, "frequency90d": 1, "monetary365d": "211.95", "lapseRisk": None}
    assert state["segments"] == ["active-portland"]  # and no longer a new member without a purchase
    assert (await segment(timed, "active-portland"))["members"] == others + 1
    changes = [(e.type, e.payload) for e in await timed.outbox_events("profile", julia)
               if e.type.startswith("Segment")]
    assert changes == [
        ("SegmentEntered", {"segment_id": "new-members", "segment_name": "New members, no purchase yet",
                            "member_id": julia}),
        ("SegmentEntered", {"segment_id": "active-portland", "segment_name": "Active in Portland",
                            "member_id": julia}),
        ("SegmentExited", {"segment_id": "new-members", "segment_name": "New members, no purchase yet",
                           "member_id": julia}),
    ]

    clock(timed).advance(timedelta(days=2))
    back = await timed.gql(RETURN, {"input": {"externalId": "trait-1-r", "purchaseExternalId": "trait-1",
                                              "lines": [{"sku": "SHO-RIDGE-TR", "quantity": 1},
                                                        {"sku": "SOK-CREW-3PK", "quantity": 1}]}}, timed.cashier)
    assert back.ok()["recordReturn"]["pointsReversed"] == 139 + 24
    await settle(timed)
    state = await member(timed, julia)
    assert state["traits"] == {"recencyDays": 2, "frequency90d": 1, "monetary365d": "48.00", "lapseRisk": None}
    assert state["segments"] == []
    assert (await segment(timed, "active-portland"))["members"] == others
    exited = [e for e in await timed.outbox_events("profile", julia) if e.type == "SegmentExited"]
    assert [e.payload["segment_id"] for e in exited] == ["new-members", "active-portland"]


async def test_the_daily_pass_moves_a_member_out_of_a_recency_segment(timed: Stack) -> None:
    aiko = await timed.enroll("Aiko", homeStoreId="st_portland")
    (await upsert(timed, "active-portland", "Active in Portland", ACTIVE_PORTLAND)).ok()
    (await timed.checkout(aiko, "trait-2", [SHOES])).ok()
    await settle(timed)
    assert (await member(timed, aiko))["segments"] == ["active-portland"]

    clock(timed).advance(timedelta(days=29, hours=23))  # recencyDays 29: still in
    await segments.run_daily_pass(profile(timed))
    assert (await member(timed, aiko))["segments"] == ["active-portland"]
    clock(timed).advance(timedelta(hours=2))  # recencyDays 30, but today's pass is done: out tomorrow
    assert await segments.run_daily_pass(profile(timed)) == 0
    clock(timed).advance(timedelta(days=1))
    assert await segments.run_daily_pass(profile(timed)) > 0
    state = await member(timed, aiko)
    assert state["traits"]["recencyDays"] == 31 and state["segments"] == []
    assert [e.type for e in await timed.outbox_events("profile", aiko)
            if e.type.startswith("Segment") and e.payload["segment_id"] == "active-portland"] == [
        "SegmentEntered", "SegmentExited"]


async def test_a_bad_condition_is_refused_with_its_position_and_changes_nothing(timed: Stack) -> None:
    before = (await timed.gql(SEGMENTS, token=timed.token(Role.ADMIN))).ok()["segments"]
    syntax = await upsert(timed, "broken", "Broken", "frequency90d >= 2 &&\n  monetary365d >")
    assert syntax.codes == ["BAD_USER_INPUT"]
    assert syntax.errors[0]["extensions"].items() >= {"code": "BAD_USER_INPUT", "field": "condition", "line": 2,
                                                      "column": 17}.items()
    assert "line 2, column 17" in syntax.errors[0]["message"]
    unknown = await upsert(timed, "broken", "Broken", "frequency90d >= 2 && spend > 100")
    assert unknown.codes == ["BAD_USER_INPUT"]
    assert (unknown.errors[0]["extensions"]["line"], unknown.errors[0]["extensions"]["column"]) == (1, 22)
    assert "unknown variable 'spend'" in unknown.errors[0]["message"]
    not_bool = await upsert(timed, "broken", "Broken", "monetary365d")
    assert not_bool.codes == ["BAD_USER_INPUT"] and "bool" in not_bool.errors[0]["message"]
    too_long = await upsert(timed, "broken", "Broken", " || ".join(["frequency90d == 1"] * 200))
    assert too_long.codes == ["BAD_USER_INPUT"]
    a_loop = await upsert(timed, "broken", "Broken", "[1, 2].exists(x, x > frequency90d)")
    assert a_loop.codes == ["BAD_USER_INPUT"] and "exists() is not available" in a_loop.errors[0]["message"]
    assert (await timed.gql(SEGMENTS, token=timed.token(Role.ADMIN))).ok()["segments"] == before


async def test_who_may_see_and_change_segments_and_traits(timed: Stack) -> None:
    sam = await timed.enroll("Sam")
    other = await timed.enroll("Other")
    own = timed.token(Role.MEMBER, sam)
    assert (await member(timed, sam, own))["segments"] is not None
    someone_else = await timed.gql(MEMBER, {"id": other}, own)
    assert "FORBIDDEN" in someone_else.codes
    assert (await upsert(timed, "x", "X", "true")).ok()  # an admin
    cashier = await timed.gql(UPSERT, {"input": {"id": "y", "name": "Y", "condition": "true"}}, timed.cashier)
    assert cashier.codes == ["FORBIDDEN"]
    assert (await timed.gql(SEGMENTS, token=own)).codes == ["FORBIDDEN"]
    assert (await timed.gql(SEGMENTS)).codes == ["UNAUTHENTICATED"]


async def test_lapse_risk_is_null_without_a_score_and_for_members_who_object_to_profiling(timed: Stack) -> None:
    keen = await timed.enroll("Keen")
    objector = await timed.enroll("Objector", consents={"profiling": False})
    assert (await member(timed, keen))["traits"]["lapseRisk"] is None  # no model has scored anyone yet
    kept = await traits.record_lapse_scores(profile(timed), [
        traits.LapseScore(keen, 0.64, "churn-test", clock(timed).now()),
        traits.LapseScore(objector, 0.91, "churn-test", clock(timed).now()),
    ])
    assert kept == 1
    assert (await member(timed, keen))["traits"]["lapseRisk"] == pytest.approx(0.64)
    assert (await member(timed, objector))["traits"]["lapseRisk"] is None
