"""Identity resolution: `identify` (one member per person, merging records that share an
identifier) and `unmergeMember` (one merge undone, everywhere). The rules are in
domain/merges.py; here they meet the database and the events the other subgraphs
follow (`MembersMerged`, `MembersUnmerged`, `MemberUpdated`, `ConsentsChanged`)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.exc import IntegrityError

from core.auth import Principal, Role, require_role
from core.errors import BadUserInput, Conflict, NotFound
from core.ids import new_id
from core.vocabulary import Channel, IdentifierKind
from subgraphs.kernel import aliases
from subgraphs.kernel.db import UnitOfWork, is_unique_violation
from subgraphs.kernel.events import Event
from subgraphs.kernel.identifiers import normalize_identifier
from subgraphs.kernel.runtime import Runtime

from ..adapters import repository
from ..domain import members as member_rules
from ..domain import merges as rules
from ..domain import privacy as privacy_rules
from ..domain.consents import ConsentChange
from ..domain.members import Member
from . import segments, traits
from .members import SOURCE, actor_of, consents_changed_event, enrolled_event

# The channels' integrations and the staff identify members; a member never does (an
# identifier typed by someone else could merge them into a stranger).
IDENTIFYING_ROLES = (Role.CASHIER, Role.SUPERVISOR, Role.ADMIN, Role.SERVICE)
UNMERGING_ROLES = (Role.SUPERVISOR, Role.ADMIN)
MAX_IDENTIFIERS = 20  # per identify call
ATTEMPTS = 2  # a concurrent identify may take one of the identifiers first: then once more


async def identify(runtime: Runtime, principal: Principal | None, *, channel: Channel,
                   identifiers: Sequence[tuple[IdentifierKind, str]], given_name: str | None = None,
                   family_name: str | None = None) -> Member:
    """The one member that holds these identifiers: found, created, or made one by merging."""
    who = require_role(principal, *IDENTIFYING_ROLES)
    if not identifiers:
        raise BadUserInput("identify needs at least one identifier", field="identifiers")
    if len(identifiers) > MAX_IDENTIFIERS:
        raise BadUserInput(f"identify takes at most {MAX_IDENTIFIERS} identifiers", field="identifiers")
    region = runtime.settings.default_phone_region
    pairs = list(dict.fromkeys((str(kind), normalize_identifier(kind, value, region)) for kind, value in identifiers))
    rules.check_identity_limits(pairs)
    given = member_rules.clean_name(given_name, "givenName")
    family = member_rules.clean_name(family_name, "familyName")
    for attempt in range(ATTEMPTS):
        try:
            return await _identify_once(runtime, who, channel, pairs, given, family)
        except (IntegrityError, _Moved) as error:
            if isinstance(error, IntegrityError) and not is_unique_violation(error):
                raise
            if attempt == ATTEMPTS - 1:
                raise Conflict("another request linked or merged these identifiers at the same moment; "
                               "try again") from error
    raise AssertionError("unreachable")


class _Moved(Exception):
    """The identifiers changed hands between reading them and locking their members."""


async def _identify_once(runtime: Runtime, who: Principal, channel: Channel, pairs: list[tuple[str, str]],
                         given: str | None, family: str | None) -> Member:
    now = runtime.clock.now()
    settings = runtime.settings
    async with runtime.unit_of_work() as uow:
        holders = await repository.holders_of(uow.connection, pairs)
        found = await repository.lock_members(uow, set(holders.values()))
        if await repository.holders_of(uow.connection, pairs) != holders:
            raise _Moved  # a concurrent identify merged or linked them meanwhile: read again
        if not found:
            member = rules.identified(member_id=new_id("mbr"), at=now, channel=channel, identifiers=pairs,
                                      given_name=given, family_name=family)
            await repository.add_member(uow, member)
            uow.publish(enrolled_event(member, channel))
            await segments.reevaluate(uow, [member.id], now)
            await uow.commit()
            return member
        ordered = rules.survivors_first(found.values(), oldest_survives=settings.profile_oldest_survives)
        survivor = ordered[0]
        for absorbed in ordered[1:]:
            matched = [pair for pair, holder in holders.items() if holder == absorbed.id]
            outcome = rules.merge(survivor, absorbed, merge_id=new_id("mrg"), at=now, matched=matched,
                                  channel=channel, max_merges=settings.profile_max_merges)
            await _record_merge(uow, outcome, actor_of(who))
            survivor = outcome.survivor
        learned = rules.learn(survivor, at=now, channel=channel, identifiers=pairs, given_name=given,
                              family_name=family)
        if learned != survivor or len(ordered) > 1:
            await repository.save_member(uow, learned)
            await repository.add_identities(uow, learned.id, learned.identities[len(survivor.identities):])
            uow.publish(updated_event(learned))
            await segments.reevaluate(uow, [learned.id], now)
        await uow.commit()
    return learned


async def _record_merge(uow: UnitOfWork, outcome: rules.MergeOutcome, actor: str) -> None:
    record = outcome.record
    await repository.save_member(uow, outcome.survivor)
    await repository.save_member(uow, outcome.absorbed)
    await repository.move_identities(uow, record.moved, outcome.survivor.id)
    await repository.add_consent_changes(uow, outcome.survivor.id, outcome.consent_changes)
    await repository.add_merge(uow, record, actor)
    await aliases.record_merge(uow, absorbed_id=record.absorbed_id, survivor_id=record.survivor_id,
                               merge_id=record.id, at=record.at)
    uow.publish(Event(type="MembersMerged", source=SOURCE, member_id=record.survivor_id, occurred_at=record.at,
                      payload={"merge_id": record.id, "survivor_id": record.survivor_id,
                               "absorbed_id": record.absorbed_id, "reason": record.reason,
                               "at": record.at.isoformat()}))
    _publish_consents(uow, outcome.survivor, outcome.consent_changes, actor)
    # Profile's own copy of the absorbed member's purchases (traits, segments) follows too.
    await traits.reassign_member_facts(uow, record.absorbed_id, record.survivor_id, record.id, now=record.at)


async def unmerge(runtime: Runtime, principal: Principal | None, merge_id: str) -> list[Member]:
    """One merge undone: both members back (domain/merges.py says what happens to what
    came since); every subgraph follows `MembersUnmerged`."""
    who = require_role(principal, *UNMERGING_ROLES)
    now = runtime.clock.now()
    actor = f"unmerge:{merge_id}"
    async with runtime.unit_of_work() as uow:
        record = await repository.lock_merge(uow, merge_id)
        if record is None:
            raise NotFound(f"no merge {merge_id}")
        found = await repository.lock_members(uow, [record.survivor_id, record.absorbed_id])
        privacy_rules.check_not_erased(found.values())
        history = await repository.consent_history(uow.connection, record.survivor_id, since=record.at)
        outcome = rules.unmerge(record, found[record.survivor_id], found[record.absorbed_id], history, at=now,
                                actor=actor)
        await repository.save_member(uow, outcome.survivor)
        await repository.save_member(uow, outcome.absorbed)
        await repository.move_identities(uow, outcome.identities_back, record.absorbed_id)
        await repository.add_consent_changes(uow, record.survivor_id, outcome.survivor_consent_changes)
        await repository.add_consent_changes(uow, record.absorbed_id, outcome.absorbed_consent_changes)
        await repository.mark_merge_reversed(uow, merge_id, now, actor_of(who))
        await aliases.forget_merge(uow, merge_id)
        uow.publish(Event(type="MembersUnmerged", source=SOURCE, member_id=record.survivor_id, occurred_at=now,
                          payload={"merge_id": merge_id, "survivor_id": record.survivor_id,
                                   "absorbed_id": record.absorbed_id, "at": now.isoformat()}))
        for member, changes in ((outcome.survivor, outcome.survivor_consent_changes),
                                (outcome.absorbed, outcome.absorbed_consent_changes)):
            uow.publish(updated_event(member))
            _publish_consents(uow, member, changes, actor)
        await traits.restore_member_facts(uow, merge_id, record.absorbed_id, record.survivor_id, now=now)
        await uow.commit()
    return [outcome.survivor, outcome.absorbed]


def updated_event(member: Member) -> Event:
    """The member's facts as they are now (rewards keeps a copy; identities included)."""
    return Event(type="MemberUpdated", source=SOURCE, member_id=member.id,
                 payload=member_rules.member_facts(member))


def _publish_consents(uow: UnitOfWork, member: Member, changes: Sequence[ConsentChange], actor: str) -> None:
    if changes:
        uow.publish(consents_changed_event(replace(member), changes, actor=actor))


async def merges_of(runtime: Runtime, principal: Principal | None, member_id: str) -> list[rules.MergeRecord]:
    async with runtime.db.reading() as connection:
        current = await aliases.require_member_access(connection, principal, member_id)
        return (await repository.merges_of(connection, [current])).get(current, [])
