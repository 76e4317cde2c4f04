"""Reading and writing the ledger's rows as domain objects."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.vocabulary import Channel
from subgraphs.kernel.db import UnitOfWork, UtcDateTime, row_of

from ..domain import Account, AccountMerge, Entry, EntryKind, Lot, Policy, Tier
from .tables import account_merges, accounts, earning_lines, entries, line_reversals, lots, postings, program, tiers


def _tier(row: sa.Row) -> Tier:
    return Tier(row.id, row.name, row.threshold, row.multiplier, tuple(row.benefits or ()))


def _account(row: sa.Row) -> Account:
    return Account(
        member_id=row.member_id, available=row.available, pending=row.pending,
        lifetime_earned=row.lifetime_earned, tier_id=row.tier_id, tier_since=row.tier_since,
        review_at=row.review_at, last_seq=row.last_seq, shortfall=row.shortfall, debt=row.debt,
        grace_until=row.grace_until, milestone=row.milestone, next_due_at=row.next_due_at,
    )


def _entry(row: sa.Row) -> Entry:
    return Entry(
        row.id, row.member_id, row.seq, EntryKind(row.kind), row.points, row.balance_after, row.occurred_at,
        Channel(row.channel), row.reference, row.description, row.recorded_at,
    )


def _lot(row: sa.Row) -> Lot:
    return Lot(
        id=row.id, member_id=row.member_id, entry_id=row.entry_id, kind=EntryKind(row.kind),
        reference=row.reference, points=row.points, remaining=row.remaining, earned_at=row.earned_at,
        matures_at=row.matures_at, expires_at=row.expires_at, matured=row.matured, reversed=row.reversed,
        merge_id=row.merge_id,
    )


# --- the program --------------------------------------------------------------------------


async def all_tiers(connection: AsyncConnection) -> list[Tier]:
    return [_tier(row) for row in await connection.execute(sa.select(tiers).order_by(tiers.c.threshold))]


async def save_tiers(uow: UnitOfWork, program_tiers: Sequence[Tier]) -> None:
    for tier in program_tiers:
        values = {"name": tier.name, "threshold": tier.threshold, "multiplier": tier.multiplier,
                  "benefits": list(tier.benefits)}
        updated = await uow.execute(tiers.update().where(tiers.c.id == tier.id).values(**values))
        if updated.rowcount == 0:
            await uow.execute(tiers.insert().values(id=tier.id, **values))


async def policy(connection: AsyncConnection) -> Policy:
    facts = await connection.scalar(sa.select(program.c.policy).where(program.c.id == 1))
    return Policy.from_facts(facts) if facts else Policy()


async def save_policy(uow: UnitOfWork, points_policy: Policy, at: datetime) -> None:
    values = {"policy": points_policy.facts(), "updated_at": at}
    if not await uow.insert_ignoring_conflicts(program, {"id": 1, **values}):
        await uow.execute(program.update().where(program.c.id == 1).values(**values))


# --- accounts and lots --------------------------------------------------------------------


async def accounts_by_member(connection: AsyncConnection, member_ids: Sequence[str]) -> dict[str, Account]:
    rows = await connection.execute(sa.select(accounts).where(accounts.c.member_id.in_(member_ids)))
    return {row.member_id: _account(row) for row in rows}


async def open_account(uow: UnitOfWork, account: Account) -> bool:
    """Create the account unless it exists; True when created."""
    return await uow.insert_ignoring_conflicts(accounts, row_of(account))


# The statements every posting runs are built once (building them costs more than running them).
_ACCOUNT = sa.select(accounts).where(accounts.c.member_id == sa.bindparam("member"))
_LOCKED_ACCOUNT = _ACCOUNT.with_for_update()
_SAVE_ACCOUNT = accounts.update().where(accounts.c.member_id == sa.bindparam("member"))
# Lots a change or a read needs: those with points left or still pending, the ones that
# count for the tier window, and the lots of a purchase being returned.
_WANTED_LOTS = sa.or_(lots.c.remaining > 0, lots.c.matured.is_(False), lots.c.earned_at >= sa.bindparam("since"),
                      lots.c.reference == sa.bindparam("purchase"), lots.c.merge_id == sa.bindparam("merge"))
_WALLET_LOTS = (sa.select(lots).where(lots.c.member_id == sa.bindparam("member"), _WANTED_LOTS)
                .order_by(lots.c.earned_at, lots.c.id))
_MEMBERS_LOTS = (sa.select(lots).where(lots.c.member_id.in_(sa.bindparam("members", expanding=True)), _WANTED_LOTS)
                 .order_by(lots.c.earned_at, lots.c.id))
_SAVE_LOT = lots.update().where(lots.c.id == sa.bindparam("lot"))
_POSTING = sa.select(postings).where(postings.c.idempotency_key == sa.bindparam("key"))


async def lock_account(uow: UnitOfWork, member_id: str) -> Account | None:
    """The account, locked for this transaction: changes for one member are serialised."""
    statement = _ACCOUNT if uow.db.is_sqlite else _LOCKED_ACCOUNT  # SQLite already has a single writer
    row = (await uow.execute(statement, {"member": member_id})).first()
    return _account(row) if row else None


async def save_account(uow: UnitOfWork, account: Account) -> None:
    values = row_of(account)
    values["member"] = values.pop("member_id")
    await uow.execute(_SAVE_ACCOUNT, values)


async def wallet_lots(connection: AsyncConnection, member_id: str, window_start: datetime,
                      purchase_reference: str | None = None, merge_id: str | None = None) -> list[Lot]:
    """The lots a change needs: open, pending, in the tier window, of the purchase being
    returned, or moved by the merge being undone."""
    rows = await connection.execute(_WALLET_LOTS, {"member": member_id, "since": window_start,
                                                   "purchase": purchase_reference, "merge": merge_id})
    return [_lot(row) for row in rows]


async def lots_by_member(connection: AsyncConnection, member_ids: Sequence[str], window_start: datetime
                         ) -> dict[str, list[Lot]]:
    found: dict[str, list[Lot]] = defaultdict(list)
    for row in await connection.execute(_MEMBERS_LOTS, {"members": list(member_ids), "since": window_start,
                                                        "purchase": None, "merge": None}):
        found[row.member_id].append(_lot(row))
    return found


async def save_lots(uow: UnitOfWork, new: Sequence[Lot], touched: Iterable[Lot]) -> None:
    if new:
        await uow.execute(lots.insert(), [{**row_of(lot), "kind": str(lot.kind)} for lot in new])
    changed = [{"lot": lot.id, "remaining": lot.remaining, "reversed": lot.reversed, "matured": lot.matured,
                "member_id": lot.member_id, "merge_id": lot.merge_id} for lot in touched]
    if changed:
        await uow.execute(_SAVE_LOT, changed)


async def members_due(connection: AsyncConnection, now: datetime, limit: int,
                      after: tuple[datetime, str] | None = None) -> list[tuple[datetime, str]]:
    """Accounts whose next due time has come, in due order, a page at a time: pass the
    last (next_due_at, member_id) of a page as `after` to get the next."""
    query = sa.select(accounts.c.next_due_at, accounts.c.member_id).where(accounts.c.next_due_at <= now)
    if after is not None:
        query = query.where(sa.tuple_(accounts.c.next_due_at, accounts.c.member_id) > sa.tuple_(*after))
    rows = await connection.execute(query.order_by(accounts.c.next_due_at, accounts.c.member_id).limit(limit))
    return [(row.next_due_at, row.member_id) for row in rows]


# --- entries and postings -----------------------------------------------------------------


async def add_entries(uow: UnitOfWork, new: Sequence[Entry], *, idempotency_key: str | None, actor: str,
                      recorded_at: datetime) -> None:
    if not new:
        return
    rows = []
    for number, entry in enumerate(new):
        values = row_of(entry)
        key = None if idempotency_key is None else (idempotency_key if number == 0 else f"{idempotency_key}#{number}")
        values.update(kind=str(entry.kind), channel=str(entry.channel), idempotency_key=key, actor=actor,
                      recorded_at=recorded_at)
        rows.append(values)
    await uow.execute(entries.insert(), rows)


async def entries_by_id(connection: AsyncConnection, ids: Sequence[str]) -> dict[str, Entry]:
    if not ids:
        return {}
    return {row.id: _entry(row) for row in await connection.execute(sa.select(entries).where(entries.c.id.in_(ids)))}


async def posting(connection: AsyncConnection, key: str) -> sa.Row | None:
    return (await connection.execute(_POSTING, {"key": key})).first()


async def record_posting(uow: UnitOfWork, key: str, member_id: str, request: str, entry_id: str | None,
                         at: datetime) -> None:
    await uow.execute(postings.insert(), {"idempotency_key": key, "member_id": member_id, "request": request,
                                          "entry_id": entry_id, "recorded_at": at})


async def add_earning_lines(uow: UnitOfWork, entry_id: str, lines: Sequence[dict[str, object]]) -> None:
    if lines:
        await uow.execute(earning_lines.insert(), [{"entry_id": entry_id, **line} for line in lines])


async def earned_by_line(connection: AsyncConnection, purchase_reference: str) -> dict[str, int]:
    """What each line of a purchase earned."""
    rows = await connection.execute(
        sa.select(earning_lines.c.line_id, earning_lines.c.points)
        .join(entries, entries.c.id == earning_lines.c.entry_id)
        .where(entries.c.idempotency_key == f"earn:{purchase_reference}")
    )
    return {row.line_id: row.points for row in rows}


async def reversed_by_line(connection: AsyncConnection, purchase_reference: str) -> dict[str, int]:
    rows = await connection.execute(
        sa.select(line_reversals.c.line_id, sa.func.sum(line_reversals.c.points))
        .where(line_reversals.c.purchase_reference == purchase_reference)
        .group_by(line_reversals.c.line_id)
    )
    return {line_id: int(points) for line_id, points in rows}


async def add_line_reversals(uow: UnitOfWork, return_reference: str, purchase_reference: str,
                             lines: Sequence[tuple[str, int]]) -> None:
    if lines:
        await uow.execute(line_reversals.insert(), [
            {"return_reference": return_reference, "purchase_reference": purchase_reference, "line_id": line_id,
             "points": points}
            for line_id, points in lines
        ])


ActivityKey = tuple[str, str, int]  # (recorded_at as ISO text, member_id, seq): the activity's order


def activity_key(entry: Entry) -> ActivityKey:
    assert entry.recorded_at is not None
    return (entry.recorded_at.isoformat(), entry.member_id, entry.seq)


async def entries_page(connection: AsyncConnection, member_ids: Sequence[str], *, hidden_references: Sequence[str],
                       before: ActivityKey | None, limit: int) -> list[Entry]:
    """The entries of these members' books (a member and those merged into it), newest first,
    without the TRANSFER entries of the merges between them (they move points within the
    household and net to zero)."""
    query = sa.select(entries).where(entries.c.member_id.in_(list(member_ids)))
    if hidden_references:
        query = query.where(sa.not_(sa.and_(entries.c.kind == str(EntryKind.TRANSFER),
                                            entries.c.reference.in_(list(hidden_references)))))
    if before is not None:
        at, member_id, seq = before
        query = query.where(sa.tuple_(entries.c.recorded_at, entries.c.member_id, entries.c.seq)
                            < sa.tuple_(sa.literal(datetime.fromisoformat(at), UtcDateTime()), member_id, seq))
    rows = await connection.execute(query.order_by(entries.c.recorded_at.desc(), entries.c.member_id.desc(),
                                                   entries.c.seq.desc()).limit(limit))
    return [_entry(row) for row in rows]


async def record_account_merge(uow: UnitOfWork, record: AccountMerge, at: datetime) -> None:
    await uow.execute(account_merges.insert().values(
        merge_id=record.merge_id, survivor_id=record.survivor_id, absorbed_id=record.absorbed_id, merged_at=at,
        record={"absorbed": dict(record.absorbed), "survivor_tier": dict(record.survivor_tier),
                "lots": dict(record.lots)}))


async def account_merge(connection: AsyncConnection, merge_id: str) -> tuple[AccountMerge, datetime | None] | None:
    row = (await connection.execute(sa.select(account_merges).where(account_merges.c.merge_id == merge_id))).first()
    if row is None:
        return None
    raw = row.record
    return AccountMerge(row.merge_id, row.survivor_id, row.absorbed_id, raw["absorbed"], raw["survivor_tier"],
                        raw["lots"]), row.reversed_at


async def mark_account_merge_reversed(uow: UnitOfWork, merge_id: str, at: datetime) -> None:
    await uow.execute(account_merges.update().where(account_merges.c.merge_id == merge_id).values(reversed_at=at))
