"""Members as the engine knows them: its own copy of what profile (facts, consents,
segments) and the ledger (tiers) publish, kept current from their events (only a newer
fact replaces an older one), so that deciding never waits on another subgraph; and the
catalogue as inventory publishes it."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

from core.clock import utcnow
from core.errors import BadUserInput, Conflict, ErrorCode, NotFound
from core.vocabulary import IdentifierKind
from subgraphs.kernel import aliases
from subgraphs.kernel.client import RemoteError
from subgraphs.kernel.events import Event
from subgraphs.kernel.identifiers import normalize_identifier
from subgraphs.kernel.runtime import Runtime

from ..adapters import messages as message_store
from ..adapters import repository
from ..adapters.messages import Contacts
from ..adapters.repository import Consents, KnownMember
from ..domain.members import MemberFacts, Traits


@dataclass(frozen=True, slots=True)
class MemberRef:
    """How a channel names the basket's member: an id or one identifier."""

    member_id: str | None = None
    identifier_kind: IdentifierKind | None = None
    identifier_value: str | None = None

    @property
    def given(self) -> bool:
        return bool(self.member_id or self.identifier_kind)


async def find_member(runtime: Runtime, ref: MemberRef) -> KnownMember:
    """From the engine's own copy of profile's facts; for a member enrolled a moment
    ago whose event has not arrived yet, confirm with profile (read-only, idempotent)."""
    if ref.member_id and ref.identifier_kind:
        raise BadUserInput("name the member by memberId or by identifier, not both")
    async with runtime.db.reading() as connection:
        if ref.member_id:
            member_id: str | None = ref.member_id
        else:
            assert ref.identifier_kind and ref.identifier_value is not None
            value = normalize_identifier(ref.identifier_kind, ref.identifier_value,
                                         runtime.settings.default_phone_region)
            member_id = await repository.member_id_by_identifier(connection, ref.identifier_kind, value)
        if member_id:  # a member merged away is the member it was merged into
            member_id = await aliases.current_member_id(connection, member_id)
        known = await repository.known_member(connection, member_id) if member_id else None
    if known is None:
        known = await _member_from_profile(runtime, ref)
    if known.status != "ACTIVE":
        raise Conflict(f"member {known.member_id} is {known.status.lower()}")
    return known


MEMBER_FIELDS = ("id status birthday enrolledAt homeStore { id } identities { kind value } "
                 "consents { profiling emailMarketing smsMarketing pushMarketing }")


async def _member_from_profile(runtime: Runtime, ref: MemberRef) -> KnownMember:
    try:
        if ref.member_id:
            data = await runtime.services.execute(
                "profile", f"query($id: ID!) {{ member(id: $id) {{ {MEMBER_FIELDS} }} }}", {"id": ref.member_id}
            )
            found = data["member"]
        else:
            data = await runtime.services.execute(
                "profile",
                f"query($kind: IdentifierKind!, $value: String!) {{ lookupMember(kind: $kind, value: $value) "
                f"{{ {MEMBER_FIELDS} }} }}",
                {"kind": str(ref.identifier_kind), "value": ref.identifier_value},
            )
            found = data["lookupMember"]
    except RemoteError as error:
        if error.code is ErrorCode.NOT_FOUND:
            found = None
        else:
            raise
    if not found:
        raise NotFound("no member with that " + ("id" if ref.member_id else "identifier"))
    known = KnownMember(
        member_id=found["id"],
        status=found["status"],
        consents=Consents(found["consents"]["profiling"], found["consents"]["emailMarketing"],
                          found["consents"]["smsMarketing"], found["consents"]["pushMarketing"]),
        birthday=date.fromisoformat(found["birthday"]) if found["birthday"] else None,
        home_store_id=(found.get("homeStore") or {}).get("id"),
        enrolled_at=datetime.fromisoformat(found["enrolledAt"]),
    )
    async with runtime.unit_of_work() as uow:
        # What profile says now is newer than any event still on its way (events carry the
        # system clock's time, so this does too).
        await repository.remember_member(uow, known, [(i["kind"], i["value"]) for i in found["identities"]],
                                         as_of=utcnow())
        await uow.commit()
    return known


async def on_member_enrolled(runtime: Runtime, event: Event) -> None:
    await _remember(runtime, event, consumer="members")


async def _remember(runtime: Runtime, event: Event, *, consumer: str) -> None:
    facts = event.payload
    known = KnownMember(
        member_id=facts["member_id"],
        status=facts["status"],
        consents=Consents.from_facts(facts["consents"]),
        birthday=date.fromisoformat(facts["birthday"]) if facts.get("birthday") else None,
        home_store_id=facts.get("home_store_id"),
        enrolled_at=datetime.fromisoformat(facts["enrolled_at"]),
    )
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled(consumer, event.id):
            return
        await repository.remember_member(uow, known, [(i["kind"], i["value"]) for i in facts["identities"]],
                                         as_of=event.occurred_at)
        if not await repository.is_erased(uow.connection, known.member_id):  # erased: nothing personal comes back
            await message_store.remember_contacts(uow, known.member_id, Contacts(
                facts.get("given_name"), facts.get("email"), facts.get("phone")), as_of=event.occurred_at)
        await uow.commit()


async def on_consents_changed(runtime: Runtime, event: Event) -> None:
    """Only a newer consent replaces what the engine knows: a late or repeated event
    must never turn a profiling opt-out back on."""
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled("consents", event.id):
            return
        consents = Consents.from_facts(event.payload)
        await repository.set_consents(uow, str(event.member_id), consents, as_of=event.occurred_at)
        if not consents.profiling:  # an objection to profiling: the engine's copy of the score goes too
            await repository.forget_lapse_risk(uow, str(event.member_id))
        await uow.commit()


async def on_member_updated(runtime: Runtime, event: Event) -> None:
    """Profile's facts after an identify, a merge or an unmerge: newer facts replace older
    ones; identifiers linked since are learned (lookups by them find the member)."""
    await _remember(runtime, event, consumer="member-updates")


async def on_members_merged(runtime: Runtime, event: Event) -> None:
    """The absorbed member's purchases, returns, coupons, redemptions and offers become the
    survivor's; their id keeps working (aliases)."""
    await aliases.follow_merge_with_rows(runtime, event, repository.MEMBER_TABLES, undone=False)


async def on_members_unmerged(runtime: Runtime, event: Event) -> None:
    await aliases.follow_merge_with_rows(runtime, event, repository.MEMBER_TABLES, undone=True)


async def on_product_changed(runtime: Runtime, event: Event) -> None:
    """The catalogue as inventory publishes it: till prices are checked against it."""
    facts = event.payload
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled("catalogue", event.id):
            return
        await repository.remember_product(uow, facts["sku"], facts["category"], Decimal(facts["price"]),
                                          as_of=event.occurred_at)
        await uow.commit()


async def on_tier_changed(runtime: Runtime, event: Event) -> None:
    """The ledger's TierChanged: the tier and the multiplier the engine applies from now."""
    to = event.payload["to"]
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled("tiers", event.id):
            return
        member_id = await aliases.current_member_id(uow.connection, str(event.member_id))
        await repository.remember_tier(uow, member_id, str(to["id"]), str(to["name"]),
                                       Decimal(str(to["multiplier"])), as_of=event.occurred_at)
        await uow.commit()


async def on_segment_changed(runtime: Runtime, event: Event) -> None:
    """Profile's SegmentEntered / SegmentExited: what a campaign's audience reads."""
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled(f"segments:{event.type}", event.id):
            return
        member_id = await aliases.current_member_id(uow.connection, str(event.payload["member_id"]))
        await repository.remember_segment(uow, member_id, str(event.payload["segment_id"]),
                                          event.type == "SegmentEntered", as_of=event.occurred_at)
        await uow.commit()


async def member_facts(connection: AsyncConnection, member: KnownMember, now: datetime, *, traits: bool
                       ) -> MemberFacts:
    """Everything a campaign condition reads about the member, from the engine's own tables
    (`traits`: only when a running condition reads them, since they cost a query). On the
    caller's connection: the engine reads campaigns, member and basket facts on one."""
    tier = await repository.member_tier(connection, member.member_id)
    segments = await repository.segments_of(connection, member.member_id)
    found = await repository.purchase_traits(connection, member.member_id, now) if traits else None
    risk = await repository.lapse_risk_of(connection, member.member_id) if member.consents.profiling else None
    facts = MemberFacts(
        member_id=member.member_id, segments=segments, email_marketing=member.consents.email_marketing,
        sms_marketing=member.consents.sms_marketing, push_marketing=member.consents.push_marketing,
        profiling=member.consents.profiling, birthday=member.birthday, enrolled_at=member.enrolled_at,
        home_store_id=member.home_store_id,
    )
    if tier is not None:
        facts = replace(facts, tier_id=tier[0], tier_name=tier[1], multiplier=tier[2])
    if found is not None:
        last, frequency, spend = found
        facts = replace(facts, traits=Traits((now - last).days if last is not None else None, frequency, spend))
    if risk is not None:
        facts = replace(facts, traits=replace(facts.traits, lapse_risk=risk[0], lapse_horizon_days=risk[1]))
    return facts
