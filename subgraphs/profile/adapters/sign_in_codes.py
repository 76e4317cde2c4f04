"""Sign-in codes, as rows."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel.db import UnitOfWork, row_of

from ..domain.sign_in_codes import REQUEST_WINDOW, CodeChallenge
from .tables import sign_in_codes


async def challenge(connection: AsyncConnection, email_key: str) -> CodeChallenge | None:
    row = (await connection.execute(sa.select(sign_in_codes).where(sign_in_codes.c.email_key == email_key))).first()
    return CodeChallenge(**row._mapping) if row else None


async def save(uow: UnitOfWork, found: CodeChallenge) -> None:
    values = row_of(found)
    if not await uow.insert_ignoring_conflicts(sign_in_codes, values):
        await uow.execute(sign_in_codes.update().where(sign_in_codes.c.email_key == found.email_key).values(**values))


async def delete(uow: UnitOfWork, email_key: str) -> None:
    await uow.execute(sign_in_codes.delete().where(sign_in_codes.c.email_key == email_key))


async def prune(uow: UnitOfWork, now: datetime) -> int:
    """Rows whose code expired and whose request window passed: nothing left to count."""
    result = await uow.execute(sign_in_codes.delete().where(sign_in_codes.c.expires_at < now - REQUEST_WINDOW,
                                                            sign_in_codes.c.window_started_at < now - REQUEST_WINDOW))
    return result.rowcount


async def forget(uow: UnitOfWork, member_ids: Sequence[str]) -> None:
    await uow.execute(sign_in_codes.delete().where(sign_in_codes.c.member_id.in_(member_ids)))
