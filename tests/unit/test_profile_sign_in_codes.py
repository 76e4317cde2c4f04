"""Sign-in codes' rules at their edges: six digits with leading zeros, expiry to the second,
the attempt that burns the code, the request window, keyed hashes."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import BadUserInput, Forbidden
from subgraphs.profile.domain import sign_in_codes as rules

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
KEY = rules.key_of("a-deployment-secret")
VALID = timedelta(minutes=10)


def asked(previous: rules.CodeChallenge | None = None, *, now: datetime = NOW, member: str | None = "mbr_1",
          code: str = "042917") -> rules.CodeChallenge:
    email = rules.email_key(KEY, "julia@example.com")
    return rules.request(previous, email_key_=email, member_id=member, code_hash_=rules.code_hash(KEY, email, code),
                         now=now, valid=VALID, per_hour=5)


def test_codes_are_six_digits_with_leading_zeros() -> None:
    assert rules.new_code(lambda _: 42) == "000042"
    assert rules.new_code(lambda n: n - 1) == "999999"
    assert rules.check_code(" 042 917 ") == "042917"
    for wrong in ("42917", "0429170", "04291a", "٠٤٢٩١٧", ""):
        with pytest.raises(BadUserInput):
            rules.check_code(wrong)


def test_hashes_are_keyed_and_never_the_address_or_the_code() -> None:
    email = rules.email_key(KEY, "julia@example.com")
    assert "julia" not in email and len(email) == 64
    assert email != rules.email_key(rules.key_of("another-secret"), "julia@example.com")
    assert rules.code_hash(KEY, email, "042917") != rules.code_hash(KEY, email, "042918")


def test_expiry_to_the_second() -> None:
    challenge = asked()
    assert rules.refusal(challenge, NOW + VALID - timedelta(seconds=1), 5) is None
    expired = rules.refusal(challenge, NOW + VALID, 5)
    assert expired is not None and expired.details["reason"] == "EXPIRED"
    assert rules.refusal(None, NOW, 5).details["reason"] == "NO_CODE"  # type: ignore[union-attr]


def test_the_fifth_wrong_code_burns_it() -> None:
    challenge = asked()
    email = challenge.email_key
    for left in (4, 3, 2, 1, 0):
        assert rules.refusal(challenge, NOW, 5) is None
        challenge, right = rules.attempt(challenge, rules.code_hash(KEY, email, "111111"))
        assert not right and rules.wrong(challenge, 5).details["attemptsLeft"] == left
    burnt = rules.refusal(challenge, NOW, 5)
    assert burnt is not None and burnt.details == {"reason": "NO_ATTEMPTS_LEFT", "attemptsLeft": 0}


def test_the_right_code_is_right_only_for_a_member() -> None:
    right = asked()
    assert rules.attempt(right, right.code_hash)[1] is True
    nobody = asked(member=None)
    assert rules.attempt(nobody, nobody.code_hash)[1] is False  # the same code, no member: never right


def test_five_requests_an_hour_then_the_window_starts_again() -> None:
    challenge = asked()
    for minute in range(1, 5):
        challenge = asked(challenge, now=NOW + timedelta(minutes=minute))
    assert challenge.requests == 5 and challenge.attempts == 0
    with pytest.raises(Forbidden) as refused:
        asked(challenge, now=NOW + timedelta(minutes=59, seconds=59))
    assert refused.value.details["retryAt"] == (NOW + timedelta(hours=1)).isoformat()
    fresh = asked(challenge, now=NOW + timedelta(hours=1))
    assert fresh.requests == 1 and fresh.window_started_at == NOW + timedelta(hours=1)
