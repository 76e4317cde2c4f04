"""Consents as a ledger: every change of every purpose, with when, where and who.
The current consents are the latest change per purpose (`Member.consents` keeps
them at hand); nothing is ever overwritten. No I/O here.

Marketing starts off and needs an explicit opt-in (SMS above all: TCPA wants the
member's own prior express written consent); profiling starts on and its opt-out
(GDPR Art. 21) wins over anything another record says: when two records of one
person merge, each purpose keeps the more restrictive of the two.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from core.vocabulary import Channel

from .members import Consents


class Purpose(StrEnum):
    EMAIL_MARKETING = "EMAIL_MARKETING"
    SMS_MARKETING = "SMS_MARKETING"
    PUSH_MARKETING = "PUSH_MARKETING"
    PROFILING = "PROFILING"


# The Consents attribute each purpose is kept in.
ATTRIBUTE = {
    Purpose.EMAIL_MARKETING: "email_marketing",
    Purpose.SMS_MARKETING: "sms_marketing",
    Purpose.PUSH_MARKETING: "push_marketing",
    Purpose.PROFILING: "profiling",
}
PURPOSE_OF = {attribute: purpose for purpose, attribute in ATTRIBUTE.items()}


@dataclass(frozen=True, slots=True)
class ConsentChange:
    purpose: Purpose
    granted: bool
    at: datetime
    source: Channel
    actor: str  # the member, a staff id ("cashier:staff_7"), a service, or "merge:<id>" / "unmerge:<id>"


def granted(consents: Consents, purpose: Purpose) -> bool:
    return bool(getattr(consents, ATTRIBUTE[purpose]))


def record(current: Consents, wanted: Mapping[str, bool | None], *, at: datetime, source: Channel, actor: str
           ) -> tuple[Consents, list[ConsentChange]]:
    """The consents after a request (`wanted`: attribute -> value, None = not asked) and the
    changes to record: only the purposes whose value really changes."""
    changes = [
        ConsentChange(PURPOSE_OF[attribute], value, at, source, actor)
        for attribute, value in wanted.items()
        if value is not None and value != getattr(current, attribute)
    ]
    return apply(current, changes), changes


def apply(current: Consents, changes: Iterable[ConsentChange]) -> Consents:
    """The consents once these changes (in order) are applied."""
    values = {ATTRIBUTE[change.purpose]: change.granted for change in changes}
    if not values:
        return current
    latest = max(change.at for change in changes)
    return replace(current, **values, updated_at=latest)


def most_restrictive(a: Consents, b: Consents) -> dict[str, bool]:
    """Per purpose, what two records of one person agree to: granted only where both granted
    (an opt-out or a missing opt-in on either record wins)."""
    return {attribute: bool(getattr(a, attribute)) and bool(getattr(b, attribute)) for attribute in PURPOSE_OF}


def current_from(history: Iterable[ConsentChange], initial: Consents | None = None) -> Consents:
    """The consents a history amounts to: the latest change per purpose."""
    ordered = sorted(history, key=lambda change: change.at)
    return apply(initial or Consents(), ordered)
