"""The catalogue and the stock feed: stores, products, search, stock per size."""
from __future__ import annotations

from collections.abc import Sequence

from core.auth import Principal, Role, require_role
from core.errors import BadUserInput, NotFound
from subgraphs.kernel.bounds import check_id, check_sku
from subgraphs.kernel.events import Event
from subgraphs.kernel.pagination import check_page_size, decode_key, encode_key
from subgraphs.kernel.runtime import Runtime

from ..adapters import repository
from ..domain import catalogue, stock
from ..domain.catalogue import Product, Store
from ..domain.stock import StockLevel
from . import reservations

SOURCE = "inventory"
STOCK_FEED_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.SERVICE)
MAX_SEARCH = 100


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


async def search_products(runtime: Runtime, *, search: str | None, category: str | None, first: int,
                          after: str | None) -> tuple[list[Product], bool]:
    """A page of the catalogue by SKU, matching `search` in the name or SKU; more to come?"""
    limit = check_page_size(first)
    if search is not None and len(search) > MAX_SEARCH or category is not None and len(category) > MAX_SEARCH:
        raise BadUserInput(f"search and category have at most {MAX_SEARCH} characters", field="search")
    cursor = decode_key(after, str)
    async with runtime.db.reading() as connection:
        page = await repository.search_products(connection, search=(search or "").strip() or None,
                                                category=(category or "").strip() or None,
                                                after_sku=cursor[0] if cursor else None, limit=limit + 1)
    return page[:limit], len(page) > limit


def product_cursor(product: Product) -> str:
    return encode_key(product.sku)


async def stock_levels(runtime: Runtime, sku: str, store_id: str) -> list[StockLevel]:
    async with runtime.db.reading() as connection:
        return await repository.stock_levels(connection, sku, store_id)


async def set_stock(
    runtime: Runtime, principal: Principal | None, store_id: str, sku: str, size: str | None, quantity: int
) -> StockLevel:
    """The shelf count of one item. Fewer units than are held releases the newest holds."""
    require_role(principal, *STOCK_FEED_ROLES)
    store_id, sku = check_id(store_id, "storeId"), check_sku(sku)
    stock.check_quantity(quantity)
    size_key = stock.size_key(size) or None
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        if not await repository.stores_by_id(uow.connection, [store_id]):
            raise NotFound(f"no store {store_id}")
        if not await repository.products_by_sku(uow.connection, [sku]):
            raise NotFound(f"no product {sku}")
        level = await repository.lock_stock(uow, store_id, sku, size_key) or StockLevel(store_id, sku, size_key, 0)
        level = await _feed(uow, level, quantity, now)
        uow.publish(Event(type="StockChanged", source=SOURCE, member_id=None, payload={
            "store_id": store_id, "sku": sku, "size": level.size, "on_hand": level.on_hand,
            "available": level.available}))
        await uow.commit()
    return level


async def _feed(uow, level: StockLevel, quantity: int, now) -> StockLevel:  # noqa: ANN001
    level, movement, released = stock.feed(level, quantity)
    await repository.save_level(uow, level)
    await repository.add_movement(uow, level, movement, now)
    for reservation in await repository.newest_held(uow.connection, level.store_id, level.sku, level.size, released):
        await reservations.close_without_stock(uow, reservation, now)  # the count already took the hold back
    return level


async def save_catalogue(
    runtime: Runtime, stores: Sequence[Store], products: Sequence[Product], levels: Sequence[StockLevel]
) -> None:
    """Load stores, products and stock counts in one transaction (the seed and catalogue feeds)."""
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        for store in stores:
            await repository.save_store(uow, store)
        for product in products:
            await repository.save_product(uow, catalogue.validate_product(product))
            uow.publish(Event(type="ProductChanged", source=SOURCE, member_id=None,
                              payload=catalogue.product_facts(product)))
        for counted in levels:
            level = await repository.lock_stock(uow, counted.store_id, counted.sku, counted.size) or \
                StockLevel(counted.store_id, counted.sku, counted.size, 0)
            await _feed(uow, level, counted.on_hand, now)
        await uow.commit()
