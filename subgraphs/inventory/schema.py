"""Inventory's GraphQL schema: maps fields to handlers, nothing more."""
from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.dataloader import DataLoader

from subgraphs.kernel.graphql import LoyaltyInfo, make_schema

from . import domain, handlers, privacy


def _stores(info: LoyaltyInfo) -> DataLoader[str, domain.Store | None]:
    runtime = info.context.runtime
    return info.context.loader("stores", lambda: DataLoader(lambda ids: handlers.stores_by_id(runtime, ids)))


def _products(info: LoyaltyInfo) -> DataLoader[str, domain.Product | None]:
    runtime = info.context.runtime
    return info.context.loader("products", lambda: DataLoader(lambda skus: handlers.products_by_sku(runtime, skus)))


@strawberry.federation.type(keys=["id"])
class Store:
    id: strawberry.ID
    name: str
    city: str

    @classmethod
    def from_domain(cls, store: domain.Store) -> Store:
        return cls(id=strawberry.ID(store.id), name=store.name, city=store.city)

    @classmethod
    async def resolve_reference(cls, info: LoyaltyInfo, id: strawberry.ID) -> Store | None:
        store = await _stores(info).load(id)
        return cls.from_domain(store) if store else None


@strawberry.type
class StockLevel:
    size: str | None
    available: int
    reserved: int
    store_id: strawberry.Private[str]
    sku: strawberry.Private[str]

    @strawberry.field
    async def store(self, info: LoyaltyInfo) -> Store:
        store = await _stores(info).load(self.store_id)
        assert store is not None  # stock rows reference stores (foreign key)
        return Store.from_domain(store)

    @strawberry.field
    async def product(self, info: LoyaltyInfo) -> Product:
        product = await _products(info).load(self.sku)
        assert product is not None
        return Product.from_domain(product)

    @classmethod
    def from_domain(cls, level: domain.StockLevel) -> StockLevel:
        return cls(
            size=level.size, available=level.available, reserved=level.reserved,
            store_id=level.store_id, sku=level.sku,
        )


@strawberry.federation.type(keys=["sku"])
class Product:
    sku: strawberry.ID
    name: str
    category: str
    price: Decimal

    @strawberry.field(description="Stock of this product in one store, per size.")
    async def stock(self, info: LoyaltyInfo, store_id: strawberry.ID) -> list[StockLevel]:
        levels = await handlers.stock_levels(info.context.runtime, self.sku, store_id)
        return [StockLevel.from_domain(level) for level in levels]

    @classmethod
    def from_domain(cls, product: domain.Product) -> Product:
        return cls(sku=strawberry.ID(product.sku), name=product.name, category=product.category, price=product.price)

    @classmethod
    async def resolve_reference(cls, info: LoyaltyInfo, sku: strawberry.ID) -> Product | None:
        product = await _products(info).load(sku)
        return cls.from_domain(product) if product else None


@strawberry.type
class Query:
    @strawberry.field
    async def stores(self, info: LoyaltyInfo) -> list[Store]:
        return [Store.from_domain(s) for s in await handlers.all_stores(info.context.runtime)]

    @strawberry.field
    async def store(self, info: LoyaltyInfo, id: strawberry.ID) -> Store | None:
        return await Store.resolve_reference(info, id)

    @strawberry.field
    async def product(self, info: LoyaltyInfo, sku: strawberry.ID) -> Product | None:
        return await Product.resolve_reference(info, sku)

    @strawberry.federation.field(inaccessible=True, description="Service role: inventory's part of a member's "
                                                                "data export (JSON), for profile to gather.")
    async def inventory_member_export(self, info: LoyaltyInfo, member_id: strawberry.ID) -> str:
        return await privacy.export(info.context.runtime, info.context.principal, member_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Stock feed: the quantity on hand for a store, product and size.")
    async def set_stock(
        self, info: LoyaltyInfo, store_id: strawberry.ID, sku: strawberry.ID, quantity: int, size: str | None = None
    ) -> StockLevel:
        level = await handlers.set_stock(info.context.runtime, info.context.principal, store_id, sku, size, quantity)
        return StockLevel.from_domain(level)


schema = make_schema(Query, Mutation)
