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
# The program's loyalty cards: up to four letters, then 6 to 19 digits, the last one a
# mod-10 (Luhn) check digit over the digits, so a mistyped card is caught at the till.
LOYALTY_CARD_PATTERN = re.compile(r"^[A-Z]{0,4}(\d{6,19})$")

# How many identifiers of each kind one member may hold (Segment's defaults: one user id,
# five of everything else). Kinds that name one account in another system (a card, a web
# shop login, a CRM contact) are unique: two of them on one member means two people.
MAX_PER_MEMBER = {
    IdentifierKind.EMAIL: 5,
    IdentifierKind.PHONE: 5,
    IdentifierKind.LOYALTY_CARD: 1,
    IdentifierKind.POS_CUSTOMER: 5,
    IdentifierKind.ECOM_CUSTOMER: 1,
    IdentifierKind.APP_DEVICE: 10,
    IdentifierKind.CRM_CONTACT: 1,
}


def _is_junk(value: str) -> bool:
    lowered = value.lower()
    return lowered in JUNK_VALUES or bool(re.fullmatch(r"(\d)\1*|0123\d*|1234\d*", lowered))


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _looks_like_payment_card(digits: str) -> bool:
    """PCI: a card number must never become a member identifier (tokens only)."""
    if not 13 <= len(digits) <= 19 or not digits.isdigit():
        return False
    if not re.match(r"^(4|5[1-5]|2[2-7]|3[47]|6011|65)", digits):
        return False
    return luhn_valid(digits)


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
        return _loyalty_card(value)
    if not cleaned or len(cleaned) > MAX_IDENTIFIER_LENGTH or _is_junk(cleaned):
        raise BadUserInput(f"{value[:40]!r} is not a usable {kind} identifier", field="value")
    return cleaned


def _loyalty_card(value: str) -> str:
    cleaned = re.sub(r"[\s-]", "", value.strip()).upper()[: MAX_IDENTIFIER_LENGTH + 1]
    if _looks_like_payment_card(cleaned):
        raise BadUserInput("that looks like a payment card number; use a loyalty card or a token", field="value")
    shape = LOYALTY_CARD_PATTERN.match(cleaned)
    if shape is None or _is_junk(shape.group(1)):
        raise BadUserInput(f"{value[:40]!r} is not a loyalty card number (up to 4 letters and 6 to 19 digits)",
                           field="value")
    if not luhn_valid(shape.group(1)):
        raise BadUserInput(f"{value[:40]!r}: the check digit does not match; is the card number mistyped?",
                           field="value")
    return cleaned
