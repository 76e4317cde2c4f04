"""The churn model at work, through the gateway on the embedded stack seeded with the demo
campaigns: profile's `lapse-scores` job scores a member who stopped buying with the committed
model (models/churn.json), `lapseRisk` shows it, members who object to profiling stay null;
the LapseRiskScored event reaches the engine, whose demo win-back campaign (`lapse_risk`
trigger, `member.traits.lapse_risk > 0.7`) issues its offer once, even when the event is
delivered again; the job scores each member once a day, and never without a model."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.auth import Role
from core.clock import ManualClock
from subgraphs.kernel.runtime import Runtime
from subgraphs.profile.handlers import churn
from tests.integration.test_golden_record import eventually
from tests.support.stack import Stack, make_settings

START = datetime(2026, 5, 4, 11, tzinfo=UTC)
TRAITS = "query($id: ID!) { member(id: $id) { traits { recencyDays frequency90d lapseRisk } } }"
OFFERS = "query($id: ID!) { member(id: $id) { offers { kind status message reason } } }"
SHOES = [{"sku": "SHO-ROAD-LITE", "quantity": 1, "unitPrice": "119.95", "size": "42"}]


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    running = Stack(make_settings(tmp_path_factory.mktemp("lapse")), clock=ManualClock(START), campaigns=True)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def profile(stack: Stack) -> Runtime:
    assert stack.host is not None
    return stack.host.runtime("profile")


def clock(stack: Stack) -> ManualClock:
    assert isinstance(stack.clock, ManualClock)
    return stack.clock


async def traits(stack: Stack, member_id: str) -> dict:
    return (await stack.gql(TRAITS, {"id": member_id}, stack.token(Role.SUPERVISOR))).ok()["member"]["traits"]


async def offers(stack: Stack, member_id: str) -> list[dict]:
    return (await stack.gql(OFFERS, {"id": member_id}, stack.token(Role.SUPERVISOR))).ok()["member"]["offers"]


async def test_a_lapsing_member_is_scored_and_offered_a_win_back_once(stack: Stack) -> None:
    drifting = await stack.enroll("Drifting")
    objector = await stack.enroll("Objector", consents={"profiling": False})
    keen = await stack.enroll("Keen")
    never = await stack.enroll("Never")
    for member, n in ((drifting, 1), (objector, 1), (keen, 1)):
        (await stack.checkout(member, f"lapse-{member}-{n}", SHOES)).ok()

    async def bought() -> None:
        for member in (drifting, objector, keen):
            assert (await traits(stack, member))["recencyDays"] == 0

    await eventually(bought)  # profile and the engine learned the purchases
    clock(stack).advance(timedelta(days=200))
    (await stack.checkout(keen, f"lapse-{keen}-2", SHOES)).ok()  # Keen is still buying

    async def keen_bought_again() -> None:
        assert (await traits(stack, keen))["frequency90d"] == 1

    await eventually(keen_bought_again)
    scored_today = await churn.run_scoring_pass(profile(stack))  # the seed's demo members who bought too
    assert scored_today >= 2
    scored_ids = await stack.scalar("profile", "SELECT group_concat(member_id) FROM lapse_scores")
    assert {drifting, keen} <= set(scored_ids.split(",")) and not {objector, never} & set(scored_ids.split(","))

    drifting_traits = await traits(stack, drifting)
    assert drifting_traits["recencyDays"] == 200 and drifting_traits["lapseRisk"] > 0.7
    assert 0 < (await traits(stack, keen))["lapseRisk"] < drifting_traits["lapseRisk"]
    assert (await traits(stack, objector))["lapseRisk"] is None  # opted out of profiling: null, never scored
    assert (await traits(stack, never))["lapseRisk"] is None  # nothing to lapse from
    assert await stack.scalar("profile", "SELECT count(*) FROM lapse_scores WHERE member_id = :m", m=objector) == 0

    async def offered() -> list[dict]:
        found = await offers(stack, drifting)
        assert len(found) == 1
        return found

    [offer] = await eventually(offered)
    assert offer == {"kind": "DISCOUNT", "status": "ISSUED", "message": "We miss you: 15% off your next visit, "
                     "for two weeks", "reason": "It has been 200 days since your last visit"}
    scored = [e for e in await stack.outbox_events("profile", drifting) if e.type == "LapseRiskScored"]
    assert [e.payload["model"] for e in scored] == [churn.load_model(profile(stack)).version]
    assert scored[0].payload["score"] == pytest.approx(drifting_traits["lapseRisk"])
    # The relay crashed before marking the row: the same event again. The in-process bus returns
    # once every consumer has handled it, so what it would have issued is there now.
    await stack.publish_again(scored)
    assert len(await offers(stack, drifting)) == 1
    assert await offers(stack, keen) == []  # below the campaign's 0.7
    assert await offers(stack, objector) == []
    assert [e for e in await stack.outbox_events("profile", objector) if e.type == "LapseRiskScored"] == []

    # Once a day: a second run the same day scores nobody; the next day it scores again, and a
    # score that did not move is kept without being announced again.
    assert await churn.run_scoring_pass(profile(stack)) == 0
    clock(stack).advance(timedelta(days=1))
    assert await churn.run_scoring_pass(profile(stack)) == scored_today
    assert len([e for e in await stack.outbox_events("profile", drifting) if e.type == "LapseRiskScored"]) == 1
    assert await stack.scalar("rewards", "SELECT count(*) FROM member_lapse_risk WHERE member_id = :m",
                              m=objector) == 0
    assert len(await offers(stack, drifting)) == 1

    # An objection to profiling takes the score away everywhere.
    (await stack.gql("mutation($id: ID!) { updateConsents(memberId: $id, input: {profiling: false}) { id } }",
                     {"id": drifting}, stack.token(Role.MEMBER, drifting))).ok()
    assert (await traits(stack, drifting))["lapseRisk"] is None

    async def forgotten() -> None:
        assert await stack.scalar("rewards", "SELECT count(*) FROM member_lapse_risk WHERE member_id = :m",
                                  m=drifting) == 0

    await eventually(forgotten)


async def test_without_a_usable_model_nobody_is_scored(stack: Stack, tmp_path: Path) -> None:
    runtime = profile(stack)
    broken = tmp_path / "churn.json"
    broken.write_text('{"version": "x", "features": ["recency"]}')
    saved = runtime.settings
    runtime.settings = saved.model_copy(update={"churn_model": broken})
    try:
        clock(stack).advance(timedelta(days=1))
        assert churn.load_model(runtime) is None
        assert await churn.run_scoring_pass(runtime) == 0
        runtime.settings = saved.model_copy(update={"churn_model": tmp_path / "missing.json"})
        assert await churn.run_scoring_pass(runtime) == 0
    finally:
        runtime.settings = saved
