"""Integrations' part of erasure and export (kernel/privacy.py runs the flow).

- `webhook_deliveries` (the events queued for receivers, with the bodies sent): the
  member's rows are deleted whole, pending ones too (an erased member's events are
  moot; none is sent after the erasure).
- `webhooks` hold no member data (a member filter is a pseudonymous id).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from core.auth import Principal, Role, require_role
from subgraphs.kernel import privacy
from subgraphs.kernel.aliases import current_member_id
from subgraphs.kernel.bounds import check_id
from subgraphs.kernel.db import UnitOfWork
from subgraphs.kernel.runtime import Runtime

from .adapters.tables import webhook_deliveries


async def erase(runtime: Runtime, uow: UnitOfWork, member_ids: Sequence[str]) -> None:
    await privacy.erase_rows(uow, (webhook_deliveries,), member_ids)


CONSUMER = privacy.erasure_consumer(erase)


async def export(runtime: Runtime, principal: Principal | None, member_id: str) -> str:
    """Integrations' part of a member's export, as JSON (service role: profile gathers it)."""
    require_role(principal, Role.SERVICE)
    member_id = check_id(member_id, "memberId")
    async with runtime.db.reading() as connection:
        member_ids = await privacy.member_ids_of(connection, [await current_member_id(connection, member_id)])
        part: dict[str, Any] = {
            "webhook_deliveries": await privacy.export_table(
                connection, webhook_deliveries, webhook_deliveries.c.member_id.in_(member_ids),
                [webhook_deliveries.c.seq.desc()]),
        }
    return orjson.dumps(part, default=lambda v: v.decode() if isinstance(v, bytes) else str(v)).decode()
