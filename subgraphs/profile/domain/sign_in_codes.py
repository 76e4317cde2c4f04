"""One-time sign-in codes by email: the wallet's sign-in without a password. No I/O here.

A member asks for a code for their email; six digits go to that address (rewards' email
channel); the code signs them in once, within minutes, and a few wrong guesses burn it.

- Nobody learns whether an email belongs to a member: asking for a code answers the same for
  any well-formed address, and keeps the same row (the email's keyed hash, never the address)
  with the same counters, whether or not a code was really sent. A code for an address no
  member holds simply never matches.
- Codes are kept as keyed hashes (HMAC-SHA256 with a server key): a copy of the table gives
  neither codes nor addresses. A new request replaces the previous code.
- Guessing is bounded: `max_attempts` wrong codes burn the code (one in 200,000 chances with
  the defaults), and an address may ask for `per_hour` codes an hour.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from core.errors import BadUserInput, Forbidden, Unauthenticated

CODE_DIGITS = 6
REQUEST_WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class CodeChallenge:
    email_key: str
    member_id: str | None  # None: no member holds the address (the code never matches)
    code_hash: str
    issued_at: datetime
    expires_at: datetime
    attempts: int  # wrong codes given for this code
    requests: int  # codes asked for in the window
    window_started_at: datetime


def key_of(secret: str) -> bytes:
    """The server key of this feature, derived from a deployment secret (never used as is)."""
    return hashlib.sha256(b"loyalty sign-in codes\x00" + secret.encode()).digest()


def email_key(key: bytes, normalized_email: str) -> str:
    return hmac.new(key, b"email\x00" + normalized_email.encode(), hashlib.sha256).hexdigest()


def code_hash(key: bytes, email_key_: str, code: str) -> str:
    return hmac.new(key, f"code\x00{email_key_}\x00{code}".encode(), hashlib.sha256).hexdigest()


def new_code(draw: Callable[[int], int]) -> str:
    """Six digits, leading zeros kept (`draw` is secrets.randbelow)."""
    return f"{draw(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def check_code(code: str) -> str:
    code = code.strip().replace(" ", "")
    if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
        raise BadUserInput(f"a sign-in code has {CODE_DIGITS} digits", field="code")
    return code


def request(previous: CodeChallenge | None, *, email_key_: str, member_id: str | None, code_hash_: str,
            now: datetime, valid: timedelta, per_hour: int) -> CodeChallenge:
    """A fresh code for the address, replacing any earlier one; refused (FORBIDDEN, with when to
    try again) past `per_hour` requests within the hour."""
    if previous is not None and now - previous.window_started_at < REQUEST_WINDOW:
        if previous.requests >= per_hour:
            retry_at = previous.window_started_at + REQUEST_WINDOW
            raise Forbidden(f"too many codes asked for this address; try again after {retry_at:%H:%M} UTC",
                            reason="TOO_MANY_CODES", retryAt=retry_at.isoformat())
        requests, window = previous.requests + 1, previous.window_started_at
    else:
        requests, window = 1, now
    return CodeChallenge(email_key_, member_id, code_hash_, now, now + valid, 0, requests, window)


def refusal(challenge: CodeChallenge | None, now: datetime, max_attempts: int) -> Unauthenticated | None:
    """Why no code can be tried now (none asked for, expired, burnt), or None."""
    if challenge is None:
        return Unauthenticated("no sign-in code is waiting for this email: ask for one", reason="NO_CODE")
    if challenge.expires_at <= now:
        return Unauthenticated("the sign-in code has expired: ask for a new one", reason="EXPIRED")
    if challenge.attempts >= max_attempts:
        return Unauthenticated("too many wrong codes: ask for a new one", reason="NO_ATTEMPTS_LEFT", attemptsLeft=0)
    return None


def attempt(challenge: CodeChallenge, given_hash: str) -> tuple[CodeChallenge, bool]:
    """The challenge with this attempt counted (before anything else is known: a right code
    deletes the row), and whether the code is right (constant time; a code for an address no
    member holds is never right)."""
    right = hmac.compare_digest(challenge.code_hash, given_hash) and challenge.member_id is not None
    return replace(challenge, attempts=challenge.attempts + 1), right


def wrong(challenge: CodeChallenge, max_attempts: int) -> Unauthenticated:
    left = max(0, max_attempts - challenge.attempts)
    return Unauthenticated("that code is not right" + ("; ask for a new one" if not left else ""),
                           reason="WRONG_CODE", attemptsLeft=left)
