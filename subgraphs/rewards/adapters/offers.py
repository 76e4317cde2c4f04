"""Offers, as rows."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel.db import UnitOfWork

from ..domain.offers import Offer, OfferKind, OfferStatus
from .tables import offers

OPEN = (str(OfferStatus.ISSUED), str(OfferStatus.ACCEPTED))


def _offer(row: sa.Row) -> Offer:
    return Offer(row.id, row.member_id, row.campaign_id, OfferKind(row.kind), OfferStatus(row.status), row.message,
                 row.reason, row.issued_at, row.expires_at, row.sku, row.size, row.store_id, row.hold_hours,
                 tuple(row.basket_effects), Decimal(row.coupon_amount) if row.coupon_amount is not None else None,
                 Decimal(row.coupon_percent) if row.coupon_percent is not None else None, row.expected_value,
                 row.reservation_id, row.coupon_code, row.decided_at)


async def add_offer(uow: UnitOfWork, offer: Offer, issued_for: str) -> bool:
    """False when this event already issued this campaign's offer (a redelivery)."""
    return await uow.insert_ignoring_conflicts(offers, {
        "id": offer.id, "member_id": offer.member_id, "origin_member_id": offer.member_id,
        "campaign_id": offer.campaign_id, "kind": str(offer.kind), "status": str(offer.status),
        "message": offer.message, "reason": offer.reason, "issued_at": offer.issued_at,
        "expires_at": offer.expires_at, "sku": offer.sku, "size": offer.size, "store_id": offer.store_id,
        "hold_hours": offer.hold_hours, "basket_effects": list(offer.basket_effects),
        "coupon_amount": offer.coupon_amount, "coupon_percent": offer.coupon_percent,
        "expected_value": offer.expected_value, "issued_for": issued_for})


async def offer(connection: AsyncConnection, offer_id: str) -> Offer | None:
    row = (await connection.execute(sa.select(offers).where(offers.c.id == offer_id))).first()
    return _offer(row) if row else None


async def lock_offer(uow: UnitOfWork, offer_id: str) -> Offer | None:
    row = (await uow.execute(uow.for_update(sa.select(offers).where(offers.c.id == offer_id)))).first()
    return _offer(row) if row else None


async def offers_of(connection: AsyncConnection, member_id: str, limit: int) -> list[Offer]:
    rows = await connection.execute(sa.select(offers).where(offers.c.member_id == member_id)
                                    .order_by(offers.c.issued_at.desc(), offers.c.id.desc()).limit(limit))
    return [_offer(row) for row in rows]


async def open_offer_campaigns(connection: AsyncConnection, member_id: str, campaign_ids: Sequence[str],
                               now: datetime) -> set[str]:
    """The campaigns among these that hold an open offer for the member (one at a time)."""
    if not campaign_ids:
        return set()
    rows = await connection.scalars(sa.select(offers.c.campaign_id).where(
        offers.c.member_id == member_id, offers.c.campaign_id.in_(sorted(set(campaign_ids))),
        offers.c.status.in_(OPEN), offers.c.expires_at > now))
    return set(rows)


async def open_bonus_offers(connection: AsyncConnection, member_id: str, now: datetime) -> list[Offer]:
    rows = await connection.execute(sa.select(offers).where(
        offers.c.member_id == member_id, offers.c.kind == str(OfferKind.BONUS_POINTS),
        offers.c.status.in_(OPEN), offers.c.expires_at > now))
    return [_offer(row) for row in rows]


async def save_decision(uow: UnitOfWork, offer: Offer, *, was: OfferStatus) -> bool:
    """Record an accept / decline / redemption if the offer is still as it was read."""
    result = await uow.execute(offers.update().where(offers.c.id == offer.id, offers.c.status == str(was)).values(
        status=str(offer.status), decided_at=offer.decided_at, reservation_id=offer.reservation_id,
        coupon_code=offer.coupon_code))
    return result.rowcount == 1


async def redeem_bonus_offer(uow: UnitOfWork, offer_id: str, now: datetime) -> bool:
    """A checkout used the offer: False when it was used, declined or expired meanwhile."""
    result = await uow.execute(offers.update().where(
        offers.c.id == offer_id, offers.c.status.in_(OPEN), offers.c.expires_at > now,
    ).values(status=str(OfferStatus.REDEEMED), decided_at=now))
    return result.rowcount == 1
