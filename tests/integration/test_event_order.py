"""Events reach the engine late, twice or out of order (separate durable consumers
per subject; NATS redelivers): what the engine keeps about a member follows the
newest fact, so a late enrolment never turns a profiling opt-out back on."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime
from subgraphs.rewards import handlers as rewards
from subgraphs.rewards.adapters import repository
from tests.support.runtimes import BACKENDS, runtime_on

ENROLLED_AT = datetime(2026, 11, 2, 9, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Runtime]:
    """The rewards subgraph's runtime on a fresh database of each kind."""
    async with runtime_on("rewards", request.param, tmp_path) as runtime:
        yield runtime


def enrolled(member_id: str, *, profiling: bool, at: datetime) -> Event:
    return Event("MemberEnrolled", "profile", member_id, occurred_at=at, payload={
        "member_id": member_id, "status": "ACTIVE", "birthday": None, "home_store_id": "st_portland",
        "enrolled_at": at.isoformat(), "identities": [{"kind": "EMAIL", "value": f"{member_id}@example.org"}],
        "consents": {"email_marketing": False, "sms_marketing": False, "push_marketing": False,
                     "profiling": profiling}})


def consents(member_id: str, *, profiling: bool, at: datetime) -> Event:
    return Event("ConsentsChanged", "profile", member_id, occurred_at=at, payload={
        "email_marketing": False, "sms_marketing": False, "push_marketing": False, "profiling": profiling})


async def known(runtime: Runtime, member_id: str) -> repository.KnownMember | None:
    async with runtime.db.reading() as connection:
        return await repository.known_member(connection, member_id)


async def test_an_enrolment_arriving_after_a_later_opt_out_keeps_the_opt_out(engine: Runtime) -> None:
    opt_out = consents("mbr_1", profiling=False, at=ENROLLED_AT + timedelta(minutes=5))
    await rewards.on_consents_changed(engine, opt_out)
    assert await known(engine, "mbr_1") is None  # consents alone: not a member the engine knows yet
    await rewards.on_member_enrolled(engine, enrolled("mbr_1", profiling=True, at=ENROLLED_AT))
    member = await known(engine, "mbr_1")
    assert member is not None and member.status == "ACTIVE" and member.home_store_id == "st_portland"
    assert member.profiling is False


async def test_an_older_consent_change_never_replaces_a_newer_one(engine: Runtime) -> None:
    await rewards.on_member_enrolled(engine, enrolled("mbr_2", profiling=True, at=ENROLLED_AT))
    newest = consents("mbr_2", profiling=False, at=ENROLLED_AT + timedelta(hours=2))
    older = consents("mbr_2", profiling=True, at=ENROLLED_AT + timedelta(hours=1))
    await rewards.on_consents_changed(engine, newest)
    await rewards.on_consents_changed(engine, older)
    assert (await known(engine, "mbr_2")).profiling is False  # type: ignore[union-attr]
    again = consents("mbr_2", profiling=True, at=ENROLLED_AT + timedelta(hours=3))  # the member opts back in
    await rewards.on_consents_changed(engine, again)
    assert (await known(engine, "mbr_2")).profiling is True  # type: ignore[union-attr]


async def test_a_redelivered_enrolment_changes_nothing(engine: Runtime) -> None:
    first = enrolled("mbr_3", profiling=True, at=ENROLLED_AT)
    await rewards.on_member_enrolled(engine, first)
    await rewards.on_consents_changed(engine, consents("mbr_3", profiling=False, at=ENROLLED_AT + timedelta(days=1)))
    await rewards.on_member_enrolled(engine, first)  # same event id: the inbox absorbs it
    redelivered_as_new = enrolled("mbr_3", profiling=True, at=ENROLLED_AT)  # same fact, a new envelope
    await rewards.on_member_enrolled(engine, redelivered_as_new)
    assert (await known(engine, "mbr_3")).profiling is False  # type: ignore[union-attr]
