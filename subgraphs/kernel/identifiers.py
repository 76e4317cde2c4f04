"""Member identifiers: normalisation and the values that are never identifiers.

Shared by every subgraph that receives identifiers from channels (profile
links them, rewards resolves a basket's identifier), so that 'Julia@Example.com '
and 'julia@example.com' are one identifier everywhere. Pure: no I/O.
"""
from __future__ import annotations

import re

import phonenumbers

from core.errors import BadUserInput
from core.vocabulary import IdentifierKind

# Values that channels send when they have nothing real: never identifiers.
JUNK_VALUES = frozenset(
    {"0", "null", "none", "nil", "undefined", "anonymous", "unknown", "n/a", "na", "test", "guest", "-"}
)
JUNK_EMAILS = frozenset({"test@test.com", "noemail@noemail.com", "none@none.com", "no@email.com", "a@a.com"})
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
MAX_IDENTIFIER_LENGTH = 128


def _is_junk(value: str) -> bool:
    lowered = value.lower()
    return lowered in JUNK_VALUES or bool(re.fullmatch(r"0+|9+|1234\d*", lowered))


def _looks_like_payment_card(digits: str) -> bool:
    """PCI: a card number must never become a member identifier (tokens only)."""
    if not 13 <= len(digits) <= 19 or not digits.isdigit():
        return False
    if not re.match(r"^(4|5[1-5]|2[2-7]|3[47]|6011|65)", digits):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def normalize_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > MAX_IDENTIFIER_LENGTH:
        raise BadUserInput(f"an email address has at most {MAX_IDENTIFIER_LENGTH} characters", field="email")
    if not EMAIL_PATTERN.match(email) or email in JUNK_EMAILS:
        raise BadUserInput(f"{value!r} is not a usable email address", field="email")
    return email


def normalize_phone(value: str, default_region: str) -> str:
    """E.164, e.g. '+14155550123'."""
    if len(value) > MAX_IDENTIFIER_LENGTH:  # phonenumbers refuses long input too, but not cheaply
        raise BadUserInput(f"{value[:20]!r}... is not a phone number", field="phone")
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException as error:
        raise BadUserInput(f"{value!r} is not a phone number", field="phone") from error
    if not phonenumbers.is_valid_number(number):
        raise BadUserInput(f"{value!r} is not a valid phone number", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_identifier(kind: IdentifierKind, value: str, default_region: str) -> str:
    if kind is IdentifierKind.EMAIL:
        return normalize_email(value)
    if kind is IdentifierKind.PHONE:
        return normalize_phone(value, default_region)
    cleaned = value.strip()
    if kind is IdentifierKind.LOYALTY_CARD:
        cleaned = re.sub(r"[\s-]", "", cleaned).upper()
        if _looks_like_payment_card(cleaned):
            raise BadUserInput("that looks like a payment card number; use a loyalty card or a token", field="value")
    if not cleaned or len(cleaned) > MAX_IDENTIFIER_LENGTH or _is_junk(cleaned):
        raise BadUserInput(f"{value!r} is not a usable {kind} identifier", field="value")
    return cleaned
