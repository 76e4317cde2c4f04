"""Coupons: codes a member can read out at the till, issued by campaigns and redemptions,
checked before the checkout, redeemed at most once. No I/O here."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from core.errors import Conflict

# No O/0, I/1 (or L): a code read out loud or typed from a receipt is never ambiguous.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 31^10: ~8e14 codes, unguessable at any rate the gateway lets through
MAX_PER_BASKET = 3  # default stacking limit (LOYALTY_COUPONS_PER_BASKET)


class CouponStatus(StrEnum):
    ACTIVE = "ACTIVE"
    REDEEMED = "REDEEMED"
    EXPIRED = "EXPIRED"
    VOID = "VOID"


@dataclass(frozen=True, slots=True)
class Coupon:
    code: str
    status: CouponStatus
    description: str
    amount: Decimal | None  # off the cart
    percent: Decimal | None  # of the cart
    member_id: str | None  # None: anyone may redeem it
    issued_at: datetime
    expires_at: datetime | None
    campaign_id: str | None = None
    reward_id: str | None = None
    exclusive: bool = False  # combined with no other coupon
    redeemed_at: datetime | None = None
    redeemed_by: str | None = None  # the purchase's externalId


def new_code(random_below: Callable[[int], int]) -> str:
    """A fresh code, e.g. "K7QM-2XPA-9D" without the dashes; `random_below(n)` is a CSPRNG in [0, n)."""
    return "".join(ALPHABET[random_below(len(ALPHABET))] for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """What a cashier types: any case, spaces and dashes ignored."""
    return "".join(text.split()).replace("-", "").upper()


def display_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def status_at(coupon: Coupon, now: datetime) -> CouponStatus:
    """An active coupon past its expiry is expired, whether or not a job has marked it yet."""
    if coupon.status is CouponStatus.ACTIVE and coupon.expires_at is not None and coupon.expires_at <= now:
        return CouponStatus.EXPIRED
    return coupon.status


def why_not(coupon: Coupon | None, member_id: str | None, now: datetime) -> str | None:
    """Why this coupon cannot be redeemed by this member now, in words for the till; None when it can."""
    if coupon is None:
        return "no such coupon"
    status = status_at(coupon, now)
    if status is CouponStatus.REDEEMED:
        return "already redeemed"
    if status is CouponStatus.EXPIRED:
        return "expired"
    if status is CouponStatus.VOID:
        return "void"
    if coupon.member_id is not None and coupon.member_id != member_id:
        return "issued to another member" if member_id else "issued to a member: identify the member first"
    return None


def redeem(coupon: Coupon, purchase_external_id: str, now: datetime) -> Coupon:
    if status_at(coupon, now) is not CouponStatus.ACTIVE:
        raise Conflict(f"coupon {coupon.code} is {status_at(coupon, now).lower()}")
    return replace(coupon, status=CouponStatus.REDEEMED, redeemed_at=now, redeemed_by=purchase_external_id)


def void(coupon: Coupon) -> Coupon:
    if coupon.status is CouponStatus.REDEEMED:
        raise Conflict(f"coupon {coupon.code} was redeemed; it cannot be voided")
    return replace(coupon, status=CouponStatus.VOID)
