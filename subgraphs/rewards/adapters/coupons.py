"""Coupons, the rewards catalogue and redemptions, as rows."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel.db import UnitOfWork

from ..domain.catalogue import Reward
from ..domain.coupons import Coupon, CouponStatus
from .tables import coupons, redemptions, rewards_catalogue


def _coupon(row: sa.Row) -> Coupon:
    return Coupon(row.code, CouponStatus(row.status), row.description,
                  Decimal(row.amount) if row.amount is not None else None,
                  Decimal(row.percent) if row.percent is not None else None, row.member_id, row.issued_at,
                  row.expires_at, row.campaign_id, row.reward_id, row.exclusive, row.redeemed_at, row.redeemed_by)


async def coupons_by_code(connection: AsyncConnection, codes: Sequence[str]) -> dict[str, Coupon]:
    if not codes:
        return {}
    rows = await connection.execute(sa.select(coupons).where(coupons.c.code.in_(sorted(set(codes)))))
    return {row.code: _coupon(row) for row in rows}


async def coupons_of(connection: AsyncConnection, member_id: str, limit: int) -> list[Coupon]:
    rows = await connection.execute(sa.select(coupons).where(coupons.c.member_id == member_id)
                                    .order_by(coupons.c.issued_at.desc(), coupons.c.code).limit(limit))
    return [_coupon(row) for row in rows]


async def coupon_issued_for(connection: AsyncConnection, issued_for: str) -> Coupon | None:
    row = (await connection.execute(sa.select(coupons).where(coupons.c.issued_for == issued_for))).first()
    return _coupon(row) if row else None


async def add_coupon(uow: UnitOfWork, coupon: Coupon, issued_for: str) -> bool:
    """False when something already issued a coupon for `issued_for` (a replay) or the code is taken."""
    return await uow.insert_ignoring_conflicts(coupons, {
        "code": coupon.code, "status": str(coupon.status), "description": coupon.description,
        "amount": coupon.amount, "percent": coupon.percent, "member_id": coupon.member_id,
        "origin_member_id": coupon.member_id, "campaign_id": coupon.campaign_id, "reward_id": coupon.reward_id,
        "exclusive": coupon.exclusive, "issued_at": coupon.issued_at, "expires_at": coupon.expires_at,
        "issued_for": issued_for})


async def redeem_coupon(uow: UnitOfWork, code: str, purchase_external_id: str, now: datetime) -> bool:
    """Redeem if still active and unexpired: False when a concurrent checkout redeemed it first."""
    result = await uow.execute(coupons.update().where(
        coupons.c.code == code, coupons.c.status == str(CouponStatus.ACTIVE),
        sa.or_(coupons.c.expires_at.is_(None), coupons.c.expires_at > now),
    ).values(status=str(CouponStatus.REDEEMED), redeemed_at=now, redeemed_by=purchase_external_id))
    return result.rowcount == 1


async def set_coupon_status(uow: UnitOfWork, code: str, status: CouponStatus) -> None:
    await uow.execute(coupons.update().where(coupons.c.code == code).values(status=str(status)))


# --- the rewards catalogue ------------------------------------------------------------------------


def _reward(row: sa.Row) -> Reward:
    return Reward(row.id, row.name, row.description, row.points_cost, row.active, row.stock,
                  Decimal(row.coupon_amount) if row.coupon_amount is not None else None,
                  Decimal(row.coupon_percent) if row.coupon_percent is not None else None, row.valid_days)


async def rewards(connection: AsyncConnection, *, active_only: bool) -> list[Reward]:
    query = sa.select(rewards_catalogue).order_by(rewards_catalogue.c.points_cost, rewards_catalogue.c.id)
    if active_only:
        query = query.where(rewards_catalogue.c.active.is_(True))
    return [_reward(row) for row in await connection.execute(query)]


async def reward(connection: AsyncConnection, reward_id: str) -> Reward | None:
    row = (await connection.execute(sa.select(rewards_catalogue).where(rewards_catalogue.c.id == reward_id))).first()
    return _reward(row) if row else None


async def save_reward(uow: UnitOfWork, reward: Reward, now: datetime) -> None:
    values = {"name": reward.name, "description": reward.description, "points_cost": reward.points_cost,
              "active": reward.active, "stock": reward.stock, "coupon_amount": reward.coupon_amount,
              "coupon_percent": reward.coupon_percent, "valid_days": reward.valid_days, "updated_at": now}
    updated = await uow.execute(rewards_catalogue.update().where(rewards_catalogue.c.id == reward.id).values(**values))
    if updated.rowcount == 0:
        await uow.execute(rewards_catalogue.insert().values(id=reward.id, **values))


async def take_stock(uow: UnitOfWork, reward_id: str) -> bool:
    """One unit of a limited reward (unlimited ones always have one); False when none is left."""
    result = await uow.execute(rewards_catalogue.update().where(
        rewards_catalogue.c.id == reward_id, rewards_catalogue.c.active.is_(True),
        sa.or_(rewards_catalogue.c.stock.is_(None), rewards_catalogue.c.stock > 0),
    ).values(stock=sa.case((rewards_catalogue.c.stock.is_(None), None), else_=rewards_catalogue.c.stock - 1)))
    return result.rowcount == 1


async def give_back_stock(uow: UnitOfWork, reward_id: str) -> None:
    await uow.execute(rewards_catalogue.update().where(
        rewards_catalogue.c.id == reward_id, rewards_catalogue.c.stock.is_not(None),
    ).values(stock=rewards_catalogue.c.stock + 1))


# --- redemptions (the redeemReward saga) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Redemption:
    key: str
    member_id: str
    reward_id: str
    points: int
    status: str  # DEBITING, DONE, REFUNDED
    coupon_code: str | None
    error: str | None


def _redemption(row: sa.Row) -> Redemption:
    return Redemption(row.idempotency_key, row.member_id, row.reward_id, row.points, row.status, row.coupon_code,
                      row.error)


async def redemption(connection: AsyncConnection, key: str) -> Redemption | None:
    row = (await connection.execute(sa.select(redemptions).where(redemptions.c.idempotency_key == key))).first()
    return _redemption(row) if row else None


async def add_redemption(uow: UnitOfWork, record: Redemption, now: datetime) -> bool:
    return await uow.insert_ignoring_conflicts(redemptions, {
        "idempotency_key": record.key, "member_id": record.member_id, "origin_member_id": record.member_id,
        "reward_id": record.reward_id, "points": record.points, "status": record.status,
        "coupon_code": record.coupon_code, "error": record.error, "created_at": now, "updated_at": now})


async def finish_redemption(uow: UnitOfWork, key: str, *, status: str, coupon_code: str | None, error: str | None,
                            now: datetime) -> None:
    await uow.execute(redemptions.update().where(redemptions.c.idempotency_key == key).values(
        status=status, coupon_code=coupon_code, error=error[:300] if error else None, updated_at=now))


async def unfinished_redemptions(connection: AsyncConnection, before: datetime, limit: int) -> list[Redemption]:
    rows = await connection.execute(sa.select(redemptions).where(
        redemptions.c.status == "DEBITING", redemptions.c.updated_at < before,
    ).order_by(redemptions.c.updated_at).limit(limit))
    return [_redemption(row) for row in rows]
