"""The ledger's use cases: postings, scheduled jobs, reads and the events it reacts to.

Every change goes through `_change`: lock the member's account, load the lots
the change needs, let `domain.Wallet` apply it, write entries, lots, the
account, the idempotency record and the events in one transaction.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from core.auth import Principal, Role, require_role
from core.errors import BadUserInput, Conflict, LoyaltyError, NotFound, Unavailable
from core.ids import new_id
from core.vocabulary import Channel
from subgraphs.kernel import aliases
from subgraphs.kernel.bounds import MAX_INT, MAX_KEY_LENGTH, check_aware, check_id, check_int, check_length, check_sku
from subgraphs.kernel.db import UnitOfWork, is_unique_violation
from subgraphs.kernel.events import Event, subject_for
from subgraphs.kernel.pagination import check_page_size, decode_key, encode_key
from subgraphs.kernel.privacy import refuse_erased
from subgraphs.kernel.runtime import Runtime

from . import domain
from .adapters import repository
from .domain import Account, Entry, EntryKind, Lot, Policy, Tier, TierChange, Wallet

log = logging.getLogger(__name__)

SOURCE = "ledger"
PROGRAM_CACHE_SECONDS = 5.0  # a changed program applies everywhere within this
ADJUSTING_ROLES = (Role.SUPERVISOR, Role.ADMIN)
MAX_REASON = 200
MAX_LINE_ID_LENGTH = 64
# What an earning's occurredAt may be: the engine's own bounds (LOYALTY_CHECKOUT_MAX_*) lie inside these.
MAX_BACKDATE = timedelta(days=3660)
MAX_AHEAD = timedelta(days=1)
SCHEDULE_PAGE = 500
SCHEDULE_MAX_PER_RUN = 10_000  # the rest waits for the next run (every 30 s)


@dataclass(frozen=True, slots=True)
class Program:
    tiers: list[Tier]
    policy: Policy


@dataclass(frozen=True, slots=True)
class EarningLine:
    line_id: str
    sku: str
    quantity: int
    points: int


@dataclass(frozen=True, slots=True)
class PostingResult:
    entry: Entry | None  # None when the posting changed nothing on the balance (e.g. all of it owed)
    duplicate: bool
    changed: bool = True


# --- the program ----------------------------------------------------------------------------


async def program(runtime: Runtime) -> Program:
    cached = runtime.cache.get("ledger.program")
    if cached is not None and cached[0] > time.monotonic():  # type: ignore[index]
        return cached[1]  # type: ignore[index,return-value]
    async with runtime.db.reading() as connection:
        loaded = Program(await repository.all_tiers(connection), await repository.policy(connection))
    runtime.cache["ledger.program"] = (time.monotonic() + PROGRAM_CACHE_SECONDS, loaded)
    return loaded


async def program_tiers(runtime: Runtime) -> list[Tier]:
    return (await program(runtime)).tiers


async def save_program(runtime: Runtime, tiers: Sequence[Tier], policy: Policy | None = None) -> None:
    domain.ordered(tiers)
    async with runtime.unit_of_work() as uow:
        await repository.save_tiers(uow, tiers)
        if policy is not None:
            policy.check()
            await repository.save_policy(uow, policy, runtime.clock.now())
        await uow.commit()
    runtime.cache.pop("ledger.program", None)


# --- reads ----------------------------------------------------------------------------------


async def accounts_by_member(runtime: Runtime, member_ids: Sequence[str]) -> list[Account | None]:
    """The accounts these ids name now (a merged-away id gives its survivor's)."""
    async with runtime.db.reading() as connection:
        current = await aliases.current_member_ids(connection, member_ids)
        found = await repository.accounts_by_member(connection, sorted(set(current.values())))
    return [found.get(current[m]) for m in member_ids]


async def lots_by_member(runtime: Runtime, member_ids: Sequence[str]) -> list[list[Lot]]:
    policy = (await program(runtime)).policy
    window_start = domain.add_months(runtime.clock.now(), -policy.qualification_months)
    async with runtime.db.reading() as connection:
        current = await aliases.current_member_ids(connection, member_ids)
        found = await repository.lots_by_member(connection, sorted(set(current.values())), window_start)
    return [found.get(current[m], []) for m in member_ids]


async def _household(connection: AsyncConnection, member_id: str) -> tuple[list[str], list[str]]:
    """A member and every member merged into it (through chains), and the merges between them."""
    found = await aliases.naming_with_merges(connection, member_id)
    return [member for member, _ in found], [merge_id for _, merge_id in found if merge_id is not None]


async def activity(
    runtime: Runtime, principal: Principal | None, member_id: str, first: int, after: str | None
) -> tuple[list[Entry], bool]:
    """A page of entries, newest first, and whether more follow. A member's activity includes
    the entries of the members merged into it, as they were written (re-attributed, never
    rewritten); the transfers between their books are left out."""
    limit = check_page_size(first)
    before = decode_key(after, str, str, int)
    async with runtime.db.reading() as connection:
        member_id = await aliases.require_member_access(connection, principal, member_id)
        members, merge_ids = await _household(connection, member_id)
        page = await repository.entries_page(connection, members, hidden_references=merge_ids, before=before,
                                             limit=limit + 1)
    return page[:limit], len(page) > limit


def cursor_of(entry: Entry) -> str:
    """Where a page of activity ends (opaque to clients)."""
    return encode_key(*repository.activity_key(entry))


# --- the one way to change an account ---------------------------------------------------------


def _fingerprint(*parts: object) -> str:
    """What a posting asked for, short: a repeat must ask the same."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


async def _change(
    runtime: Runtime,
    *,
    member_id: str,
    key: str | None,
    request: str,
    actor: str,
    apply: Callable[[Wallet], Entry | None],
    purchase_reference: str | None = None,
    must_exist: bool = False,
    check: Callable[[UnitOfWork], Awaitable[None]] | None = None,
    record: Callable[[UnitOfWork, Entry | None], Awaitable[None]] | None = None,
) -> PostingResult:
    """Apply one change to a member's account, effectively once per `key`.

    A repeat of the key returns the first result; two repeats racing are
    serialised by the account lock, then by the postings table's primary key."""
    prog = await program(runtime)
    now = runtime.clock.now()
    try:
        async with runtime.unit_of_work() as uow:
            member_id = await aliases.current_member_id(uow.connection, member_id)
            account = await repository.lock_account(uow, member_id)
            if account is None and not must_exist:
                await repository.open_account(uow, domain.new_account(member_id, prog.tiers, now, prog.policy))
                account = await repository.lock_account(uow, member_id)
            if account is None:
                raise NotFound(f"member {member_id} has no points account")
            if key is not None:
                first = await repository.posting(uow.connection, key)
                if first is not None:
                    return await _replay(uow.connection, first, member_id, request)
            if check is not None:
                await check(uow)
            window_start = domain.add_months(now, -prog.policy.qualification_months)
            lots = await repository.wallet_lots(uow.connection, member_id, window_start, purchase_reference)
            before = dataclasses.replace(account)
            wallet = Wallet(account, lots, prog.tiers, prog.policy, now, new_id)
            entry = apply(wallet)
            wallet.reschedule()
            if key is None and not (wallet.new_entries or wallet.touched_lots or wallet.events) \
                    and wallet.account == before:
                return PostingResult(None, duplicate=False, changed=False)  # a job found nothing to do
            await repository.add_entries(uow, wallet.new_entries, idempotency_key=key, actor=actor, recorded_at=now)
            await repository.save_lots(uow, wallet.new_lots, wallet.touched_lots.values())
            await repository.save_account(uow, wallet.account)
            if key is not None:
                await repository.record_posting(uow, key, member_id, request, entry.id if entry else None, now)
            if record is not None:
                await record(uow, entry)
            await _publish(uow, wallet, actor)
            await uow.commit()
    except IntegrityError as error:
        if key is None or not is_unique_violation(error):
            raise
        async with runtime.db.reading() as connection:
            first = await repository.posting(connection, key)
            if first is None:
                raise
            return await _replay(connection, first, member_id, request)
    return PostingResult(entry, duplicate=False)


async def _replay(connection, first, member_id: str, request: str) -> PostingResult:  # noqa: ANN001
    """A repeat of a key: the first result, if it asked the same for the same member (one
    since merged with the other counts as the same)."""
    same_member = await aliases.current_member_id(connection, first.member_id) == \
        await aliases.current_member_id(connection, member_id)
    if not same_member or first.request != request:
        raise Conflict("this idempotency key was already used for a different posting")
    entry = (await repository.entries_by_id(connection, [first.entry_id])).get(first.entry_id) if first.entry_id \
        else None
    return PostingResult(entry, duplicate=True)


async def _publish(uow: UnitOfWork, wallet: Wallet, actor: str) -> None:
    account = wallet.account
    balance = {"available": account.available, "pending": account.pending,
               "lifetime_earned": account.lifetime_earned}
    for entry in wallet.new_entries:
        uow.publish(Event(
            type=domain.EVENT_TYPE_BY_KIND[entry.kind], source=SOURCE, member_id=entry.member_id,
            payload={"entry": domain.entry_facts(entry), "balance": balance, "actor": actor},
        ))
    matured = [e for e in wallet.events if isinstance(e, domain.PointsMatured)]
    earnings = await repository.entries_by_id(uow.connection, [e.entry_id for e in matured])
    for event in wallet.events:
        if isinstance(event, domain.PointsMatured):
            uow.publish(Event(
                type="PointsMatured", source=SOURCE, member_id=event.member_id, occurred_at=event.at,
                payload={"entry": domain.entry_facts(earnings[event.entry_id]), "points": event.points,
                         "balance": balance},
            ))
        elif isinstance(event, TierChange):
            uow.publish(Event(
                type="TierChanged", source=SOURCE, member_id=event.member_id, occurred_at=event.at,
                payload={"from": domain.tier_facts(event.from_tier), "to": domain.tier_facts(event.to_tier),
                         "at": event.at.isoformat()},
            ))
        elif isinstance(event, domain.MilestoneReached):
            uow.publish(Event(
                type="MilestoneReached", source=SOURCE, member_id=event.member_id, occurred_at=event.at,
                payload={"threshold": event.threshold, "lifetime_earned": event.lifetime_earned},
            ))
        elif isinstance(event, domain.PointsOwed):
            uow.publish(Event(
                type="PointsOwed", source=SOURCE, member_id=event.member_id, occurred_at=event.at,
                payload={"points": event.points, "debt": event.debt, "reference": event.reference},
            ))


# --- postings -------------------------------------------------------------------------------


def _check_occurred_at(runtime: Runtime, occurred_at: datetime) -> None:
    """Far enough from now that every date computed from it (expiry, maturity) exists."""
    check_aware(occurred_at, "occurredAt")
    now = runtime.clock.now()
    if not now - MAX_BACKDATE <= occurred_at <= now + MAX_AHEAD:
        raise BadUserInput("occurredAt is too far from now", field="occurredAt")


async def post_earning(
    runtime: Runtime,
    principal: Principal | None,
    *,
    member_id: str,
    reference: str,
    channel: Channel,
    occurred_at: datetime,
    description: str,
    lines: Sequence[EarningLine],
) -> PostingResult:
    """Points a purchase earned, attributed per line; idempotent by the purchase reference."""
    who = require_role(principal, Role.SERVICE)
    check_id(member_id, "memberId")
    check_length(reference, MAX_KEY_LENGTH, "reference")
    _check_occurred_at(runtime, occurred_at)
    if not lines:
        raise BadUserInput("an earning needs at least one line")
    for line in lines:
        check_length(line.line_id, MAX_LINE_ID_LENGTH, "lineId")
        check_sku(line.sku)
        check_int(line.points, "points")
        check_int(line.quantity, "quantity", minimum=1)
    if len({line.line_id for line in lines}) != len(lines):
        raise BadUserInput("line ids must be unique within a purchase")
    points = check_int(sum(line.points for line in lines), "points")

    async def record_lines(uow: UnitOfWork, entry: Entry | None) -> None:
        assert entry is not None
        await repository.add_earning_lines(uow, entry.id, [
            {"line_id": ln.line_id, "sku": ln.sku, "quantity": ln.quantity, "points": ln.points} for ln in lines
        ])

    return await _change(
        runtime, member_id=member_id, key=f"earn:{reference}", request=f"EARN:{points}", actor=who.subject,
        apply=lambda wallet: wallet.earn(kind=EntryKind.EARN, points=points, occurred_at=occurred_at,
                                         channel=channel, reference=reference, description=description),
        record=record_lines,
    )


async def post_return(
    runtime: Runtime,
    principal: Principal | None,
    *,
    member_id: str,
    reference: str,
    purchase_reference: str,
    channel: Channel,
    occurred_at: datetime,
    description: str,
    lines: Sequence[tuple[str, int]],
) -> PostingResult:
    """Take back what returned lines earned; idempotent by the return's reference.
    A line can never give back more than it earned, across all its returns."""
    who = require_role(principal, Role.SERVICE)
    check_id(member_id, "memberId")
    check_length(reference, MAX_KEY_LENGTH, "reference")
    check_length(purchase_reference, MAX_KEY_LENGTH, "purchaseReference")
    _check_occurred_at(runtime, occurred_at)
    if not lines or any(not 0 <= points <= MAX_INT for _, points in lines):
        raise BadUserInput("a return names its lines, each with the points it takes back (>= 0)")
    for line_id, _ in lines:
        check_length(line_id, MAX_LINE_ID_LENGTH, "lineId")
    if len({line_id for line_id, _ in lines}) != len(lines):
        raise BadUserInput("a return names each line once")
    points = sum(p for _, p in lines)

    async def check_lines(uow: UnitOfWork) -> None:
        earned = await repository.earned_by_line(uow.connection, purchase_reference)
        owner = await repository.posting(uow.connection, f"earn:{purchase_reference}")
        if not earned or owner is None or await aliases.current_member_id(uow.connection, owner.member_id) != \
                await aliases.current_member_id(uow.connection, member_id):
            raise NotFound(f"no purchase {purchase_reference} earned points for this member")
        returned = await repository.reversed_by_line(uow.connection, purchase_reference)
        for line_id, take in lines:
            if line_id not in earned:
                raise BadUserInput(f"line {line_id} earned nothing in purchase {purchase_reference}")
            if returned.get(line_id, 0) + take > earned[line_id]:
                raise Conflict(f"line {line_id} of purchase {purchase_reference} was already returned")

    async def record_lines(uow: UnitOfWork, _: Entry | None) -> None:
        await repository.add_line_reversals(uow, reference, purchase_reference, lines)

    return await _change(
        runtime, member_id=member_id, key=f"return:{reference}",
        request="RETURN:" + _fingerprint(purchase_reference, sorted(lines)), actor=who.subject,
        apply=lambda wallet: wallet.reverse(purchase_reference=purchase_reference, points=points,
                                            occurred_at=occurred_at, channel=channel, reference=reference,
                                            description=description),
        purchase_reference=purchase_reference, check=check_lines, record=record_lines,
    )


async def debit_points(
    runtime: Runtime, principal: Principal | None, *, member_id: str, points: int, idempotency_key: str,
    reference: str | None, description: str,
) -> PostingResult:
    """A redemption takes points: never below zero (CONFLICT), once per key."""
    who = require_role(principal, Role.SERVICE)
    check_length(idempotency_key, MAX_KEY_LENGTH, "idempotencyKey")
    check_int(points, "points", minimum=1)
    return await _change(
        runtime, member_id=member_id, key=f"redeem:{idempotency_key}", request=f"REDEEM:{points}",
        actor=who.subject, must_exist=True,
        apply=lambda wallet: wallet.spend(kind=EntryKind.REDEEM, points=points, occurred_at=wallet.now,
                                          channel=Channel.SYSTEM, reference=reference, description=description),
    )


async def refund_points(
    runtime: Runtime, principal: Principal | None, *, member_id: str, points: int, idempotency_key: str,
    reference: str | None, description: str,
) -> PostingResult:
    """A redemption the engine could not finish gives its points back (a REDEEM entry with
    positive points: a new lot, available at once, expiring by the policy), once per key."""
    who = require_role(principal, Role.SERVICE)
    check_length(idempotency_key, MAX_KEY_LENGTH, "idempotencyKey")
    check_int(points, "points", minimum=1)
    return await _change(
        runtime, member_id=member_id, key=f"refund:{idempotency_key}", request=f"REFUND:{points}",
        actor=who.subject, must_exist=True,
        apply=lambda wallet: wallet.earn(kind=EntryKind.REDEEM, points=points, occurred_at=wallet.now,
                                         channel=Channel.SYSTEM, reference=reference, description=description),
    )


async def adjust_points(
    runtime: Runtime, principal: Principal | None, *, member_id: str, points: int, reason: str,
    idempotency_key: str,
) -> Entry:
    """A supervisor's correction, with the reason and who made it on the record."""
    who = require_role(principal, *ADJUSTING_ROLES)
    reason = " ".join(reason.split())
    if not reason:
        raise BadUserInput("an adjustment needs a reason", field="reason")
    if len(reason) > MAX_REASON:
        raise BadUserInput(f"a reason has at most {MAX_REASON} characters", field="reason")
    if not idempotency_key.strip():
        raise BadUserInput("an adjustment needs an idempotency key", field="idempotencyKey")
    check_length(idempotency_key, MAX_KEY_LENGTH, "idempotencyKey")
    limit = (await program(runtime)).policy.max_adjustment
    if points == 0 or abs(points) > limit:
        raise BadUserInput(f"adjust by 1 to {limit} points, up or down", field="points")

    def apply(wallet: Wallet) -> Entry | None:
        common = {"occurred_at": wallet.now, "channel": Channel.CRM, "reference": None, "description": reason}
        if points > 0:
            return wallet.earn(kind=EntryKind.ADJUST, points=points, **common)  # type: ignore[arg-type]
        return wallet.spend(kind=EntryKind.ADJUST, points=-points, **common)  # type: ignore[arg-type]

    async def not_erased(uow: UnitOfWork) -> None:  # a reason written after an erasure would never be erased
        await refuse_erased(uow.connection, member_id)

    result = await _change(runtime, member_id=member_id, key=f"adjust:{idempotency_key}",
                           request=f"ADJUST:{points}:{_fingerprint(reason)}", actor=f"{who.role}:{who.subject}",
                           apply=apply, must_exist=True, check=not_erased)
    assert result.entry is not None
    return result.entry


# --- scheduled jobs -----------------------------------------------------------------------------


async def run_schedule(runtime: Runtime) -> int:
    """Mature pending points, expire old ones, review tiers: for every member due now,
    in due order, a page at a time. A member that fails is logged and skipped; the
    others go on. Returns how many members changed."""
    now = runtime.clock.now()
    changed = seen = 0
    after: tuple[datetime, str] | None = None
    while seen < SCHEDULE_MAX_PER_RUN:
        async with runtime.db.reading() as connection:
            page = await repository.members_due(connection, now, SCHEDULE_PAGE, after)
        for _, member_id in page:
            try:
                changed += await _run_schedule_for(runtime, member_id)
            except Exception:  # noqa: BLE001 - one broken account must not stop the others
                log.exception("schedule: member %s failed; the others go on", member_id)
                runtime.metrics.counter("schedule_failures_total", "Accounts the schedule job failed on").inc()
        seen += len(page)
        if len(page) < SCHEDULE_PAGE:
            break
        after = page[-1]
    return changed


async def _run_schedule_for(runtime: Runtime, member_id: str) -> int:
    def apply(wallet: Wallet) -> Entry | None:
        wallet.mature()
        expired = wallet.expire()
        wallet.review()
        return expired

    result = await _change(runtime, member_id=member_id, key=None, request="SCHEDULE", actor="ledger:schedule",
                           apply=apply, must_exist=True)
    return int(result.changed)


# --- live -------------------------------------------------------------------------------------


async def wallet_changes(runtime: Runtime, principal: Principal | None, member_id: str
                         ) -> AsyncIterator[domain.WalletUpdate]:
    """Every change of this member's balance from now on, live from the bus: any
    replica serves any subscriber. A maturing says so (POINTS_MATURED, with the
    earning it concerns) instead of passing for a new entry."""
    async with runtime.db.reading() as connection:
        member_id = await aliases.require_member_access(connection, principal, member_id)
    async for event in runtime.live(subject_for(SOURCE, "*")).subscribe(member_id):
        update = domain.wallet_update(event.type, event.payload, event.occurred_at)
        if update is not None:
            yield update


async def tier_changes(
    runtime: Runtime, principal: Principal | None, member_id: str
) -> AsyncIterator[TierChange]:
    async with runtime.db.reading() as connection:
        member_id = await aliases.require_member_access(connection, principal, member_id)
    async for event in runtime.live(subject_for(SOURCE, "*")).subscribe(member_id):
        if event.type == "TierChanged":
            yield TierChange(
                member_id,
                domain.tier_from_facts(event.payload["from"]),
                domain.tier_from_facts(event.payload["to"]),
                datetime.fromisoformat(event.payload["at"]),
            )


# --- events from other subgraphs ----------------------------------------------------------------


async def on_member_enrolled(runtime: Runtime, event: Event) -> None:
    """Open the account at enrolment, so the tier is held since the day the member joined."""
    prog = await program(runtime)
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled("accounts", event.id):
            return
        enrolled_at = datetime.fromisoformat(event.payload["enrolled_at"])
        await repository.open_account(uow, domain.new_account(str(event.member_id), prog.tiers, enrolled_at,
                                                              prog.policy))
        await uow.commit()


async def on_bonus_awarded(runtime: Runtime, event: Event) -> None:
    """The engine's BonusPointsAwarded (a triggered campaign's points): a BONUS entry, once
    per reference (the postings key), whatever the bus redelivers."""
    facts = event.payload
    points = int(facts["points"])
    try:
        await _change(
            runtime, member_id=str(facts["member_id"]), key=f"bonus:{facts['reference']}", request=f"BONUS:{points}",
            actor="service:rewards", must_exist=True,
            apply=lambda wallet: wallet.earn(kind=EntryKind.BONUS, points=points, occurred_at=wallet.now,
                                             channel=Channel.SYSTEM, reference=str(facts["reference"]),
                                             description=str(facts.get("description") or "Bonus points")),
        )
    except LoyaltyError as error:  # a bonus the book cannot take (no account, past the maximum): logged, skipped
        if isinstance(error, Unavailable):
            raise  # the database is busy: the bus delivers it again
        log.warning("bonus %s for %s not posted: %s", facts.get("reference"), facts.get("member_id"), error)


async def on_members_merged(runtime: Runtime, event: Event) -> None:
    """Two members became one (profile): the survivor's book takes the absorbed member's
    (domain.merge_wallets), effectively once."""
    facts = event.payload
    merge_id, survivor_id, absorbed_id = facts["merge_id"], facts["survivor_id"], facts["absorbed_id"]
    prog = await program(runtime)
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled("merges", event.id):
            return
        await aliases.record_merge(uow, absorbed_id=absorbed_id, survivor_id=survivor_id, merge_id=merge_id,
                                   at=datetime.fromisoformat(facts["at"]))
        survivor, absorbed = await _wallets(uow, prog, now, survivor_id, absorbed_id)
        record = domain.merge_wallets(survivor, absorbed, merge_id=merge_id)
        await repository.record_account_merge(uow, record, now)
        survivor.reschedule()
        absorbed.account.next_due_at = None  # its points live on in the survivor's book
        await _save_wallets(uow, now, survivor, absorbed, actor=f"merge:{merge_id}")
        await uow.commit()


async def on_members_unmerged(runtime: Runtime, event: Event) -> None:
    """A merge undone (profile): each member gets their own book back (domain.unmerge_wallets)."""
    facts = event.payload
    merge_id = facts["merge_id"]
    prog = await program(runtime)
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled("unmerges", event.id):
            return
        await aliases.forget_merge(uow, merge_id)
        found = await repository.account_merge(uow.connection, merge_id)
        if found is None or found[1] is not None:  # the merge never reached this book, or was undone already
            await uow.commit()
            return
        record = found[0]
        survivor, absorbed = await _wallets(uow, prog, now, record.survivor_id, record.absorbed_id, merge_id=merge_id)
        domain.unmerge_wallets(survivor, absorbed, record)
        await repository.mark_account_merge_reversed(uow, merge_id, now)
        survivor.reschedule()
        absorbed.reschedule()
        await _save_wallets(uow, now, survivor, absorbed, actor=f"unmerge:{merge_id}")
        await uow.commit()


async def _wallets(uow: UnitOfWork, prog: Program, now: datetime, survivor_id: str, absorbed_id: str,
                   merge_id: str | None = None) -> tuple[Wallet, Wallet]:
    """Both accounts, locked in id order (two merges racing never deadlock), opened if new."""
    window_start = domain.add_months(now, -prog.policy.qualification_months)
    wallets: dict[str, Wallet] = {}
    for member_id in sorted((survivor_id, absorbed_id)):
        account = await repository.lock_account(uow, member_id)
        if account is None:
            await repository.open_account(uow, domain.new_account(member_id, prog.tiers, now, prog.policy))
            account = await repository.lock_account(uow, member_id)
        assert account is not None
        lots = await repository.wallet_lots(uow.connection, member_id, window_start, merge_id=merge_id)
        wallets[member_id] = Wallet(account, lots, prog.tiers, prog.policy, now, new_id)
    return wallets[survivor_id], wallets[absorbed_id]


async def _save_wallets(uow: UnitOfWork, now: datetime, *wallets: Wallet, actor: str) -> None:
    for wallet in wallets:
        await repository.add_entries(uow, wallet.new_entries, idempotency_key=None, actor=actor, recorded_at=now)
    for wallet in wallets:  # lots that changed books are saved once, by the book that holds them now
        await repository.save_lots(uow, wallet.new_lots, wallet.touched_lots.values())
        await repository.save_account(uow, wallet.account)
        await _publish(uow, wallet, actor)
