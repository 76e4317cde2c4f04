"""Inventory's GraphQL schema: maps fields to handlers, nothing more."""
from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.dataloader import DataLoader

from subgraphs.kernel.aliases import check_member_access
from subgraphs.kernel.graphql import Channel, LoyaltyInfo, PageInfo, make_schema

from . import domain, handlers, privacy

ReservationStatus = strawberry.enum(domain.reservations.ReservationStatus)
DEFAULT_HOLD_HOURS = domain.reservations.DEFAULT_HOLD_HOURS


def _stores(info: LoyaltyInfo) -> DataLoader[str, domain.catalogue.Store | None]:
    runtime = info.context.runtime
    return info.context.loader(
        "stores", lambda: DataLoader(lambda ids: handlers.catalogue.stores_by_id(runtime, ids)))


def _products(info: LoyaltyInfo) -> DataLoader[str, domain.catalogue.Product | None]:
    runtime = info.context.runtime
    return info.context.loader(
        "products", lambda: DataLoader(lambda skus: handlers.catalogue.products_by_sku(runtime, skus)))


@strawberry.federation.type(keys=["id"])
class Store:
    id: strawberry.ID
    name: str
    city: str

    @classmethod
    def from_domain(cls, store: domain.catalogue.Store) -> Store:
        return cls(id=strawberry.ID(store.id), name=store.name, city=store.city)

    @classmethod
    async def resolve_reference(cls, info: LoyaltyInfo, id: strawberry.ID) -> Store | None:
        store = await _stores(info).load(id)
        return cls.from_domain(store) if store else None


@strawberry.type
class StockLevel:
    size: str | None
    available: int = strawberry.field(description="on hand, less what is held for reservations")
    reserved: int = strawberry.field(description="held for reservations")
    on_hand: int
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
    def from_domain(cls, level: domain.stock.StockLevel) -> StockLevel:
        return cls(size=level.size, available=level.available, reserved=level.held, on_hand=level.on_hand,
                   store_id=level.store_id, sku=level.sku)


@strawberry.federation.type(keys=["sku"])
class Product:
    sku: strawberry.ID
    name: str
    category: str
    price: Decimal

    @strawberry.field(description="Stock of this product in one store, per size.")
    async def stock(self, info: LoyaltyInfo, store_id: strawberry.ID) -> list[StockLevel]:
        levels = await handlers.catalogue.stock_levels(info.context.runtime, self.sku, store_id)
        return [StockLevel.from_domain(level) for level in levels]

    @classmethod
    def from_domain(cls, product: domain.catalogue.Product) -> Product:
        return cls(sku=strawberry.ID(product.sku), name=product.name, category=product.category, price=product.price)

    @classmethod
    async def resolve_reference(cls, info: LoyaltyInfo, sku: strawberry.ID) -> Product | None:
        product = await _products(info).load(sku)
        return cls.from_domain(product) if product else None


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo


@strawberry.type
class Reservation:
    id: strawberry.ID
    status: ReservationStatus
    size: str | None
    hold_until: datetime
    created_at: datetime
    offer_id: strawberry.ID | None
    member_id: strawberry.Private[str]
    store_id: strawberry.Private[str]
    sku: strawberry.Private[str]

    @strawberry.field
    def member(self) -> Member:
        return Member(id=strawberry.ID(self.member_id))

    @strawberry.field
    async def store(self, info: LoyaltyInfo) -> Store:
        store = await _stores(info).load(self.store_id)
        assert store is not None
        return Store.from_domain(store)

    @strawberry.field
    async def product(self, info: LoyaltyInfo) -> Product:
        product = await _products(info).load(self.sku)
        assert product is not None
        return Product.from_domain(product)

    @classmethod
    def from_domain(cls, reservation: domain.reservations.Reservation) -> Reservation:
        return cls(id=strawberry.ID(reservation.id), status=reservation.status, size=reservation.size,
                   hold_until=reservation.hold_until, created_at=reservation.created_at,
                   offer_id=strawberry.ID(reservation.offer_id) if reservation.offer_id else None,
                   member_id=reservation.member_id, store_id=reservation.store_id, sku=reservation.sku)


@strawberry.type
class ProductInterest:
    views: int
    last_viewed_at: datetime
    sku: strawberry.Private[str]

    @strawberry.field
    async def product(self, info: LoyaltyInfo) -> Product:
        product = await _products(info).load(self.sku)
        assert product is not None
        return Product.from_domain(product)


@strawberry.federation.type(keys=["id"])
class Member:
    id: strawberry.ID

    @strawberry.field(description="The member's reservations, newest first (a cashier sees their store's).")
    async def reservations(self, info: LoyaltyInfo) -> list[Reservation]:
        found = await handlers.reservations.reservations_of(info.context.runtime, info.context.principal, self.id)
        return [Reservation.from_domain(r) for r in found]

    @strawberry.field(description="Products viewed in the interest window, most recent first.")
    async def recently_viewed(self, info: LoyaltyInfo) -> list[ProductInterest]:
        found = await handlers.interest.recently_viewed(info.context.runtime, info.context.principal, self.id)
        return [ProductInterest(views=i.views, last_viewed_at=i.last_viewed_at, sku=i.sku) for i in found]

    @classmethod
    async def resolve_reference(cls, info: LoyaltyInfo, id: strawberry.ID) -> Member:
        await check_member_access(info.context.runtime.db, info.context.principal, id)
        return cls(id=id)


@strawberry.input
class ReserveInput:
    member_id: strawberry.ID
    store_id: strawberry.ID
    sku: strawberry.ID
    idempotency_key: str
    size: str | None = None
    hold_hours: int | None = DEFAULT_HOLD_HOURS  # an explicit null means the default
    offer_id: strawberry.ID | None = None


@strawberry.input
class ProductViewInput:
    member_id: strawberry.ID
    sku: strawberry.ID
    channel: Channel
    size: str | None = None


@strawberry.type
class Query:
    @strawberry.field
    async def stores(self, info: LoyaltyInfo) -> list[Store]:
        return [Store.from_domain(s) for s in await handlers.catalogue.all_stores(info.context.runtime)]

    @strawberry.field
    async def store(self, info: LoyaltyInfo, id: strawberry.ID) -> Store | None:
        return await Store.resolve_reference(info, id)

    @strawberry.field
    async def product(self, info: LoyaltyInfo, sku: strawberry.ID) -> Product | None:
        return await Product.resolve_reference(info, sku)

    @strawberry.field(description="The catalogue by SKU: `search` matches the name or SKU, `category` filters.")
    async def products(self, info: LoyaltyInfo, search: str | None = None, category: str | None = None,
                       first: int | None = 50, after: str | None = None) -> ProductConnection:
        found, more = await handlers.catalogue.search_products(
            info.context.runtime, search=search, category=category, first=50 if first is None else first, after=after)
        edges = [ProductEdge(cursor=handlers.catalogue.product_cursor(p), node=Product.from_domain(p)) for p in found]
        return ProductConnection(edges=edges, page_info=PageInfo(has_next_page=more,
                                                                 end_cursor=edges[-1].cursor if edges else None))

    @strawberry.federation.field(inaccessible=True, description="Service role: inventory's part of a member's "
                                                                "data export (JSON), for profile to gather.")
    async def inventory_member_export(self, info: LoyaltyInfo, member_id: strawberry.ID) -> str:
        return await privacy.export(info.context.runtime, info.context.principal, member_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Stock feed: the count on the shelf for a store, product and size.")
    async def set_stock(
        self, info: LoyaltyInfo, store_id: strawberry.ID, sku: strawberry.ID, quantity: int, size: str | None = None
    ) -> StockLevel:
        level = await handlers.catalogue.set_stock(info.context.runtime, info.context.principal, store_id, sku, size,
                                                   quantity)
        return StockLevel.from_domain(level)

    @strawberry.mutation(description="Hold one unit for the member; idempotent by idempotencyKey.")
    async def reserve(self, info: LoyaltyInfo, input: ReserveInput) -> Reservation:
        reservation = await handlers.reservations.reserve(
            info.context.runtime, info.context.principal, member_id=input.member_id, store_id=input.store_id,
            sku=input.sku, size=input.size, hold_hours=DEFAULT_HOLD_HOURS if input.hold_hours is None else input.hold_hours,
            idempotency_key=input.idempotency_key, offer_id=input.offer_id)
        return Reservation.from_domain(reservation)

    @strawberry.mutation(description="The member or staff let the held unit go.")
    async def cancel_reservation(self, info: LoyaltyInfo, id: strawberry.ID) -> Reservation:
        return Reservation.from_domain(
            await handlers.reservations.cancel(info.context.runtime, info.context.principal, id))

    @strawberry.mutation(description="Picked up at the till of the store that holds it.")
    async def fulfill_reservation(self, info: LoyaltyInfo, id: strawberry.ID) -> Reservation:
        return Reservation.from_domain(
            await handlers.reservations.fulfil(info.context.runtime, info.context.principal, id))

    @strawberry.mutation(description="A product view from the web shop or the app; true when it counts as "
                                     "interest (not a repeat within minutes).")
    async def record_product_view(self, info: LoyaltyInfo, input: ProductViewInput) -> bool:
        return await handlers.interest.record_view(info.context.runtime, info.context.principal,
                                                   member_id=input.member_id, sku=input.sku, size=input.size,
                                                   channel=input.channel)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Every change of the member's reservations.")
    async def reservation_updated(self, info: LoyaltyInfo, member_id: strawberry.ID
                                  ) -> AsyncGenerator[Reservation, None]:
        async for reservation in handlers.reservations.reservation_changes(info.context.runtime,
                                                                           info.context.principal, member_id):
            yield Reservation.from_domain(reservation)


schema = make_schema(Query, Mutation, Subscription)
