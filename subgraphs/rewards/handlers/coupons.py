"""Coupons: checked at the till before the checkout (`coupon(code)`, with the reason one
cannot be used), listed for the member, issued by campaigns and redemptions inside the
caller's transaction, voided by a supervisor. A checkout redeems them (checkout.py)."""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.auth import Principal, Role, require_principal, require_role
from core.errors import BadUserInput, Conflict, NotFound
from subgraphs.kernel import aliases
from subgraphs.kernel.db import UnitOfWork
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime

from ..adapters import coupons as store
from ..domain import coupons as rules
from ..domain.coupons import Coupon, CouponStatus
from ..domain.effects import IssueCoupon

MAX_LISTED = 100  # coupons per member in Member.coupons, newest first
CODE_ATTEMPTS = 5  # a fresh code that collides (1 in ~1e14) is drawn again
VOIDING_ROLES = (Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class CouponView:
    coupon: Coupon
    status: CouponStatus  # as of now (an active coupon past its expiry is EXPIRED)
    why_not: str | None  # why it cannot be redeemed now; None when it can


def _view(coupon: Coupon, member_id: str | None, now: datetime) -> CouponView:
    return CouponView(coupon, rules.status_at(coupon, now), rules.why_not(coupon, member_id or coupon.member_id, now))


async def coupon(runtime: Runtime, principal: Principal | None, code: str, member_id: str | None = None
                 ) -> CouponView | None:
    """A coupon as the till checks it; a member sees only their own (and no one learns which
    codes exist by guessing: a coupon of someone else reads as unknown)."""
    who = require_principal(principal)
    normalized = rules.normalize_code(code)
    if not normalized or len(normalized) > 64:
        raise BadUserInput("a coupon code has 1 to 64 characters", field="code")
    async with runtime.db.reading() as connection:
        found = (await store.coupons_by_code(connection, [normalized])).get(normalized)
        if found is None:
            return None
        if who.role is Role.MEMBER:
            mine = await aliases.current_member_id(connection, who.subject)
            if found.member_id != mine:
                return None
            member_id = mine
        elif member_id is not None:
            member_id = await aliases.current_member_id(connection, member_id)
    return _view(found, member_id, runtime.clock.now())


async def coupons_of(runtime: Runtime, principal: Principal | None, member_id: str,
                     status: CouponStatus | None) -> list[CouponView]:
    async with runtime.db.reading() as connection:
        member_id = await aliases.require_member_access(connection, principal, member_id)
        found = await store.coupons_of(connection, member_id, MAX_LISTED)
    now = runtime.clock.now()
    views = [_view(c, member_id, now) for c in found]
    return [v for v in views if status is None or v.status is status]


async def void(runtime: Runtime, principal: Principal | None, code: str) -> CouponView:
    require_role(principal, *VOIDING_ROLES)
    normalized = rules.normalize_code(code)
    async with runtime.unit_of_work() as uow:
        found = (await store.coupons_by_code(uow.connection, [normalized])).get(normalized)
        if found is None:
            raise NotFound(f"no coupon {code}")
        voided = rules.void(found)
        await store.set_coupon_status(uow, normalized, CouponStatus.VOID)
        await uow.commit()
    return _view(voided, None, runtime.clock.now())


def _draw_code() -> str:
    return rules.new_code(secrets.randbelow)


async def issue(uow: UnitOfWork, *, issued_for: str, member_id: str, description: str, now: datetime,
                valid_days: int, amount=None, percent=None, campaign_id: str | None = None,  # noqa: ANN001
                reward_id: str | None = None) -> Coupon:
    """A fresh coupon for the member, once per `issued_for` (a replay returns the first one)."""
    earlier = await store.coupon_issued_for(uow.connection, issued_for)
    if earlier is not None:
        return earlier
    for _ in range(CODE_ATTEMPTS):
        fresh = Coupon(_draw_code(), CouponStatus.ACTIVE, description, amount, percent, member_id, now,
                       now + timedelta(days=valid_days), campaign_id, reward_id)
        if await store.add_coupon(uow, fresh, issued_for):
            return fresh
    raise Conflict("no free coupon code was found; try again")


async def issue_for_campaigns(uow: UnitOfWork, to_issue: Sequence[tuple[str, IssueCoupon]], *, member_id: str,
                              reference: str, now: datetime) -> list[Coupon]:
    """The coupons a checkout's campaigns give (each once per purchase and campaign), announced."""
    issued = []
    for n, (campaign_id, spec) in enumerate(to_issue, start=1):
        coupon = await issue(uow, issued_for=f"{reference}:{campaign_id}:{n}", member_id=member_id,
                             description=spec.description, now=now, valid_days=spec.valid_days,
                             amount=spec.amount, percent=spec.percent, campaign_id=campaign_id)
        uow.publish(issued_event(coupon))
        issued.append(coupon)
    return issued


def issued_event(coupon: Coupon) -> Event:
    """A campaign gave the member a coupon: the channels tell them (handlers/messages.py), once per
    code whatever repeats."""
    return Event(type="CouponIssued", source="rewards", member_id=coupon.member_id, payload={
        "code": coupon.code, "member_id": coupon.member_id, "description": coupon.description,
        "campaign_id": coupon.campaign_id, "expires_at": coupon.expires_at.isoformat() if coupon.expires_at else None,
        "amount": str(coupon.amount) if coupon.amount is not None else None,
        "percent": str(coupon.percent) if coupon.percent is not None else None})
