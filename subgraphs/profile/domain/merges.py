"""Identity resolution: one member per person, across POS, web, app and CRM. No I/O here.

A channel says which identifiers it knows (`identify`). Exact matches only: an
identifier held by a member points at that member; identifiers held by two
members mean one person with two records, and the records merge. The older
member survives (configurable), field by field the best value survives
(`survive`), consents keep the more restrictive value per purpose, and every
merge leaves a `MergeRecord` holding what both records were, so that it can be
undone exactly (`unmerge`): the answer to the most feared failure of a
customer data platform, a wrong merge.

Unmerging puts both records back as they were at the merge, with these rules
for what happened since (README "The golden record"):
- identifiers linked after the merge stay with the survivor (they came in on it);
- a profile field changed after the merge keeps its new value on the survivor;
- a consent changed after the merge stays as changed on the survivor, and a
  withdrawal made after the merge applies to the absorbed member too (it may
  have been that person's; a withdrawal is never undone by an unmerge).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from core.errors import Conflict
from core.vocabulary import Channel, IdentifierKind
from subgraphs.kernel.identifiers import MAX_PER_MEMBER

from . import consents as consent_ledger
from .consents import ConsentChange
from .members import PROFILE_FIELDS, Consents, FieldSource, Identity, Member, MemberStatus

# How much a channel's word counts when two records disagree on a person's name or
# birthday: what a CRM agent checked beats what a till typed beats a web form.
TRUST = {Channel.CRM: 4, Channel.POS: 3, Channel.ECOMMERCE: 2, Channel.APP: 1, Channel.SYSTEM: 0}
# Who the person is: the most trusted source wins, then the most recent.
BY_TRUST = frozenset({"given_name", "family_name", "birthday"})
# How to reach them: the most recent non-empty value wins, then the most trusted.
BY_RECENCY = frozenset({"email", "phone", "home_store_id"})
MAX_MERGES = 100  # members absorbed into one (Segment caps merges per profile at 100)


@dataclass(frozen=True, slots=True)
class MergeRecord:
    """One merge, with what both records were just before it (to undo it exactly)."""

    id: str
    survivor_id: str
    absorbed_id: str
    at: datetime
    reason: str  # the identifiers that matched, e.g. "EMAIL julia@example.com"
    survivor_before: Mapping[str, Any]  # snapshot(): fields, sources, consents, enrolled_at, merges
    absorbed_before: Mapping[str, Any]
    survivor_after: Mapping[str, Any]  # the survivor's fields as the merge left them
    moved: tuple[tuple[str, str], ...]  # (kind, value) of the identifiers that moved to the survivor
    consent_changes: tuple[ConsentChange, ...] = ()  # what the merge changed on the survivor
    reversed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    survivor: Member
    absorbed: Member
    record: MergeRecord
    consent_changes: list[ConsentChange] = field(default_factory=list)  # to record on the survivor


@dataclass(frozen=True, slots=True)
class UnmergeOutcome:
    survivor: Member
    absorbed: Member
    survivor_consent_changes: list[ConsentChange]
    absorbed_consent_changes: list[ConsentChange]
    identities_back: tuple[tuple[str, str], ...]  # (kind, value) that go back to the absorbed member


def survivors_first(members: Iterable[Member], *, oldest_survives: bool = True) -> list[Member]:
    """The order in which records merge: the first survives and absorbs the others in turn.
    Deterministic: by enrolment time, then id."""
    ordered = sorted(members, key=lambda m: (m.enrolled_at, m.id))
    return ordered if oldest_survives else ordered[::-1]


def reason(identifiers: Iterable[tuple[str, str]]) -> str:
    """`EMAIL julia@example.com, PHONE +15035550142`: the identifiers that matched."""
    return ", ".join(f"{kind} {value}" for kind, value in sorted(set(identifiers)))[:500]


def snapshot(member: Member) -> dict[str, Any]:
    """What a merge must remember of a record to put it back."""
    return {
        "status": str(member.status),
        "enrolled_at": member.enrolled_at.isoformat(),
        "fields": {name: _to_json(getattr(member, name)) for name in PROFILE_FIELDS},
        "sources": {name: {"source": str(s.source), "at": s.at.isoformat()} for name, s in member.field_sources.items()},
        "consents": {attribute: bool(getattr(member.consents, attribute)) for attribute in consent_ledger.PURPOSE_OF},
        "consents_updated_at": member.consents.updated_at.isoformat() if member.consents.updated_at else None,
        "absorbed_count": member.absorbed_count,
    }


def survive(survivor: Member, absorbed: Member) -> tuple[dict[str, Any], dict[str, FieldSource]]:
    """Each profile field's surviving value and where it came from."""
    values: dict[str, Any] = {}
    sources: dict[str, FieldSource] = {}
    for name in PROFILE_FIELDS:
        candidates = [(getattr(m, name), m.field_sources.get(name) or FieldSource(Channel.SYSTEM, m.enrolled_at))
                      for m in (survivor, absorbed) if getattr(m, name) not in (None, "")]
        if not candidates:
            values[name] = None
            continue
        if name in BY_TRUST:
            value, source = max(candidates, key=lambda c: (TRUST[c[1].source], c[1].at))
        else:
            value, source = max(candidates, key=lambda c: (c[1].at, TRUST[c[1].source]))
        values[name], sources[name] = value, source
    return values, sources


def check_identity_limits(identities: Iterable[Identity | tuple[str, str]]) -> None:
    """At most MAX_PER_MEMBER[kind] identifiers of a kind on one member: two loyalty cards
    or two CRM contacts on one record mean two people (CONFLICT, nothing changes)."""
    distinct = {(_kind(i), _value(i)) for i in identities}
    counts = Counter(IdentifierKind(kind) for kind, _ in distinct)
    for kind, count in counts.items():
        if count > MAX_PER_MEMBER[kind]:
            raise Conflict(f"one member holds at most {MAX_PER_MEMBER[kind]} {kind} identifier"
                           f"{'s' if MAX_PER_MEMBER[kind] > 1 else ''}; this would make {count}",
                           kind=str(kind))


def merge(survivor: Member, absorbed: Member, *, merge_id: str, at: datetime, matched: Iterable[tuple[str, str]],
          channel: Channel, max_merges: int = MAX_MERGES) -> MergeOutcome:
    """`absorbed` becomes part of `survivor`: identifiers move, the best value of each field
    survives, consents keep the more restrictive value per purpose."""
    for member in (survivor, absorbed):
        if member.status is not MemberStatus.ACTIVE:
            raise Conflict(f"member {member.id} is {member.status.lower()} and cannot be merged")
    if survivor.id == absorbed.id:
        raise Conflict("a member cannot be merged into itself")
    absorbed_count = survivor.absorbed_count + absorbed.absorbed_count + 1
    if absorbed_count > max_merges:
        raise Conflict(f"member {survivor.id} has absorbed {survivor.absorbed_count} members; at most {max_merges} "
                       "merge into one")
    identities = survivor.identities + absorbed.identities
    check_identity_limits(identities)
    values, sources = survive(survivor, absorbed)
    restrictive = consent_ledger.most_restrictive(survivor.consents, absorbed.consents)
    new_consents, consent_changes = consent_ledger.record(survivor.consents, restrictive, at=at, source=channel,
                                                          actor=f"merge:{merge_id}")
    merged = replace(survivor, **values, field_sources=sources, identities=identities, consents=new_consents,
                     absorbed_count=absorbed_count, enrolled_at=min(survivor.enrolled_at, absorbed.enrolled_at))
    gone = replace(absorbed, status=MemberStatus.MERGED, identities=())
    record = MergeRecord(
        id=merge_id, survivor_id=survivor.id, absorbed_id=absorbed.id, at=at, reason=reason(matched),
        survivor_before=snapshot(survivor), absorbed_before=snapshot(absorbed), survivor_after=snapshot(merged),
        moved=tuple((str(i.kind), i.value) for i in absorbed.identities), consent_changes=tuple(consent_changes),
    )
    return MergeOutcome(merged, gone, record, consent_changes)


def unmerge(record: MergeRecord, survivor: Member, absorbed: Member,
            survivor_history_since: Sequence[ConsentChange], *, at: datetime, actor: str) -> UnmergeOutcome:
    """Both records as they were at the merge, except what happened since (module docstring).

    `survivor_history_since`: the consent changes recorded on the survivor after the merge."""
    if record.reversed_at is not None:
        raise Conflict(f"merge {record.id} was already undone")
    if survivor.status is not MemberStatus.ACTIVE:
        raise Conflict(f"member {survivor.id} is {survivor.status.lower()}: undo what happened to it first")
    before, after = record.survivor_before, record.survivor_after
    # Fields: back to what they were, unless changed since the merge.
    fields: dict[str, Any] = {}
    sources = dict(survivor.field_sources)
    for name in PROFILE_FIELDS:
        now_value = _to_json(getattr(survivor, name))
        if now_value == after["fields"][name]:
            fields[name] = _from_json(name, before["fields"][name])
            if name in before["sources"]:
                sources[name] = _source(before["sources"][name])
            else:
                sources.pop(name, None)
    moved = set(record.moved)
    identities_back = tuple((str(i.kind), i.value) for i in survivor.identities if (str(i.kind), i.value) in moved)
    kept = tuple(i for i in survivor.identities if (str(i.kind), i.value) not in moved)
    restored = replace(survivor, **fields, field_sources=sources, identities=kept,
                       absorbed_count=max(survivor.absorbed_count - record.absorbed_before["absorbed_count"] - 1, 0),
                       enrolled_at=datetime.fromisoformat(before["enrolled_at"]))
    # Consents: what the merge changed goes back, unless changed since by someone else.
    changed_since = {c.purpose for c in survivor_history_since if not c.actor.startswith("merge:")}
    wanted = {consent_ledger.ATTRIBUTE[c.purpose]: before["consents"][consent_ledger.ATTRIBUTE[c.purpose]]
              for c in record.consent_changes if c.purpose not in changed_since}
    survivor_consents, survivor_changes = consent_ledger.record(survivor.consents, wanted, at=at,
                                                                source=Channel.SYSTEM, actor=actor)
    restored = replace(restored, consents=survivor_consents)
    # The absorbed record: as it was, with any withdrawal made since applied as well.
    absorbed_consents = _consents(record.absorbed_before)
    withdrawals = {consent_ledger.ATTRIBUTE[c.purpose]: False for c in survivor_history_since
                   if not c.granted and not c.actor.startswith("merge:")}
    absorbed_consents, absorbed_changes = consent_ledger.record(absorbed_consents, withdrawals, at=at,
                                                                source=Channel.SYSTEM, actor=actor)
    back = absorbed_before_member(record, absorbed, absorbed_consents, tuple(
        i for i in survivor.identities if (str(i.kind), i.value) in moved))
    return UnmergeOutcome(restored, back, survivor_changes, absorbed_changes, identities_back)


def absorbed_before_member(record: MergeRecord, absorbed: Member, consents: Consents,
                           identities: tuple[Identity, ...]) -> Member:
    snap = record.absorbed_before
    return replace(
        absorbed,
        status=MemberStatus(snap["status"]),
        enrolled_at=datetime.fromisoformat(snap["enrolled_at"]),
        **{name: _from_json(name, snap["fields"][name]) for name in PROFILE_FIELDS},
        field_sources={name: _source(s) for name, s in snap["sources"].items()},
        consents=consents,
        identities=identities,
        absorbed_count=snap["absorbed_count"],
    )


def _consents(snap: Mapping[str, Any]) -> Consents:
    updated = snap.get("consents_updated_at")
    return Consents(**snap["consents"], updated_at=datetime.fromisoformat(updated) if updated else None)


def _source(raw: Mapping[str, str]) -> FieldSource:
    return FieldSource(Channel(raw["source"]), datetime.fromisoformat(raw["at"]))


def _to_json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _from_json(name: str, value: Any) -> Any:
    return date.fromisoformat(value) if name == "birthday" and value is not None else value


def _kind(identity: Identity | tuple[str, str]) -> str:
    return str(identity.kind) if isinstance(identity, Identity) else identity[0]


def _value(identity: Identity | tuple[str, str]) -> str:
    return identity.value if isinstance(identity, Identity) else identity[1]



def identified(*, member_id: str, at: datetime, channel: Channel, identifiers: Sequence[tuple[str, str]],
               given_name: str | None, family_name: str | None) -> Member:
    """A member first met through `identify`: the identifiers the channel knows, the names it
    gives; the first email and phone are also how to reach them."""
    check_identity_limits(identifiers)
    email = next((value for kind, value in identifiers if kind == IdentifierKind.EMAIL), None)
    phone = next((value for kind, value in identifiers if kind == IdentifierKind.PHONE), None)
    member = Member(id=member_id, enrolled_at=at, given_name=given_name, family_name=family_name, email=email,
                    phone=phone, identities=tuple(Identity(IdentifierKind(kind), value, channel, at)
                                                  for kind, value in identifiers))
    return replace(member, field_sources={name: FieldSource(channel, at) for name in PROFILE_FIELDS
                                          if getattr(member, name) is not None})


def learn(member: Member, *, at: datetime, channel: Channel, identifiers: Sequence[tuple[str, str]],
          given_name: str | None, family_name: str | None) -> Member:
    """What a channel tells about a member it identified: identifiers not yet linked are
    linked (within the limits per kind); a name replaces the recorded one when the channel
    is at least as trusted (as in a merge); an email or phone fills an empty contact field."""
    linked = {(str(i.kind), i.value) for i in member.identities}
    new = tuple(Identity(IdentifierKind(kind), value, channel, at)
                for kind, value in identifiers if (str(kind), value) not in linked)
    identities = member.identities + new
    check_identity_limits(identities)
    values: dict[str, Any] = {}
    sources = dict(member.field_sources)
    for name, value in (("given_name", given_name), ("family_name", family_name)):
        current = member.field_sources.get(name) or FieldSource(Channel.SYSTEM, member.enrolled_at)
        if value and (not getattr(member, name) or (TRUST[channel], at) >= (TRUST[current.source], current.at)):
            values[name], sources[name] = value, FieldSource(channel, at)
    for name, kind in (("email", IdentifierKind.EMAIL), ("phone", IdentifierKind.PHONE)):
        first = next((i.value for i in new if i.kind is kind), None)
        if getattr(member, name) is None and first is not None:
            values[name], sources[name] = first, FieldSource(channel, at)
    return replace(member, **values, field_sources=sources, identities=identities)
