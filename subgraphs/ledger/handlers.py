"""The ledger's use cases: postings, reads, and the events it reacts to."""
from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from subgraphs.kernel.auth import Principal, Role, require_member_access, require_role
from subgraphs.kernel.db import is_unique_violation
from subgraphs.kernel.errors import BadUserInput, Conflict
from subgraphs.kernel.events import Event, subject_for
from subgraphs.kernel.ids import new_id
from subgraphs.kernel.pagination import check_page_size, decode_cursor
from subgraphs.kernel.runtime import Runtime
from subgraphs.kernel.vocabulary import Channel

from . import domain
from .adapters import repository
from .domain import Account, Entry, EntryKind, Tier, TierChange

SOURCE = "ledger"


@dataclass(frozen=True, slots=True)
class EarningLine:
    line_id: str
    sku: str
    quantity: int
    points: int


@dataclass(frozen=True, slots=True)
class PostingResult:
    entry: Entry
    duplicate: bool


async def program_tiers(runtime: Runtime) -> list[Tier]:
    async with runtime.db.reading() as connection:
        return await repository.all_tiers(connection)


async def save_program_tiers(runtime: Runtime, tiers: Sequence[Tier]) -> None:
    domain.ordered(tiers)
    async with runtime.unit_of_work() as uow:
        await repository.save_tiers(uow, tiers)
        await uow.commit()


async def accounts_by_member(runtime: Runtime, member_ids: Sequence[str]) -> list[Account | None]:
    async with runtime.db.reading() as connection:
        found = await repository.accounts_by_member(connection, member_ids)
    return [found.get(m) for m in member_ids]


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
    if not lines:
        raise BadUserInput("an earning needs at least one line")
    if any(line.points < 0 or line.quantity <= 0 for line in lines):
        raise BadUserInput("line points must be >= 0 and quantities > 0")
    if len({line.line_id for line in lines}) != len(lines):
        raise BadUserInput("line ids must be unique within a purchase")
    return await _post(
        runtime,
        member_id=member_id,
        idempotency_key=f"earn:{reference}",
        actor=who.subject,
        kind=EntryKind.EARN,
        points=sum(line.points for line in lines),
        occurred_at=occurred_at,
        channel=channel,
        reference=reference,
        description=description,
        lines=[{"line_id": ln.line_id, "sku": ln.sku, "quantity": ln.quantity, "points": ln.points} for ln in lines],
    )


async def _post(
    runtime: Runtime,
    *,
    member_id: str,
    idempotency_key: str,
    actor: str,
    kind: EntryKind,
    points: int,
    occurred_at: datetime,
    channel: Channel,
    reference: str | None,
    description: str,
    lines: Sequence[dict[str, object]] = (),
) -> PostingResult:
    """The one way an entry is written. A repeat of the key returns the first entry;
    two repeats racing are serialised by the account lock, then the unique key."""
    async with runtime.db.reading() as connection:
        first = await repository.entry_by_idempotency_key(connection, idempotency_key)
    if first is not None:
        return _replay(first, member_id, points)
    tiers = await program_tiers(runtime)
    now = runtime.clock.now()
    try:
        async with runtime.unit_of_work() as uow:
            await repository.open_account(uow, domain.new_account(member_id, tiers, now))
            account = await repository.lock_account(uow, member_id)
            assert account is not None
            first = await repository.entry_by_idempotency_key(uow.connection, idempotency_key)
            if first is not None:
                return _replay(first, member_id, points)
            posting = domain.post(
                account, entry_id=new_id("led"), kind=kind, points=points, occurred_at=occurred_at,
                channel=channel, reference=reference, description=description, tiers=tiers, now=now,
            )
            await repository.save_account(uow, posting.account)
            await repository.add_entry(
                uow, posting.entry, idempotency_key=idempotency_key, actor=actor, recorded_at=now, lines=lines
            )
            uow.publish(_wallet_event(posting.entry, posting.account))
            if posting.tier_change:
                uow.publish(_tier_changed_event(posting.tier_change))
            await uow.commit()
    except IntegrityError as error:
        if not is_unique_violation(error):
            raise
        async with runtime.db.reading() as connection:
            first = await repository.entry_by_idempotency_key(connection, idempotency_key)
        if first is None:
            raise
        return _replay(first, member_id, points)
    return PostingResult(posting.entry, duplicate=False)


def _replay(first: Entry, member_id: str, points: int) -> PostingResult:
    if first.member_id != member_id or first.points != points:
        raise Conflict("this idempotency key was already used for a different posting")
    return PostingResult(first, duplicate=True)


def _wallet_event(entry: Entry, account: Account) -> Event:
    return Event(
        type=domain.EVENT_TYPE_BY_KIND[entry.kind],
        source=SOURCE,
        member_id=entry.member_id,
        occurred_at=entry.occurred_at,
        payload={
            "entry": domain.entry_facts(entry),
            "balance": {"available": account.available, "pending": account.pending,
                        "lifetime_earned": account.lifetime_earned},
        },
    )


def _tier_changed_event(change: TierChange) -> Event:
    return Event(
        type="TierChanged",
        source=SOURCE,
        member_id=change.member_id,
        occurred_at=change.at,
        payload={"from": domain.tier_facts(change.from_tier), "to": domain.tier_facts(change.to_tier),
                 "at": change.at.isoformat()},
    )


async def activity(
    runtime: Runtime, principal: Principal | None, member_id: str, first: int, after: str | None
) -> tuple[list[Entry], bool]:
    """A page of entries, newest first, and whether more follow."""
    require_member_access(principal, member_id)
    limit = check_page_size(first)
    before = decode_cursor(after)
    async with runtime.db.reading() as connection:
        page = await repository.entries_page(connection, member_id, before_seq=before, limit=limit + 1)
    return page[:limit], len(page) > limit


async def wallet_changes(runtime: Runtime, principal: Principal | None, member_id: str) -> AsyncIterator[Entry]:
    """Every entry of this member from now on, live from the bus (any replica serves any subscriber)."""
    require_member_access(principal, member_id)
    async for event in runtime.live(subject_for(SOURCE, "*")).subscribe(member_id):
        if event.type in domain.WALLET_EVENT_TYPES:
            yield domain.entry_from_facts(event.payload["entry"])


async def tier_changes(
    runtime: Runtime, principal: Principal | None, member_id: str
) -> AsyncIterator[TierChange]:
    require_member_access(principal, member_id)
    async for event in runtime.live(subject_for(SOURCE, "*")).subscribe(member_id):
        if event.type == "TierChanged":
            yield TierChange(
                member_id,
                domain.tier_from_facts(event.payload["from"]),
                domain.tier_from_facts(event.payload["to"]),
                datetime.fromisoformat(event.payload["at"]),
            )


async def on_member_enrolled(runtime: Runtime, event: Event) -> None:
    """Open the account at enrolment, so the tier is held since the day the member joined."""
    tiers = await program_tiers(runtime)
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled("accounts", event.id):
            return
        enrolled_at = datetime.fromisoformat(event.payload["enrolled_at"])
        await repository.open_account(uow, domain.new_account(str(event.member_id), tiers, enrolled_at))
        await uow.commit()
