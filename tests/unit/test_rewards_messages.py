"""Messages' rules at their edges: consent per channel, quiet hours to the second (across
midnight, inside one day, over a clock change), a cap of 1, retries, templates."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import BadUserInput
from subgraphs.rewards.domain import messages as rules
from subgraphs.rewards.domain.messages import (
    Decision,
    MarketingConsents,
    MessageChannel,
    MessageKind,
    MessageStatus,
    QuietHours,
)

PORTLAND = ZoneInfo("America/Los_Angeles")
NIGHT = QuietHours(time(21), time(8))
OPTED_IN = MarketingConsents(email_marketing=True, sms_marketing=True, push_marketing=True)


def at(hour: int, minute: int = 0, second: int = 0, day: int = 2) -> datetime:
    """Local Portland time on a December day (PST, UTC-8), as UTC."""
    return datetime(2026, 12, day, hour, minute, second, tzinfo=PORTLAND).astimezone(UTC)


@pytest.mark.parametrize(("moment", "until"), [
    (at(20, 59, 59), None),
    (at(21), at(8, day=3)),  # the first second of the quiet hours
    (at(23, 30), at(8, day=3)),
    (at(0), at(8)),  # past midnight: they end this morning
    (at(7, 59, 59), at(8)),
    (at(8), None),  # the end is not inside
    (at(12), None),
])
def test_quiet_hours_across_midnight_to_the_second(moment: datetime, until: datetime | None) -> None:
    assert rules.quiet_until(moment, NIGHT, PORTLAND) == until


def test_quiet_hours_inside_one_day_and_none() -> None:
    lunch = QuietHours(time(12), time(13))
    assert rules.quiet_until(at(11, 59, 59), lunch, PORTLAND) is None
    assert rules.quiet_until(at(12), lunch, PORTLAND) == at(13)
    assert rules.quiet_until(at(13), lunch, PORTLAND) is None
    never = QuietHours.parse("")
    assert all(rules.quiet_until(at(h), never, PORTLAND) is None for h in range(24))


def test_quiet_hours_are_local_to_the_member() -> None:
    moment = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)  # 1 December: 20:30 in Portland, 21:30 in Denver
    assert rules.quiet_until(moment, NIGHT, PORTLAND) is None
    denver = ZoneInfo("America/Denver")
    assert rules.quiet_until(moment, NIGHT, denver) == datetime(2026, 12, 2, 8, tzinfo=denver).astimezone(UTC)


def test_quiet_hours_over_the_spring_clock_change() -> None:
    # 8 March 2026: Portland's clocks go from 02:00 PST to 03:00 PDT; 08:00 that morning is 15:00 UTC.
    before = datetime(2026, 3, 8, 9, 30, tzinfo=UTC)  # 01:30 PST
    assert rules.quiet_until(before, NIGHT, PORTLAND) == datetime(2026, 3, 8, 15, tzinfo=UTC)
    assert rules.quiet_until(datetime(2026, 3, 8, 15, tzinfo=UTC), NIGHT, PORTLAND) is None


def test_quiet_hours_are_parsed_or_refused() -> None:
    assert QuietHours.parse("21:00-08:00") == NIGHT
    assert QuietHours.parse(" 22:30 - 07:15 ") == QuietHours(time(22, 30), time(7, 15))
    for wrong in ("21-8", "21:00", "25:00-08:00", "21:00-08:00-09:00"):
        with pytest.raises(BadUserInput):
            QuietHours.parse(wrong)


def test_zone_of_home_store_else_program() -> None:
    zones = {"st_denver": "America/Denver"}
    assert rules.zone_of("st_denver", zones, "America/Los_Angeles") == ZoneInfo("America/Denver")
    assert rules.zone_of("st_portland", zones, "America/Los_Angeles") == PORTLAND
    assert rules.zone_of(None, zones, "UTC") == ZoneInfo("UTC")
    with pytest.raises(ValueError, match="IANA"):
        rules.check_zone("Mars/Olympus", "LOYALTY_MESSAGE_TIME_ZONE")


@pytest.mark.parametrize(("channel", "consents", "allowed"), [
    (MessageChannel.EMAIL, MarketingConsents(email_marketing=True), True),
    (MessageChannel.EMAIL, MarketingConsents(sms_marketing=True, push_marketing=True), False),
    (MessageChannel.SMS, MarketingConsents(email_marketing=True, push_marketing=True), False),
    (MessageChannel.SMS, MarketingConsents(sms_marketing=True), True),
    (MessageChannel.PUSH, MarketingConsents(push_marketing=True), True),
    (MessageChannel.PUSH, MarketingConsents(), False),
    (MessageChannel.SMS, None, False),  # nothing known is no opt-in
])
def test_marketing_goes_only_with_the_channels_opt_in(channel: MessageChannel, consents: MarketingConsents | None,
                                                      allowed: bool) -> None:
    assert rules.consent_allows(MessageKind.OFFER_ISSUED, channel, consents) is allowed
    assert rules.consent_allows(MessageKind.COUPON_ISSUED, channel, consents) is allowed


def test_a_sign_in_code_needs_no_marketing_consent_and_ignores_quiet_hours_and_caps() -> None:
    assert rules.consent_allows(MessageKind.SIGN_IN_CODE, MessageChannel.EMAIL, MarketingConsents())
    decision = decide(MessageKind.SIGN_IN_CODE, now=at(23), consents=MarketingConsents(), sent=5, cap=1)
    assert decision == rules.SEND


def test_a_cap_of_one() -> None:
    assert rules.within_cap(0, 1) and not rules.within_cap(1, 1) and not rules.within_cap(0, 0)
    assert rules.within_cap(10_000, None)
    assert decide(sent=0, cap=1) == rules.SEND
    capped = decide(sent=1, cap=1)
    assert capped.status is MessageStatus.CAPPED and "1 email" in (capped.reason or "")


def decide(kind: MessageKind = MessageKind.OFFER_ISSUED, channel: MessageChannel = MessageChannel.EMAIL, *,
           now: datetime | None = None, relevant: bool = True, consents: MarketingConsents | None = OPTED_IN,
           address: bool = True, sent: int = 0, cap: int | None = 3) -> Decision:
    return rules.decide(kind, channel, now=now or at(12), relevant=relevant, consents=consents, has_address=address,
                        quiet=NIGHT, zone=PORTLAND, sent_in_window=sent, cap=cap)


def test_the_order_of_the_checks() -> None:
    # Expired first: nothing else matters for an offer that is gone.
    assert decide(relevant=False, consents=None, address=False).status is MessageStatus.EXPIRED
    assert decide(consents=MarketingConsents(), address=False).status is MessageStatus.SKIPPED_NO_CONSENT
    assert decide(address=False, now=at(22)).status is MessageStatus.SKIPPED_NO_ADDRESS
    # Quiet hours before the cap: a deferred message is capped, or not, when it goes.
    deferred = decide(now=at(22), sent=1, cap=1)
    assert deferred == Decision(MessageStatus.DEFERRED, not_before=at(8, day=3), reason="quiet hours")
    assert decide(now=at(8), sent=1, cap=1).status is MessageStatus.CAPPED


def test_retries_back_off_then_fail() -> None:
    first = timedelta(seconds=30)
    assert [rules.retry_delay(n, first, 5) for n in range(1, 6)] == [
        timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240), None]
    assert rules.retry_delay(20, first, 100) == timedelta(hours=1)


FACTS = {"offer": {"message": "Double points on hydration", "reason": "You bought a bottle on Saturday",
                   "expires": "Wed 2 Dec, 18:00 PST"},
         "coupon": {"code": "ABCD-EFGH", "description": "10% off your next visit", "expires": "Thu 3 Dec, 09:00 PST"}}


def test_templates_name_the_member_and_the_reason() -> None:
    email = rules.render(MessageKind.OFFER_ISSUED, MessageChannel.EMAIL, FACTS, given_name="Julia", program="Loyalty")
    assert email.subject == "Double points on hydration"
    assert email.body.startswith("Hi Julia,\n\nDouble points on hydration\n\nWhy you: You bought a bottle on Saturday")
    assert "until Wed 2 Dec, 18:00 PST" in email.body and "marketing emails" in email.body
    nameless = rules.render(MessageKind.OFFER_ISSUED, MessageChannel.EMAIL, FACTS, given_name=None, program="Loyalty")
    assert nameless.body.startswith("Hi there,")
    sms = rules.render(MessageKind.OFFER_ISSUED, MessageChannel.SMS, FACTS, given_name="Julia", program="Loyalty")
    assert sms.subject == "" and "You bought a bottle on Saturday" in sms.body and sms.body.endswith("opt out.")
    push = rules.render(MessageKind.COUPON_ISSUED, MessageChannel.PUSH, FACTS, given_name="Julia", program="Loyalty")
    assert push == rules.Rendered("A coupon for you", "10% off your next visit (code ABCD-EFGH)")
    code = rules.render(MessageKind.SIGN_IN_CODE, MessageChannel.EMAIL, {"code": "042917", "minutes": 10},
                        given_name="Julia", program="Loyalty")
    assert code.subject == "Your sign-in code: 042917" and "042917" in code.body and "10 minutes" in code.body


def test_templates_keep_to_the_channels_lengths() -> None:
    long = {"offer": {"message": "m" * 300, "reason": "r" * 300, "expires": "soon"}}
    sms = rules.render(MessageKind.OFFER_ISSUED, MessageChannel.SMS, long, given_name="J", program="Loyalty")
    assert len(sms.body) == rules.MAX_SMS and sms.body.endswith("…")
    push = rules.render(MessageKind.OFFER_ISSUED, MessageChannel.PUSH, long, given_name="J", program="Loyalty")
    assert len(push.subject) == rules.MAX_PUSH_TITLE and len(push.body) == rules.MAX_PUSH_BODY
    newline = {"offer": {"message": "line\nBcc: x@evil.example", "reason": "r", "expires": "soon"}}
    subject = rules.render(MessageKind.OFFER_ISSUED, MessageChannel.EMAIL, newline, given_name="J",
                           program="Loyalty").subject
    assert "\n" not in subject


def test_channels_per_kind() -> None:
    assert rules.channels_for(MessageKind.SIGN_IN_CODE) == (MessageChannel.EMAIL,)
    assert rules.channels_for(MessageKind.OFFER_ISSUED) == tuple(MessageChannel)


def test_local_text() -> None:
    assert rules.local_text(at(18), PORTLAND) == "Wed 2 Dec, 18:00 PST"
