"""The message log and members' contacts, as rows."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel.db import UnitOfWork

from ..domain.messages import PENDING, TRANSACTIONAL, MessageChannel, MessageKind, MessageStatus
from .tables import member_contacts, messages

PENDING_VALUES = sorted(str(s) for s in PENDING)
MARKETING_KINDS = sorted(str(k) for k in MessageKind if k not in TRANSACTIONAL)


@dataclass(frozen=True, slots=True)
class Contacts:
    given_name: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    member_id: str
    kind: MessageKind
    channel: MessageChannel
    status: MessageStatus
    reference: str
    facts: dict[str, Any]
    address: str | None
    created_at: datetime
    next_attempt_at: datetime
    attempts: int
    reason: str | None
    decided_at: datetime | None
    sent_at: datetime | None


def _message(row: sa.Row) -> Message:
    return Message(row.id, row.member_id, MessageKind(row.kind), MessageChannel(row.channel),
                   MessageStatus(row.status), row.reference, dict(row.facts), row.address, row.created_at,
                   row.next_attempt_at, row.attempts, row.reason, row.decided_at, row.sent_at)


async def remember_contacts(uow: UnitOfWork, member_id: str, contacts: Contacts, as_of: datetime) -> None:
    """Profile's word on how to reach the member as of `as_of`: it replaces only older words."""
    values = {"given_name": contacts.given_name, "email": contacts.email, "phone": contacts.phone, "as_of": as_of}
    if not await uow.insert_ignoring_conflicts(member_contacts, {"member_id": member_id, **values}):
        await uow.execute(member_contacts.update().where(member_contacts.c.member_id == member_id,
                                                         member_contacts.c.as_of < as_of).values(**values))


async def contacts_of(connection: AsyncConnection, member_id: str) -> Contacts | None:
    row = (await connection.execute(sa.select(member_contacts).where(member_contacts.c.member_id == member_id))
           ).first()
    return Contacts(row.given_name, row.email, row.phone) if row else None


async def queue(uow: UnitOfWork, *, message_id: str, member_id: str, kind: MessageKind, channel: MessageChannel,
                reference: str, facts: dict[str, Any], address: str | None, now: datetime) -> bool:
    """False when this message (kind, reference, channel) was queued before."""
    return await uow.insert_ignoring_conflicts(messages, {
        "id": message_id, "member_id": member_id, "origin_member_id": member_id, "kind": str(kind),
        "channel": str(channel), "status": str(MessageStatus.QUEUED), "reference": reference[:128], "facts": facts,
        "address": address, "created_at": now, "next_attempt_at": now, "attempts": 0})


async def due(connection: AsyncConnection, now: datetime, limit: int) -> list[Message]:
    """Pending messages whose time has come and that no sender holds, oldest first."""
    rows = await connection.execute(sa.select(messages).where(
        messages.c.status.in_(PENDING_VALUES), messages.c.next_attempt_at <= now,
        sa.or_(messages.c.lease_until.is_(None), messages.c.lease_until < now),
    ).order_by(messages.c.next_attempt_at, messages.c.id).limit(limit))
    return [_message(row) for row in rows]


async def claim(uow: UnitOfWork, message_id: str, now: datetime, until: datetime) -> bool:
    """Hold the message for this sender until `until` (another replica's job skips it)."""
    result = await uow.execute(messages.update().where(
        messages.c.id == message_id, messages.c.status.in_(PENDING_VALUES),
        sa.or_(messages.c.lease_until.is_(None), messages.c.lease_until < now),
    ).values(lease_until=until))
    return result.rowcount == 1


async def sent_since(connection: AsyncConnection, member_id: str, channel: MessageChannel, since: datetime) -> int:
    """Marketing messages sent to the member on the channel since `since` (the cap's window)."""
    return int(await connection.scalar(sa.select(sa.func.count()).select_from(messages).where(
        messages.c.member_id == member_id, messages.c.channel == str(channel),
        messages.c.status == str(MessageStatus.SENT), messages.c.kind.in_(MARKETING_KINDS),
        messages.c.sent_at > since)) or 0)


async def record(uow: UnitOfWork, message_id: str, *, status: MessageStatus, now: datetime,
                 reason: str | None = None, next_attempt_at: datetime | None = None, attempts: int | None = None,
                 facts: dict[str, Any] | None = None) -> None:
    """The outcome of one turn of the message; the lease ends with it."""
    values: dict[str, Any] = {"status": str(status), "reason": reason[:300] if reason else None, "lease_until": None}
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    if attempts is not None:
        values["attempts"] = attempts
    if facts is not None:
        values["facts"] = facts
    if status not in PENDING:
        values["decided_at"] = now
    if status is MessageStatus.SENT:
        values["sent_at"] = now
    await uow.execute(messages.update().where(messages.c.id == message_id).values(**values))


async def messages_of(connection: AsyncConnection, member_id: str, limit: int) -> list[Message]:
    rows = await connection.execute(sa.select(messages).where(messages.c.member_id == member_id)
                                    .order_by(messages.c.created_at.desc(), messages.c.id.desc()).limit(limit))
    return [_message(row) for row in rows]


async def forget(uow: UnitOfWork, member_ids: Sequence[str]) -> None:
    """Erasure: how to reach the member and every message to them go."""
    await uow.execute(member_contacts.delete().where(member_contacts.c.member_id.in_(member_ids)))
    await uow.execute(messages.delete().where(sa.or_(messages.c.member_id.in_(member_ids),
                                                     messages.c.origin_member_id.in_(member_ids))))
