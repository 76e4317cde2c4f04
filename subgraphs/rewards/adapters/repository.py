"""Reading and writing the engine's rows as domain objects."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from core.vocabulary import Channel, IdentifierKind
from subgraphs.kernel.db import UnitOfWork

from ..domain import Evaluation, ReturnedLine, ReturnRequest, evaluation_facts, evaluation_from_facts
from .tables import (
    catalogue,
    coupons,
    member_identifiers,
    member_lapse_risk,
    member_segments,
    member_tiers,
    members,
    messages,
    offers,
    purchases,
    redemptions,
    returns,
)

RECORDED = "RECORDED"
POSTED = "POSTED"
ERASED = "ERASED"  # profile's status of an erased member: a tombstone here (privacy.py)


@dataclass(frozen=True, slots=True)
class Consents:
    profiling: bool = True
    email_marketing: bool = False
    sms_marketing: bool = False
    push_marketing: bool = False

    @classmethod
    def from_facts(cls, facts: dict) -> Consents:
        return cls(bool(facts.get("profiling", True)), bool(facts.get("email_marketing", False)),
                   bool(facts.get("sms_marketing", False)), bool(facts.get("push_marketing", False)))


@dataclass(frozen=True, slots=True)
class KnownMember:
    member_id: str
    status: str
    consents: Consents
    birthday: date | None
    home_store_id: str | None
    enrolled_at: datetime

    @property
    def profiling(self) -> bool:
        return self.consents.profiling


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
    """The member as profile last told us; None when unknown (or only their consents are)."""
    row = (await connection.execute(sa.select(members).where(members.c.member_id == member_id))).first()
    if row is None or row.status is None:
        return None
    return KnownMember(row.member_id, row.status, _consents(row), row.birthday, row.home_store_id, row.enrolled_at)


async def is_erased(connection: AsyncConnection, member_id: str) -> bool:
    return await connection.scalar(sa.select(members.c.status).where(members.c.member_id == member_id)) == ERASED


def _consents(row: sa.Row) -> Consents:
    return Consents(row.profiling, row.email_marketing, row.sms_marketing, row.push_marketing)


async def member_id_by_identifier(connection: AsyncConnection, kind: IdentifierKind, value: str) -> str | None:
    return await connection.scalar(
        sa.select(member_identifiers.c.member_id).where(
            member_identifiers.c.kind == str(kind), member_identifiers.c.value == value
        )
    )


def _older(column: sa.Column, as_of: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(column.is_(None), column < as_of)


async def remember_member(uow: UnitOfWork, member: KnownMember, identifiers: list[tuple[str, str]],
                          as_of: datetime) -> None:
    """Profile's facts about a member as of `as_of`: they replace only older facts."""
    facts = {"status": member.status, "birthday": member.birthday, "home_store_id": member.home_store_id,
             "enrolled_at": member.enrolled_at, "facts_at": as_of}
    if not await uow.insert_ignoring_conflicts(members, {"member_id": member.member_id, **facts,
                                                          **_consent_values(member.consents), "consents_at": as_of}):
        await uow.execute(members.update().where(members.c.member_id == member.member_id,
                                                 _older(members.c.facts_at, as_of),
                                                 members.c.status.is_distinct_from(ERASED)).values(**facts))
        await set_consents(uow, member.member_id, member.consents, as_of)
        if await uow.connection.scalar(sa.select(members.c.status)
                                       .where(members.c.member_id == member.member_id)) == ERASED:
            return  # erased: nothing personal comes back, whatever arrives late
    for kind, value in identifiers:
        await uow.insert_ignoring_conflicts(member_identifiers, {"kind": kind, "value": value,
                                                                  "member_id": member.member_id})


async def forget_member(uow: UnitOfWork, member_id: str, as_of: datetime) -> None:
    """An erased member: a tombstone (status ERASED, nothing personal) that no later fact replaces."""
    facts = {"status": ERASED, "birthday": None, "home_store_id": None, "facts_at": as_of}
    if not await uow.insert_ignoring_conflicts(members, {"member_id": member_id, **facts, "profiling": False,
                                                          "consents_at": as_of}):
        await uow.execute(members.update().where(members.c.member_id == member_id).values(**facts))


def _consent_values(consents: Consents) -> dict[str, bool]:
    return {"profiling": consents.profiling, "email_marketing": consents.email_marketing,
            "sms_marketing": consents.sms_marketing, "push_marketing": consents.push_marketing}


async def set_consents(uow: UnitOfWork, member_id: str, consents: Consents, as_of: datetime) -> None:
    """The member's consents as of `as_of`, unless newer ones are known."""
    values = {**_consent_values(consents), "consents_at": as_of}
    if not await uow.insert_ignoring_conflicts(members, {"member_id": member_id, **values}):
        await uow.execute(members.update().where(members.c.member_id == member_id,
                                                 _older(members.c.consents_at, as_of)).values(**values))


async def remember_tier(uow: UnitOfWork, member_id: str, tier_id: str, tier_name: str, multiplier: Decimal,
                        as_of: datetime) -> None:
    """The ledger's word on a member's tier (TierChanged); only a newer word replaces it."""
    values = {"tier_id": tier_id, "tier_name": tier_name, "multiplier": multiplier, "as_of": as_of}
    if not await uow.insert_ignoring_conflicts(member_tiers, {"member_id": member_id, **values}):
        await uow.execute(member_tiers.update().where(member_tiers.c.member_id == member_id,
                                                      member_tiers.c.as_of < as_of).values(**values))


async def remember_lapse_risk(uow: UnitOfWork, member_id: str, score: float, model: str, horizon_days: int,
                              as_of: datetime) -> bool:
    """Profile's lapse-risk score for a member, kept only while the engine knows the member
    consents to profiling (an opt-out that arrived first wins), and only over an older score."""
    profiling = await uow.connection.scalar(sa.select(members.c.profiling).where(members.c.member_id == member_id))
    if not profiling:
        return False
    values = {"score": score, "model": model, "horizon_days": horizon_days, "as_of": as_of}
    if await uow.insert_ignoring_conflicts(member_lapse_risk, {"member_id": member_id, **values}):
        return True
    result = await uow.execute(member_lapse_risk.update().where(member_lapse_risk.c.member_id == member_id,
                                                                member_lapse_risk.c.as_of < as_of).values(**values))
    return result.rowcount > 0


async def forget_lapse_risk(uow: UnitOfWork, member_id: str) -> None:
    await uow.execute(member_lapse_risk.delete().where(member_lapse_risk.c.member_id == member_id))


async def lapse_risk_of(connection: AsyncConnection, member_id: str) -> tuple[float, int] | None:
    """The member's lapse-risk score and its horizon in days, or None."""
    row = (await connection.execute(sa.select(member_lapse_risk.c.score, member_lapse_risk.c.horizon_days)
                                    .where(member_lapse_risk.c.member_id == member_id))).first()
    return (row.score, row.horizon_days) if row else None


async def remember_segment(uow: UnitOfWork, member_id: str, segment_id: str, inside: bool, as_of: datetime) -> None:
    """Profile's word that a member entered or left a segment; only a newer word replaces it."""
    values = {"inside": inside, "as_of": as_of}
    if not await uow.insert_ignoring_conflicts(member_segments, {"member_id": member_id, "segment_id": segment_id,
                                                                  **values}):
        await uow.execute(member_segments.update().where(
            member_segments.c.member_id == member_id, member_segments.c.segment_id == segment_id,
            member_segments.c.as_of < as_of).values(**values))


async def birthdays_on(connection: AsyncConnection, month: int, day: int, after: str | None, limit: int
                       ) -> list[str]:
    """Active members born on this day of the year, by id, a page at a time."""
    if connection.dialect.name == "sqlite":
        on_day = sa.func.strftime("%m-%d", members.c.birthday) == f"{month:02d}-{day:02d}"
    else:
        on_day = sa.and_(sa.extract("month", members.c.birthday) == month, sa.extract("day", members.c.birthday) == day)
    query = sa.select(members.c.member_id).where(members.c.birthday.is_not(None), on_day, members.c.status == "ACTIVE")
    if after is not None:
        query = query.where(members.c.member_id > after)
    return list(await connection.scalars(query.order_by(members.c.member_id).limit(limit)))


async def member_tier(connection: AsyncConnection, member_id: str) -> tuple[str, str, Decimal] | None:
    row = (await connection.execute(sa.select(member_tiers).where(member_tiers.c.member_id == member_id))).first()
    return (row.tier_id, row.tier_name, Decimal(row.multiplier)) if row else None


async def segments_of(connection: AsyncConnection, member_id: str) -> frozenset[str]:
    return frozenset(await connection.scalars(sa.select(member_segments.c.segment_id).where(
        member_segments.c.member_id == member_id, member_segments.c.inside.is_(True))))


async def purchase_traits(connection: AsyncConnection, member_id: str, now: datetime
                          ) -> tuple[datetime | None, int, Decimal]:
    """The member's last purchase, purchases in 90 days, spend in 365 days (net of nothing:
    the engine's own rows, read through the member index)."""
    since = now - timedelta(days=365)
    rows = (await connection.execute(sa.select(purchases.c.occurred_at, purchases.c.evaluation).where(
        purchases.c.member_id == member_id, purchases.c.occurred_at > since))).all()
    last = await connection.scalar(sa.select(sa.func.max(purchases.c.occurred_at))
                                   .where(purchases.c.member_id == member_id))
    recent = sum(1 for row in rows if row.occurred_at > now - timedelta(days=90))
    spend = sum((Decimal(row.evaluation["total"]) for row in rows), Decimal("0.00"))
    return last, recent, spend


async def remember_product(uow: UnitOfWork, sku: str, category: str, price: Decimal, as_of: datetime) -> None:
    values = {"category": category, "price": price, "as_of": as_of}
    if not await uow.insert_ignoring_conflicts(catalogue, {"sku": sku, **values}):
        await uow.execute(catalogue.update().where(catalogue.c.sku == sku, catalogue.c.as_of < as_of)
                          .values(**values))


async def catalogue_categories(connection: AsyncConnection, skus: Sequence[str]) -> dict[str, str]:
    rows = await connection.execute(sa.select(catalogue.c.sku, catalogue.c.category)
                                    .where(catalogue.c.sku.in_(sorted(set(skus)))))
    return {row.sku: row.category for row in rows}


async def catalogue_prices(connection: AsyncConnection, skus: Sequence[str]) -> dict[str, Decimal]:
    rows = await connection.execute(sa.select(catalogue.c.sku, catalogue.c.price)
                                    .where(catalogue.c.sku.in_(sorted(set(skus)))))
    return {row.sku: Decimal(row.price) for row in rows}


def _purchase(row: sa.Row) -> Purchase:
    return Purchase(row.external_id, row.member_id, Channel(row.channel), row.store_id, row.occurred_at,
                    evaluation_from_facts(row.evaluation), row.status)


async def purchase(connection: AsyncConnection, external_id: str) -> Purchase | None:
    row = (await connection.execute(sa.select(purchases).where(purchases.c.external_id == external_id))).first()
    return _purchase(row) if row else None


async def last_purchase(connection: AsyncConnection, member_id: str) -> Purchase | None:
    row = (await connection.execute(sa.select(purchases).where(purchases.c.member_id == member_id)
                                    .order_by(purchases.c.occurred_at.desc()).limit(1))).first()
    return _purchase(row) if row else None


async def lock_purchase(uow: UnitOfWork, external_id: str) -> Purchase | None:
    """The purchase, locked: returns of one purchase are serialised."""
    row = (await uow.execute(uow.for_update(sa.select(purchases).where(purchases.c.external_id == external_id)))
           ).first()
    return _purchase(row) if row else None


async def record_purchase(uow: UnitOfWork, purchase: Purchase, recorded_at: datetime, first_retry_at: datetime
                          ) -> None:
    await uow.execute(
        purchases.insert().values(
            external_id=purchase.external_id,
            member_id=purchase.member_id,
            origin_member_id=purchase.member_id,
            channel=str(purchase.channel),
            store_id=purchase.store_id,
            occurred_at=purchase.occurred_at,
            recorded_at=recorded_at,
            points=purchase.evaluation.points_to_earn,
            evaluation=evaluation_facts(purchase.evaluation),
            status=purchase.status,
            next_attempt_at=first_retry_at,
        )
    )


async def mark_posted(uow: UnitOfWork, external_id: str, ledger_entry_id: str | None, at: datetime) -> None:
    await uow.execute(
        purchases.update()
        .where(purchases.c.external_id == external_id)
        .values(status=POSTED, ledger_entry_id=ledger_entry_id, posted_at=at, next_attempt_at=None)
    )


def _due(table: sa.Table, now: datetime) -> sa.Select:
    """Rows whose posting to the ledger is due again (not parked), the most overdue first."""
    return (sa.select(table).where(table.c.status == RECORDED, table.c.next_attempt_at <= now,
                                   table.c.parked_at.is_(None))
            .order_by(table.c.next_attempt_at, table.c.external_id))


async def unposted_purchases(connection: AsyncConnection, now: datetime, limit: int) -> list[Purchase]:
    return [_purchase(row) for row in await connection.execute(_due(purchases, now).limit(limit))]


@dataclass(frozen=True, slots=True)
class PostingFailure:
    attempts: int
    parked: bool


async def record_posting_failure(uow: UnitOfWork, kind: str, external_id: str, error: str, at: datetime,
                                 retry_after: Callable[[int], timedelta | None]) -> PostingFailure:
    """One more failed attempt to post a purchase or a return: when to try next, or
    park it (`retry_after` answers None) with the reason, for a person to look at."""
    table = purchases if kind == "purchase" else returns
    attempts = 1 + (await uow.connection.scalar(
        uow.for_update(sa.select(table.c.attempts).where(table.c.external_id == external_id))) or 0)
    delay = retry_after(attempts)
    await uow.execute(table.update().where(table.c.external_id == external_id).values(
        attempts=attempts, last_error=error[:300],
        next_attempt_at=at + delay if delay is not None else None,
        parked_at=None if delay is not None else at,
    ))
    return PostingFailure(attempts, parked=delay is None)


async def unposted_counts(connection: AsyncConnection) -> dict[tuple[str, str], int]:
    """(purchase|return, waiting|parked) -> rows not posted yet."""
    counts: dict[tuple[str, str], int] = {}
    for kind, table in (("purchase", purchases), ("return", returns)):
        parked = table.c.parked_at.is_not(None)
        rows = await connection.execute(sa.select(parked.label("parked"), sa.func.count())
                                        .where(table.c.status == RECORDED).group_by(parked))
        found = {bool(row[0]): row[1] for row in rows}
        counts[(kind, "waiting")] = found.get(False, 0)
        counts[(kind, "parked")] = found.get(True, 0)
    return counts


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
        tuple(ReturnedLine(ln["line_id"], ln["sku"], ln["quantity"], ln["points"],
                           Decimal(ln["amount"]) if ln.get("amount") is not None else None) for ln in row.lines),
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


async def record_return(uow: UnitOfWork, record: Return, at: datetime, first_retry_at: datetime) -> None:
    await uow.execute(returns.insert().values(
        external_id=record.external_id,
        purchase_external_id=record.purchase_external_id,
        member_id=record.member_id,
        origin_member_id=record.member_id,
        request=[{"sku": r.sku, "quantity": r.quantity} for r in record.request],
        lines=[{"line_id": ln.line_id, "sku": ln.sku, "quantity": ln.quantity, "points": ln.points,
                "amount": str(ln.amount) if ln.amount is not None else None} for ln in record.lines],
        points=record.points,
        status=record.status,
        recorded_at=at,
        next_attempt_at=first_retry_at,
    ))


async def mark_return_posted(uow: UnitOfWork, external_id: str, at: datetime) -> None:
    await uow.execute(returns.update().where(returns.c.external_id == external_id)
                      .values(status=POSTED, posted_at=at, next_attempt_at=None))


async def unposted_returns(connection: AsyncConnection, now: datetime, limit: int) -> list[Return]:
    return [_return(row) for row in await connection.execute(_due(returns, now).limit(limit))]


# Rows that follow merges (kernel/aliases.py). Per-member campaign use stays with the id it was
# counted for (its key would collide otherwise); a cap counts the uses of every id merged into
# the member (adapters/campaigns.py: usage, add_use).
MEMBER_TABLES = (purchases, returns, coupons, redemptions, offers, messages)
