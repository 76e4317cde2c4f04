"""Profile's traits and segments at the handler level, on SQLite and on PostgreSQL:
the engine's purchase and return events (late, twice, out of order), segments kept
up to date in the same transaction, the jobs, lapse scores, and purchases moving
with merges and back with unmerges."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.auth import Principal, Role
from core.clock import ManualClock
from core.errors import BadUserInput, Forbidden
from core.vocabulary import Channel
from subgraphs.kernel.aliases import record_merge
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime
from subgraphs.profile.adapters.tables import member_traits
from subgraphs.profile.handlers import churn, members, segments, traits
from tests.support.runtimes import BACKENDS, runtime_on

START = datetime(2026, 3, 2, 10, tzinfo=UTC)
SERVICE = Principal("service:test", Role.SERVICE)
ADMIN = Principal("admin-1", Role.ADMIN)


@pytest.fixture(params=BACKENDS)
async def profile(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Runtime]:
    async with runtime_on("profile", request.param, tmp_path, clock=ManualClock(START)) as runtime:
        yield runtime


def clock(runtime: Runtime) -> ManualClock:
    assert isinstance(runtime.clock, ManualClock)
    return runtime.clock


async def enroll(runtime: Runtime, name: str, *, profiling: bool = True, home: str = "st_portland") -> str:
    member = await members.enroll_member(runtime, SERVICE, channel=Channel.POS, given_name=name,
                                         email=f"{name.lower()}@example.org", home_store_id=home,
                                         consents={"profiling": profiling})
    return member.id


def purchase(member_id: str, external_id: str, total: str, *, units: int = 1, days_ago: float = 0,
             at: datetime | None = None) -> Event:
    return Event("PurchaseCompleted", "rewards", member_id, occurred_at=at or START - timedelta(days=days_ago),
                 payload={"external_id": external_id, "channel": "POS", "store_id": "st_portland", "total": total,
                          "lines": [{"line_id": "1", "sku": "SKU", "quantity": units, "amount": total}]})


def giving_back(member_id: str, external_id: str, purchase_id: str, amount: str, units: int = 1) -> Event:
    return Event("PurchaseReturned", "rewards", member_id, payload={
        "external_id": external_id, "purchase_external_id": purchase_id, "points": 0, "amount": amount,
        "lines": [{"line_id": "1", "sku": "SKU", "quantity": units, "points": 0, "amount": amount}]})


async def traits_of(runtime: Runtime, member_id: str) -> tuple:
    found = await traits.member_traits(runtime, SERVICE, member_id)
    return found.recency_days, found.frequency_90d, found.monetary_365d, found.lapse_risk


async def outbox(runtime: Runtime, *types: str) -> list[Event]:
    async with runtime.db.reading() as connection:
        bodies = (await connection.execute(sa.select(runtime.db.outbox.c.body)
                                           .order_by(runtime.db.outbox.c.seq))).scalars()
        return [e for e in (Event.from_json(b) for b in bodies) if e.type in types]


async def segment_of(runtime: Runtime, segment_id: str):
    return next(s for s in await segments.list_segments(runtime, SERVICE) if s.id == segment_id)


async def evaluate_all(runtime: Runtime) -> None:
    while await segments.evaluate_changed_segments(runtime):
        pass


async def test_purchases_and_returns_move_traits_effectively_once(profile: Runtime) -> None:
    julia = await enroll(profile, "Julia")
    assert await traits_of(profile, julia) == (None, 0, Decimal("0.00"), None)
    first = purchase(julia, "p-1", "120.00", units=2, days_ago=10)
    await traits.on_purchase_completed(profile, first)
    await traits.on_purchase_completed(profile, first)  # redelivered
    await traits.on_purchase_completed(profile, purchase(julia, "p-1", "120.00", units=2, days_ago=10))  # new envelope
    assert await traits_of(profile, julia) == (10, 1, Decimal("120.00"), None)

    partly = giving_back(julia, "r-1", "p-1", "60.00")
    await traits.on_purchase_returned(profile, partly)
    await traits.on_purchase_returned(profile, partly)
    await traits.on_purchase_returned(profile, giving_back(julia, "r-1", "p-1", "60.00"))  # same return, new envelope
    assert await traits_of(profile, julia) == (10, 1, Decimal("60.00"), None)

    await traits.on_purchase_completed(profile, purchase(julia, "p-0", "30.00", days_ago=200))
    await traits.on_purchase_returned(profile, giving_back(julia, "r-2", "p-1", "60.00"))  # the rest: p-1 gone
    assert await traits_of(profile, julia) == (200, 0, Decimal("30.00"), None)


async def test_a_return_arriving_before_its_purchase(profile: Runtime) -> None:
    aiko = await enroll(profile, "Aiko")
    await traits.on_purchase_returned(profile, giving_back(aiko, "r-9", "p-9", "25.00"))
    assert await traits_of(profile, aiko) == (None, 0, Decimal("0.00"), None)
    await traits.on_purchase_completed(profile, purchase(aiko, "p-9", "100.00", units=4, days_ago=3))
    assert await traits_of(profile, aiko) == (3, 1, Decimal("75.00"), None)


async def test_a_malformed_event_is_skipped_and_the_next_one_applies(profile: Runtime) -> None:
    marcus = await enroll(profile, "Marcus")
    for broken in (
        Event("PurchaseCompleted", "rewards", marcus, payload={"external_id": "p-x", "total": "abc"}),
        Event("PurchaseCompleted", "rewards", marcus, payload={"external_id": "p-x", "lines": []}),  # no total
        purchase(marcus, "p-x", "1e20"),  # more than a purchase row holds
        purchase(marcus, "p-x", "-5.00"),
        purchase(marcus, "p-x", "5.00", units=0),
        Event("PurchaseCompleted", "rewards", None, payload=purchase(marcus, "p-x", "5.00").payload),
        Event("PurchaseReturned", "rewards", marcus, payload={"external_id": "r-x", "purchase_external_id": "p-x",
                                                               "amount": "NaN", "lines": []}),
    ):
        handle = traits.on_purchase_completed if broken.type == "PurchaseCompleted" else traits.on_purchase_returned
        await handle(profile, broken)
    await traits.on_purchase_completed(profile, purchase(marcus, "p-y", "10.00"))
    assert await traits_of(profile, marcus) == (0, 1, Decimal("10.00"), None)


async def test_segments_follow_purchases_returns_and_consents_in_the_same_transaction(profile: Runtime) -> None:
    member = await enroll(profile, "Regular")
    saved = await segments.upsert_segment(profile, ADMIN, segment_id="big-spenders", name="Big spenders",
                                          condition="monetary365d >= 100 && consents.profiling")
    assert saved.evaluating and saved.members == 0
    await evaluate_all(profile)
    assert not (await segment_of(profile, "big-spenders")).evaluating

    await traits.on_purchase_completed(profile, purchase(member, "p-1", "150.00", units=3, days_ago=1))
    assert await segments.member_segments(profile, SERVICE, member) == ["big-spenders"]
    assert (await segment_of(profile, "big-spenders")).members == 1
    entered = await outbox(profile, "SegmentEntered")
    assert [(e.member_id, e.payload) for e in entered] == [
        (member, {"segment_id": "big-spenders", "segment_name": "Big spenders", "member_id": member})]

    await traits.on_purchase_returned(profile, giving_back(member, "r-1", "p-1", "100.00", units=2))
    assert await segments.member_segments(profile, SERVICE, member) == []
    assert (await segment_of(profile, "big-spenders")).members == 0
    assert [e.payload["segment_id"] for e in await outbox(profile, "SegmentExited")] == ["big-spenders"]

    await traits.on_purchase_completed(profile, purchase(member, "p-2", "80.00", days_ago=1))
    assert await segments.member_segments(profile, SERVICE, member) == ["big-spenders"]
    opted_out = Principal(member, Role.MEMBER)
    await members.update_consents(profile, opted_out, member, {"profiling": False})
    assert await segments.member_segments(profile, SERVICE, member) == []
    assert len(await outbox(profile, "SegmentEntered")) == 2 and len(await outbox(profile, "SegmentExited")) == 2


async def test_a_new_member_is_evaluated_at_enrolment(profile: Runtime) -> None:
    await segments.upsert_segment(profile, ADMIN, segment_id="newcomers", name="No purchase yet",
                                  condition="recencyDays == null && enrolledDays < 30")
    await evaluate_all(profile)
    newcomer = await enroll(profile, "Newcomer")
    assert await segments.member_segments(profile, SERVICE, newcomer) == ["newcomers"]
    clock(profile).advance(timedelta(days=31))
    assert await segments.run_daily_pass(profile) >= 1  # enrolled in the last year: visited
    assert await segments.member_segments(profile, SERVICE, newcomer) == []


async def test_a_changed_condition_is_evaluated_for_everyone_by_the_job(profile: Runtime) -> None:
    ids = [await enroll(profile, f"Member{n}", home="st_portland" if n % 2 else "st_seattle") for n in range(5)]
    await segments.upsert_segment(profile, ADMIN, segment_id="portland", name="Portland",
                                  condition="homeStoreId == 'st_portland'")
    assert (await segment_of(profile, "portland")).members == 0  # not in the upsert: in the job
    await evaluate_all(profile)
    assert (await segment_of(profile, "portland")).members == 2
    changed = await segments.upsert_segment(profile, ADMIN, segment_id="portland", name="Seattle, in fact",
                                            condition="homeStoreId == 'st_seattle'")
    assert changed.evaluating and changed.name == "Seattle, in fact"
    await evaluate_all(profile)
    assert (await segment_of(profile, "portland")).members == 3
    assert await segments.member_segments(profile, SERVICE, ids[0]) == ["portland"]
    exited = [e for e in await outbox(profile, "SegmentExited") if e.payload["segment_id"] == "portland"]
    assert {e.member_id for e in exited} == {ids[1], ids[3]}
    assert {e.payload["segment_name"] for e in exited} == {"Seattle, in fact"}


async def test_a_condition_failing_for_some_members_leaves_them_out_and_the_others_in(
        profile: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    buyer, never, nor = await enroll(profile, "Buyer"), await enroll(profile, "Never"), await enroll(profile, "Nor")
    await traits.on_purchase_completed(profile, purchase(buyer, "p-1", "10.00", days_ago=40))
    quiet = "quiet-sqlite" if profile.db.is_sqlite else "quiet-postgresql"  # logged once per process
    await segments.upsert_segment(profile, ADMIN, segment_id=quiet, name="Quiet", condition="recencyDays > 30")
    with caplog.at_level("WARNING", logger="subgraphs.profile.handlers.segments"):
        await evaluate_all(profile)  # recencyDays is null for `never` and `nor`: an evaluation error, so out
        await traits.on_purchase_completed(profile, purchase(buyer, "p-2", "10.00", days_ago=35))
    assert await segments.member_segments(profile, SERVICE, buyer) == [quiet]
    assert await segments.member_segments(profile, SERVICE, never) == []
    assert await segments.member_segments(profile, SERVICE, nor) == []
    failures = [r for r in caplog.records if f"segment {quiet}: the condition cannot be evaluated" in r.message]
    assert len(failures) == 1


async def test_upsert_refuses_bad_conditions_and_non_admins(profile: Runtime) -> None:
    with pytest.raises(BadUserInput) as caught:
        await segments.upsert_segment(profile, ADMIN, segment_id="bad", name="Bad", condition="frequency90d >")
    assert caught.value.details == {"field": "condition", "line": 1, "column": 15}
    with pytest.raises(Forbidden):
        await segments.upsert_segment(profile, Principal("cashier", Role.CASHIER, store="st_portland"),
                                      segment_id="x", name="X", condition="true")
    assert [s.id for s in await segments.list_segments(profile, SERVICE)] == []


async def test_the_daily_pass_moves_members_out_as_time_passes(profile: Runtime) -> None:
    member = await enroll(profile, "Recent")
    await traits.on_purchase_completed(profile, purchase(member, "p-1", "50.00", days_ago=0))
    await segments.upsert_segment(profile, ADMIN, segment_id="active", name="Active",
                                  condition="recencyDays != null && recencyDays < 30")
    await evaluate_all(profile)
    assert await segments.member_segments(profile, SERVICE, member) == ["active"]
    clock(profile).advance(timedelta(days=29))
    await segments.run_daily_pass(profile)
    assert await segments.member_segments(profile, SERVICE, member) == ["active"]
    assert await segments.run_daily_pass(profile) == 0  # done for today
    clock(profile).advance(timedelta(days=1))
    await segments.run_daily_pass(profile)
    assert await segments.member_segments(profile, SERVICE, member) == []
    assert (await segment_of(profile, "active")).members == 0


async def test_lapse_scores_are_kept_only_with_profiling_consent(profile: Runtime) -> None:
    keen, objector = await enroll(profile, "Keen"), await enroll(profile, "Objector", profiling=False)
    await segments.upsert_segment(profile, ADMIN, segment_id="lapsing", name="Lapsing",
                                  condition="lapseRisk != null && lapseRisk > 0.7")
    await evaluate_all(profile)
    kept = await traits.record_lapse_scores(profile, [
        traits.LapseScore(keen, 0.82, "churn-test-1", START), traits.LapseScore(objector, 0.9, "churn-test-1", START)])
    assert kept == 1
    assert (await traits_of(profile, keen))[3] == pytest.approx(0.82)
    assert (await traits_of(profile, objector))[3] is None
    assert await segments.member_segments(profile, SERVICE, keen) == ["lapsing"]
    older = traits.LapseScore(keen, 0.1, "churn-test-0", START - timedelta(days=1))
    assert await traits.record_lapse_scores(profile, [older]) == 0  # an older score never replaces a newer one
    await members.update_consents(profile, Principal(keen, Role.MEMBER), keen, {"profiling": False})
    assert (await traits_of(profile, keen))[3] is None
    assert await segments.member_segments(profile, SERVICE, keen) == []
    await members.update_consents(profile, Principal(keen, Role.MEMBER), keen, {"profiling": True})
    assert (await traits_of(profile, keen))[3] is None  # the score went with the objection


async def test_merges_move_purchases_and_unmerges_move_them_back(profile: Runtime) -> None:
    a, b, c = [await enroll(profile, name) for name in ("Ann", "Ben", "Cal")]
    for member, external_id, total in ((a, "a-1", "40.00"), (a, "a-2", "60.00"), (b, "b-1", "30.00"),
                                       (c, "c-1", "5.00")):
        await traits.on_purchase_completed(profile, purchase(member, external_id, total, days_ago=2))
    await segments.upsert_segment(profile, ADMIN, segment_id="hundred", name="100+",
                                  condition="monetary365d >= 100")
    await evaluate_all(profile)
    assert await segments.member_segments(profile, SERVICE, a) == ["hundred"]

    now = clock(profile).now()
    async with profile.unit_of_work() as uow:  # A merged into B (m1), as the merge handler will
        await record_merge(uow, absorbed_id=a, survivor_id=b, merge_id="m1", at=now)
        assert await traits.reassign_member_facts(uow, a, b, "m1", now=now) == ["a-1", "a-2"]
        assert await traits.reassign_member_facts(uow, a, b, "m1", now=now) == []  # idempotent
        await uow.commit()
    assert await traits_of(profile, b) == (2, 3, Decimal("130.00"), None)
    assert await segments.member_segments(profile, SERVICE, b) == ["hundred"]
    assert await _segment_ids_of_absorbed(profile, a) == set()  # the absorbed member is in no segment
    assert (await segment_of(profile, "hundred")).members == 1

    async with profile.unit_of_work() as uow:  # B merged into C (m2): A's purchases travel along
        await record_merge(uow, absorbed_id=b, survivor_id=c, merge_id="m2", at=now)
        assert await traits.reassign_member_facts(uow, b, c, "m2", now=now) == ["a-1", "a-2", "b-1"]
        await uow.commit()
    assert await traits_of(profile, c) == (2, 4, Decimal("135.00"), None)
    # A purchase event naming an absorbed member (made before the merge, its event late) lands
    # with the member it was merged into, and goes back with an unmerge of either merge.
    await traits.on_purchase_completed(profile, purchase(a, "a-3", "1.00", days_ago=1))
    assert await traits_of(profile, c) == (1, 5, Decimal("136.00"), None)

    async with profile.unit_of_work() as uow:  # undo m1 first, out of order: A gets back a-1, a-2, a-3 from C
        await uow.execute(sa.text("DELETE FROM member_aliases WHERE merge_id = 'm1'"))
        assert await traits.restore_member_facts(uow, "m1", a, b, now=now) == ["a-1", "a-2", "a-3"]
        assert await traits.restore_member_facts(uow, "m1", a, b, now=now) == []  # idempotent
        await uow.commit()
    assert await traits_of(profile, a) == (1, 3, Decimal("101.00"), None)
    assert await traits_of(profile, c) == (2, 2, Decimal("35.00"), None)
    assert await segments.member_segments(profile, SERVICE, a) == ["hundred"]
    assert await segments.member_segments(profile, SERVICE, c) == []

    async with profile.unit_of_work() as uow:  # then m2: B gets back b-1; A's purchases stay with A
        await uow.execute(sa.text("DELETE FROM member_aliases WHERE merge_id = 'm2'"))
        assert await traits.restore_member_facts(uow, "m2", b, c, now=now) == ["b-1"]
        await uow.commit()
    assert await traits_of(profile, a) == (1, 3, Decimal("101.00"), None)
    assert await traits_of(profile, b) == (2, 1, Decimal("30.00"), None)
    assert await traits_of(profile, c) == (2, 1, Decimal("5.00"), None)
    assert (await segment_of(profile, "hundred")).members == 1
    async with profile.db.reading() as connection:
        totals = dict((await connection.execute(sa.select(member_traits.c.member_id, member_traits.c.purchases)
                                                .where(member_traits.c.member_id.in_([a, b, c])))).all())
    assert totals == {a: 3, b: 1, c: 1}


async def _segment_ids_of_absorbed(runtime: Runtime, member_id: str) -> set[str]:
    async with runtime.db.reading() as connection:
        rows = await connection.execute(sa.text("SELECT segment_id FROM segment_members WHERE member_id = :m"),
                                        {"m": member_id})
        return {row[0] for row in rows}



def tier_changed(member_id: str, tier_id: str, threshold: int, at: datetime) -> Event:
    return Event("TierChanged", "ledger", member_id, occurred_at=at, payload={
        "from": {"id": "bronze", "name": "Bronze", "threshold": 0, "multiplier": 1.0},
        "to": {"id": tier_id, "name": tier_id.title(), "threshold": threshold, "multiplier": 1.5},
        "at": at.isoformat()})


async def test_the_scoring_pass_pages_resumes_once_a_day_and_skips_who_it_must(
        profile: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(churn, "SCORING_PAGE", 2)
    monkeypatch.setattr(churn, "SCORING_MAX_PER_RUN", 3)
    buyers = [await enroll(profile, f"Buyer{n}") for n in range(4)]
    objector, never = await enroll(profile, "Objector", profiling=False), await enroll(profile, "Never")
    for n, member in enumerate([*buyers, objector]):
        await traits.on_purchase_completed(profile, purchase(member, f"s-{n}", "100.00", days_ago=120))
    gold = tier_changed(buyers[1], "gold", 5000, START - timedelta(days=100))
    await traits.on_tier_changed(profile, gold)
    await traits.on_tier_changed(profile, gold)  # delivered again: nothing changes
    await traits.on_tier_changed(profile, tier_changed(buyers[1], "bronze", 0, START - timedelta(days=200)))  # older
    assert await churn.run_scoring_pass(profile) == 4  # two pages of two reach the bound of 3: the objector waits
    assert await churn.run_scoring_pass(profile) == 0  # the last page: only the objector, who is skipped
    assert await churn.run_scoring_pass(profile) == 0  # done for today
    risks = {m: (await traits_of(profile, m))[3] for m in [*buyers, objector, never]}
    assert risks[objector] is None and risks[never] is None
    bronze = risks[buyers[0]]
    assert 0 < risks[buyers[1]] < bronze and risks[buyers[2]] == bronze  # the same history, Gold lapses less
    published = await outbox(profile, "LapseRiskScored")
    model = churn.load_model(profile)
    assert model is not None
    assert sorted(e.member_id for e in published) == sorted(buyers)
    assert {e.payload["model"] for e in published} == {model.version}
    assert all(e.payload["horizon_days"] == 90 for e in published)
    clock(profile).advance(timedelta(days=1))
    assert await churn.run_scoring_pass(profile) == 4  # the next day, everyone again
    assert len(await outbox(profile, "LapseRiskScored")) == 4  # a day later the scores barely moved: not announced
    clock(profile).advance(timedelta(days=1))
    await members.update_consents(profile, Principal(buyers[3], Role.MEMBER), buyers[3], {"profiling": False})
    assert await churn.run_scoring_pass(profile) == 3
    assert (await traits_of(profile, buyers[3]))[3] is None
