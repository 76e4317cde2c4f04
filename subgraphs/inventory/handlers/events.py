"""What inventory does with other subgraphs' events: sales and returns at the tills move
stock (and fulfil the member's own holds), members' home stores, merges."""
from __future__ import annotations

from datetime import datetime

from core.vocabulary import Channel
from subgraphs.kernel import aliases
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime

from ..adapters import repository
from ..domain import stock
from ..domain.reservations import ReservationStatus
from .reservations import close


async def on_purchase_completed(runtime: Runtime, event: Event) -> None:
    """A checkout (rewards): each line at a store takes units off the shelf; units of an item
    the member holds a reservation for at that store fulfil the reservation instead."""
    facts = event.payload
    store_id = facts.get("store_id")
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled("sales", event.id):
            return
        # The purchase may have been made before a merge whose event came first: the member it
        # names now holds it, and an unmerge gives it back (origin_member_id, kernel/aliases.py).
        member_id = await aliases.current_member_id(uow.connection, str(event.member_id)) if event.member_id \
            else None
        lines = [(line, stock.size_key(line.get("size")) or None) for line in facts.get("lines") or []]
        await repository.add_sale_lines(uow, [{
            "purchase_external_id": facts["external_id"], "line_id": line["line_id"], "member_id": member_id,
            "origin_member_id": event.member_id, "store_id": store_id, "sku": line["sku"], "size": size or "",
            "quantity": line["quantity"], "at": event.occurred_at} for line, size in lines])
        if store_id is not None and facts.get("channel") == str(Channel.POS):
            for line, size in lines:
                await _sell(uow, member_id, store_id, line["sku"], size, int(line["quantity"]), facts["external_id"],
                            now)
        await uow.commit()


async def _sell(uow, member_id: str | None, store_id: str, sku: str, size: str | None, quantity: int,  # noqa: ANN001
                external_id: str, now: datetime) -> None:
    held = await repository.held_for(uow.connection, member_id, store_id, sku, size) if member_id else []
    fulfilled = 0
    for candidate in held:
        if fulfilled == quantity:
            break
        # Locked and read again: a cancel or the expiry job may have closed it since the read
        # above (PostgreSQL reads without locks); closing it twice would give its unit back twice.
        reservation = await repository.lock_reservation(uow, candidate.id)
        if reservation is None or reservation.status is not ReservationStatus.HELD:
            continue
        await close(uow, reservation, ReservationStatus.FULFILLED, now, f"bought at the till: {external_id}")
        fulfilled += 1
    rest = quantity - fulfilled
    level = await repository.lock_stock(uow, store_id, sku, size) if rest else None
    if level is not None:  # an item the stock feed does not know is a catalogue that lags: nothing to count
        level, movement = stock.sell(level, rest, external_id)
        await repository.save_level(uow, level)
        await repository.add_movement(uow, level, movement, now)


async def on_purchase_returned(runtime: Runtime, event: Event) -> None:
    """Returned units go back on the shelf of the store and size they were sold from."""
    facts = event.payload
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled("returns", event.id):
            return
        sold = await repository.sale_lines(uow.connection, facts["purchase_external_id"])
        for line in facts.get("lines") or []:
            sale = sold.get(line["line_id"])
            if sale is None or sale.store_id is None:
                continue
            level = await repository.lock_stock(uow, sale.store_id, sale.sku, sale.size or None)
            if level is not None:
                level, movement = stock.take_back(level, int(line["quantity"]), facts["external_id"])
                await repository.save_level(uow, level)
                await repository.add_movement(uow, level, movement, now)
        await uow.commit()


async def on_member_facts(runtime: Runtime, event: Event) -> None:
    """Profile's MemberEnrolled / MemberUpdated: the home store (newer facts only)."""
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled(f"members:{event.type}", event.id):
            return
        await repository.remember_home_store(uow, event.payload["member_id"], event.payload.get("home_store_id"),
                                             event.occurred_at)
        await uow.commit()


async def on_members_merged(runtime: Runtime, event: Event) -> None:
    """The absorbed member's reservations, views and purchases become the survivor's."""
    await aliases.follow_merge_with_rows(runtime, event, repository.MEMBER_TABLES, undone=False)


async def on_members_unmerged(runtime: Runtime, event: Event) -> None:
    await aliases.follow_merge_with_rows(runtime, event, repository.MEMBER_TABLES, undone=True)


__all__ = ["on_member_facts", "on_members_merged", "on_members_unmerged", "on_purchase_completed",
           "on_purchase_returned"]
