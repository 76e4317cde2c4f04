"""Reading and writing ledger rows as domain objects."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel.db import UnitOfWork
from subgraphs.kernel.vocabulary import Channel

from ..domain import Account, Entry, EntryKind, Tier
from .tables import accounts, earning_lines, entries, tiers


def _tier(row: sa.Row) -> Tier:
    return Tier(row.id, row.name, row.threshold, row.multiplier, tuple(row.benefits or ()))


def _account(row: sa.Row) -> Account:
    return Account(
        row.member_id, row.available, row.pending, row.lifetime_earned, row.qualifying_points,
        row.tier_id, row.tier_since, row.last_seq,
    )


def _entry(row: sa.Row) -> Entry:
    return Entry(
        row.id, row.member_id, row.seq, EntryKind(row.kind), row.points, row.balance_after, row.occurred_at,
        Channel(row.channel), row.reference, row.description,
    )


async def all_tiers(connection: AsyncConnection) -> list[Tier]:
    return [_tier(row) for row in await connection.execute(sa.select(tiers).order_by(tiers.c.threshold))]


async def save_tiers(uow: UnitOfWork, program: Sequence[Tier]) -> None:
    for tier in program:
        values = {"name": tier.name, "threshold": tier.threshold, "multiplier": tier.multiplier,
                  "benefits": list(tier.benefits)}
        updated = await uow.execute(tiers.update().where(tiers.c.id == tier.id).values(**values))
        if updated.rowcount == 0:
            await uow.execute(tiers.insert().values(id=tier.id, **values))


async def accounts_by_member(connection: AsyncConnection, member_ids: Sequence[str]) -> dict[str, Account]:
    rows = await connection.execute(sa.select(accounts).where(accounts.c.member_id.in_(member_ids)))
    return {row.member_id: _account(row) for row in rows}


async def open_account(uow: UnitOfWork, account: Account) -> bool:
    """Create the account unless it exists; True when created."""
    return await uow.insert_ignoring_conflicts(accounts, asdict(account))


async def lock_account(uow: UnitOfWork, member_id: str) -> Account | None:
    """The account, locked for this transaction: postings for one member are serialised."""
    row = (await uow.execute(uow.for_update(sa.select(accounts).where(accounts.c.member_id == member_id)))).first()
    return _account(row) if row else None


async def save_account(uow: UnitOfWork, account: Account) -> None:
    values = asdict(account)
    member_id = values.pop("member_id")
    await uow.execute(accounts.update().where(accounts.c.member_id == member_id).values(**values))


async def entry_by_idempotency_key(connection: AsyncConnection, key: str) -> Entry | None:
    row = (await connection.execute(sa.select(entries).where(entries.c.idempotency_key == key))).first()
    return _entry(row) if row else None


async def add_entry(
    uow: UnitOfWork,
    entry: Entry,
    *,
    idempotency_key: str | None,
    actor: str,
    recorded_at: datetime,
    lines: Sequence[dict[str, object]] = (),
) -> None:
    values = asdict(entry)
    values.update(kind=str(entry.kind), channel=str(entry.channel), idempotency_key=idempotency_key, actor=actor,
                  recorded_at=recorded_at)
    await uow.execute(entries.insert().values(**values))
    if lines:
        await uow.execute(earning_lines.insert(), [{"entry_id": entry.id, **line} for line in lines])


async def entries_page(
    connection: AsyncConnection, member_id: str, *, before_seq: int | None, limit: int
) -> list[Entry]:
    """Newest first."""
    query = sa.select(entries).where(entries.c.member_id == member_id)
    if before_seq is not None:
        query = query.where(entries.c.seq < before_seq)
    rows = await connection.execute(query.order_by(entries.c.seq.desc()).limit(limit))
    return [_entry(row) for row in rows]
