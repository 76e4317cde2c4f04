"""Reading and writing the engine's rows as domain objects."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel.db import UnitOfWork, row_of
from subgraphs.kernel.vocabulary import Channel, IdentifierKind

from ..domain import Evaluation, ReturnedLine, ReturnRequest, evaluation_facts, evaluation_from_facts
from .tables import member_identifiers, members, purchases, returns

RECORDED = "RECORDED"
POSTED = "POSTED"


@dataclass(frozen=True, slots=True)
class KnownMember:
    member_id: str
    status: str
    profiling: bool
    birthday: date | None
    home_store_id: str | None
    enrolled_at: datetime


@dataclass(frozen=True, slots=True)
class Purchase:
    external_id: str
    member_id: str
    channel: Channel
    store_id: str | None
    occurred_at: datetime
    evaluation: Evaluation
    status: str


async def known_member(connection: AsyncConnection, member_id: str) -> KnownMember | None:
    row = (await connection.execute(sa.select(members).where(members.c.member_id == member_id))).first()
    return KnownMember(**row._mapping) if row else None


async def member_id_by_identifier(connection: AsyncConnection, kind: IdentifierKind, value: str) -> str | None:
    return await connection.scalar(
        sa.select(member_identifiers.c.member_id).where(
            member_identifiers.c.kind == str(kind), member_identifiers.c.value == value
        )
    )


async def remember_member(uow: UnitOfWork, member: KnownMember, identifiers: list[tuple[str, str]]) -> None:
    row = row_of(member)
    if not await uow.insert_ignoring_conflicts(members, row):
        await uow.execute(members.update().where(members.c.member_id == member.member_id).values(**row))
    for kind, value in identifiers:
        await uow.insert_ignoring_conflicts(member_identifiers, {"kind": kind, "value": value,
                                                                  "member_id": member.member_id})


async def set_profiling(uow: UnitOfWork, member_id: str, profiling: bool) -> None:
    await uow.execute(members.update().where(members.c.member_id == member_id).values(profiling=profiling))


def _purchase(row: sa.Row) -> Purchase:
    return Purchase(row.external_id, row.member_id, Channel(row.channel), row.store_id, row.occurred_at,
                    evaluation_from_facts(row.evaluation), row.status)


async def purchase(connection: AsyncConnection, external_id: str) -> Purchase | None:
    row = (await connection.execute(sa.select(purchases).where(purchases.c.external_id == external_id))).first()
    return _purchase(row) if row else None


async def lock_purchase(uow: UnitOfWork, external_id: str) -> Purchase | None:
    """The purchase, locked: returns of one purchase are serialised."""
    row = (await uow.execute(uow.for_update(sa.select(purchases).where(purchases.c.external_id == external_id)))
           ).first()
    return _purchase(row) if row else None


async def record_purchase(uow: UnitOfWork, purchase: Purchase, recorded_at: datetime) -> None:
    await uow.execute(
        purchases.insert().values(
            external_id=purchase.external_id,
            member_id=purchase.member_id,
            channel=str(purchase.channel),
            store_id=purchase.store_id,
            occurred_at=purchase.occurred_at,
            recorded_at=recorded_at,
            points=purchase.evaluation.points_to_earn,
            evaluation=evaluation_facts(purchase.evaluation),
            status=purchase.status,
        )
    )


async def mark_posted(uow: UnitOfWork, external_id: str, ledger_entry_id: str | None, at: datetime) -> None:
    await uow.execute(
        purchases.update()
        .where(purchases.c.external_id == external_id)
        .values(status=POSTED, ledger_entry_id=ledger_entry_id, posted_at=at)
    )


async def unposted_purchases(connection: AsyncConnection, recorded_before: datetime, limit: int) -> list[Purchase]:
    rows = await connection.execute(
        sa.select(purchases)
        .where(purchases.c.status == RECORDED, purchases.c.recorded_at < recorded_before)
        .order_by(purchases.c.recorded_at)
        .limit(limit)
    )
    return [_purchase(row) for row in rows]


@dataclass(frozen=True, slots=True)
class Return:
    external_id: str
    purchase_external_id: str
    member_id: str
    request: tuple[ReturnRequest, ...]
    lines: tuple[ReturnedLine, ...]
    points: int
    status: str


def _return(row: sa.Row) -> Return:
    return Return(
        row.external_id, row.purchase_external_id, row.member_id,
        tuple(ReturnRequest(r["sku"], r["quantity"]) for r in row.request),
        tuple(ReturnedLine(ln["line_id"], ln["sku"], ln["quantity"], ln["points"]) for ln in row.lines),
        row.points, row.status,
    )


async def return_(connection: AsyncConnection, external_id: str) -> Return | None:
    row = (await connection.execute(sa.select(returns).where(returns.c.external_id == external_id))).first()
    return _return(row) if row else None


async def returned_quantities(connection: AsyncConnection, purchase_external_id: str) -> dict[str, int]:
    """Units already returned, per purchase line."""
    totals: dict[str, int] = {}
    for row in await connection.execute(
        sa.select(returns.c.lines).where(returns.c.purchase_external_id == purchase_external_id)
    ):
        for line in row.lines:
            totals[line["line_id"]] = totals.get(line["line_id"], 0) + line["quantity"]
    return totals


async def record_return(uow: UnitOfWork, record: Return, at: datetime) -> None:
    await uow.execute(returns.insert().values(
        external_id=record.external_id,
        purchase_external_id=record.purchase_external_id,
        member_id=record.member_id,
        request=[{"sku": r.sku, "quantity": r.quantity} for r in record.request],
        lines=[{"line_id": ln.line_id, "sku": ln.sku, "quantity": ln.quantity, "points": ln.points}
               for ln in record.lines],
        points=record.points,
        status=record.status,
        recorded_at=at,
    ))


async def mark_return_posted(uow: UnitOfWork, external_id: str, at: datetime) -> None:
    await uow.execute(returns.update().where(returns.c.external_id == external_id).values(status=POSTED,
                                                                                         posted_at=at))


async def unposted_returns(connection: AsyncConnection, recorded_before: datetime, limit: int) -> list[Return]:
    rows = await connection.execute(
        sa.select(returns).where(returns.c.status == RECORDED, returns.c.recorded_at < recorded_before)
        .order_by(returns.c.recorded_at).limit(limit)
    )
    return [_return(row) for row in rows]
