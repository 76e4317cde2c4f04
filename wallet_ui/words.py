"""What a person reads: errors from the API in words (by `extensions.code`), points,
money, dates and reservation states. Nothing raw (no JSON, no codes) reaches a screen."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

UNREACHABLE = "The platform cannot be reached. Check the connection, then try again."

_BY_CODE = {
    "SUBGRAPH_UNAVAILABLE": "Part of the platform is not answering right now. Try again in a moment.",
    "INTERNAL": "Something went wrong on our side. Try again; if it keeps happening, call a supervisor.",
    "GRAPHQL_VALIDATION_FAILED": "This screen asked for something the platform does not offer: reload the page.",
    "GRAPHQL_PARSE_FAILED": "This screen asked for something the platform does not offer: reload the page.",
}
# Codes whose message from the API is already meant for people; shown as a sentence.
_SPOKEN = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "NOT_FOUND", "CONFLICT"})


def sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def error_words(message: str, code: str | None) -> str:
    """An API error as a person reads it."""
    if code is None:
        return UNREACHABLE if "reach" in message else sentence(message)
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code in _SPOKEN:
        return sentence(message)
    return _BY_CODE["INTERNAL"]


def points(value: int) -> str:
    """1234 -> "1,234"."""
    return f"{value:,}"


def signed_points(value: int) -> str:
    return f"+{value:,}" if value > 0 else f"{value:,}".replace("-", "\u2212")


def money(value: str | Decimal | None) -> str:
    """"1234.5" -> "$1,234.50" (the demo program's currency)."""
    try:
        amount = Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return str(value)
    sign = "\u2212" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def day(value: str | None) -> str:
    """An ISO date or time -> "Nov 30, 2026"."""
    if not value:
        return ""
    try:
        moment = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{moment:%b} {moment.day}, {moment.year}"


def when(value: str | None, now: datetime | None = None) -> str:
    """An ISO time -> "today 14:05", "yesterday", "Nov 30" (in UTC: the demo has no member time zone)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return value
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    days = (today - moment.date()).days
    if days == 0:
        return f"today {moment:%H:%M}"
    if days == 1:
        return "yesterday"
    if 1 < days < 7:
        return f"{moment:%A}"
    return f"{moment:%b} {moment.day}" + (f", {moment.year}" if moment.year != today.year else "")


RESERVATION_STATUS = {
    "HELD": "Ready to pick up",
    "FULFILLED": "Picked up",
    "EXPIRED": "Expired",
    "CANCELLED": "Cancelled",
}

ENTRY_KIND = {
    "EARN": "Earned",
    "REDEEM": "Redeemed",
    "ADJUST": "Adjustment",
    "EXPIRE": "Expired",
    "REVERSE": "Returned",
    "BONUS": "Bonus",
    "TRANSFER": "Transfer",
}
