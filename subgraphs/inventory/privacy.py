"""Inventory's part of erasure and export (kernel/privacy.py runs the flow).

Table by table:

- `product_views` (what the member looked at, and when): erased whole, like every
  table listed in `PER_MEMBER_TABLES` (one line a table with a `member_id` column).
- `reservations`: part of the stock's books (every held unit is accounted for in
  `stock_movements`), so the rows stay; an open hold is cancelled first, so that
  its unit goes back on the shelf. A reservation for an erased member is refused
  (handlers/reservations.py), and so is a view (handlers/interest.py).
- `sales`: what the tills sold (returns put units back by them): the books. Kept.
- `members` (the home store, as profile published it): replaced by a tombstone
  with no store, dated now, so that a late enrolment event changes nothing.
- The outbox: the member's events are deleted by the kernel with the rest.
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
from .adapters.tables import members, product_views, reservations, sales
from .domain.reservations import ReservationStatus
from .handlers.reservations import close

# Tables whose rows on a member an erasure deletes whole, each with a `member_id` column.
PER_MEMBER_TABLES: tuple[sa.Table, ...] = (product_views,)
ERASED_BY = "erased at the member's request"


async def erase(runtime: Runtime, uow: UnitOfWork, member_ids: Sequence[str]) -> None:
    now = runtime.clock.now()
    for member_id in member_ids:
        await uow.serialise_on(f"reservations:{member_id}")  # as a reservation does: none slips in between
    held = await uow.connection.scalars(sa.select(reservations.c.id).where(
        reservations.c.member_id.in_(member_ids), reservations.c.status == str(ReservationStatus.HELD)))
    for reservation_id in list(held):
        reservation = await repository.lock_reservation(uow, reservation_id)
        if reservation is not None and reservation.status is ReservationStatus.HELD:
            await close(uow, reservation, ReservationStatus.CANCELLED, now, ERASED_BY)
    await privacy.erase_rows(uow, PER_MEMBER_TABLES, member_ids)
    await uow.execute(members.delete().where(members.c.member_id.in_(member_ids)))
    for member_id in member_ids:
        await repository.remember_home_store(uow, member_id, None, now)


CONSUMER = privacy.erasure_consumer(erase)


async def export(runtime: Runtime, principal: Principal | None, member_id: str) -> str:
    """Inventory's part of a member's export, as JSON (service role: profile gathers it)."""
    require_role(principal, Role.SERVICE)
    member_id = check_id(member_id, "memberId")
    async with runtime.db.reading() as connection:
        member_ids = await privacy.member_ids_of(connection, [await current_member_id(connection, member_id)])
        part: dict[str, Any] = {
            "members": await privacy.export_table(connection, members, members.c.member_id.in_(member_ids)),
            "reservations": await privacy.export_table(connection, reservations,
                                                       reservations.c.member_id.in_(member_ids),
                                                       [reservations.c.created_at.desc()]),
            "product_views": await privacy.export_table(connection, product_views,
                                                        product_views.c.member_id.in_(member_ids),
                                                        [product_views.c.at.desc()]),
            "sales": await privacy.export_table(connection, sales, sales.c.member_id.in_(member_ids),
                                                [sales.c.at.desc()]),
        }
    return orjson.dumps(part, default=str).decode()
