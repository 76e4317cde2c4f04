"""Reading and writing staff accounts and the guessing count of staff ids."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel.db import UnitOfWork

from ..domain.staff import FORGET_AFTER, SignInAttempts, StaffAccount, StaffRole
from .tables import staff_accounts, staff_sign_in_attempts


def _account(row: sa.Row) -> StaffAccount:
    return StaffAccount(row.id, row.name, StaffRole(row.role), row.store_id, row.pin_hash, row.active)


async def account(connection: AsyncConnection, staff_id: str) -> StaffAccount | None:
    row = (await connection.execute(sa.select(staff_accounts).where(staff_accounts.c.id == staff_id))).first()
    return _account(row) if row else None


async def save_account(uow: UnitOfWork, account: StaffAccount, now: datetime) -> None:
    values = {"name": account.name, "role": str(account.role), "store_id": account.store_id,
              "pin_hash": account.pin_hash, "active": account.active, "updated_at": now}
    updated = await uow.execute(staff_accounts.update().where(staff_accounts.c.id == account.id).values(**values))
    if updated.rowcount == 0:
        await uow.execute(staff_accounts.insert().values(id=account.id, created_at=now, **values))


async def signed_in(uow: UnitOfWork, staff_id: str, now: datetime) -> None:
    await uow.execute(staff_accounts.update().where(staff_accounts.c.id == staff_id).values(last_signed_in_at=now))


async def attempts(connection: AsyncConnection, staff_id: str) -> SignInAttempts:
    row = (await connection.execute(
        sa.select(staff_sign_in_attempts).where(staff_sign_in_attempts.c.staff_id == staff_id))).first()
    if row is None:
        return SignInAttempts()
    return SignInAttempts(row.failures, row.lockouts, row.last_attempt_at, row.locked_until)


async def save_attempts(uow: UnitOfWork, staff_id: str, count: SignInAttempts) -> None:
    """The count of one id; a count back at nothing is no row at all."""
    table = staff_sign_in_attempts
    if count == SignInAttempts():
        await uow.execute(table.delete().where(table.c.staff_id == staff_id))
        return
    values = {"failures": count.failures, "lockouts": count.lockouts, "last_attempt_at": count.last_attempt_at,
              "locked_until": count.locked_until}
    updated = await uow.execute(table.update().where(table.c.staff_id == staff_id).values(**values))
    if updated.rowcount == 0:
        await uow.execute(table.insert().values(staff_id=staff_id, **values))


async def forget_old_attempts(uow: UnitOfWork, now: datetime) -> None:
    """Counts nobody has added to for FORGET_AFTER (guessed ids included) go: the table stays
    as small as the guessing of the last day (an index on last_attempt_at)."""
    table = staff_sign_in_attempts
    await uow.execute(table.delete().where(
        table.c.last_attempt_at <= now - FORGET_AFTER,
        sa.or_(table.c.locked_until.is_(None), table.c.locked_until <= now)))
