"""Staff at the till and the admin: who they are (a cashier bound to a store, a supervisor,
or an admin who runs the program's campaigns), their PIN (rules, and only ever an Argon2id
hash of it), and the lockout that bounds guessing. No I/O here.

Guessing is bounded per staff id, counted in the database (`SignInAttempts`):

- every attempt is counted *before* its PIN is checked, so parallel guesses cannot
  outrun the count: at most `MAX_FAILED_ATTEMPTS` PINs are ever checked for one id
  between two lockouts;
- the `MAX_FAILED_ATTEMPTS`-th attempt in a row without a right PIN locks the id for
  `FIRST_LOCKOUT`, each further lockout in a row for twice as long as the one
  before, up to `MAX_LOCKOUT`; while locked, not even the right PIN is checked;
- a right PIN clears the count; a count with no attempt for `FORGET_AFTER` is forgotten;
- an unknown staff id is counted and locked exactly like a known one, and answered
  with the same error after the same work (a hash checked against a dummy), so the
  answers never tell which ids exist.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.auth import Role
from core.errors import BadUserInput, Forbidden, Unauthenticated
from subgraphs.kernel.bounds import check_id

MIN_PIN_DIGITS = 6
MAX_PIN_DIGITS = 12
MAX_PIN_INPUT = 64  # what sign-in accepts to compare at all (longer is bad input, never hashed)
MAX_NAME_LENGTH = 100
MAX_FAILED_ATTEMPTS = 5
FIRST_LOCKOUT = timedelta(minutes=15)
MAX_LOCKOUT = timedelta(hours=24)
FORGET_AFTER = timedelta(hours=24)
SESSION = timedelta(hours=10)  # a shift: the till signs in again after it
STAFF_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class StaffRole(StrEnum):
    CASHIER = "CASHIER"
    SUPERVISOR = "SUPERVISOR"
    ADMIN = "ADMIN"  # the program's marketers: campaigns, rewards, segments (/admin)


TOKEN_ROLE = {StaffRole.CASHIER: Role.CASHIER, StaffRole.SUPERVISOR: Role.SUPERVISOR, StaffRole.ADMIN: Role.ADMIN}


@dataclass(frozen=True, slots=True)
class StaffAccount:
    id: str
    name: str
    role: StaffRole
    store_id: str | None  # a cashier's store (required); a supervisor's home store (optional)
    pin_hash: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class SignInAttempts:
    """The guessing count of one staff id (known or not)."""

    failures: int = 0  # attempts in a row without a right PIN (counted before the PIN is checked)
    lockouts: int = 0  # lockouts in a row: each lasts twice as long as the one before
    last_attempt_at: datetime | None = None
    locked_until: datetime | None = None


class WrongCredentials(Unauthenticated):
    """The one answer for an unknown staff id, an inactive account and a wrong PIN."""

    def __init__(self, attempts_left: int) -> None:
        super().__init__("the staff id or the PIN is not right", attemptsLeft=attempts_left)


class LockedOut(Forbidden):
    def __init__(self, until: datetime, now: datetime) -> None:
        minutes = max(1, -(-int((until - now).total_seconds()) // 60))
        super().__init__(f"too many wrong PINs: this staff id is locked for {minutes} more "
                         f"minute{'s' if minutes != 1 else ''}", reason="LOCKED_OUT",
                         lockedUntil=until.isoformat(), retryAfterSeconds=int((until - now).total_seconds()) + 1)


# --- who ------------------------------------------------------------------------------------------


def normalize_staff_id(value: str) -> str:
    """Staff ids are case-insensitive ("Cashier.Ana" is "cashier.ana"): one count per person."""
    cleaned = check_id(value, "staffId").lower()
    if not STAFF_ID.match(cleaned):
        raise BadUserInput("a staff id has letters, digits, '.', '_' and '-' only", field="staffId")
    return cleaned


def check_sign_in_input(staff_id: str, pin: str) -> tuple[str, str]:
    """What sign-in accepts to look at; anything else is bad input and counts as nothing."""
    if not pin or len(pin) > MAX_PIN_INPUT:
        raise BadUserInput(f"a PIN has 1 to {MAX_PIN_INPUT} characters", field="pin")
    return normalize_staff_id(staff_id), pin


def check_pin(pin: str) -> str:
    """A new PIN: 6 to 12 digits, not one digit repeated and not a run (123456, 987654)."""
    if not pin.isascii() or not pin.isdigit():
        raise BadUserInput("a PIN has digits only", field="pin")
    if not MIN_PIN_DIGITS <= len(pin) <= MAX_PIN_DIGITS:
        raise BadUserInput(f"a PIN has {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits", field="pin")
    if len(set(pin)) == 1:
        raise BadUserInput("a PIN cannot be one digit repeated", field="pin")
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({1}, {9}):
        raise BadUserInput("a PIN cannot be a run of digits (like 123456)", field="pin")
    return pin


def new_account(*, staff_id: str, name: str, role: StaffRole, store_id: str | None, pin: str,
                active: bool = True) -> StaffAccount:
    """A staff account as it is saved: checked, with its PIN hashed (never kept in clear)."""
    staff_id = normalize_staff_id(staff_id)
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise BadUserInput(f"a staff name has 1 to {MAX_NAME_LENGTH} characters", field="name")
    store_id = check_id(store_id, "storeId") if store_id is not None and store_id.strip() else None
    if role is StaffRole.CASHIER and store_id is None:
        raise BadUserInput("a cashier works at a store: give their storeId", field="storeId")
    return StaffAccount(staff_id, name, role, store_id, hash_pin(check_pin(pin)), active)


# --- PINs ----------------------------------------------------------------------------------------


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # Argon2id, RFC 9106's low-memory profile (64 MiB, 3 passes), salted


def hash_pin(pin: str) -> str:
    return _hasher().hash(pin)


@cache
def dummy_hash() -> str:
    """Checked instead of an account's hash when there is none: the same work, the same answer."""
    return hash_pin("no account has this PIN")


def pin_matches(pin_hash: str, pin: str) -> bool:
    try:
        return _hasher().verify(pin_hash, pin)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# --- guessing ------------------------------------------------------------------------------------


def is_locked(attempts: SignInAttempts, now: datetime) -> bool:
    return attempts.locked_until is not None and now < attempts.locked_until


def as_of(attempts: SignInAttempts, now: datetime) -> SignInAttempts:
    """The count as it stands at `now`: a lockout that ended starts a new run of attempts
    (the next lockout, if any, lasts longer); a count left alone long enough is forgotten."""
    if is_locked(attempts, now):
        return attempts
    if attempts.last_attempt_at is not None and now - attempts.last_attempt_at >= FORGET_AFTER:
        return SignInAttempts()
    if attempts.locked_until is not None:
        return replace(attempts, failures=0, locked_until=None)
    return attempts


def lockout_after(lockouts_before: int) -> timedelta:
    """How long the next lockout lasts, after this many in a row."""
    return min(FIRST_LOCKOUT * (2 ** min(lockouts_before, 16)), MAX_LOCKOUT)


def count_attempt(attempts: SignInAttempts, now: datetime) -> SignInAttempts:
    """Before a PIN is checked: refused while locked, else counted as a failure (a right PIN
    clears it afterwards); the attempt that reaches MAX_FAILED_ATTEMPTS locks the id."""
    attempts = as_of(attempts, now)
    if is_locked(attempts, now):
        assert attempts.locked_until is not None
        raise LockedOut(attempts.locked_until, now)
    failures = attempts.failures + 1
    if failures >= MAX_FAILED_ATTEMPTS:
        return SignInAttempts(failures, attempts.lockouts + 1, now, now + lockout_after(attempts.lockouts))
    return SignInAttempts(failures, attempts.lockouts, now, None)


def attempts_left(attempts: SignInAttempts) -> int:
    """Wrong PINs still allowed before the lockout (0: the last one locked it)."""
    return 0 if attempts.locked_until is not None else MAX_FAILED_ATTEMPTS - attempts.failures


def refusal(attempts: SignInAttempts, now: datetime) -> Unauthenticated | Forbidden:
    """The answer to a wrong PIN, counted: wrong, with the attempts left, or locked now."""
    if is_locked(attempts, now):
        assert attempts.locked_until is not None
        return LockedOut(attempts.locked_until, now)
    return WrongCredentials(attempts_left(attempts))


def can_sign_in(account: StaffAccount | None) -> bool:
    return account is not None and account.active


def session_role(account: StaffAccount) -> Role:
    return TOKEN_ROLE[account.role]

