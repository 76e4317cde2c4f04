"""The ledger's part of erasure and export (kernel/privacy.py runs the flow).

The books are kept: an erasure leaves every amount, date, balance, lot and tier,
so the program's liability and the tax records still add up. Column by column:

- `accounts`, `lots`, `postings`, `earning_lines`, `line_reversals`, `account_merges`:
  numbers, dates, SKUs and the channels' transaction ids; nothing that names the
  person. Kept.
- `entries.description`: written by the platform from fixed wording ("Purchase in
  store", a reward's name), except for adjustments, where it is the reason a
  supervisor typed, which may name the person. Adjustment reasons are replaced
  by `ERASED_REASON`; the other descriptions are kept.
- `entries.actor`: who posted (a staff id with their role, or a service), never
  the member's data. Kept: it is the audit of who changed the books.
- `entries.reference`, `idempotency_key`, `postings.request`: transaction ids, keys
  and a hash of what was asked, chosen by the channels (which must not put
  personal data in them: README "Privacy"). Kept.
- The outbox: the member's events (an adjustment's carries the reason) are
  deleted by the kernel with the rest of the erasure.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import sqlalchemy as sa

from core.auth import Principal, Role, require_role
from subgraphs.kernel import privacy
from subgraphs.kernel.aliases import current_member_id
from subgraphs.kernel.bounds import check_id
from subgraphs.kernel.db import UnitOfWork
from subgraphs.kernel.runtime import Runtime

from .adapters import repository
from .adapters.tables import account_merges, accounts, earning_lines, entries, line_reversals, lots, postings
from .domain import EntryKind

ERASED_REASON = "Adjustment (reason erased at the member's request)"


async def erase(runtime: Runtime, uow: UnitOfWork, member_ids: Sequence[str]) -> None:
    """Lock the accounts first: an adjustment racing the erasure either lands before it (and
    its reason is erased here) or after it (and is refused: handlers.adjust_points)."""
    for member_id in member_ids:
        await repository.lock_account(uow, member_id)
    await uow.execute(entries.update()
                      .where(entries.c.member_id.in_(member_ids), entries.c.kind == str(EntryKind.ADJUST))
                      .values(description=ERASED_REASON))


CONSUMER = privacy.erasure_consumer(erase)


async def export(runtime: Runtime, principal: Principal | None, member_id: str) -> str:
    """The ledger's part of a member's export, as JSON (service role: profile gathers it)."""
    require_role(principal, Role.SERVICE)
    member_id = check_id(member_id, "memberId")
    async with runtime.db.reading() as connection:
        member_ids = await privacy.member_ids_of(connection, [await current_member_id(connection, member_id)])
        own = entries.c.member_id.in_(member_ids)
        part: dict[str, Any] = {
            "accounts": await privacy.export_table(connection, accounts, accounts.c.member_id.in_(member_ids)),
            "entries": await privacy.export_table(connection, entries, own,
                                                  [entries.c.occurred_at.desc(), entries.c.seq.desc()]),
            "lots": await privacy.export_table(connection, lots, lots.c.member_id.in_(member_ids),
                                               [lots.c.earned_at.desc()]),
            "earning_lines": await privacy.export_table(
                connection, earning_lines, earning_lines.c.entry_id.in_(sa.select(entries.c.id).where(own))),
            "line_reversals": await privacy.export_table(
                connection, line_reversals, line_reversals.c.return_reference.in_(
                    sa.select(entries.c.reference).where(own, entries.c.kind == str(EntryKind.REVERSE)))),
            "postings": await privacy.export_table(connection, postings, postings.c.member_id.in_(member_ids),
                                                   [postings.c.recorded_at.desc()]),
            "account_merges": await privacy.export_table(
                connection, account_merges, sa.or_(account_merges.c.survivor_id.in_(member_ids),
                                                   account_merges.c.absorbed_id.in_(member_ids))),
        }
    return orjson.dumps(part, default=str).decode()
