"""Reading and writing members as domain objects."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel.db import UnitOfWork

from ..domain.members import Channel, Consents, IdentifierKind, Identity, Member, MemberStatus
from .tables import identities, members


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
    return await connection.scalar(
        sa.select(identities.c.member_id).where(identities.c.kind == str(kind), identities.c.value == value)
    )


async def add_member(uow: UnitOfWork, member: Member) -> None:
    await uow.execute(
        members.insert().values(
            id=member.id,
            status=str(member.status),
            given_name=member.given_name,
            family_name=member.family_name,
            email=member.email,
            phone=member.phone,
            birthday=member.birthday,
            home_store_id=member.home_store_id,
            enrolled_at=member.enrolled_at,
            email_marketing=member.consents.email_marketing,
            sms_marketing=member.consents.sms_marketing,
            push_marketing=member.consents.push_marketing,
            profiling=member.consents.profiling,
            consents_updated_at=member.consents.updated_at,
        )
    )
    if member.identities:
        await uow.execute(
            identities.insert(),
            [
                {"kind": str(i.kind), "value": i.value, "member_id": member.id, "source": str(i.source),
                 "linked_at": i.linked_at}
                for i in member.identities
            ],
        )


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
