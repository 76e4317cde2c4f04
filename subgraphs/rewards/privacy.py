"""The engine's part of erasure and export (kernel/privacy.py runs the flow).

Column by column:

- `member_identifiers` (raw emails and phone numbers, from profile's events):
  deleted. Lookups of the old identifiers find nobody, and a later enrolment
  with the same email is a new member here too.
- `members` (the engine's copy of profile's facts): kept as a tombstone with
  status ERASED, the birthday and home store emptied (the profiling flag and the
  enrolment time stay). A checkout for the member is refused, and an enrolment
  event arriving late (NATS redelivers, in any order) cannot bring anything back:
  `repository.remember_member` leaves an erased member alone.
- `purchases`, `returns`: the books (amounts, SKUs, stores, channels, the
  channels' transaction ids), nothing that names the person. Kept.
- `member_contacts` (name, email, phone for messages): deleted.
- `messages` (the message log: offers, coupons, sign-in codes sent or not): deleted, the
  pending ones with the rest, so nothing is sent after an erasure.
- `member_lapse_risk` (the churn model's score): deleted.
- The outbox: the member's events are deleted by the kernel with the rest.
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

from .adapters import messages as message_store
from .adapters import repository
from .adapters.tables import (
    member_contacts,
    member_identifiers,
    member_lapse_risk,
    members,
    messages,
    purchases,
    returns,
)


async def erase(runtime: Runtime, uow: UnitOfWork, member_ids: Sequence[str]) -> None:
    """The tombstone first (its row lock orders the erasure against an enrolment being
    remembered at the same time), then the identifiers."""
    for member_id in member_ids:
        await repository.forget_member(uow, member_id, as_of=runtime.clock.now())
    await uow.execute(member_identifiers.delete().where(member_identifiers.c.member_id.in_(member_ids)))
    await message_store.forget(uow, member_ids)
    await uow.execute(member_lapse_risk.delete().where(member_lapse_risk.c.member_id.in_(member_ids)))


CONSUMER = privacy.erasure_consumer(erase)


async def export(runtime: Runtime, principal: Principal | None, member_id: str) -> str:
    """The engine's part of a member's export, as JSON (service role: profile gathers it)."""
    require_role(principal, Role.SERVICE)
    member_id = check_id(member_id, "memberId")
    async with runtime.db.reading() as connection:
        member_ids = await privacy.member_ids_of(connection, [await current_member_id(connection, member_id)])
        part: dict[str, Any] = {
            "members": await privacy.export_table(connection, members, members.c.member_id.in_(member_ids)),
            "member_identifiers": await privacy.export_table(connection, member_identifiers,
                                                             member_identifiers.c.member_id.in_(member_ids)),
            "purchases": await privacy.export_table(connection, purchases, purchases.c.member_id.in_(member_ids),
                                                    [purchases.c.occurred_at.desc()]),
            "returns": await privacy.export_table(connection, returns, returns.c.member_id.in_(member_ids),
                                                  [returns.c.recorded_at.desc()]),
            "member_contacts": await privacy.export_table(connection, member_contacts,
                                                          member_contacts.c.member_id.in_(member_ids)),
            "messages": await privacy.export_table(connection, messages, messages.c.member_id.in_(member_ids),
                                                   [messages.c.created_at.desc()]),
            "member_lapse_risk": await privacy.export_table(connection, member_lapse_risk,
                                                            member_lapse_risk.c.member_id.in_(member_ids)),
        }
    return orjson.dumps(part, default=str).decode()
