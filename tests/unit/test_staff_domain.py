"""Staff at the till (subgraphs/profile/domain/staff.py): PIN rules, hashes, and the
lockout's boundaries (the count before the check, the Nth attempt, the lockout's
end, doubling, forgetting)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.auth import Role
from core.errors import BadUserInput, ErrorCode
from subgraphs.profile.domain import staff
from subgraphs.profile.domain.staff import (
    FIRST_LOCKOUT,
    FORGET_AFTER,
    MAX_FAILED_ATTEMPTS,
    MAX_LOCKOUT,
    LockedOut,
    SignInAttempts,
    StaffRole,
    WrongCredentials,
)

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


# --- PIN rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize("pin", ["480215", "265830", "00112233", "904182736451"])
def test_good_pins_are_taken(pin: str) -> None:
    assert staff.check_pin(pin) == pin


@pytest.mark.parametrize(("pin", "why"), [
    ("48021", "6 to 12 digits"),                # one short
    ("9041827364510", "6 to 12 digits"),        # one long
    ("4802a5", "digits only"),
    ("48 215", "digits only"),
    ("４８０２１５", "digits only"),             # full-width digits are not ASCII digits
    ("", "digits only"),
    ("777777", "one digit repeated"),
    ("123456", "a run"),
    ("987654", "a run"),
    ("890123", "a run"),                        # runs wrap around 9 -> 0
    ("210987", "a run"),
])
def test_weak_or_malformed_pins_are_refused(pin: str, why: str) -> None:
    with pytest.raises(BadUserInput, match=why) as refused:
        staff.check_pin(pin)
    assert refused.value.extensions() == {"code": "BAD_USER_INPUT", "field": "pin"}


def test_almost_a_run_is_a_pin() -> None:
    assert staff.check_pin("123457") == "123457"


def test_a_pin_is_kept_only_as_its_argon2id_hash() -> None:
    account = staff.new_account(staff_id=" Ana.Portland ", name=" Ana Reyes ", role=StaffRole.CASHIER,
                                store_id="st_portland", pin="480215")
    assert account.id == "ana.portland" and account.name == "Ana Reyes"
    assert account.pin_hash.startswith("$argon2id$") and "480215" not in account.pin_hash
    assert staff.pin_matches(account.pin_hash, "480215")
    assert not staff.pin_matches(account.pin_hash, "480216")
    assert not staff.pin_matches("not a hash", "480215")
    other = staff.new_account(staff_id="ben", name="Ben", role=StaffRole.CASHIER, store_id="st_portland",
                              pin="480215")
    assert other.pin_hash != account.pin_hash  # salted


def test_a_cashier_works_at_a_store_a_supervisor_may_not() -> None:
    with pytest.raises(BadUserInput, match="cashier works at a store"):
        staff.new_account(staff_id="ana", name="Ana", role=StaffRole.CASHIER, store_id=None, pin="480215")
    with pytest.raises(BadUserInput, match="cashier works at a store"):
        staff.new_account(staff_id="ana", name="Ana", role=StaffRole.CASHIER, store_id="  ", pin="480215")
    supervisor = staff.new_account(staff_id="maya", name="Maya", role=StaffRole.SUPERVISOR, store_id=None,
                                   pin="265830")
    assert supervisor.store_id is None
    assert staff.session_role(supervisor) is Role.SUPERVISOR
    assert staff.TOKEN_ROLE[StaffRole.CASHIER] is Role.CASHIER


@pytest.mark.parametrize(("staff_id", "name", "says", "field"), [
    ("", "Ana", None, "staffId"), ("a" * 41, "Ana", None, "staffId"),
    ("ana smith", "Ana", "a staff id has letters, digits, '.', '_' and '-' only", "staffId"),
    ("-ana", "Ana", "a staff id has letters, digits, '.', '_' and '-' only", "staffId"),
    ("ana", "", "a staff name has 1 to 100 characters", "name"),
    ("ana", "   ", "a staff name has 1 to 100 characters", "name"),
    ("ana", "x" * 101, "a staff name has 1 to 100 characters", "name"),
])
def test_staff_ids_and_names_have_bounds(staff_id: str, name: str, says: str | None, field: str) -> None:
    with pytest.raises(BadUserInput) as refused:
        staff.new_account(staff_id=staff_id, name=name, role=StaffRole.SUPERVISOR, store_id=None, pin="265830")
    assert refused.value.details["field"] == field
    if says is not None:
        assert refused.value.message == says


def test_the_longest_staff_id_and_name_are_taken_and_the_account_is_whole() -> None:
    account = staff.new_account(staff_id="A" * 40, name="x" * 100, role=StaffRole.CASHIER, store_id=" st_boulder ",
                                pin="904182")
    assert (account.id, account.name, account.role, account.active) == ("a" * 40, "x" * 100, StaffRole.CASHIER, True)
    assert account.store_id == "st_boulder" and staff.pin_matches(account.pin_hash, "904182")
    paused = staff.new_account(staff_id="ben", name="Ben", role=StaffRole.SUPERVISOR, store_id="st_boulder",
                               pin="904182", active=False)
    assert (paused.store_id, paused.active) == ("st_boulder", False)
    with pytest.raises(BadUserInput) as refused:
        staff.new_account(staff_id="ana", name="Ana", role=StaffRole.CASHIER, store_id=None, pin="480215")
    assert refused.value.message == "a cashier works at a store: give their storeId"
    assert refused.value.details["field"] == "storeId"
    with pytest.raises(BadUserInput) as refused:  # the PIN rules apply to a new account's PIN
        staff.new_account(staff_id="ana", name="Ana", role=StaffRole.SUPERVISOR, store_id=None, pin="123456")
    assert refused.value.details["field"] == "pin"


@pytest.mark.parametrize(("pin", "says"), [
    ("48021", "a PIN has 6 to 12 digits"), ("4802a5", "a PIN has digits only"),
    ("777777", "a PIN cannot be one digit repeated"), ("123456", "a PIN cannot be a run of digits (like 123456)"),
])
def test_a_refused_pin_reads_in_full(pin: str, says: str) -> None:
    with pytest.raises(BadUserInput) as refused:
        staff.check_pin(pin)
    assert refused.value.message == says
    assert staff.check_pin("1" * 5 + "2") == "111112" and staff.check_pin("9" * 11 + "8") == "9" * 11 + "8"


def test_sign_in_input_is_bounded_before_anything_is_counted() -> None:
    assert staff.check_sign_in_input(" MAYA.Supervisor ", "x") == ("maya.supervisor", "x")
    assert staff.check_sign_in_input("a" * 40, "1" * 64)[0] == "a" * 40
    for staff_id, pin in [("a" * 41, "265830"), ("maya", ""), ("maya", "1" * 65), (" ", "265830")]:
        with pytest.raises(BadUserInput):
            staff.check_sign_in_input(staff_id, pin)
    with pytest.raises(BadUserInput) as refused:
        staff.check_sign_in_input("maya", "1" * 65)
    assert (refused.value.message, refused.value.details["field"]) == ("a PIN has 1 to 64 characters", "pin")


# --- guessing ------------------------------------------------------------------------------------


def _attempts(n: int, start: SignInAttempts | None = None, at: datetime = T0) -> SignInAttempts:
    count = start or SignInAttempts()
    for i in range(n):
        count = staff.count_attempt(count, at + timedelta(seconds=i))
    return count


def test_each_attempt_is_counted_before_its_pin_is_checked() -> None:
    count = _attempts(1)
    assert count == SignInAttempts(1, 0, T0, None)
    assert staff.attempts_left(count) == MAX_FAILED_ATTEMPTS - 1
    refusal = staff.refusal(count, T0)
    assert isinstance(refusal, WrongCredentials) and refusal.code is ErrorCode.UNAUTHENTICATED
    assert refusal.extensions() == {"code": "UNAUTHENTICATED", "attemptsLeft": MAX_FAILED_ATTEMPTS - 1}


def test_one_attempt_short_of_the_limit_does_not_lock() -> None:
    count = _attempts(MAX_FAILED_ATTEMPTS - 1)
    now = T0 + timedelta(seconds=MAX_FAILED_ATTEMPTS)
    assert not staff.is_locked(count, now)
    assert staff.attempts_left(count) == 1
    assert isinstance(staff.refusal(count, now), WrongCredentials)


def test_the_nth_attempt_locks_for_the_first_lockout() -> None:
    count = _attempts(MAX_FAILED_ATTEMPTS)
    last = T0 + timedelta(seconds=MAX_FAILED_ATTEMPTS - 1)
    assert count.locked_until == last + FIRST_LOCKOUT and count.lockouts == 1
    assert staff.attempts_left(count) == 0
    refusal = staff.refusal(count, last)
    assert isinstance(refusal, LockedOut) and refusal.code is ErrorCode.FORBIDDEN
    assert refusal.details["reason"] == "LOCKED_OUT"
    assert refusal.details["lockedUntil"] == (last + FIRST_LOCKOUT).isoformat()
    assert "locked for 15 more minutes" in refusal.message


def test_while_locked_nothing_is_counted_or_checked() -> None:
    count = _attempts(MAX_FAILED_ATTEMPTS)
    assert count.locked_until is not None
    just_before_the_end = count.locked_until - timedelta(microseconds=1)
    with pytest.raises(LockedOut) as locked:
        staff.count_attempt(count, just_before_the_end)
    assert locked.value.details["retryAfterSeconds"] == 1
    assert "1 more minute" in locked.value.message and "minutes" not in locked.value.message


def test_when_the_lockout_ends_a_new_run_of_attempts_begins() -> None:
    count = _attempts(MAX_FAILED_ATTEMPTS)
    assert count.locked_until is not None
    end = count.locked_until
    after = staff.count_attempt(count, end)  # the very moment it ends: counted again
    assert after == SignInAttempts(1, 1, end, None)
    assert staff.as_of(count, end) == SignInAttempts(0, 1, count.last_attempt_at, None)


def test_each_lockout_in_a_row_lasts_twice_as_long_up_to_a_day() -> None:
    assert staff.lockout_after(0) == FIRST_LOCKOUT
    assert staff.lockout_after(1) == 2 * FIRST_LOCKOUT
    assert staff.lockout_after(2) == 4 * FIRST_LOCKOUT
    assert staff.lockout_after(6) == timedelta(hours=16)
    assert staff.lockout_after(7) == MAX_LOCKOUT  # 32 h would be next: capped at a day
    assert staff.lockout_after(1000) == MAX_LOCKOUT
    first = _attempts(MAX_FAILED_ATTEMPTS)
    assert first.locked_until is not None
    second = _attempts(MAX_FAILED_ATTEMPTS, first, first.locked_until)
    assert second.lockouts == 2
    assert second.locked_until == second.last_attempt_at + 2 * FIRST_LOCKOUT


def test_a_count_left_alone_is_forgotten() -> None:
    count = _attempts(MAX_FAILED_ATTEMPTS - 1)
    assert count.last_attempt_at is not None
    assert staff.as_of(count, count.last_attempt_at + FORGET_AFTER - timedelta(microseconds=1)) == count
    assert staff.as_of(count, count.last_attempt_at + FORGET_AFTER) == SignInAttempts()
    assert staff.count_attempt(count, count.last_attempt_at + FORGET_AFTER).failures == 1


def test_a_lockout_is_never_forgotten_before_it_ends() -> None:
    locked = SignInAttempts(MAX_FAILED_ATTEMPTS, 7, T0, T0 + 2 * FORGET_AFTER)
    assert staff.as_of(locked, T0 + FORGET_AFTER) == locked
    with pytest.raises(LockedOut):
        staff.count_attempt(locked, T0 + FORGET_AFTER)


def test_only_active_accounts_sign_in() -> None:
    account = staff.StaffAccount("ana", "Ana", StaffRole.CASHIER, "st_portland", "hash")
    assert staff.can_sign_in(account)
    assert not staff.can_sign_in(None)
    assert not staff.can_sign_in(staff.StaffAccount("ana", "Ana", StaffRole.CASHIER, "st_portland", "hash",
                                                    active=False))


def test_the_dummy_hash_matches_no_pin() -> None:
    assert staff.dummy_hash().startswith("$argon2id$")
    assert not staff.pin_matches(staff.dummy_hash(), "480215")
