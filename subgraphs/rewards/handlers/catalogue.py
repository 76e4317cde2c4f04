"""The rewards catalogue and `redeemReward`: a saga over two services that never loses or
doubles a point or a unit.

    1. record the redemption (its idempotency key) and take a unit of stock  - one transaction
    2. debit the points at the ledger (idempotent by the same key)
    3. issue the coupon and mark the redemption DONE                          - one transaction

A refusal at 2 (not enough points) gives the unit back. A failure at 3 credits the points
back at the ledger (idempotently) and gives the unit back: REFUNDED, with the reason. A
step cut short (the ledger unreachable, the process gone) is finished by a job: the debit
is asked again (a repeat is answered, never applied twice), then the coupon issued. A
repeat of the key returns the first outcome.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta

from core.auth import Principal, Role, require_principal, require_role
from core.errors import BadUserInput, Conflict, ErrorCode, LoyaltyError, NotFound, Unavailable
from core.ids import new_id
from subgraphs.kernel import aliases
from subgraphs.kernel.bounds import MAX_KEY_LENGTH, check_id, check_length
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime

from ..adapters import coupons as store
from ..adapters.coupons import Redemption
from ..domain import catalogue as rules
from ..domain.catalogue import Reward
from ..domain.coupons import Coupon
from . import coupons
from .purchases import ledger_port

log = logging.getLogger(__name__)

ADMIN_ROLES = (Role.ADMIN,)
REDEEMING_ROLES = (Role.MEMBER, Role.CASHIER, Role.SUPERVISOR, Role.ADMIN, Role.SERVICE)
DEBITING, DONE, REFUNDED, FAILED = "DEBITING", "DONE", "REFUNDED", "FAILED"
RESUME_AFTER = timedelta(seconds=30)  # a redemption left DEBITING this long is finished by the job
RESUME_BATCH = 50


async def rewards(runtime: Runtime, principal: Principal | None) -> list[Reward]:
    """The catalogue: active rewards for everyone, every reward for admins."""
    admin = principal is not None and principal.role is Role.ADMIN
    async with runtime.db.reading() as connection:
        return await store.rewards(connection, active_only=not admin)


async def upsert_reward(runtime: Runtime, principal: Principal | None, reward: Reward) -> Reward:
    require_role(principal, *ADMIN_ROLES)
    reward = rules.validate_reward(reward if reward.id else replace(reward, id=new_id("rwd")))
    async with runtime.unit_of_work() as uow:
        await store.save_reward(uow, reward, runtime.clock.now())
        await uow.commit()
    return reward


async def available_rewards(runtime: Runtime, principal: Principal | None, member_id: str,
                            available_points: int) -> list[Reward]:
    async with runtime.db.reading() as connection:
        await aliases.require_member_access(connection, principal, member_id)
        found = await store.rewards(connection, active_only=True)
    return rules.affordable(found, available_points)


async def redeem_reward(runtime: Runtime, principal: Principal | None, *, member_id: str, reward_id: str,
                        idempotency_key: str) -> Coupon:
    who = require_principal(principal)
    require_role(who, *REDEEMING_ROLES)
    key = idempotency_key.strip()
    if not key:
        raise BadUserInput("redeemReward needs an idempotencyKey", field="idempotencyKey")
    check_length(key, MAX_KEY_LENGTH, "idempotencyKey")
    reward_id = check_id(reward_id, "rewardId")
    async with runtime.db.reading() as connection:
        member_id = await aliases.require_member_access(connection, who, check_id(member_id, "memberId"))
        earlier = await store.redemption(connection, key)
    if earlier is not None:
        return await _repeat(runtime, earlier, member_id, reward_id)
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        reward = await store.reward(uow.connection, reward_id)
        if reward is None or not reward.active:
            raise NotFound(f"no reward {reward_id}")
        record = Redemption(key, member_id, reward_id, reward.points_cost, DEBITING, None, None)
        if not await store.add_redemption(uow, record, now):  # a racing repeat got there first
            earlier = await store.redemption(uow.connection, key)
            assert earlier is not None
            return await _repeat(runtime, earlier, member_id, reward_id)
        if not await store.take_stock(uow, reward_id):
            raise Conflict(f"{reward.name} is out of stock")
        await uow.commit()
    return await _finish(runtime, record, reward)


async def _repeat(runtime: Runtime, earlier: Redemption, member_id: str, reward_id: str) -> Coupon:
    async with runtime.db.reading() as connection:
        same = earlier.reward_id == reward_id and \
            await aliases.current_member_id(connection, earlier.member_id) == member_id
    if not same:
        raise Conflict("this idempotencyKey was already used for another redemption")
    if earlier.status == DONE:
        async with runtime.db.reading() as connection:
            found = await store.coupon_issued_for(connection, _issued_for(earlier.key))
        assert found is not None
        return found
    if earlier.status in (REFUNDED, FAILED):
        raise Conflict(f"this redemption did not go through: {earlier.error}")
    async with runtime.db.reading() as connection:
        reward = await store.reward(connection, earlier.reward_id)
    assert reward is not None
    return await _finish(runtime, earlier, reward)  # DEBITING: finish what the first attempt started


def _issued_for(key: str) -> str:
    return f"redeem:{key}"


async def _finish(runtime: Runtime, record: Redemption, reward: Reward) -> Coupon:
    ledger = ledger_port(runtime)
    try:
        await ledger.debit_points(member_id=record.member_id, points=record.points, idempotency_key=record.key,
                                  reference=f"reward:{reward.id}", description=f"Reward: {reward.name}")
    except LoyaltyError as error:
        if isinstance(error, Unavailable) or error.code is ErrorCode.SUBGRAPH_UNAVAILABLE:
            raise Unavailable("the redemption is recorded; it finishes when the ledger is back",
                              idempotencyKey=record.key) from error
        await _close(runtime, record, FAILED, error.message)  # nothing was taken: the unit goes back
        raise
    try:
        now = runtime.clock.now()
        async with runtime.unit_of_work() as uow:
            coupon = await coupons.issue(uow, issued_for=_issued_for(record.key), member_id=record.member_id,
                                         description=reward.name, now=now, valid_days=reward.valid_days,
                                         amount=reward.coupon_amount, percent=reward.coupon_percent,
                                         reward_id=reward.id)
            await store.finish_redemption(uow, record.key, status=DONE, coupon_code=coupon.code, error=None, now=now)
            uow.publish(Event(type="RewardRedeemed", source="rewards", member_id=record.member_id, occurred_at=now,
                              payload={"reward_id": reward.id, "reward_name": reward.name, "points": record.points,
                                       "coupon_code": coupon.code}))
            await uow.commit()
        return coupon
    except asyncio.CancelledError:
        raise
    except Exception as error:  # noqa: BLE001 - whatever stopped the coupon, the points go back
        log.exception("redemption %s: the coupon could not be issued; giving the points back", record.key)
        await ledger.refund_points(member_id=record.member_id, points=record.points, idempotency_key=record.key,
                                   reference=f"reward:{reward.id}", description=f"Reward not issued: {reward.name}")
        reason = "the reward could not be issued; the points were given back"
        await _close(runtime, record, REFUNDED, reason)
        raise LoyaltyError(reason, idempotencyKey=record.key) from error


async def _close(runtime: Runtime, record: Redemption, status: str, reason: str) -> None:
    """A redemption that did not go through: its unit of stock back, the reason kept."""
    async with runtime.unit_of_work() as uow:
        await store.give_back_stock(uow, record.reward_id)
        await store.finish_redemption(uow, record.key, status=status, coupon_code=None, error=reason,
                                      now=runtime.clock.now())
        await uow.commit()


async def resume_redemptions(runtime: Runtime) -> int:
    """Job: finish redemptions cut short (the ledger was unreachable, the process stopped)."""
    before: datetime = runtime.clock.now() - RESUME_AFTER
    async with runtime.db.reading() as connection:
        stuck = await store.unfinished_redemptions(connection, before, RESUME_BATCH)
    done = 0
    for record in stuck:
        async with runtime.db.reading() as connection:
            reward = await store.reward(connection, record.reward_id)
        if reward is None:
            continue
        try:
            await _finish(runtime, record, reward)
            done += 1
        except LoyaltyError:
            continue  # refused (closed with its reason) or still unreachable (tried again later)
    return done
