"""Messages to members through channels (email, SMS, push), and when one may go. No I/O here.

A message is queued when something happens (an offer issued, a coupon given, a sign-in code
asked for) and decided when the delivery job comes to it, with what is true then:

1. still relevant? (an offer accepted, declined or expired meanwhile is not announced)
2. consent: marketing goes only where the member opted in for that channel (SMS: only an
   explicit opt-in counts, and the engine's copy of consents starts with every marketing
   purpose off); a message the member asked for (a sign-in code) needs no marketing consent
3. an address to send to (email, phone; push goes to the member id the provider knows)
4. quiet hours, in the member's time zone (their home store's, else the program's): a
   marketing message due inside them waits until they end (deferred, never dropped)
5. the frequency cap: at most N marketing messages per member and channel in a rolling
   window; one more is capped (not sent later: a pile of stale offers in the morning is
   exactly what a cap prevents)

Then it is sent; a transient failure is retried with backoff, and after the last attempt
the message is failed with its reason. Every outcome stays in the message log.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import BadUserInput

from .offers import fill


class MessageChannel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    PUSH = "PUSH"


class MessageKind(StrEnum):
    OFFER_ISSUED = "OFFER_ISSUED"
    COUPON_ISSUED = "COUPON_ISSUED"
    SIGN_IN_CODE = "SIGN_IN_CODE"


class MessageStatus(StrEnum):
    QUEUED = "QUEUED"  # waiting for the delivery job
    DEFERRED = "DEFERRED"  # inside the member's quiet hours: goes when they end
    RETRYING = "RETRYING"  # the channel failed for a moment: tried again later
    SENT = "SENT"
    SKIPPED_NO_CONSENT = "SKIPPED_NO_CONSENT"
    SKIPPED_NO_ADDRESS = "SKIPPED_NO_ADDRESS"
    CAPPED = "CAPPED"
    EXPIRED = "EXPIRED"  # what it announced was no longer open when its turn came
    FAILED = "FAILED"  # the channel refused it for good, or every retry failed


PENDING = frozenset({MessageStatus.QUEUED, MessageStatus.DEFERRED, MessageStatus.RETRYING})
# Messages the member asked for themself: no marketing consent, quiet hours or cap apply.
TRANSACTIONAL = frozenset({MessageKind.SIGN_IN_CODE})
CONSENT_OF = {MessageChannel.EMAIL: "email_marketing", MessageChannel.SMS: "sms_marketing",
              MessageChannel.PUSH: "push_marketing"}
MAX_REASON = 300
MAX_SMS = 320  # two SMS segments
MAX_PUSH_TITLE = 100
MAX_PUSH_BODY = 300
MAX_RETRY_DELAY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class MarketingConsents:
    email_marketing: bool = False
    sms_marketing: bool = False
    push_marketing: bool = False


def consent_allows(kind: MessageKind, channel: MessageChannel, consents: MarketingConsents | None) -> bool:
    """Marketing only with the channel's opt-in; nothing known about the member is no opt-in."""
    if kind in TRANSACTIONAL:
        return True
    return consents is not None and getattr(consents, CONSENT_OF[channel]) is True


@dataclass(frozen=True, slots=True)
class QuietHours:
    """From `start` (inclusive) to `end` (exclusive), local time; may cross midnight
    (21:00-08:00). start == end: no quiet hours."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """`"21:00-08:00"`; an empty text is no quiet hours."""
        if not text.strip():
            return cls(time(0), time(0))
        try:
            start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError as error:
            raise BadUserInput(f"quiet hours are written HH:MM-HH:MM, not {text!r}") from error
        return cls(start, end)


def quiet_until(now: datetime, quiet: QuietHours, zone: ZoneInfo) -> datetime | None:
    """When the quiet hours around `now` end (UTC), or None when `now` is outside them."""
    if quiet.start == quiet.end:
        return None
    local = now.astimezone(zone)
    at = local.time().replace(tzinfo=None)
    if quiet.start < quiet.end:
        inside = quiet.start <= at < quiet.end
        ends_on = local.date()
    else:  # across midnight: the evening part ends tomorrow, the morning part today
        inside = at >= quiet.start or at < quiet.end
        ends_on = local.date() + timedelta(days=1) if at >= quiet.start else local.date()
    if not inside:
        return None
    ends = datetime.combine(ends_on, quiet.end, tzinfo=zone).astimezone(UTC)
    return max(ends, now.astimezone(UTC))  # a clock change inside the quiet hours never ends them in the past


def zone_of(home_store_id: str | None, store_zones: Mapping[str, str], default: str) -> ZoneInfo:
    """The member's time zone: their home store's, else the program's."""
    name = store_zones.get(home_store_id, default) if home_store_id else default
    return ZoneInfo(name)


def check_zone(name: str, setting: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"{setting}: {name!r} is not an IANA time zone (e.g. America/Los_Angeles)") from error
    return name


def within_cap(sent_in_window: int, cap: int | None) -> bool:
    """True when one more marketing message stays within the cap (None: no cap)."""
    return cap is None or sent_in_window < cap


@dataclass(frozen=True, slots=True)
class Decision:
    status: MessageStatus  # SENT means "send it now"
    not_before: datetime | None = None  # DEFERRED: when to look again
    reason: str | None = None


SEND = Decision(MessageStatus.SENT)


def decide(kind: MessageKind, channel: MessageChannel, *, now: datetime, relevant: bool,
           consents: MarketingConsents | None, has_address: bool, quiet: QuietHours, zone: ZoneInfo,
           sent_in_window: int, cap: int | None) -> Decision:
    """What to do with a message whose turn has come (the order of the module's docstring)."""
    if not relevant:
        return Decision(MessageStatus.EXPIRED, reason="no longer open")
    if not consent_allows(kind, channel, consents):
        return Decision(MessageStatus.SKIPPED_NO_CONSENT, reason=f"no {CONSENT_OF[channel]} opt-in")
    if not has_address:
        return Decision(MessageStatus.SKIPPED_NO_ADDRESS, reason=f"no {_address_name(channel)} known")
    if kind in TRANSACTIONAL:
        return SEND
    ends = quiet_until(now, quiet, zone)
    if ends is not None:
        return Decision(MessageStatus.DEFERRED, not_before=ends, reason="quiet hours")
    if not within_cap(sent_in_window, cap):
        return Decision(MessageStatus.CAPPED, reason=f"{cap} {channel.lower()} message(s) in the window already")
    return SEND


def _address_name(channel: MessageChannel) -> str:
    return {MessageChannel.EMAIL: "email address", MessageChannel.SMS: "phone number",
            MessageChannel.PUSH: "member id"}[channel]


def retry_delay(attempts: int, first_delay: timedelta, max_attempts: int) -> timedelta | None:
    """After `attempts` failed tries: how long to wait before the next, doubling from
    `first_delay` up to an hour; None once `max_attempts` have failed (the message fails)."""
    if attempts >= max_attempts:
        return None
    return min(first_delay * 2 ** max(0, attempts - 1), MAX_RETRY_DELAY)


# --- templates -----------------------------------------------------------------------------
# Placeholders as in offers ({member.name}, {offer.reason}, ...), filled from the message's
# facts and the member's name when it is sent. Plain text: no markup to escape.

@dataclass(frozen=True, slots=True)
class Template:
    subject: str  # email subject, push title; unused for SMS
    body: str


OPT_OUT = ("You get this because you opted in to {channel_name} from {program}. Change that any time in "
           "your wallet's privacy settings.")
TEMPLATES: dict[tuple[MessageKind, MessageChannel], Template] = {
    (MessageKind.OFFER_ISSUED, MessageChannel.EMAIL): Template(
        "{offer.message}",
        "Hi {member.name},\n\n{offer.message}\n\nWhy you: {offer.reason}\n\n"
        "Open your wallet to accept it; it is yours until {offer.expires}.\n\n"
        "{program}\n\n--\n" + OPT_OUT),
    (MessageKind.OFFER_ISSUED, MessageChannel.SMS): Template(
        "", "{program}: {offer.message} {offer.reason} Until {offer.expires}. Reply STOP to opt out."),
    (MessageKind.OFFER_ISSUED, MessageChannel.PUSH): Template("{offer.message}", "{offer.reason}"),
    (MessageKind.COUPON_ISSUED, MessageChannel.EMAIL): Template(
        "A coupon for you: {coupon.description}",
        "Hi {member.name},\n\nHere is a coupon for you: {coupon.description}\n\nYour code: {coupon.code}\n"
        "Show it at the till or enter it online; it is valid until {coupon.expires}.\n\n"
        "{program}\n\n--\n" + OPT_OUT),
    (MessageKind.COUPON_ISSUED, MessageChannel.SMS): Template(
        "", "{program}: a coupon for you: {coupon.description} Code {coupon.code}, until {coupon.expires}. "
            "Reply STOP to opt out."),
    (MessageKind.COUPON_ISSUED, MessageChannel.PUSH): Template(
        "A coupon for you", "{coupon.description} (code {coupon.code})"),
    (MessageKind.SIGN_IN_CODE, MessageChannel.EMAIL): Template(
        "Your sign-in code: {code}",
        "Hi {member.name},\n\nYour code to sign in to your {program} wallet is\n\n    {code}\n\n"
        "It works once, for {minutes} minutes. If you did not ask for it, ignore this email: nobody can "
        "sign in without the code.\n\n{program}"),
}
CHANNEL_NAMES = {MessageChannel.EMAIL: "marketing emails", MessageChannel.SMS: "marketing texts",
                 MessageChannel.PUSH: "marketing notifications"}


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str


def channels_for(kind: MessageKind) -> tuple[MessageChannel, ...]:
    """The channels a kind of message has templates for (a sign-in code goes by email only)."""
    return tuple(channel for channel in MessageChannel if (kind, channel) in TEMPLATES)


def render(kind: MessageKind, channel: MessageChannel, facts: Mapping[str, Any], *, given_name: str | None,
           program: str) -> Rendered:
    """The message as the member reads it: their name (or a greeting without one), the facts
    (an offer's message and reason, a coupon, a code), within the channel's lengths."""
    template = TEMPLATES[(kind, channel)]
    values = {**facts, "member": {"name": (given_name or "").strip() or "there"}, "program": program,
              "channel_name": CHANNEL_NAMES[channel]}
    subject = " ".join(fill(template.subject, values).split())
    body = "\n".join(line.rstrip() for line in fill(template.body, values).split("\n"))
    if channel is MessageChannel.SMS:
        return Rendered("", _clip(" ".join(body.split()), MAX_SMS))
    if channel is MessageChannel.PUSH:
        return Rendered(_clip(subject, MAX_PUSH_TITLE), _clip(" ".join(body.split()), MAX_PUSH_BODY))
    return Rendered(subject, body)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def local_text(moment: datetime, zone: ZoneInfo) -> str:
    """A time as the member reads it, in their zone: "Wed 2 Dec, 18:00 PST"."""
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {local.tzname()}"
