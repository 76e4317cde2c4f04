"""Reading and writing inventory rows as domain objects."""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel.db import UnitOfWork

from ..domain import Product, StockLevel, Store
from .tables import products, stock, stores


def _store(row: sa.Row) -> Store:
    return Store(id=row.id, name=row.name, city=row.city)


def _product(row: sa.Row) -> Product:
    return Product(sku=row.sku, name=row.name, category=row.category, price=row.price)


def _stock(row: sa.Row) -> StockLevel:
    return StockLevel(row.store_id, row.sku, row.size or None, row.available, row.reserved)


async def stores_by_id(connection: AsyncConnection, ids: Sequence[str]) -> dict[str, Store]:
    rows = await connection.execute(sa.select(stores).where(stores.c.id.in_(ids)))
    return {row.id: _store(row) for row in rows}


async def all_stores(connection: AsyncConnection) -> list[Store]:
    return [_store(row) for row in await connection.execute(sa.select(stores).order_by(stores.c.name))]


async def products_by_sku(connection: AsyncConnection, skus: Sequence[str]) -> dict[str, Product]:
    rows = await connection.execute(sa.select(products).where(products.c.sku.in_(skus)))
    return {row.sku: _product(row) for row in rows}


async def stock_levels(connection: AsyncConnection, sku: str, store_id: str) -> list[StockLevel]:
    rows = await connection.execute(
        sa.select(stock).where(stock.c.sku == sku, stock.c.store_id == store_id).order_by(stock.c.size)
    )
    return [_stock(row) for row in rows]


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


async def save_stock(uow: UnitOfWork, level: StockLevel) -> None:
    key = {"store_id": level.store_id, "sku": level.sku, "size": level.size or ""}
    updated = await uow.execute(
        stock.update()
        .where(stock.c.store_id == level.store_id, stock.c.sku == level.sku, stock.c.size == (level.size or ""))
        .values(available=level.available)
    )
    if updated.rowcount == 0:
        await uow.execute(stock.insert().values(**key, available=level.available, reserved=level.reserved))
