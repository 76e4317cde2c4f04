"""Offers as members see them: listed (`Member.offers`), pushed live (`offerIssued`; and
`offerUpdated`, which also carries each change of one: accepted or declined on another device),
accepted or declined. Accepting a RESERVATION offer holds the unit at the store (inventory,
idempotently by the offer); a DISCOUNT or GIFT offer gives a coupon; a BONUS_POINTS offer
applies by itself at the member's checkouts while it is open (purchases.py)."""
from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator
from datetime import timedelta

from core.auth import Principal, Role, require_principal
from core.errors import Conflict, Forbidden, NotFound
from subgraphs.kernel import aliases
from subgraphs.kernel.bounds import check_id
from subgraphs.kernel.events import Event, subject_for
from subgraphs.kernel.runtime import Runtime

from ..adapters import offers as store
from ..domain import offers as rules
from ..domain.offers import Offer, OfferKind, OfferStatus
from . import coupons

log = logging.getLogger(__name__)

SOURCE = "rewards"
MAX_LISTED = 100
DECIDING_ROLES = (Role.MEMBER, Role.CASHIER, Role.SUPERVISOR, Role.ADMIN, Role.SERVICE)
RESERVE = """mutation($i: ReserveInput!) { reserve(input: $i) { id } }"""
CANCEL = """mutation($id: ID!) { cancelReservation(id: $id) { id } }"""


async def offers_of(runtime: Runtime, principal: Principal | None, member_id: str,
                    status: OfferStatus | None) -> list[tuple[Offer, OfferStatus]]:
    """The member's offers, newest first, each with its status now (an open one past its expiry
    is EXPIRED)."""
    async with runtime.db.reading() as connection:
        member_id = await aliases.require_member_access(connection, principal, member_id)
        found = await store.offers_of(connection, member_id, MAX_LISTED)
    now = runtime.clock.now()
    listed = [(offer, rules.status_at(offer, now)) for offer in found]
    return [(o, s) for o, s in listed if status is None or s is status]


async def _own_offer(runtime: Runtime, principal: Principal | None, offer_id: str) -> tuple[Principal, Offer]:
    who = require_principal(principal)
    if who.role not in DECIDING_ROLES:
        raise Forbidden("offers are for the member and the staff who serve them")
    async with runtime.db.reading() as connection:
        found = await store.offer(connection, check_id(offer_id, "offerId"))
        if found is None:
            raise NotFound(f"no offer {offer_id}")
        await aliases.require_member_access(connection, who, found.member_id)
    return who, found


async def accept(runtime: Runtime, principal: Principal | None, offer_id: str) -> Offer:
    who, found = await _own_offer(runtime, principal, offer_id)
    now = runtime.clock.now()
    rules.accept(found, now)  # refuses what cannot be accepted, before anything is reserved
    reservation_id = await _reserve(runtime, found) if found.kind is OfferKind.RESERVATION else None
    async with runtime.unit_of_work() as uow:
        current = await store.lock_offer(uow, found.id)
        assert current is not None
        coupon_code = None
        if found.kind in (OfferKind.DISCOUNT, OfferKind.GIFT) and rules.status_at(current, now) is OfferStatus.ISSUED:
            coupon = await coupons.issue(uow, issued_for=f"offer:{found.id}", member_id=found.member_id,
                                         description=found.message, now=now,
                                         valid_days=max(1, math.ceil((found.expires_at - now) / timedelta(days=1))),
                                         amount=found.coupon_amount, percent=found.coupon_percent,
                                         campaign_id=found.campaign_id)
            coupon_code = coupon.code
        try:
            accepted = rules.accept(current, now, reservation_id=reservation_id, coupon_code=coupon_code)
        except Conflict:
            if reservation_id is not None:  # declined or expired meanwhile: the unit goes back
                await uow.commit()
                await _cancel(runtime, reservation_id)
            raise
        await store.save_decision(uow, accepted, was=current.status)
        uow.publish(_changed(accepted))
        await uow.commit()
    return accepted


async def decline(runtime: Runtime, principal: Principal | None, offer_id: str) -> Offer:
    _, found = await _own_offer(runtime, principal, offer_id)
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        current = await store.lock_offer(uow, found.id)
        assert current is not None
        declined = rules.decline(current, now)
        await store.save_decision(uow, declined, was=current.status)
        uow.publish(_changed(declined))
        await uow.commit()
    return declined


async def _reserve(runtime: Runtime, offer: Offer) -> str:
    """Hold the offer's unit at the store, once per offer (inventory's idempotency key)."""
    data = await runtime.services.execute("inventory", RESERVE, {"i": {
        "memberId": offer.member_id, "storeId": offer.store_id, "sku": offer.sku, "size": offer.size,
        "holdHours": offer.hold_hours, "idempotencyKey": f"offer:{offer.id}", "offerId": offer.id}})
    return data["reserve"]["id"]


async def _cancel(runtime: Runtime, reservation_id: str) -> None:
    try:
        await runtime.services.execute("inventory", CANCEL, {"id": reservation_id})
    except Exception:  # noqa: BLE001 - the hold then expires by itself
        log.exception("reservation %s of an offer no longer open could not be cancelled", reservation_id)


def _changed(offer: Offer) -> Event:
    return Event(type="OfferChanged", source=SOURCE, member_id=offer.member_id, payload=rules.offer_facts(offer))


async def offers_issued(runtime: Runtime, principal: Principal | None, member_id: str) -> AsyncIterator[Offer]:
    """Every offer issued to the member from now on, live from the bus (any replica)."""
    async with runtime.db.reading() as connection:
        member_id = await aliases.require_member_access(connection, principal, member_id)
    async for event in runtime.live(subject_for(SOURCE, "OfferIssued")).subscribe(member_id):
        yield rules.offer_from_facts(event.payload)


async def offers_updated(runtime: Runtime, principal: Principal | None, member_id: str) -> AsyncIterator[Offer]:
    """Every offer issued to the member from now on and every change of one (accepted, declined,
    a reservation held), as it is after the change: a wallet open on two devices stays true."""
    async with runtime.db.reading() as connection:
        member_id = await aliases.require_member_access(connection, principal, member_id)
    async for event in _merged(runtime.live(subject_for(SOURCE, "OfferIssued")).subscribe(member_id),
                               runtime.live(subject_for(SOURCE, "OfferChanged")).subscribe(member_id)):
        yield rules.offer_from_facts(event.payload)


_ENDED = object()


async def _merged(*streams: AsyncIterator[Event]) -> AsyncIterator[Event]:
    """The events of several streams as they come. Ends when every stream has ended (a replay
    answers from one of them, the other ends at once; a bus that closes ends them all); the
    first stream that fails ends it with its error."""
    queue: asyncio.Queue[object] = asyncio.Queue()

    async def pump(stream: AsyncIterator[Event]) -> None:
        try:
            async for event in stream:
                await queue.put(event)
        except Exception as error:  # noqa: BLE001 - handed to the subscriber, which raises it
            await queue.put(error)
        finally:
            await queue.put(_ENDED)

    pumps = [asyncio.create_task(pump(stream)) for stream in streams]
    running = len(pumps)
    try:
        while running:
            item = await queue.get()
            if item is _ENDED:
                running -= 1
            elif isinstance(item, Exception):
                raise item
            else:
                yield item  # type: ignore[misc]
    finally:
        for task in pumps:
            task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
