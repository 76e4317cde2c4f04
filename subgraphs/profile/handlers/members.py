"""Profile's use cases: enrolment, lookups, consents."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError

from core.auth import (
    Principal,
    Role,
    issue_token,
    require_member_access,
    require_principal,
    require_role,
    require_staff,
)
from core.errors import Conflict, Forbidden, NotFound
from core.ids import new_id
from subgraphs.kernel.db import is_unique_violation
from subgraphs.kernel.events import Event
from subgraphs.kernel.identifiers import normalize_identifier
from subgraphs.kernel.runtime import Runtime

from ..adapters import repository
from ..domain import members as rules
from ..domain.members import Channel, IdentifierKind, Member
from . import segments, traits

SOURCE = "profile"
ENROLLING_ROLES = (Role.CASHIER, Role.SUPERVISOR, Role.ADMIN, Role.SERVICE)
# Staff record consents on a member's behalf under rules.check_consent_changes.
STAFF_CONSENT_ROLES = (Role.CASHIER, Role.SUPERVISOR, Role.ADMIN)


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
            uow.publish(
                Event(
                    type="MemberEnrolled",
                    source=SOURCE,
                    member_id=member.id,
                    payload={**rules.member_facts(member), "channel": str(channel)},
                )
            )
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
    async with runtime.db.reading() as connection:
        found = await repository.members_by_id(connection, ids)
    return [found.get(i) for i in ids]


async def get_member(runtime: Runtime, principal: Principal | None, member_id: str) -> Member:
    require_member_access(principal, member_id)
    [member] = await members_by_id(runtime, [member_id])
    if member is None:
        raise NotFound(f"no member {member_id}")
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
        member_id = await repository.member_id_by_identifier(connection, kind, normalized)
        if member_id is None:
            return None
        return (await repository.members_by_id(connection, [member_id])).get(member_id)


DEV_SIGN_IN_HOURS = 12


async def dev_sign_in(runtime: Runtime, email: str) -> tuple[Member, str]:
    """The demo sign-in of the dev profile: a member token for a member's email, so that the
    wallet holds no signing secret. Refused in the prod profile, where an identity provider
    (or the one-time codes of the screens issue) signs members in."""
    if not runtime.settings.is_dev:
        raise Forbidden("the demo sign-in is off in the prod profile: sign in through your identity provider")
    normalized = normalize_identifier(IdentifierKind.EMAIL, email, runtime.settings.default_phone_region)
    async with runtime.db.reading() as connection:
        member_id = await repository.member_id_by_identifier(connection, IdentifierKind.EMAIL, normalized)
        member = (await repository.members_by_id(connection, [member_id])).get(member_id) if member_id else None
    if member is None:
        raise NotFound(f"no member with the email {normalized}")
    return member, issue_token(runtime.settings, member.id, Role.MEMBER, ttl=timedelta(hours=DEV_SIGN_IN_HOURS))


async def update_consents(
    runtime: Runtime, principal: Principal | None, member_id: str, changes: dict[str, bool | None]
) -> Member:
    who = require_member_access(principal, member_id)
    async with runtime.unit_of_work() as uow:
        found = await repository.members_by_id(uow.connection, [member_id])
        if member_id not in found:
            raise NotFound(f"no member {member_id}")
        member = found[member_id]
        rules.check_consent_changes(member.consents, changes, by_staff=who.role in STAFF_CONSENT_ROLES)
        now = runtime.clock.now()
        consents = member.consents.changed(now, **changes)
        if consents == member.consents:
            return member
        await repository.save_consents(uow, member_id, consents)
        if not consents.profiling:
            await traits.forget_lapse_score(uow, member_id)  # an objection to profiling ends the scoring
        uow.publish(
            Event(
                type="ConsentsChanged",
                source=SOURCE,
                member_id=member_id,
                payload={
                    "email_marketing": consents.email_marketing,
                    "sms_marketing": consents.sms_marketing,
                    "push_marketing": consents.push_marketing,
                    "profiling": consents.profiling,
                    "changed_by": who.subject,
                    "changed_by_role": str(who.role),
                },
            )
        )
        await segments.reevaluate(uow, [member_id], now)
        await uow.commit()
    return (await members_by_id(runtime, [member_id]))[0]  # type: ignore[return-value]
