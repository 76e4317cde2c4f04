"""Reading and writing members as domain objects."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel.db import UnitOfWork

from ..domain.consents import ConsentChange, Purpose
from ..domain.members import Channel, Consents, FieldSource, IdentifierKind, Identity, Member, MemberStatus
from ..domain.merges import MergeRecord
from .tables import consent_changes, identities, members, merges


def _sources(raw: dict[str, Any] | None) -> dict[str, FieldSource]:
    return {name: FieldSource(Channel(s["source"]), datetime.fromisoformat(s["at"])) for name, s in (raw or {}).items()}


def _member(row: sa.Row, linked: Sequence[Identity]) -> Member:
    return Member(
        id=row.id,
        status=MemberStatus(row.status),
        given_name=row.given_name,
        family_name=row.family_name,
        email=row.email,
        phone=row.phone,
        birthday=row.birthday,
        home_store_id=row.home_store_id,
        enrolled_at=row.enrolled_at,
        consents=Consents(
            email_marketing=row.email_marketing,
            sms_marketing=row.sms_marketing,
            push_marketing=row.push_marketing,
            profiling=row.profiling,
            updated_at=row.consents_updated_at,
        ),
        identities=tuple(linked),
        field_sources=_sources(row.field_sources),
        absorbed_count=row.absorbed_count,
    )


async def members_by_id(connection: AsyncConnection, ids: Sequence[str]) -> dict[str, Member]:
    rows = (await connection.execute(sa.select(members).where(members.c.id.in_(ids)))).all()
    if not rows:
        return {}
    linked: dict[str, list[Identity]] = defaultdict(list)
    for row in await connection.execute(
        sa.select(identities).where(identities.c.member_id.in_(ids)).order_by(identities.c.linked_at)
    ):
        linked[row.member_id].append(
            Identity(IdentifierKind(row.kind), row.value, Channel(row.source), row.linked_at)
        )
    return {row.id: _member(row, linked[row.id]) for row in rows}


async def member_id_by_identifier(connection: AsyncConnection, kind: IdentifierKind, value: str) -> str | None:
    return await connection.scalar(_MEMBER_ID_BY_IDENTIFIER, {"kind": str(kind), "value": value})


_MEMBER_ID_BY_IDENTIFIER = sa.select(identities.c.member_id).where(
    identities.c.kind == sa.bindparam("kind"), identities.c.value == sa.bindparam("value"))

# The till's lookup in one statement, built once: the identifier (primary key), its member
# (primary key) and all of the member's identifiers (ix_identities_member_id), a row each.
_found, _linked = identities.alias("found"), identities.alias("linked")
_MEMBER_BY_IDENTIFIER = (
    sa.select(members, _linked.c.kind.label("linked_kind"), _linked.c.value.label("linked_value"),
              _linked.c.source.label("linked_source"), _linked.c.linked_at.label("linked_linked_at"))
    .select_from(_found.join(members, members.c.id == _found.c.member_id)
                 .join(_linked, _linked.c.member_id == members.c.id))
    .where(_found.c.kind == sa.bindparam("kind"), _found.c.value == sa.bindparam("value"))
    .order_by(_linked.c.linked_at, _linked.c.kind, _linked.c.value)
)


async def member_by_identifier(connection: AsyncConnection, kind: IdentifierKind, value: str) -> Member | None:
    """The member holding this (normalised) identifier, with all their identities."""
    rows = (await connection.execute(_MEMBER_BY_IDENTIFIER, {"kind": str(kind), "value": value})).all()
    if not rows:
        return None
    linked = [Identity(IdentifierKind(r.linked_kind), r.linked_value, Channel(r.linked_source), r.linked_linked_at)
              for r in rows]
    return _member(rows[0], linked)


def member_row(member: Member) -> dict[str, Any]:
    """The members row of a new member, as enrolment writes it (bench/lookup.py bulk-loads with it)."""
    return {
        "id": member.id, "status": str(member.status), "given_name": member.given_name,
        "family_name": member.family_name, "email": member.email, "phone": member.phone,
        "birthday": member.birthday, "home_store_id": member.home_store_id, "enrolled_at": member.enrolled_at,
        "email_marketing": member.consents.email_marketing, "sms_marketing": member.consents.sms_marketing,
        "push_marketing": member.consents.push_marketing, "profiling": member.consents.profiling,
        "consents_updated_at": member.consents.updated_at, "field_sources": _sources_json(member),
        "absorbed_count": member.absorbed_count,
    }


def identity_rows(member_id: str, linked: Iterable[Identity]) -> list[dict[str, Any]]:
    return [{"kind": str(i.kind), "value": i.value, "member_id": member_id, "source": str(i.source),
             "linked_at": i.linked_at} for i in linked]


def consent_change_rows(member_id: str, changes: Iterable[ConsentChange]) -> list[dict[str, Any]]:
    return [{"member_id": member_id, "purpose": str(c.purpose), "granted": c.granted, "at": c.at,
             "source": str(c.source), "actor": c.actor} for c in changes]


async def add_member(uow: UnitOfWork, member: Member) -> None:
    await uow.execute(members.insert().values(member_row(member)))
    await add_identities(uow, member.id, member.identities)


async def save_consents(uow: UnitOfWork, member_id: str, consents: Consents) -> None:
    await uow.execute(
        members.update()
        .where(members.c.id == member_id)
        .values(
            email_marketing=consents.email_marketing,
            sms_marketing=consents.sms_marketing,
            push_marketing=consents.push_marketing,
            profiling=consents.profiling,
            consents_updated_at=consents.updated_at,
        )
    )


def _sources_json(member: Member) -> dict[str, Any]:
    return {name: {"source": str(s.source), "at": s.at.isoformat()} for name, s in member.field_sources.items()}


async def save_member(uow: UnitOfWork, member: Member) -> None:
    """Every field of the record as the domain left it (identities are saved apart)."""
    await uow.execute(members.update().where(members.c.id == member.id).values(
        status=str(member.status), given_name=member.given_name, family_name=member.family_name,
        email=member.email, phone=member.phone, birthday=member.birthday, home_store_id=member.home_store_id,
        enrolled_at=member.enrolled_at, email_marketing=member.consents.email_marketing,
        sms_marketing=member.consents.sms_marketing, push_marketing=member.consents.push_marketing,
        profiling=member.consents.profiling, consents_updated_at=member.consents.updated_at,
        field_sources=_sources_json(member), absorbed_count=member.absorbed_count,
    ))


async def lock_members(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, Member]:
    """The members, locked for this transaction (PostgreSQL; SQLite has one writer), in id
    order so that two transactions locking the same members never deadlock."""
    ordered = sorted(set(ids))
    await uow.execute(uow.for_update(sa.select(members.c.id).where(members.c.id.in_(ordered)).order_by(members.c.id)))
    return await members_by_id(uow.connection, ordered)


def _identifiers_in(pairs: Iterable[tuple[str, str]]) -> sa.ColumnElement[bool]:
    """`(kind, value) IN (...)` as `kind = ? AND value IN (...)` per kind, OR-ed: SQLite (3.40)
    scans the whole table for a row-value IN list, but searches the primary key for this."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, value in pairs:
        by_kind[kind].append(value)
    return sa.or_(*(sa.and_(identities.c.kind == kind, identities.c.value.in_(values))
                    for kind, values in sorted(by_kind.items())))


async def holders_of(connection: AsyncConnection, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(kind, value) -> the member holding it, for those held."""
    wanted = set(pairs)
    if not wanted:
        return {}
    rows = await connection.execute(sa.select(identities.c.kind, identities.c.value, identities.c.member_id).where(
        _identifiers_in(wanted)))
    return {(row.kind, row.value): row.member_id for row in rows}


async def add_identities(uow: UnitOfWork, member_id: str, linked: Iterable[Identity]) -> None:
    rows = identity_rows(member_id, linked)
    if rows:
        await uow.execute(identities.insert(), rows)


async def move_identities(uow: UnitOfWork, pairs: Iterable[tuple[str, str]], to_member: str) -> None:
    wanted = list(pairs)
    if wanted:
        await uow.execute(identities.update().where(_identifiers_in(wanted)).values(member_id=to_member))


async def add_consent_changes(uow: UnitOfWork, member_id: str, changes: Iterable[ConsentChange]) -> None:
    rows = consent_change_rows(member_id, changes)
    if rows:
        await uow.execute(consent_changes.insert(), rows)


async def consent_history(connection: AsyncConnection, member_id: str, *, since: datetime | None = None
                          ) -> list[ConsentChange]:
    """Oldest first."""
    query = sa.select(consent_changes).where(consent_changes.c.member_id == member_id)
    if since is not None:
        query = query.where(consent_changes.c.at > since)
    rows = await connection.execute(query.order_by(consent_changes.c.at, consent_changes.c.id))
    return [ConsentChange(Purpose(r.purpose), r.granted, r.at, Channel(r.source), r.actor) for r in rows]


def _record_json(record: MergeRecord) -> dict[str, Any]:
    return {
        "survivor_before": record.survivor_before, "absorbed_before": record.absorbed_before,
        "survivor_after": record.survivor_after, "moved": [list(pair) for pair in record.moved],
        "consent_changes": [{"purpose": str(c.purpose), "granted": c.granted, "at": c.at.isoformat(),
                             "source": str(c.source), "actor": c.actor} for c in record.consent_changes],
    }


def _merge(row: sa.Row) -> MergeRecord:
    raw = row.record
    return MergeRecord(
        id=row.id, survivor_id=row.survivor_id, absorbed_id=row.absorbed_id, at=row.at, reason=row.reason,
        survivor_before=raw["survivor_before"], absorbed_before=raw["absorbed_before"],
        survivor_after=raw["survivor_after"], moved=tuple((k, v) for k, v in raw["moved"]),
        consent_changes=tuple(ConsentChange(Purpose(c["purpose"]), c["granted"], datetime.fromisoformat(c["at"]),
                                            Channel(c["source"]), c["actor"]) for c in raw["consent_changes"]),
        reversed_at=row.reversed_at,
    )


async def add_merge(uow: UnitOfWork, record: MergeRecord, actor: str) -> None:
    await uow.execute(merges.insert().values(id=record.id, survivor_id=record.survivor_id,
                                             absorbed_id=record.absorbed_id, at=record.at, reason=record.reason,
                                             actor=actor, record=_record_json(record)))


async def lock_merge(uow: UnitOfWork, merge_id: str) -> MergeRecord | None:
    row = (await uow.execute(uow.for_update(sa.select(merges).where(merges.c.id == merge_id)))).first()
    return _merge(row) if row else None


async def mark_merge_reversed(uow: UnitOfWork, merge_id: str, at: datetime, by: str) -> None:
    await uow.execute(merges.update().where(merges.c.id == merge_id).values(reversed_at=at, reversed_by=by))


async def merges_of(connection: AsyncConnection, member_ids: Sequence[str]) -> dict[str, list[MergeRecord]]:
    """The merges each member survived or absorbed, newest first."""
    rows = await connection.execute(sa.select(merges).where(sa.or_(merges.c.survivor_id.in_(member_ids),
                                                                   merges.c.absorbed_id.in_(member_ids)))
                                    .order_by(merges.c.at.desc(), merges.c.id))
    found: dict[str, list[MergeRecord]] = defaultdict(list)
    for row in rows:
        record = _merge(row)
        for member_id in {record.survivor_id, record.absorbed_id} & set(member_ids):
            found[member_id].append(record)
    return found
