"""The rewards catalogue: what members spend points on. Redeeming one takes its points
and gives a coupon (for an amount or a percentage off, or for the thing itself). No I/O here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from core.errors import BadUserInput
from subgraphs.kernel.bounds import MAX_INT, check_id

from .coupons import Coupon, CouponStatus

MAX_NAME = 100
MAX_DESCRIPTION = 500
DEFAULT_VALID_DAYS = 90
MAX_VALID_DAYS = 3650


@dataclass(frozen=True, slots=True)
class Reward:
    id: str
    name: str
    description: str
    points_cost: int
    active: bool = True
    stock: int | None = None  # None: unlimited
    coupon_amount: Decimal | None = None
    coupon_percent: Decimal | None = None
    valid_days: int = DEFAULT_VALID_DAYS


def validate_reward(reward: Reward) -> Reward:
    check_id(reward.id, "id")
    name, description = reward.name.strip(), reward.description.strip()
    if not name or len(name) > MAX_NAME:
        raise BadUserInput(f"a reward's name has 1 to {MAX_NAME} characters", field="name")
    if len(description) > MAX_DESCRIPTION:
        raise BadUserInput(f"a description has at most {MAX_DESCRIPTION} characters", field="description")
    if not 1 <= reward.points_cost <= MAX_INT:
        raise BadUserInput(f"pointsCost is between 1 and {MAX_INT}", field="pointsCost")
    if reward.stock is not None and not 0 <= reward.stock <= MAX_INT:
        raise BadUserInput("stock is 0 or more (leave it out for unlimited)", field="stock")
    if reward.coupon_amount is not None and reward.coupon_percent is not None:
        raise BadUserInput("a reward's coupon is an amount or a percentage, not both", field="couponAmount")
    if reward.coupon_amount is not None and (not reward.coupon_amount.is_finite() or not
                                             Decimal(0) < reward.coupon_amount <= Decimal(1_000_000)):
        raise BadUserInput("couponAmount is above 0 and at most 1000000", field="couponAmount")
    if reward.coupon_percent is not None and (not reward.coupon_percent.is_finite() or not
                                              Decimal(0) < reward.coupon_percent <= Decimal(100)):
        raise BadUserInput("couponPercent is above 0 and at most 100", field="couponPercent")
    if not 1 <= reward.valid_days <= MAX_VALID_DAYS:
        raise BadUserInput(f"validDays is between 1 and {MAX_VALID_DAYS}", field="validDays")
    return Reward(reward.id, name, description or name, reward.points_cost, reward.active, reward.stock,
                  reward.coupon_amount, reward.coupon_percent, reward.valid_days)


def affordable(rewards: list[Reward], available_points: int) -> list[Reward]:
    """Active rewards in stock that the member's available points pay for, cheapest first."""
    return sorted((r for r in rewards if r.active and r.stock != 0 and r.points_cost <= available_points),
                  key=lambda r: (r.points_cost, r.id))


def reward_coupon(reward: Reward, *, code: str, member_id: str, now: datetime) -> Coupon:
    """The coupon a redemption gives: the member's own, valid for the reward's days."""
    return Coupon(code, CouponStatus.ACTIVE, reward.name, reward.coupon_amount, reward.coupon_percent, member_id,
                  now, now + timedelta(days=reward.valid_days), reward_id=reward.id)
