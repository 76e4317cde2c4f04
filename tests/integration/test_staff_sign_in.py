"""The till's staff sign-in (profile: staffSignIn) through the gateway, and its
handler on both databases with a manual clock: a staff token with role and store,
the same error for an unknown id and a wrong PIN, lockout after 5 wrong PINs
counted in the database, bounded work under parallel guessing, the lockout's end."""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import jwt
import pytest

from core.auth import Principal, Role
from core.clock import ManualClock
from core.errors import BadUserInput, Forbidden, Unauthenticated
from seed.staff import DEMO_STAFF
from subgraphs.profile.domain.staff import FIRST_LOCKOUT, MAX_FAILED_ATTEMPTS, StaffRole
from subgraphs.profile.handlers import staff as handlers
from tests.support.runtimes import BACKENDS, runtime_on
from tests.support.stack import Stack

SIGN_IN = """
mutation($staffId: String!, $pin: String!) {
  staffSignIn(staffId: $staffId, pin: $pin) { token staffId name role expiresAt store { id name city } }
}
"""
ADMIN = Principal("admin-test", Role.ADMIN)
CASHIER = next(s for s in DEMO_STAFF if s.role is StaffRole.CASHIER)
SUPERVISOR = next(s for s in DEMO_STAFF if s.role is StaffRole.SUPERVISOR)


async def _new_cashier(stack: Stack, pin: str = "480215") -> str:
    """A staff id of the test's own, so that its count is its own."""
    assert stack.host is not None
    staff_id = f"t{time.monotonic_ns()}"
    await handlers.save_staff(stack.host.runtime("profile"), ADMIN, staff_id=staff_id, name="Test Cashier",
                              role=StaffRole.CASHIER, store_id="st_portland", pin=pin)
    return staff_id


async def _failures(stack: Stack, staff_id: str) -> int | None:
    return await stack.scalar("profile", "SELECT failures FROM staff_sign_in_attempts WHERE staff_id = :id",
                              id=staff_id)


async def test_a_demo_cashier_signs_in_and_the_token_carries_role_and_store(stack: Stack) -> None:
    session = (await stack.gql(SIGN_IN, {"staffId": CASHIER.staff_id, "pin": CASHIER.pin})).ok()["staffSignIn"]
    assert session["staffId"] == CASHIER.staff_id and session["name"] == CASHIER.name
    assert session["role"] == "CASHIER"
    assert session["store"] == {"id": "st_portland", "name": "Portland Pearl District", "city": "Portland"}
    claims = jwt.decode(session["token"], options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["store"]) == (CASHIER.staff_id, "cashier", "st_portland")
    # The token works at the till: a lookup, and it is a cashier's (no supervisor adjustment).
    julia = (await stack.gql('{ lookupMember(kind: PHONE, value: "+1 503 555 0142") { id givenName } }',
                             token=session["token"])).ok()["lookupMember"]
    assert julia["givenName"] == "Julia"
    adjust = await stack.gql(
        "mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { points } }",
        {"input": {"memberId": julia["id"], "points": 10, "reason": "goodwill", "idempotencyKey": "t-no"}},
        session["token"])
    assert adjust.codes == ["FORBIDDEN"]


async def test_a_supervisor_signs_in_and_adjusts_points(stack: Stack) -> None:
    session = (await stack.gql(SIGN_IN, {"staffId": SUPERVISOR.staff_id.upper(), "pin": SUPERVISOR.pin})
               ).ok()["staffSignIn"]
    assert session["role"] == "SUPERVISOR" and session["staffId"] == SUPERVISOR.staff_id
    member_id = await stack.enroll("Adjusted")
    entry = (await stack.gql(
        "mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { points kind } }",
        {"input": {"memberId": member_id, "points": 25, "reason": "service recovery",
                   "idempotencyKey": f"adj-{time.monotonic_ns()}"}}, session["token"])).ok()["adjustPoints"]
    assert entry == {"points": 25, "kind": "ADJUST"}


async def test_an_unknown_id_and_a_wrong_pin_get_the_same_answer(stack: Stack) -> None:
    staff_id = await _new_cashier(stack)
    wrong = await stack.gql(SIGN_IN, {"staffId": staff_id, "pin": "999999"})
    unknown = await stack.gql(SIGN_IN, {"staffId": f"nobody{time.monotonic_ns()}", "pin": "999999"})
    for response in (wrong, unknown):
        assert response.data is None
        assert response.codes == ["UNAUTHENTICATED"]
        assert response.errors[0]["message"] == "the staff id or the PIN is not right"
        assert response.errors[0]["extensions"]["attemptsLeft"] == MAX_FAILED_ATTEMPTS - 1
    assert await _failures(stack, staff_id) == 1


async def test_five_wrong_pins_lock_the_id_even_for_the_right_pin(stack: Stack) -> None:
    staff_id = await _new_cashier(stack)
    for attempt in range(1, MAX_FAILED_ATTEMPTS):
        response = await stack.gql(SIGN_IN, {"staffId": staff_id, "pin": f"00000{attempt}"})
        assert response.codes == ["UNAUTHENTICATED"]
        assert response.errors[0]["extensions"]["attemptsLeft"] == MAX_FAILED_ATTEMPTS - attempt
        assert await _failures(stack, staff_id) == attempt  # counted in the database
    fifth = await stack.gql(SIGN_IN, {"staffId": staff_id, "pin": "000005"})
    assert fifth.codes == ["FORBIDDEN"]
    assert fifth.errors[0]["extensions"]["reason"] == "LOCKED_OUT"
    assert "locked for 15 more minutes" in fifth.errors[0]["message"]
    right = await stack.gql(SIGN_IN, {"staffId": staff_id, "pin": "480215"})
    assert right.codes == ["FORBIDDEN"] and right.data is None  # locked: the PIN is not even checked
    assert await _failures(stack, staff_id) == MAX_FAILED_ATTEMPTS
    # An unknown id is counted and locked the same way (nothing tells which ids exist).
    guessed = f"guess{time.monotonic_ns()}"
    codes = [(await stack.gql(SIGN_IN, {"staffId": guessed, "pin": "000000"})).codes[0]
             for _ in range(MAX_FAILED_ATTEMPTS + 1)]
    assert codes == ["UNAUTHENTICATED"] * (MAX_FAILED_ATTEMPTS - 1) + ["FORBIDDEN"] * 2


async def test_the_right_pin_before_the_limit_signs_in_and_clears_the_count(stack: Stack) -> None:
    staff_id = await _new_cashier(stack)
    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        assert (await stack.gql(SIGN_IN, {"staffId": staff_id, "pin": "111112"})).codes == ["UNAUTHENTICATED"]
    session = (await stack.gql(SIGN_IN, {"staffId": staff_id, "pin": "480215"})).ok()["staffSignIn"]
    assert session["role"] == "CASHIER"
    assert await _failures(stack, staff_id) is None  # the count is gone
    assert await stack.scalar("profile", "SELECT last_signed_in_at IS NOT NULL FROM staff_accounts WHERE id = :id",
                              id=staff_id)


async def test_parallel_guesses_check_at_most_five_pins(stack: Stack) -> None:
    staff_id = await _new_cashier(stack)
    responses = await asyncio.gather(*[stack.gql(SIGN_IN, {"staffId": staff_id, "pin": f"{100000 + n}"})
                                       for n in range(20)])
    codes = sorted(r.codes[0] for r in responses)
    # 4 wrong answers, then the 5th locks; the 15 after it are refused without a check.
    assert codes.count("UNAUTHENTICATED") == MAX_FAILED_ATTEMPTS - 1
    assert codes.count("FORBIDDEN") == 20 - (MAX_FAILED_ATTEMPTS - 1)


@pytest.mark.parametrize("variables", [
    {"staffId": "x" * 41, "pin": "480215"},
    {"staffId": "   ", "pin": "480215"},
    {"staffId": "ana portland", "pin": "480215"},
    {"staffId": "ana.portland", "pin": ""},
    {"staffId": "ana.portland", "pin": "4" * 65},
])
async def test_bad_input_is_refused_and_counts_nothing(stack: Stack, variables: dict[str, str]) -> None:
    before = await stack.scalar("profile", "SELECT count(*) FROM staff_sign_in_attempts")
    before_ana = await _failures(stack, "ana.portland")
    response = await stack.gql(SIGN_IN, variables)
    assert response.codes == ["BAD_USER_INPUT"] and response.data is None
    assert await stack.scalar("profile", "SELECT count(*) FROM staff_sign_in_attempts") == before
    assert await _failures(stack, "ana.portland") == before_ana


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


async def test_the_lockout_ends_and_the_count_is_forgotten(backend: str, tmp_path: Path) -> None:
    clock = ManualClock()
    async with runtime_on("profile", backend, tmp_path, clock=clock) as runtime:
        await handlers.save_staff(runtime, ADMIN, staff_id="maya", name="Maya", role=StaffRole.SUPERVISOR,
                                  store_id=None, pin="265830")
        for _ in range(MAX_FAILED_ATTEMPTS - 1):
            with pytest.raises(Unauthenticated):
                await handlers.sign_in(runtime, "maya", "000001")
        with pytest.raises(Forbidden, match="locked for 15 more minutes"):
            await handlers.sign_in(runtime, "maya", "000001")
        clock.advance(FIRST_LOCKOUT - timedelta(seconds=1))
        with pytest.raises(Forbidden, match="locked for 1 more minute"):
            await handlers.sign_in(runtime, "maya", "265830")
        clock.advance(timedelta(seconds=1))
        session = await handlers.sign_in(runtime, "maya", "265830")
        assert session.account.store_id is None and session.expires_at == clock.now() + timedelta(hours=10)
        # A guessed id's count is deleted by a later sign-in once nobody added to it for a day.
        for _ in range(2):
            with pytest.raises(Unauthenticated):
                await handlers.sign_in(runtime, "guessed", "000001")
        async with runtime.db.reading() as connection:
            assert (await handlers.store.attempts(connection, "guessed")).failures == 2
        clock.advance(timedelta(days=1))
        with pytest.raises(Unauthenticated) as wrong:
            await handlers.sign_in(runtime, "maya", "000001")
        assert wrong.value.details["attemptsLeft"] == MAX_FAILED_ATTEMPTS - 1
        async with runtime.db.reading() as connection:
            assert (await handlers.store.attempts(connection, "guessed")).failures == 0


async def test_parallel_guesses_are_counted_on_both_databases(backend: str, tmp_path: Path) -> None:
    async with runtime_on("profile", backend, tmp_path, clock=ManualClock()) as runtime:
        await handlers.save_staff(runtime, ADMIN, staff_id="ana", name="Ana", role=StaffRole.CASHIER,
                                  store_id="st_portland", pin="480215")
        outcomes = await asyncio.gather(*[handlers.sign_in(runtime, "ana", f"{200000 + n}") for n in range(12)],
                                        return_exceptions=True)
        assert sorted(type(o).__name__ for o in outcomes) == \
            ["LockedOut"] * (12 - MAX_FAILED_ATTEMPTS + 1) + ["WrongCredentials"] * (MAX_FAILED_ATTEMPTS - 1)


async def test_staff_accounts_are_saved_by_admins_only(tmp_path: Path) -> None:
    async with runtime_on("profile", "sqlite", tmp_path) as runtime:
        for who in (None, Principal("c", Role.CASHIER, store="st_portland"), Principal("s", Role.SUPERVISOR)):
            with pytest.raises((Unauthenticated, Forbidden)):
                await handlers.save_staff(runtime, who, staff_id="x1", name="X", role=StaffRole.SUPERVISOR,
                                          store_id=None, pin="265830")
        with pytest.raises(BadUserInput, match="a run"):
            await handlers.save_staff(runtime, ADMIN, staff_id="x1", name="X", role=StaffRole.SUPERVISOR,
                                      store_id=None, pin="123456")
        assert await handlers.staff_account(runtime, "x1") is None
        await handlers.save_staff(runtime, ADMIN, staff_id="x1", name="X", role=StaffRole.SUPERVISOR,
                                  store_id=None, pin="265830", active=False)
        with pytest.raises(Unauthenticated, match="not right"):  # inactive: the same answer as a wrong PIN
            await handlers.sign_in(runtime, "x1", "265830")


async def test_the_demo_marketer_signs_in_as_an_admin_and_runs_campaigns(stack: Stack) -> None:
    """The admin screen's sign-in: a staff account with the admin role gets an admin token (no
    store), which lists campaigns; a cashier's token cannot."""
    marketer = next(s for s in DEMO_STAFF if s.role is StaffRole.ADMIN)
    session = (await stack.gql(SIGN_IN, {"staffId": marketer.staff_id, "pin": marketer.pin})).ok()["staffSignIn"]
    assert (session["role"], session["store"]) == ("ADMIN", None)
    claims = jwt.decode(session["token"], options={"verify_signature": False})
    assert (claims["sub"], claims["role"]) == (marketer.staff_id, "admin")
    listed = (await stack.gql("{ campaigns { id } }", token=session["token"])).ok()["campaigns"]
    assert isinstance(listed, list)
    cashier = (await stack.gql(SIGN_IN, {"staffId": CASHIER.staff_id, "pin": CASHIER.pin})).ok()["staffSignIn"]
    refused = await stack.gql("{ campaigns { id } }", token=cashier["token"])
    assert refused.codes == ["FORBIDDEN"]
