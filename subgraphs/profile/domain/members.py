"""Profile's domain: the member record, its identities and consents. No I/O here."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from core.errors import BadUserInput, Forbidden
from core.vocabulary import Channel, IdentifierKind
from subgraphs.kernel.bounds import check_id
from subgraphs.kernel.identifiers import normalize_email, normalize_phone

MAX_NAME_LENGTH = 100


class MemberStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    ERASED = "ERASED"
    MERGED = "MERGED"  # absorbed into another member: its id now names that member


# The profile fields survivorship decides when two records of one person merge.
PROFILE_FIELDS = ("given_name", "family_name", "email", "phone", "birthday", "home_store_id")


@dataclass(frozen=True, slots=True)
class FieldSource:
    """Where and when a profile field got its value."""

    source: Channel
    at: datetime


@dataclass(frozen=True, slots=True)
class Identity:
    kind: IdentifierKind
    value: str
    source: Channel
    linked_at: datetime


@dataclass(frozen=True, slots=True)
class Consents:
    """Marketing needs opt-in (GDPR, TCPA), so it starts off. Profiling starts on
    and is an absolute opt-out (GDPR Art. 21(2)) that the offers engine enforces."""

    email_marketing: bool = False
    sms_marketing: bool = False
    push_marketing: bool = False
    profiling: bool = True
    updated_at: datetime | None = None

    def changed(self, now: datetime, **changes: bool | None) -> Consents:
        given = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **given, updated_at=now) if given else self


def check_consent_changes(current: Consents, changes: dict[str, bool | None], *, by_staff: bool) -> None:
    """Who may record which consent (README "Consent policy").

    The member, and integrations that collected the consent themselves (service
    tokens, e.g. a web shop's double opt-in), record anything. Staff (cashier,
    supervisor, admin) record any withdrawal (revocation by any reasonable means:
    GDPR Art. 7(3), TCPA) and the email and push opt-ins a member gives at the
    counter; never an SMS opt-in (TCPA wants the member's own prior express written
    consent) and never profiling back on (GDPR Art. 21: only the member lifts their
    objection). Every change is recorded with who made it."""
    if not by_staff:
        return
    if changes.get("sms_marketing") is True and not current.sms_marketing:
        raise Forbidden("staff cannot opt a member in to SMS marketing: the member does it themself in the app")
    if changes.get("profiling") is True and not current.profiling:
        raise Forbidden("staff cannot turn profiling back on: only the member can withdraw their objection")


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    enrolled_at: datetime
    status: MemberStatus = MemberStatus.ACTIVE
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birthday: date | None = None
    home_store_id: str | None = None
    consents: Consents = field(default_factory=Consents)
    identities: tuple[Identity, ...] = ()
    field_sources: Mapping[str, FieldSource] = field(default_factory=dict)
    absorbed_count: int = 0  # members absorbed into this one, counting theirs


def clean_name(name: str | None, field_name: str) -> str | None:
    if name is None:
        return None
    cleaned = " ".join(name.split())
    if len(cleaned) > MAX_NAME_LENGTH:
        raise BadUserInput(f"{field_name} has at most {MAX_NAME_LENGTH} characters", field=field_name)
    return cleaned or None


def enroll(
    *,
    member_id: str,
    now: datetime,
    channel: Channel,
    default_region: str,
    given_name: str | None = None,
    family_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    birthday: date | None = None,
    home_store_id: str | None = None,
    consents: dict[str, bool | None] | None = None,
    by_staff: bool = False,
) -> Member:
    """A new member, with the identities the enrolment supplied.

    A member must be findable again, so an email or a phone is required.
    """
    check_consent_changes(Consents(), consents or {}, by_staff=by_staff)
    norm_email = normalize_email(email) if email else None
    norm_phone = normalize_phone(phone, default_region) if phone else None
    if not norm_email and not norm_phone:
        raise BadUserInput("enrolment needs an email or a phone number")
    if birthday is not None and (birthday > now.date() or birthday.year < 1900):
        raise BadUserInput("birthday is not a plausible date", field="birthday")
    identities = tuple(
        Identity(kind, value, channel, now)
        for kind, value in ((IdentifierKind.EMAIL, norm_email), (IdentifierKind.PHONE, norm_phone))
        if value
    )
    member = Member(
        id=member_id,
        enrolled_at=now,
        given_name=clean_name(given_name, "givenName"),
        family_name=clean_name(family_name, "familyName"),
        email=norm_email,
        phone=norm_phone,
        birthday=birthday,
        home_store_id=check_id(home_store_id, "homeStoreId") if home_store_id is not None else None,
        consents=Consents().changed(now, **(consents or {})),
        identities=identities,
    )
    return replace(member, field_sources=sources_of(member, channel, now))


def sources_of(member: Member, channel: Channel, at: datetime) -> dict[str, FieldSource]:
    """Every non-empty profile field, as given by one channel at one time."""
    return {name: FieldSource(channel, at) for name in PROFILE_FIELDS if getattr(member, name) is not None}


def member_facts(member: Member) -> dict[str, object]:
    """What other subgraphs need to know about a member (event-carried state)."""
    return {
        "member_id": member.id,
        "status": str(member.status),
        "given_name": member.given_name,
        "family_name": member.family_name,
        "email": member.email,
        "phone": member.phone,
        "birthday": member.birthday.isoformat() if member.birthday else None,
        "home_store_id": member.home_store_id,
        "enrolled_at": member.enrolled_at.isoformat(),
        "consents": {
            "email_marketing": member.consents.email_marketing,
            "sms_marketing": member.consents.sms_marketing,
            "push_marketing": member.consents.push_marketing,
            "profiling": member.consents.profiling,
        },
        "identities": [{"kind": str(i.kind), "value": i.value} for i in member.identities],
    }
