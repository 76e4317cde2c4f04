"""Product interest: views recorded by the web shop and the app, `Member.recentlyViewed`,
and the `ProductViewed` event that carries everything the engine needs to decide
(views in the window, the home store, the stock of the viewed size there, whether the
member bought the product lately), so it never calls back."""
from __future__ import annotations

from datetime import timedelta

from core.auth import Principal, Role, require_principal
from core.errors import Forbidden, NotFound
from core.vocabulary import Channel
from subgraphs.kernel import aliases
from subgraphs.kernel.bounds import check_id, check_sku
from subgraphs.kernel.events import Event
from subgraphs.kernel.privacy import refuse_erased
from subgraphs.kernel.runtime import Runtime

from ..adapters import repository
from ..domain import catalogue, interest, stock
from ..domain.interest import Interest, View

SOURCE = "inventory"
PRUNE_BATCH = 5000
# Who records views: the member's own app, and the web shop and app integrations (service).
RECORDING_ROLES = (Role.MEMBER, Role.SERVICE, Role.ADMIN)


def _window(runtime: Runtime) -> timedelta:
    return timedelta(days=runtime.settings.interest_window_days)


async def record_view(runtime: Runtime, principal: Principal | None, *, member_id: str, sku: str,
                      size: str | None, channel: Channel) -> bool:
    """A product view; True when it counts as interest (not a repeat within minutes)."""
    who = require_principal(principal)
    if who.role not in RECORDING_ROLES:
        raise Forbidden("views are recorded by the member's app or the web shop")
    member_id, sku = check_id(member_id, "memberId"), check_sku(sku)
    size_key = stock.size_key(size) or None
    settings = runtime.settings
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        member_id = await aliases.require_member_access(uow.connection, who, member_id)
        await refuse_erased(uow.connection, member_id)  # an erased member's views are not kept
        product = (await repository.products_by_sku(uow.connection, [sku])).get(sku)
        if product is None:
            raise NotFound(f"no product {sku}")
        last = await repository.last_counted_view(uow.connection, member_id, sku, size_key)
        if not interest.counts(last, now, timedelta(minutes=settings.interest_repeat_minutes)):
            return False
        await repository.add_view(uow, View(member_id, sku, size_key, now, str(channel)))
        views = len((await repository.views_of(uow.connection, [member_id], now - _window(runtime), sku))[member_id])
        home = await repository.home_store(uow.connection, member_id)
        level = await repository.stock_level(uow.connection, home, sku, size_key) if home else None
        store = (await repository.stores_by_id(uow.connection, [home])).get(home) if home else None
        bought = await repository.bought_since(uow.connection, member_id, sku,
                                               now - timedelta(days=settings.interest_bought_days))
        uow.publish(Event(type="ProductViewed", source=SOURCE, member_id=member_id, occurred_at=now, payload={
            "member_id": member_id, "sku": sku, "size": size_key, "channel": str(channel),
            "views_in_window": views, "window_days": settings.interest_window_days,
            "home_store_id": home, "home_store_name": store.name if store else None,
            "available_at_home": level.available if level else None,
            "bought_recently": bought, "product": catalogue.product_facts(product),
        }))
        await uow.commit()
    return True


async def recently_viewed(runtime: Runtime, principal: Principal | None, member_id: str) -> list[Interest]:
    async with runtime.db.reading() as connection:
        member_id = await aliases.require_member_access(connection, principal, member_id)
        now = runtime.clock.now()
        views = (await repository.views_of(connection, [member_id], now - _window(runtime)))[member_id]
    return interest.interest(views, now, _window(runtime))


async def prune_views(runtime: Runtime) -> int:
    """Job: views older than the window are forgotten (the table stays the window's size)."""
    before = runtime.clock.now() - _window(runtime)
    async with runtime.unit_of_work() as uow:
        pruned = await repository.prune_views(uow, before, PRUNE_BATCH)
        await uow.commit()
    return pruned
