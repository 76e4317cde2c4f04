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


def sign_in_words(message: str, code: str | None, extensions: dict | None = None) -> str:
    """A refused sign-in code (profile's `reason`s) as the member reads it: what happened and what to do."""
    extensions = extensions or {}
    reason = extensions.get("reason")
    if reason == "WRONG_CODE":
        left = int(extensions.get("attemptsLeft") or 0)
        if left <= 0:
            return "That code is not right, and it was the last try. Ask for a new code."
        return f"That code is not right. You can try {left} more time{'s' if left != 1 else ''}."
    if reason == "EXPIRED":
        return "That code has expired. Ask for a new one."
    if reason == "NO_ATTEMPTS_LEFT":
        return "Too many wrong tries with that code. Ask for a new one."
    if reason == "NO_CODE":
        return "No code is waiting for this email (each code works once). Ask for a new one."
    if reason == "TOO_MANY_CODES":
        later = " later"
        try:  # within the hour: the time is enough
            later = f" after {datetime.fromisoformat(str(extensions['retryAt'])).astimezone(UTC):%H:%M} UTC"
        except (KeyError, ValueError):
            pass
        return f"Too many codes were asked for this email. Try again{later}."
    return error_words(message, code)


def staff_sign_in_words(message: str, code: str | None, extensions: dict | None = None) -> str:
    """A refused staff PIN (till and admin alike), with the attempts left before the id locks."""
    left = (extensions or {}).get("attemptsLeft")
    if code == "UNAUTHENTICATED" and isinstance(left, int) and left > 0:
        return f"{message} {left} attempt{'s' if left != 1 else ''} left before this id is locked."
    return message


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
