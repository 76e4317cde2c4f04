"""Property-based, through inventory's handlers and a real database: random
interleavings of stock counts, reservations (with repeats of earlier keys),
cancellations, fulfilments at the till, expiry on a moved clock, sales and returns.
After every step, for every item: 0 <= held <= on hand, held is the number of open
reservations, and on hand and held are the sums of the recorded movements (every
unit accounted for); a refused request changes nothing."""
from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.auth import Principal, Role
from core.clock import ManualClock
from core.errors import LoyaltyError
from core.vocabulary import Channel
from subgraphs.inventory import handlers
from subgraphs.inventory.domain.catalogue import Product, Store
from subgraphs.kernel.events import Event
from subgraphs.kernel.host import SubgraphHost
from subgraphs.kernel.runtime import Runtime
from tests.support.stack import make_settings

STORE = "st_1"
SIZES = ["S", "M"]
ADMIN = Principal("adm_1", Role.ADMIN)
CASHIER = Principal("csh_1", Role.CASHIER, store=STORE)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("count"), st.sampled_from(SIZES), st.integers(0, 4)),
        st.tuples(st.just("reserve"), st.integers(0, 3), st.sampled_from(SIZES), st.integers(0, 6),
                  st.integers(1, 6)),
        st.tuples(st.just("cancel"), st.integers(0, 20)),
        st.tuples(st.just("fulfil"), st.integers(0, 20)),
        st.tuples(st.just("wait"), st.integers(1, 8)),
        st.tuples(st.just("sale"), st.integers(0, 3), st.sampled_from(SIZES), st.integers(1, 3),
                  st.sampled_from([Channel.POS, Channel.ECOMMERCE])),
        st.tuples(st.just("return"), st.integers(0, 20), st.integers(1, 3)),
    ),
    min_size=1,
    max_size=30,
)


class Shop:
    def __init__(self, runtime: Runtime, clock: ManualClock, sku: str) -> None:
        self.runtime, self.clock, self.sku = runtime, clock, sku
        self.reservations: list[str] = []
        self.sales: list[str] = []
        self.numbers = itertools.count()

    async def attempt(self, action) -> None:  # noqa: ANN001
        before = await self.snapshot()
        try:
            await action
        except LoyaltyError:
            assert await self.snapshot() == before, "a refused request changed the stock"

    async def play(self, step: tuple) -> None:
        n = next(self.numbers)
        kind = step[0]
        if kind == "count":
            await handlers.catalogue.set_stock(self.runtime, ADMIN, STORE, self.sku, step[1], step[2])
        elif kind == "reserve":
            _, who, size, key, hours = step
            async def hold() -> None:
                made = await handlers.reservations.reserve(
                    self.runtime, Principal(f"{self.sku}-m{who}", Role.MEMBER), member_id=f"{self.sku}-m{who}",
                    store_id=STORE, sku=self.sku, size=size, hold_hours=hours, idempotency_key=f"{self.sku}-k{key}")
                self.reservations.append(made.id)
            await self.attempt(hold())
        elif kind in ("cancel", "fulfil"):
            if self.reservations:
                chosen = self.reservations[step[1] % len(self.reservations)]
                action = handlers.reservations.cancel if kind == "cancel" else handlers.reservations.fulfil
                await self.attempt(action(self.runtime, CASHIER, chosen))
        elif kind == "wait":
            self.clock.advance(timedelta(hours=step[1]))
            await handlers.reservations.expire_reservations(self.runtime)
        elif kind == "sale":
            _, who, size, quantity, channel = step
            external_id = f"{self.sku}-p{n}"
            self.sales.append(external_id)
            await handlers.events.on_purchase_completed(self.runtime, Event(
                type="PurchaseCompleted", source="rewards", member_id=f"{self.sku}-m{who}",
                occurred_at=self.clock.now(), payload={
                    "external_id": external_id, "channel": str(channel), "store_id": STORE,
                    "lines": [{"line_id": "1", "sku": self.sku, "quantity": quantity, "size": size}]}))
        elif self.sales:
            await handlers.events.on_purchase_returned(self.runtime, Event(
                type="PurchaseReturned", source="rewards", member_id=None, payload={
                    "external_id": f"{self.sku}-x{n}", "purchase_external_id": self.sales[step[1] % len(self.sales)],
                    "lines": [{"line_id": "1", "quantity": step[2]}]}))
        await self.check()

    async def snapshot(self) -> tuple:
        async with self.runtime.db.reading() as c:
            stock = (await c.execute(sa.text("SELECT size, on_hand, held FROM stock WHERE sku = :k ORDER BY size"),
                                     {"k": self.sku})).all()
            held = (await c.execute(sa.text("SELECT id, status FROM reservations WHERE sku = :k ORDER BY id"),
                                    {"k": self.sku})).all()
        return tuple(map(tuple, stock)), tuple(map(tuple, held))

    async def check(self) -> None:
        async with self.runtime.db.reading() as c:
            rows = (await c.execute(sa.text("""
                SELECT s.size, s.on_hand, s.held,
                  (SELECT count(*) FROM reservations r WHERE r.store_id = s.store_id AND r.sku = s.sku
                     AND r.size = s.size AND r.status = 'HELD'),
                  (SELECT coalesce(sum(on_hand_change), 0) FROM stock_movements m WHERE m.store_id = s.store_id
                     AND m.sku = s.sku AND m.size = s.size),
                  (SELECT coalesce(sum(held_change), 0) FROM stock_movements m WHERE m.store_id = s.store_id
                     AND m.sku = s.sku AND m.size = s.size)
                FROM stock s WHERE s.sku = :k"""), {"k": self.sku})).all()
        for size, on_hand, held, open_holds, moved_on_hand, moved_held in rows:
            assert 0 <= held <= on_hand, (size, on_hand, held)
            assert held == open_holds, (size, held, open_holds)
            assert (moved_on_hand, moved_held) == (on_hand, held), (size, on_hand, held, moved_on_hand, moved_held)


def test_random_interleavings_never_promise_a_unit_twice(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    clock = ManualClock(datetime(2026, 11, 30, 9, tzinfo=UTC))
    host = SubgraphHost(["inventory"], make_settings(tmp_path, inventory_max_open_reservations=2), clock=clock)
    products = (f"SKU-{n}" for n in itertools.count())

    async def setup() -> Runtime:
        await host.start(relays=False, jobs=False)
        return host.runtime("inventory")

    runtime = loop.run_until_complete(setup())

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(history=steps)
    def play(history: list) -> None:
        shop = Shop(runtime, clock, next(products))

        async def run() -> None:
            await handlers.catalogue.save_catalogue(runtime, [Store(STORE, "Store", "City")],
                                                    [Product(shop.sku, "Thing", "Things", Decimal("10"))], [])
            for size in SIZES:
                await handlers.catalogue.set_stock(runtime, ADMIN, STORE, shop.sku, size, 2)
            for step in history:
                await shop.play(step)

        loop.run_until_complete(run())

    try:
        play()
    finally:
        loop.run_until_complete(host.stop())
        loop.close()
