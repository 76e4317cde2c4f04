"""Segments: saving them, evaluating members against them, who is in.

Membership is kept, not computed on read: `reevaluate` runs inside the transaction
of every change to a member (a purchase, a return, a consent change, an
enrolment, a merge), writes only what changed, moves the segment's count with it
and publishes SegmentEntered / SegmentExited for the engine's triggers. Two jobs
cover what no member event announces:

- `evaluate_changed_segments`: a new or changed condition, for every member, a
  page at a time (a cursor on the member id), never inside the upsert request.
- `run_daily_pass`: time passing moves recencyDays, enrolledDays and the 90/365-day
  windows. Once a day it visits the members whose windows can still change (a
  purchase in the last 366 days: the 365-day window plus the day between two
  passes) and those enrolled in the last 366 days (new-member conditions). A member
  whose last purchase is older has frequency90d 0 and monetary365d 0 for good;
  only recencyDays and enrolledDays still grow, so a condition on more than a
  year of either catches up at the member's next event, or when the segment is
  saved again (README: "Traits and segments").
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from core.auth import Principal, Role, require_role, require_staff
from core.cel import CelEvaluationError
from core.errors import BadUserInput, Conflict
from core.ids import new_id
from core.lru import ByteBoundedLRU
from subgraphs.kernel.aliases import require_member_access
from subgraphs.kernel.db import UnitOfWork, is_unique_violation
from subgraphs.kernel.events import Event, subject_for
from subgraphs.kernel.runtime import LIVE_ALL, Runtime

from ..adapters import repository
from ..adapters import segments as store
from ..adapters import traits as trait_store
from ..domain import segments as rules
from ..domain.segments import Condition, Segment
from ..domain.traits import DAY, MONETARY_WINDOW

log = logging.getLogger(__name__)

SOURCE = "profile"
EVALUATION_PAGE = 200  # members per transaction of the jobs
EVALUATION_MAX_PER_RUN = 5_000  # members per run of a job; the rest waits for the next run
DAILY_PASS = "daily"
DAILY_REACH = MONETARY_WINDOW + DAY  # see the module docstring
PURCHASES, ENROLMENTS, DONE = "purchases", "enrolments", "done"

# Compiled conditions by their text, or (None,) for one that no longer compiles (at most
# MAX_SEGMENTS in use; old versions age out).
_compiled: ByteBoundedLRU[str, tuple[Condition | None]] = ByteBoundedLRU(max_bytes=4_000_000)
# Segments whose evaluation failed for some member, logged once per condition (bounded).
_logged_failures: ByteBoundedLRU[tuple[str, str], bool] = ByteBoundedLRU(max_bytes=1_000_000)


# --- saving and reading segments --------------------------------------------------------------


async def upsert_segment(runtime: Runtime, principal: Principal | None, *, segment_id: str | None, name: str,
                         condition: str) -> Segment:
    """Create a segment, or change one's name or condition. The condition is compiled and
    checked here; evaluating it for every member is the job's (evaluate_changed_segments)."""
    require_role(principal, Role.ADMIN)
    checked = rules.validate_segment(segment_id, name, condition)
    now = runtime.clock.now()
    saved_id = checked.id or new_id("seg")
    try:
        async with runtime.unit_of_work() as uow:
            current = await store.lock_segment(uow, saved_id)
            if current is None:
                if await store.count_segments(uow.connection) >= rules.MAX_SEGMENTS:
                    raise BadUserInput(f"there are {rules.MAX_SEGMENTS} segments already, the most there can be "
                                       "(every member is evaluated against each): change one instead",
                                       field="id", limit=rules.MAX_SEGMENTS)
                await store.add_segment(uow, saved_id, checked.name, checked.condition.source, now)
            else:
                await store.change_segment(uow, current, checked.name, checked.condition.source, now)
            await uow.commit()
    except IntegrityError as error:  # the same new id, saved by a concurrent request
        if is_unique_violation(error):
            raise Conflict(f"segment {saved_id} was created meanwhile: save it again to change it") from error
        raise
    async with runtime.db.reading() as connection:
        saved = await store.segment(connection, saved_id)
    assert saved is not None
    return saved


async def list_segments(runtime: Runtime, principal: Principal | None) -> list[Segment]:
    require_staff(principal)
    async with runtime.db.reading() as connection:
        return await store.all_segments(connection)


MEMBERSHIP_EVENTS = frozenset({"SegmentEntered", "SegmentExited"})
LIVE_COALESCE_SECONDS = 0.25  # members moving together (a job's page, a checkout's segments): one update each


async def segment_updates(runtime: Runtime, principal: Principal | None, *,
                          coalesce_seconds: float = LIVE_COALESCE_SECONDS) -> AsyncIterator[Segment]:
    """Staff: each segment whose members changed, with its count as it stands, live from profile's
    own SegmentEntered / SegmentExited events (any replica: they come through the bus). Bounded
    whatever moves: the events only mark segments (at most MAX_SEGMENTS ids), and the counts are
    read once per `coalesce_seconds` at most, however many members entered or left meanwhile."""
    require_staff(principal)
    changed: set[str] = set()
    wake = asyncio.Event()
    ended: list[BaseException | None] = []

    async def listen() -> None:
        try:
            async for event in runtime.live_all(subject_for(SOURCE, "*")).subscribe(LIVE_ALL):
                if event.type in MEMBERSHIP_EVENTS and isinstance(event.payload.get("segment_id"), str):
                    changed.add(event.payload["segment_id"])
                    wake.set()
            ended.append(None)
        except Exception as error:  # noqa: BLE001 - the subscriber hears it below
            ended.append(error)
        wake.set()

    listener = asyncio.create_task(listen(), name="live:segments")
    try:
        while True:
            await wake.wait()
            if not ended:
                await asyncio.sleep(coalesce_seconds)  # let the rest of a burst arrive
            wake.clear()
            ids = set(changed)
            changed.clear()
            if ids:
                async with runtime.db.reading() as connection:
                    found = await store.all_segments(connection)
                for segment in found:
                    if segment.id in ids:
                        yield segment
            if ended:
                if ended[0] is not None:
                    raise ended[0]
                return
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener


async def member_segments(runtime: Runtime, principal: Principal | None, member_id: str) -> list[str]:
    """The ids of the segments a member is in (the member themself, or staff)."""
    async with runtime.db.reading() as connection:
        current = await require_member_access(connection, principal, member_id)
        return sorted((await store.memberships(connection, [current])).get(current, set()))


# --- evaluating members -----------------------------------------------------------------------


def _condition(segment: Segment) -> Condition | None:
    """The segment's compiled condition; None when it no longer compiles (rules changed since it
    was saved): then nobody is in it, and that is logged once."""
    if (cached := _compiled.get(segment.condition)) is not None:
        return cached[0]
    try:
        condition: Condition | None = rules.compile_condition(segment.condition)
    except BadUserInput as error:
        log.error("segment %s: its condition no longer compiles (%s); nobody is in it until it is saved again",
                  segment.id, error.message)
        condition = None
    _compiled.put(segment.condition, (condition,), 1000 + 4 * len(segment.condition))
    return condition


def _matches(segment: Segment, values: dict[str, object], member_id: str) -> bool:
    """In or out; a condition that cannot be evaluated for this member leaves them out, logged once
    per segment and condition, so that one member's data never stops the others."""
    condition = _condition(segment)
    if condition is None:
        return False
    try:
        return condition.matches(values)
    except CelEvaluationError as error:
        _log_failure_once(segment, member_id, error.message)
    except Exception as error:  # noqa: BLE001 - whatever the engine raises, the member is out
        _log_failure_once(segment, member_id, f"{type(error).__name__}: {error}")
    return False


def _log_failure_once(segment: Segment, member_id: str, message: str) -> None:
    key = (segment.id, segment.condition)
    if _logged_failures.get(key) is None:
        _logged_failures.put(key, True, 100 + len(segment.condition))
        log.warning("segment %s: the condition cannot be evaluated for some members (first: %s: %s); "
                    "they are not in it", segment.id, member_id, message[:300])


async def reevaluate(uow: UnitOfWork, member_ids: Collection[str], now: datetime, *,
                     only: Collection[str] | None = None, gone: Collection[str] = (),
                     revived: Collection[str] = ()) -> int:
    """Evaluate these members against every segment (or `only` these), inside the caller's
    transaction: write what changed, move the counts, publish SegmentEntered / SegmentExited.
    Returns how many memberships changed.

    The caller holds the members (`store.lock_members`, or a write to their rows). Members that
    do not exist, were merged into another (`gone`, or in member_aliases unless `revived`) or are
    erased are in no segment."""
    ids = sorted(set(member_ids))
    if not ids:
        return 0
    connection = uow.connection
    definitions = [s for s in await store.all_segments(connection) if only is None or s.id in only]
    if not definitions:
        return 0  # no segment, no membership (segment_members refers to segments)
    considered = {s.id for s in definitions}
    found = await repository.members_by_id(connection, ids)
    away = (await store.merged_away(connection, ids) - set(revived)) | set(gone)
    present = [i for i in ids if i in found and i not in away and not rules.in_no_segment(found[i])]
    traits = await trait_store.load_traits(connection, present, now,
                                           {i: found[i].consents.profiling for i in present})
    current = await store.memberships(connection, ids)
    counts: Counter[str] = Counter()
    names = {s.id: s.name for s in definitions}
    changed = 0
    for member_id in ids:
        matching: set[str] = set()
        if member_id in traits:
            loaded = traits[member_id]
            values = rules.segment_values(found[member_id], loaded.traits, loaded.lifetime_purchases, now)
            matching = {s.id for s in definitions if _matches(s, values, member_id)}
        entered, exited = rules.membership_changes(current.get(member_id, set()) & considered, matching)
        for segment_id in entered:
            if await store.enter(uow, segment_id, member_id, now):
                counts[segment_id] += 1
                uow.publish(_membership_event("SegmentEntered", segment_id, names[segment_id], member_id))
                changed += 1
        for segment_id in exited:
            if await store.leave(uow, segment_id, member_id):
                counts[segment_id] -= 1
                uow.publish(_membership_event("SegmentExited", segment_id, names[segment_id], member_id))
                changed += 1
    for segment_id in sorted(counts):  # in id order: concurrent transactions lock count rows alike
        if counts[segment_id]:
            await store.add_to_count(uow, segment_id, counts[segment_id])
    return changed


def _membership_event(kind: str, segment_id: str, segment_name: str, member_id: str) -> Event:
    return Event(type=kind, source=SOURCE, member_id=member_id,
                 payload={"segment_id": segment_id, "segment_name": segment_name, "member_id": member_id})


async def _evaluate_page(runtime: Runtime, member_ids: Sequence[str], *, only: Collection[str] | None = None
                         ) -> int:
    """A page of members in one transaction; should it fail, member by member, so that one
    member that cannot be evaluated never holds up the others."""
    now = runtime.clock.now()
    try:
        async with runtime.unit_of_work() as uow:
            await store.lock_members(uow, member_ids)
            changed = await reevaluate(uow, member_ids, now, only=only)
            await uow.commit()
        return changed
    except Exception:  # noqa: BLE001 - retried member by member below
        log.exception("segment evaluation of a page of %d members failed; trying them one by one", len(member_ids))
    changed = 0
    for member_id in member_ids:
        try:
            async with runtime.unit_of_work() as uow:
                await store.lock_members(uow, [member_id])
                changed += await reevaluate(uow, [member_id], now, only=only)
                await uow.commit()
        except Exception:  # noqa: BLE001 - logged and skipped; the next pass or event tries again
            log.exception("segment evaluation of member %s failed; the others go on", member_id)
            runtime.metrics.counter("segment_evaluation_failures_total",
                                    "Members the segment evaluation failed on").inc()
    return changed


# --- jobs -------------------------------------------------------------------------------------


async def evaluate_changed_segments(runtime: Runtime) -> int:
    """Job: evaluate every member against new and changed conditions, a page at a time, at
    most EVALUATION_MAX_PER_RUN members a run; returns how many members it evaluated."""
    evaluated = 0
    while evaluated < EVALUATION_MAX_PER_RUN:
        async with runtime.db.reading() as connection:
            segment = await store.segment_to_evaluate(connection)
            if segment is None:
                break
            page = await store.member_ids_after(connection, segment.evaluation_cursor, EVALUATION_PAGE)
        await _evaluate_page(runtime, page, only={segment.id})
        async with runtime.unit_of_work() as uow:
            await store.advance_evaluation(uow, segment, page[-1] if page else None,
                                           done=len(page) < EVALUATION_PAGE)
            await uow.commit()
        evaluated += len(page)
    return evaluated


async def run_daily_pass(runtime: Runtime) -> int:
    """Job: once a day (UTC), evaluate the members whose time-dependent traits may have changed
    since yesterday (the module docstring says which and why), at most EVALUATION_MAX_PER_RUN
    a run, resuming where the last run stopped. Returns how many members it evaluated."""
    now = runtime.clock.now()
    async with runtime.db.reading() as connection:
        state = await store.pass_state(connection, DAILY_PASS)
    if state is None or state.day < now.date():
        state = store.PassState(now.date(), PURCHASES, None)
    since = now - DAILY_REACH
    evaluated = 0
    while state.phase != DONE and evaluated < EVALUATION_MAX_PER_RUN:
        async with runtime.db.reading() as connection:
            if state.phase == PURCHASES:
                page = await trait_store.members_with_purchases_since(connection, since, state.after, EVALUATION_PAGE)
            else:
                page = await trait_store.members_enrolled_since(connection, since, state.after, EVALUATION_PAGE)
        if page:
            await _evaluate_page(runtime, [member_id for _, member_id in page])
        if len(page) < EVALUATION_PAGE:
            state = store.PassState(state.day, ENROLMENTS if state.phase == PURCHASES else DONE, None)
        else:
            state = store.PassState(state.day, state.phase, page[-1])
        async with runtime.unit_of_work() as uow:
            await store.save_pass_state(uow, DAILY_PASS, state)
            await uow.commit()
        evaluated += len(page)
    return evaluated

