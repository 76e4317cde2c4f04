"""Inventory's use cases: what the schema, the seed and the bus call."""
from __future__ import annotations

from collections.abc import Sequence

from core.auth import Principal, Role, require_role
from core.errors import NotFound
from subgraphs.kernel import aliases
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime

from . import domain
from .adapters import repository
from .domain import Product, StockLevel, Store

SOURCE = "inventory"
STOCK_FEED_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.SERVICE)


async def stores_by_id(runtime: Runtime, ids: Sequence[str]) -> list[Store | None]:
    async with runtime.db.reading() as connection:
        found = await repository.stores_by_id(connection, ids)
    return [found.get(i) for i in ids]


async def all_stores(runtime: Runtime) -> list[Store]:
    async with runtime.db.reading() as connection:
        return await repository.all_stores(connection)


async def products_by_sku(runtime: Runtime, skus: Sequence[str]) -> list[Product | None]:
    async with runtime.db.reading() as connection:
        found = await repository.products_by_sku(connection, skus)
    return [found.get(s) for s in skus]


async def stock_levels(runtime: Runtime, sku: str, store_id: str) -> list[StockLevel]:
    async with runtime.db.reading() as connection:
        return await repository.stock_levels(connection, sku, store_id)


async def set_stock(
    runtime: Runtime, principal: Principal | None, store_id: str, sku: str, size: str | None, quantity: int
) -> StockLevel:
    require_role(principal, *STOCK_FEED_ROLES)
    level = domain.stock_level(store_id, sku, size, quantity)
    async with runtime.unit_of_work() as uow:
        if not await repository.stores_by_id(uow.connection, [store_id]):
            raise NotFound(f"no store {store_id}")
        if not await repository.products_by_sku(uow.connection, [sku]):
            raise NotFound(f"no product {sku}")
        await repository.save_stock(uow, level)
        uow.publish(
            Event(
                type="StockChanged",
                source=SOURCE,
                member_id=None,
                payload={"store_id": store_id, "sku": sku, "size": level.size, "available": quantity},
            )
        )
        await uow.commit()
    levels = await stock_levels(runtime, sku, store_id)
    return next(lv for lv in levels if lv.size == level.size)


async def save_catalogue(
    runtime: Runtime, stores: Sequence[Store], products: Sequence[Product], stock: Sequence[StockLevel]
) -> None:
    """Load stores, products and stock in one transaction (the seed and catalogue feeds)."""
    async with runtime.unit_of_work() as uow:
        for store in stores:
            await repository.save_store(uow, store)
        for product in products:
            await repository.save_product(uow, domain.validate_product(product))
            uow.publish(Event(type="ProductChanged", source=SOURCE, member_id=None,
                              payload=domain.product_facts(product)))
        for level in stock:
            await repository.save_stock(uow, level)
        await uow.commit()


async def on_members_merged(runtime: Runtime, event: Event) -> None:
    """Inventory holds nothing per member yet beyond the link itself (reservations and product
    interest will move with it); the absorbed id keeps working through the alias."""
    await _follow(runtime, event, undone=False)


async def on_members_unmerged(runtime: Runtime, event: Event) -> None:
    await _follow(runtime, event, undone=True)


async def _follow(runtime: Runtime, event: Event, *, undone: bool) -> None:
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled("unmerges" if undone else "merges", event.id):
            return
        await aliases.follow_merge(uow, event.payload, undone=undone)
        await uow.commit()
