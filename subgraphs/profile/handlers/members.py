"""Profile's use cases: enrolment, lookups, consents (a ledger), the demo sign-in.

A member id may be one that was merged away: every read goes through
`aliases.current_member_id`, so an old link or an old token reaches the member
as they are now."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError

from core.auth import Principal, Role, issue_token, require_principal, require_role, require_staff
from core.errors import Conflict, Forbidden, NotFound
from core.ids import new_id
from subgraphs.kernel import aliases
from subgraphs.kernel.db import is_unique_violation
from subgraphs.kernel.events import Event
from subgraphs.kernel.identifiers import normalize_identifier
from subgraphs.kernel.runtime import Runtime

from ..adapters import repository
from ..domain import consents as consent_ledger
from ..domain import members as rules
from ..domain.consents import ConsentChange
from ..domain.members import Channel, Consents, IdentifierKind, Member
from ..domain.privacy import Action
from . import privacy, segments, traits

SOURCE = "profile"
ENROLLING_ROLES = (Role.CASHIER, Role.SUPERVISOR, Role.ADMIN, Role.SERVICE)
# Staff record consents on a member's behalf under rules.check_consent_changes.
STAFF_CONSENT_ROLES = (Role.CASHIER, Role.SUPERVISOR, Role.ADMIN)
# Where a change comes from when the request does not say: the member's app, the till, the CRM desk.
CHANNEL_OF_ROLE = {Role.MEMBER: Channel.APP, Role.CASHIER: Channel.POS, Role.SUPERVISOR: Channel.CRM,
                   Role.ADMIN: Channel.CRM, Role.SERVICE: Channel.SYSTEM}


def actor_of(principal: Principal) -> str:
    """Who did it, as the consent ledger and the merge log record it."""
    return principal.subject if principal.role in (Role.MEMBER, Role.SERVICE) else f"{principal.role}:{principal.subject}"


def enrolled_event(member: Member, channel: Channel) -> Event:
    return Event(type="MemberEnrolled", source=SOURCE, member_id=member.id, occurred_at=member.enrolled_at,
                 payload={**rules.member_facts(member), "channel": str(channel)})


def consents_changed_event(member: Member, changes: Sequence[ConsentChange], *, actor: str) -> Event:
    """The member's consents now, and what changed (the engine honours a profiling opt-out). It
    happened when the changes were recorded (the runtime's clock, like the enrolment it follows:
    consumers keep the newer of two facts)."""
    consents = member.consents
    at = {"occurred_at": max(c.at for c in changes)} if changes else {}
    return Event(type="ConsentsChanged", source=SOURCE, member_id=member.id, **at, payload={
        "email_marketing": consents.email_marketing, "sms_marketing": consents.sms_marketing,
        "push_marketing": consents.push_marketing, "profiling": consents.profiling, "changed_by": actor,
        "changes": [{"purpose": str(c.purpose), "granted": c.granted, "source": str(c.source)} for c in changes],
    })


async def enroll_member(
    runtime: Runtime,
    principal: Principal | None,
    *,
    channel: Channel,
    given_name: str | None = None,
    family_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    birthday: date | None = None,
    home_store_id: str | None = None,
    consents: dict[str, bool | None] | None = None,
) -> Member:
    who = require_role(principal, *ENROLLING_ROLES)
    now = runtime.clock.now()
    member = rules.enroll(
        member_id=new_id("mbr"),
        now=now,
        channel=channel,
        default_region=runtime.settings.default_phone_region,
        given_name=given_name,
        family_name=family_name,
        email=email,
        phone=phone,
        birthday=birthday,
        home_store_id=home_store_id,
        consents=consents,
        by_staff=who.role in STAFF_CONSENT_ROLES,
    )
    try:
        async with runtime.unit_of_work() as uow:
            for identity in member.identities:
                existing = await repository.member_id_by_identifier(uow.connection, identity.kind, identity.value)
                if existing:
                    raise Conflict(f"{identity.kind.lower()} {identity.value} is already enrolled", memberId=existing)
            await repository.add_member(uow, member)
            _, given = consent_ledger.record(Consents(), consents or {}, at=member.enrolled_at, source=channel,
                                             actor=actor_of(who))
            await repository.add_consent_changes(uow, member.id, given)
            uow.publish(enrolled_event(member, channel))
            await segments.reevaluate(uow, [member.id], now)  # after MemberEnrolled: events in causal order
            await uow.commit()
    except IntegrityError as error:
        # A concurrent enrolment took the identifier first. SQLite reports it at commit,
        # PostgreSQL at the INSERT itself: both land here.
        if is_unique_violation(error):
            raise Conflict("an identifier of this member is already enrolled") from error
        raise
    return member


async def members_by_id(runtime: Runtime, ids: Sequence[str]) -> list[Member | None]:
    """The members these ids name now (a merged-away id gives its survivor)."""
    async with runtime.db.reading() as connection:
        current = await aliases.current_member_ids(connection, ids)
        found = await repository.members_by_id(connection, sorted(set(current.values())))
    return [found.get(current[i]) for i in ids]


async def get_member(runtime: Runtime, principal: Principal | None, member_id: str) -> Member:
    async with runtime.db.reading() as connection:
        await aliases.require_member_access(connection, principal, member_id)
    [member] = await members_by_id(runtime, [member_id])
    if member is None:
        raise NotFound(f"no member {member_id}")
    await privacy.record_access(runtime, principal, [member.id], Action.VIEW)
    return member


async def me(runtime: Runtime, principal: Principal | None) -> Member | None:
    """The member of the bearer token; staff tokens have no member record."""
    who = require_principal(principal)
    if who.role is not Role.MEMBER:
        return None
    [member] = await members_by_id(runtime, [who.subject])
    return member


async def lookup_member(
    runtime: Runtime, principal: Principal | None, kind: IdentifierKind, value: str
) -> Member | None:
    require_staff(principal)
    normalized = normalize_identifier(kind, value, runtime.settings.default_phone_region)
    async with runtime.db.reading() as connection:
        member = await repository.member_by_identifier(connection, kind, normalized)
    if member is not None:
        await privacy.record_access(runtime, principal, [member.id], Action.LOOKUP)
    return member


DEV_SIGN_IN_HOURS = 12


async def dev_sign_in(runtime: Runtime, email: str) -> tuple[Member, str]:
    """The demo sign-in of the dev profile: a member token for a member's email, so that the
    wallet holds no signing secret. Refused in the prod profile, where an identity provider
    (or the one-time codes of the screens issue) signs members in."""
    if not runtime.settings.is_dev:
        raise Forbidden("the demo sign-in is off in the prod profile: sign in through your identity provider")
    normalized = normalize_identifier(IdentifierKind.EMAIL, email, runtime.settings.default_phone_region)
    async with runtime.db.reading() as connection:
        member = await repository.member_by_identifier(connection, IdentifierKind.EMAIL, normalized)
    if member is None:
        raise NotFound(f"no member with the email {normalized}")
    return member, issue_token(runtime.settings, member.id, Role.MEMBER, ttl=timedelta(hours=DEV_SIGN_IN_HOURS))


async def update_consents(
    runtime: Runtime, principal: Principal | None, member_id: str, changes: dict[str, bool | None],
    channel: Channel | None = None,
) -> Member:
    """Record consent changes in the member's consent ledger (who, when, where)."""
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        member_id = await aliases.require_member_access(uow.connection, principal, member_id)
        who = require_principal(principal)
        found = await repository.members_by_id(uow.connection, [member_id])
        if member_id not in found:
            raise NotFound(f"no member {member_id}")
        member = found[member_id]
        rules.check_consent_changes(member.consents, changes, by_staff=who.role in STAFF_CONSENT_ROLES)
        consents, recorded = consent_ledger.record(member.consents, changes, at=now,
                                                   source=channel or CHANNEL_OF_ROLE[who.role], actor=actor_of(who))
        if not recorded:
            return member
        await repository.save_consents(uow, member_id, consents)
        await repository.add_consent_changes(uow, member_id, recorded)
        await privacy.record_consent_change(uow, who, member_id, now)
        uow.publish(consents_changed_event(replace(member, consents=consents), recorded, actor=actor_of(who)))
        if not consents.profiling:
            await traits.forget_lapse_score(uow, member_id)  # an objection to profiling ends the scoring
        await segments.reevaluate(uow, [member_id], now)
        await uow.commit()
    return (await members_by_id(runtime, [member_id]))[0]  # type: ignore[return-value]


async def consent_history(runtime: Runtime, principal: Principal | None, member_id: str) -> list[ConsentChange]:
    """Every consent change of the member, oldest first."""
    async with runtime.db.reading() as connection:
        current = await aliases.require_member_access(connection, principal, member_id)
        return await repository.consent_history(connection, current)
