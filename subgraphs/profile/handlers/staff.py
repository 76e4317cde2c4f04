"""Staff at the till: signing in with a staff id and a PIN, and saving staff accounts.

Sign-in counts the attempt first (one short transaction, serialised per staff id),
then checks the PIN outside any transaction (Argon2id takes ~50 ms and 64 MiB: never
while holding the database's writer, and at most `PIN_CHECKS_AT_ONCE` at a time per
process, so a flood of guesses cannot take the memory or both cores), then clears
the count when the PIN was right. domain/staff.py has the rules."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from core.auth import Principal, Role, issue_token, require_role
from subgraphs.kernel.runtime import Runtime

from ..adapters import staff as store
from ..domain import staff as rules
from ..domain.staff import StaffAccount, StaffRole

STAFF_ADMIN_ROLES = (Role.ADMIN, Role.SERVICE)
PIN_CHECKS_AT_ONCE = 2


@dataclass(frozen=True, slots=True)
class StaffSession:
    account: StaffAccount
    token: str
    expires_at: datetime


async def _pin_matches(runtime: Runtime, pin_hash: str, pin: str) -> bool:
    checks = runtime.cache.setdefault("staff_pin_checks", asyncio.Semaphore(PIN_CHECKS_AT_ONCE))
    assert isinstance(checks, asyncio.Semaphore)
    async with checks:
        return await asyncio.to_thread(rules.pin_matches, pin_hash, pin)


async def sign_in(runtime: Runtime, staff_id: str, pin: str) -> StaffSession:
    """A staff token (role and store) for a right PIN. An unknown id, an inactive account and
    a wrong PIN get the same error after the same work; the count locks the id after
    MAX_FAILED_ATTEMPTS (domain/staff.py)."""
    staff_id, pin = rules.check_sign_in_input(staff_id, pin)
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        await uow.serialise_on(f"staff-sign-in:{staff_id}")
        await store.forget_old_attempts(uow, now)
        counted = rules.count_attempt(await store.attempts(uow.connection, staff_id), now)  # LockedOut: nothing written
        await store.save_attempts(uow, staff_id, counted)
        account = await store.account(uow.connection, staff_id)
        await uow.commit()
    known = rules.can_sign_in(account)
    pin_hash = account.pin_hash if known and account else await asyncio.to_thread(rules.dummy_hash)
    right = await _pin_matches(runtime, pin_hash, pin)
    if not (known and right):
        raise rules.refusal(counted, now)
    assert account is not None
    async with runtime.unit_of_work() as uow:
        await uow.serialise_on(f"staff-sign-in:{staff_id}")
        await store.save_attempts(uow, staff_id, rules.SignInAttempts())
        await store.signed_in(uow, staff_id, now)
        await uow.commit()
    expires_at = now + rules.SESSION
    token = issue_token(runtime.settings, account.id, rules.session_role(account), store=account.store_id,
                        ttl=rules.SESSION)
    return StaffSession(account, token, expires_at)


async def save_staff(runtime: Runtime, principal: Principal | None, *, staff_id: str, name: str, role: StaffRole,
                     store_id: str | None, pin: str, active: bool = True) -> StaffAccount:
    """Create a staff account or replace one (name, role, store, PIN): admins and services
    (the seed). A new PIN also clears the id's guessing count."""
    require_role(principal, *STAFF_ADMIN_ROLES)
    account = await asyncio.to_thread(lambda: rules.new_account(staff_id=staff_id, name=name, role=role,
                                                                store_id=store_id, pin=pin, active=active))
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        await uow.serialise_on(f"staff-sign-in:{account.id}")
        await store.save_account(uow, account, now)
        await store.save_attempts(uow, account.id, rules.SignInAttempts())
        await uow.commit()
    return account


async def staff_account(runtime: Runtime, staff_id: str) -> StaffAccount | None:
    async with runtime.db.reading() as connection:
        return await store.account(connection, rules.normalize_staff_id(staff_id))
