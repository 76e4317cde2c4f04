"""What the platform can store, checked at the edge.

Every value a client sends is checked against these bounds before anything is
written, so a request is either accepted whole or refused with BAD_USER_INPUT:
never half-written, never refused later by a database (PostgreSQL enforces
column lengths and 32-bit integers; SQLite does not, so a test on SQLite alone
would not notice) or by another subgraph. README.md ("Limits") lists them.
"""
from __future__ import annotations

from datetime import datetime

from core.errors import BadUserInput

MAX_INT = 2**31 - 1  # GraphQL's Int and PostgreSQL's integer
MAX_ID_LENGTH = 40  # member, store and other ids (`mbr_` + a ULID is 30)
MAX_SKU_LENGTH = 64
MAX_SIZE_LENGTH = 16
MAX_KEY_LENGTH = 128  # references and idempotency keys (stored with a prefix in 200 characters)


def check_length(value: str, maximum: int, field: str, what: str | None = None) -> str:
    if len(value) > maximum:
        raise BadUserInput(f"{what or field} has at most {maximum} characters", field=field)
    return value


def check_id(value: str, field: str) -> str:
    """An id as it arrives: trimmed, not empty, short enough to be one of ours."""
    cleaned = value.strip()
    if not cleaned:
        raise BadUserInput(f"{field} is empty", field=field)
    return check_length(cleaned, MAX_ID_LENGTH, field)


def check_sku(value: str, field: str = "sku") -> str:
    cleaned = value.strip()
    if not cleaned:
        raise BadUserInput("a SKU cannot be empty", field=field)
    return check_length(cleaned, MAX_SKU_LENGTH, field, "a SKU")


def check_int(value: int, field: str, minimum: int = 0, maximum: int = MAX_INT) -> int:
    if not minimum <= value <= maximum:
        raise BadUserInput(f"{field} must be between {minimum} and {maximum}", field=field)
    return value


def check_aware(moment: datetime, field: str) -> datetime:
    """Times from clients carry their zone: '2026-11-30T10:00:00' could be any of 24 moments."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BadUserInput(f"{field} needs a time zone, e.g. 2026-11-30T10:00:00Z", field=field)
    return moment
