"""Reservations: hold a unit for a member, fulfil it at the till (by hand, or by itself
when the member buys the item at that store), cancel it, let it expire. A unit is
never promised twice: a hold locks the item's stock row and takes one available
unit (domain/stock.py), on SQLite (one writer) and PostgreSQL (row lock) alike."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from core.auth import Principal, Role, require_principal
from core.errors import Conflict, NotFound
from core.ids import new_id
from subgraphs.kernel import aliases
from subgraphs.kernel.bounds import check_id, check_sku
from subgraphs.kernel.db import UnitOfWork, is_unique_violation
from subgraphs.kernel.events import Event, subject_for
from subgraphs.kernel.privacy import refuse_erased
from subgraphs.kernel.runtime import Runtime

from ..adapters import repository
from ..domain import reservations as rules
from ..domain import stock
from ..domain.reservations import Reservation, ReservationStatus

SOURCE = "inventory"
EXPIRY_PAGE = 200
MAX_LISTED = 50  # reservations per member in Member.reservations, newest first


async def reserve(runtime: Runtime, principal: Principal | None, *, member_id: str, store_id: str, sku: str,
                  size: str | None, hold_hours: int, idempotency_key: str, offer_id: str | None = None
                  ) -> Reservation:
    """Hold one unit for the member, idempotently by `idempotency_key` (a repeat, even a
    racing one, returns the same hold)."""
    who = require_principal(principal)
    key = rules.check_request(hold_hours, idempotency_key)
    store_id, sku, member_id = check_id(store_id, "storeId"), check_sku(sku), check_id(member_id, "memberId")
    offer_id = check_id(offer_id, "offerId") if offer_id is not None else None
    size_key = stock.size_key(size) or None
    async with runtime.db.reading() as connection:
        member_id = await aliases.require_member_access(connection, who, member_id)
    rules.check_may_reserve(who, store_id)
    now = runtime.clock.now()
    try:
        async with runtime.unit_of_work() as uow:
            await uow.serialise_on(f"reservations:{member_id}")  # the open-reservation limit holds under races
            await refuse_erased(uow.connection, member_id)  # an erasure takes the same lock (privacy.py)
            if not await repository.stores_by_id(uow.connection, [store_id]):
                raise NotFound(f"no store {store_id}")
            if not await repository.products_by_sku(uow.connection, [sku]):
                raise NotFound(f"no product {sku}")
            level = await repository.lock_stock(uow, store_id, sku, size_key)
            if level is None:
                raise NotFound(f"{sku} is not stocked in size {size_key or 'one size'} at {store_id}", field="size")
            earlier = await repository.reservation_by_key(uow.connection, key)
            if earlier is not None:
                return _repeat(earlier, member_id, store_id, sku, size_key)
            rules.check_open_limit(await repository.open_reservations(uow.connection, member_id),
                                   runtime.settings.inventory_max_open_reservations)
            reservation = rules.new(reservation_id=new_id("rsv"), member_id=member_id, store_id=store_id, sku=sku,
                                    size=size_key, hold_hours=hold_hours, idempotency_key=key, offer_id=offer_id,
                                    now=now)
            level, movement = stock.hold(level, reservation.id)
            await repository.save_level(uow, level)
            await repository.add_movement(uow, level, movement, now)
            await repository.add_reservation(uow, reservation)
            uow.publish(_changed(reservation))
            await uow.commit()
    except IntegrityError as error:  # the same key, held by a racing repeat a moment earlier
        if not is_unique_violation(error):
            raise
        async with runtime.db.reading() as connection:
            earlier = await repository.reservation_by_key(connection, key)
        if earlier is None:
            raise
        return _repeat(earlier, member_id, store_id, sku, size_key)
    return reservation


def _repeat(earlier: Reservation, member_id: str, store_id: str, sku: str, size: str | None) -> Reservation:
    if not rules.same_request(earlier, member_id=member_id, store_id=store_id, sku=sku, size=size):
        raise Conflict("this idempotencyKey was already used for another reservation")
    return earlier


async def cancel(runtime: Runtime, principal: Principal | None, reservation_id: str) -> Reservation:
    """The member or staff let the unit go."""
    who = require_principal(principal)
    return await _close(runtime, who, reservation_id, ReservationStatus.CANCELLED,
                        by=f"cancelled by {_actor(who)}", check=_check_touch)


async def fulfil(runtime: Runtime, principal: Principal | None, reservation_id: str) -> Reservation:
    """Picked up at the till of the store that holds it."""
    who = require_principal(principal)
    return await _close(runtime, who, reservation_id, ReservationStatus.FULFILLED,
                        by=f"fulfilled by {_actor(who)}", check=_check_fulfil)


async def _check_touch(connection, who: Principal, reservation: Reservation) -> None:  # noqa: ANN001
    rules.check_may_touch(who, reservation)
    await aliases.require_member_access(connection, who, reservation.member_id)  # a member: their own


async def _check_fulfil(connection, who: Principal, reservation: Reservation) -> None:  # noqa: ANN001, ARG001
    rules.check_may_fulfil(who, reservation)


async def _close(runtime: Runtime, who: Principal, reservation_id: str, status: ReservationStatus, *, by: str,
                 check) -> Reservation:  # noqa: ANN001
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        reservation = await repository.lock_reservation(uow, check_id(reservation_id, "id"))
        if reservation is None:
            raise NotFound(f"no reservation {reservation_id}")
        await check(uow.connection, who, reservation)
        closed = await close(uow, reservation, status, now, by)
        await uow.commit()
    return closed


async def close(uow: UnitOfWork, reservation: Reservation, status: ReservationStatus, now: datetime, by: str
                ) -> Reservation:
    """Close a reservation and move its unit: released (cancelled, expired) or handed over."""
    closed = rules.close(reservation, status, at=now, by=by)
    level = await repository.lock_stock(uow, reservation.store_id, reservation.sku, reservation.size)
    assert level is not None  # a hold was taken on this row
    if status is ReservationStatus.FULFILLED:
        level, movement = stock.fulfil(level, reservation.id)
    else:
        level, movement = stock.release(level, reservation.id)
    await repository.save_level(uow, level)
    await repository.add_movement(uow, level, movement, now)
    await repository.save_reservation(uow, closed)
    uow.publish(_changed(closed))
    return closed


async def close_without_stock(uow: UnitOfWork, reservation: Reservation, now: datetime) -> None:
    """A stock count below the holds already took this unit back: only the reservation closes."""
    closed = rules.close(reservation, ReservationStatus.CANCELLED, at=now, by="the stock count has no unit for it")
    await repository.save_reservation(uow, closed)
    uow.publish(_changed(closed))


async def expire_reservations(runtime: Runtime) -> int:
    """Job: reservations past their hold time give their unit back. Paged; each in its own
    transaction, so one that fails never holds up the others."""
    now = runtime.clock.now()
    expired = 0
    after: tuple[datetime, str] | None = None
    while True:
        async with runtime.db.reading() as connection:
            page = await repository.due_reservations(connection, now, EXPIRY_PAGE, after)
        for due in page:
            async with runtime.unit_of_work() as uow:
                current = await repository.lock_reservation(uow, due.id)
                if current is not None and rules.due_to_expire(current, now):
                    await close(uow, current, ReservationStatus.EXPIRED, now, "expired")
                    await uow.commit()
                    expired += 1
        if len(page) < EXPIRY_PAGE:
            return expired
        after = (page[-1].hold_until, page[-1].id)


async def reservations_of(runtime: Runtime, principal: Principal | None, member_id: str) -> list[Reservation]:
    """The member's reservations, newest first; a cashier sees those of their store."""
    who = require_principal(principal)
    async with runtime.db.reading() as connection:
        member_id = await aliases.require_member_access(connection, who, member_id)
        found = (await repository.reservations_of(connection, [member_id], MAX_LISTED))[member_id]
    return [r for r in found if rules.visible_to(who, r)]


async def reservation_changes(runtime: Runtime, principal: Principal | None, member_id: str
                              ) -> AsyncIterator[Reservation]:
    """Every change of the member's reservations from now on, live from the bus (any replica)."""
    who = require_principal(principal)
    async with runtime.db.reading() as connection:
        member_id = await aliases.require_member_access(connection, who, member_id)
    async for event in runtime.live(subject_for(SOURCE, "ReservationChanged")).subscribe(member_id):
        reservation = rules.reservation_from_facts(event.payload)
        if rules.visible_to(who, reservation):
            yield reservation


def _changed(reservation: Reservation) -> Event:
    return Event(type="ReservationChanged", source=SOURCE, member_id=reservation.member_id,
                 payload=rules.reservation_facts(reservation))


def _actor(who: Principal) -> str:
    return who.subject if who.role in (Role.MEMBER, Role.SERVICE) else f"{who.role}:{who.subject}"
