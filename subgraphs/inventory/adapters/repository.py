"""Reading and writing inventory rows as domain objects."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel.db import UnitOfWork

from ..domain.catalogue import Product, Store
from ..domain.interest import View
from ..domain.reservations import Reservation, ReservationStatus
from ..domain.stock import Movement, StockLevel
from .tables import members, product_views, products, reservations, sales, stock, stock_movements, stores


def _store(row: sa.Row) -> Store:
    return Store(id=row.id, name=row.name, city=row.city)


def _product(row: sa.Row) -> Product:
    return Product(sku=row.sku, name=row.name, category=row.category, price=row.price)


def _stock(row: sa.Row) -> StockLevel:
    return StockLevel(row.store_id, row.sku, row.size or None, row.on_hand, row.held)


def _reservation(row: sa.Row) -> Reservation:
    return Reservation(row.id, row.member_id, row.store_id, row.sku, row.size or None, ReservationStatus(row.status),
                       row.hold_until, row.created_at, row.updated_at, row.idempotency_key, row.offer_id,
                       row.closed_by)


# --- the catalogue --------------------------------------------------------------------------------


async def stores_by_id(connection: AsyncConnection, ids: Sequence[str]) -> dict[str, Store]:
    rows = await connection.execute(sa.select(stores).where(stores.c.id.in_(ids)))
    return {row.id: _store(row) for row in rows}


async def all_stores(connection: AsyncConnection) -> list[Store]:
    return [_store(row) for row in await connection.execute(sa.select(stores).order_by(stores.c.name))]


async def products_by_sku(connection: AsyncConnection, skus: Sequence[str]) -> dict[str, Product]:
    rows = await connection.execute(sa.select(products).where(products.c.sku.in_(skus)))
    return {row.sku: _product(row) for row in rows}


def _like(term: str) -> str:
    """A LIKE pattern that matches `term` anywhere, its own % and _ taken literally."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search_products(connection: AsyncConnection, *, search: str | None, category: str | None,
                          after_sku: str | None, limit: int) -> list[Product]:
    """Products by SKU order; `search` matches name or SKU anywhere, case-insensitively."""
    query = sa.select(products)
    if search:
        pattern = _like(search.lower())
        query = query.where(sa.or_(sa.func.lower(products.c.name).like(pattern, escape="\\"),
                                   sa.func.lower(products.c.sku).like(pattern, escape="\\")))
    if category:
        query = query.where(sa.func.lower(products.c.category) == category.lower())
    if after_sku is not None:
        query = query.where(products.c.sku > after_sku)
    rows = await connection.execute(query.order_by(products.c.sku).limit(limit))
    return [_product(row) for row in rows]


async def save_store(uow: UnitOfWork, store: Store) -> None:
    values = {"name": store.name, "city": store.city}
    updated = await uow.execute(stores.update().where(stores.c.id == store.id).values(**values))
    if updated.rowcount == 0:
        await uow.execute(stores.insert().values(id=store.id, **values))


async def save_product(uow: UnitOfWork, product: Product) -> None:
    values = {"name": product.name, "category": product.category, "price": product.price}
    updated = await uow.execute(products.update().where(products.c.sku == product.sku).values(**values))
    if updated.rowcount == 0:
        await uow.execute(products.insert().values(sku=product.sku, **values))


# --- stock ------------------------------------------------------------------------------------------


async def stock_levels(connection: AsyncConnection, sku: str, store_id: str) -> list[StockLevel]:
    rows = await connection.execute(
        sa.select(stock).where(stock.c.sku == sku, stock.c.store_id == store_id).order_by(stock.c.size)
    )
    return [_stock(row) for row in rows]


async def stock_level(connection: AsyncConnection, store_id: str, sku: str, size: str | None) -> StockLevel | None:
    row = (await connection.execute(sa.select(stock).where(
        stock.c.store_id == store_id, stock.c.sku == sku, stock.c.size == (size or "")))).first()
    return _stock(row) if row else None


async def lock_stock(uow: UnitOfWork, store_id: str, sku: str, size: str | None) -> StockLevel | None:
    """The level, locked for this transaction (PostgreSQL; SQLite has one writer): holds of
    one item are serialised, so exactly the available units can be held."""
    row = (await uow.execute(uow.for_update(sa.select(stock).where(
        stock.c.store_id == store_id, stock.c.sku == sku, stock.c.size == (size or ""))))).first()
    return _stock(row) if row else None


async def save_level(uow: UnitOfWork, level: StockLevel) -> None:
    key = (stock.c.store_id == level.store_id, stock.c.sku == level.sku, stock.c.size == (level.size or ""))
    updated = await uow.execute(stock.update().where(*key).values(on_hand=level.on_hand, held=level.held))
    if updated.rowcount == 0:
        await uow.execute(stock.insert().values(store_id=level.store_id, sku=level.sku, size=level.size or "",
                                                on_hand=level.on_hand, held=level.held))


async def add_movement(uow: UnitOfWork, level: StockLevel, movement: Movement, at: datetime) -> None:
    if movement.on_hand or movement.held:
        await uow.execute(stock_movements.insert().values(
            store_id=level.store_id, sku=level.sku, size=level.size or "", kind=str(movement.kind),
            on_hand_change=movement.on_hand, held_change=movement.held, reference=movement.reference, at=at))


# --- reservations -------------------------------------------------------------------------------------


async def add_reservation(uow: UnitOfWork, reservation: Reservation) -> None:
    await uow.execute(reservations.insert().values(
        id=reservation.id, member_id=reservation.member_id, store_id=reservation.store_id, sku=reservation.sku,
        size=reservation.size or "", status=str(reservation.status), hold_until=reservation.hold_until,
        created_at=reservation.created_at, updated_at=reservation.updated_at,
        idempotency_key=reservation.idempotency_key, offer_id=reservation.offer_id,
        origin_member_id=reservation.member_id))


async def save_reservation(uow: UnitOfWork, reservation: Reservation) -> None:
    await uow.execute(reservations.update().where(reservations.c.id == reservation.id).values(
        status=str(reservation.status), updated_at=reservation.updated_at, closed_by=reservation.closed_by))


async def reservation(connection: AsyncConnection, reservation_id: str) -> Reservation | None:
    row = (await connection.execute(sa.select(reservations).where(reservations.c.id == reservation_id))).first()
    return _reservation(row) if row else None


async def lock_reservation(uow: UnitOfWork, reservation_id: str) -> Reservation | None:
    row = (await uow.execute(uow.for_update(sa.select(reservations).where(reservations.c.id == reservation_id)))
           ).first()
    return _reservation(row) if row else None


async def reservation_by_key(connection: AsyncConnection, key: str) -> Reservation | None:
    row = (await connection.execute(sa.select(reservations).where(reservations.c.idempotency_key == key))).first()
    return _reservation(row) if row else None


async def open_reservations(connection: AsyncConnection, member_id: str) -> int:
    return await connection.scalar(sa.select(sa.func.count()).select_from(reservations).where(
        reservations.c.member_id == member_id, reservations.c.status == str(ReservationStatus.HELD))) or 0


async def reservations_of(connection: AsyncConnection, member_ids: Sequence[str], limit: int
                          ) -> dict[str, list[Reservation]]:
    """Newest first, at most `limit` per member."""
    found: dict[str, list[Reservation]] = {member_id: [] for member_id in member_ids}
    rows = await connection.execute(sa.select(reservations).where(reservations.c.member_id.in_(member_ids))
                                    .order_by(reservations.c.created_at.desc(), reservations.c.id.desc()))
    for row in rows:
        if len(found[row.member_id]) < limit:
            found[row.member_id].append(_reservation(row))
    return found


async def held_for(connection: AsyncConnection, member_id: str, store_id: str, sku: str, size: str | None
                   ) -> list[Reservation]:
    """The member's open reservations of this item at this store, oldest first."""
    rows = await connection.execute(sa.select(reservations).where(
        reservations.c.member_id == member_id, reservations.c.store_id == store_id, reservations.c.sku == sku,
        reservations.c.size == (size or ""), reservations.c.status == str(ReservationStatus.HELD),
    ).order_by(reservations.c.created_at, reservations.c.id))
    return [_reservation(row) for row in rows]


async def newest_held(connection: AsyncConnection, store_id: str, sku: str, size: str | None, count: int
                      ) -> list[Reservation]:
    """The `count` most recent open reservations of this item (a lower count releases these)."""
    rows = await connection.execute(sa.select(reservations).where(
        reservations.c.store_id == store_id, reservations.c.sku == sku, reservations.c.size == (size or ""),
        reservations.c.status == str(ReservationStatus.HELD),
    ).order_by(reservations.c.created_at.desc(), reservations.c.id.desc()).limit(count))
    return [_reservation(row) for row in rows]


async def due_reservations(connection: AsyncConnection, now: datetime, limit: int,
                           after: tuple[datetime, str] | None = None) -> list[Reservation]:
    query = sa.select(reservations).where(reservations.c.status == str(ReservationStatus.HELD),
                                          reservations.c.hold_until <= now)
    if after is not None:
        query = query.where(sa.tuple_(reservations.c.hold_until, reservations.c.id) > sa.tuple_(*after))
    rows = await connection.execute(query.order_by(reservations.c.hold_until, reservations.c.id).limit(limit))
    return [_reservation(row) for row in rows]


# --- interest -----------------------------------------------------------------------------------------


async def last_counted_view(connection: AsyncConnection, member_id: str, sku: str, size: str | None
                            ) -> datetime | None:
    return await connection.scalar(sa.select(sa.func.max(product_views.c.at)).where(
        product_views.c.member_id == member_id, product_views.c.sku == sku,
        product_views.c.size == (size or "")))


async def add_view(uow: UnitOfWork, view: View) -> None:
    await uow.execute(product_views.insert().values(member_id=view.member_id, sku=view.sku, size=view.size or "",
                                                    at=view.at, channel=view.channel,
                                                    origin_member_id=view.member_id))


async def views_of(connection: AsyncConnection, member_ids: Sequence[str], since: datetime,
                   sku: str | None = None) -> dict[str, list[View]]:
    query = sa.select(product_views).where(product_views.c.member_id.in_(member_ids), product_views.c.at > since)
    if sku is not None:
        query = query.where(product_views.c.sku == sku)
    found: dict[str, list[View]] = {member_id: [] for member_id in member_ids}
    for row in await connection.execute(query):
        found[row.member_id].append(View(row.member_id, row.sku, row.size or None, row.at, row.channel))
    return found


async def prune_views(uow: UnitOfWork, before: datetime, limit: int) -> int:
    """Forget views older than the window, a bounded batch at a time."""
    ids = list(await uow.connection.scalars(sa.select(product_views.c.id).where(product_views.c.at <= before)
                                            .order_by(product_views.c.id).limit(limit)))
    if ids:
        await uow.execute(product_views.delete().where(product_views.c.id.in_(ids)))
    return len(ids)


# --- sales and members --------------------------------------------------------------------------------


async def add_sale_lines(uow: UnitOfWork, rows: Iterable[dict[str, object]]) -> None:
    for row in rows:
        await uow.insert_ignoring_conflicts(sales, row)


async def sale_lines(connection: AsyncConnection, purchase_external_id: str) -> dict[str, sa.Row]:
    rows = await connection.execute(sa.select(sales).where(sales.c.purchase_external_id == purchase_external_id))
    return {row.line_id: row for row in rows}


async def bought_since(connection: AsyncConnection, member_id: str, sku: str, since: datetime) -> bool:
    return bool(await connection.scalar(sa.select(sa.func.count()).select_from(sales).where(
        sales.c.member_id == member_id, sales.c.sku == sku, sales.c.at > since)))


async def remember_home_store(uow: UnitOfWork, member_id: str, home_store_id: str | None, as_of: datetime) -> None:
    """Profile's word on a member's home store; only a newer word replaces it."""
    values = {"home_store_id": home_store_id, "facts_at": as_of}
    if not await uow.insert_ignoring_conflicts(members, {"member_id": member_id, **values}):
        await uow.execute(members.update().where(members.c.member_id == member_id, members.c.facts_at < as_of)
                          .values(**values))


async def home_store(connection: AsyncConnection, member_id: str) -> str | None:
    return await connection.scalar(sa.select(members.c.home_store_id).where(members.c.member_id == member_id))


# --- merges -------------------------------------------------------------------------------------------

MEMBER_TABLES = (reservations, product_views, sales)  # rows that follow merges (kernel/aliases.py)
