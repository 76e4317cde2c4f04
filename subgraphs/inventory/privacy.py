"""Inventory's part of erasure and export (kernel/privacy.py runs the flow).

Inventory keeps nothing per member yet (stores, products and stock name no one).
Every table that will, reservations and product interest among them, is listed
in `PER_MEMBER_TABLES` (it needs a `member_id` column): an erasure deletes the
member's rows there and an export lists them, with no other change. Its events
(the outbox) are deleted by the kernel with the rest of the erasure.
"""
from __future__ import annotations

from collections.abc import Sequence

import orjson
import sqlalchemy as sa

from core.auth import Principal, Role, require_role
from subgraphs.kernel import privacy
from subgraphs.kernel.aliases import current_member_id
from subgraphs.kernel.bounds import check_id
from subgraphs.kernel.db import UnitOfWork
from subgraphs.kernel.runtime import Runtime

# Tables holding rows per member, each with a `member_id` column: one line each.
PER_MEMBER_TABLES: tuple[sa.Table, ...] = ()


async def erase(runtime: Runtime, uow: UnitOfWork, member_ids: Sequence[str]) -> None:
    await privacy.erase_rows(uow, PER_MEMBER_TABLES, member_ids)


CONSUMER = privacy.erasure_consumer(erase)


async def export(runtime: Runtime, principal: Principal | None, member_id: str) -> str:
    """Inventory's part of a member's export, as JSON (service role: profile gathers it)."""
    require_role(principal, Role.SERVICE)
    member_id = check_id(member_id, "memberId")
    async with runtime.db.reading() as connection:
        member_ids = await privacy.member_ids_of(connection, [await current_member_id(connection, member_id)])
        part = await privacy.export_rows(connection, PER_MEMBER_TABLES, member_ids)
    return orjson.dumps(part, default=str).decode()
