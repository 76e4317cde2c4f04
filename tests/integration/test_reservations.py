"""Reservations through inventory's handlers on a real database (SQLite and PostgreSQL):
exactly the available units are held under any concurrency, a key holds once, holds
expire on a moved clock and say so live, the till fulfils them (by hand, or by a
purchase at the store), and bad input holds nothing."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.auth import Principal, Role
from core.clock import ManualClock
from core.errors import BadUserInput, Conflict, Forbidden, LoyaltyError, NotFound
from core.settings import Settings
from core.vocabulary import Channel
from subgraphs.inventory import handlers
from subgraphs.inventory.adapters import repository
from subgraphs.inventory.domain.catalogue import Product, Store
from subgraphs.inventory.domain.reservations import ReservationStatus
from subgraphs.inventory.domain.stock import StockLevel
from subgraphs.kernel.bus.memory import InProcessBus
from subgraphs.kernel.events import Event, subject_for
from subgraphs.kernel.host import SubgraphHost, load_spec
from subgraphs.kernel.runtime import Runtime
from tests.support.runtimes import BACKENDS, migrated_database
from tests.support.stack import make_settings

START = datetime(2026, 11, 30, 9, tzinfo=UTC)
ADMIN = Principal("adm_1", Role.ADMIN)
SERVICE = Principal("service:rewards", Role.SERVICE)
CASHIER = Principal("csh_1", Role.CASHIER, store="st_portland")
CASHIER_ELSEWHERE = Principal("csh_2", Role.CASHIER, store="st_seattle")
STORES = [Store("st_portland", "Portland", "Portland"), Store("st_seattle", "Seattle", "Seattle")]
PRODUCTS = [Product("JKT", "Aurora Jacket", "Jackets", Decimal("189.00")),
            Product("MUG", "Mug", "Kitchen", Decimal("9.00"))]


def member(n: int) -> Principal:
    return Principal(f"mbr_{n}", Role.MEMBER)


async def load(runtime: Runtime, *levels: StockLevel) -> None:
    await handlers.catalogue.save_catalogue(runtime, STORES, PRODUCTS, levels)


async def level(runtime: Runtime, store: str = "st_portland", sku: str = "JKT", size: str = "M") -> tuple:
    """on hand, held, the HELD reservations, and the sums of the movements."""
    async with runtime.db.reading() as c:
        on_hand, held = (await c.execute(sa.text(
            "SELECT on_hand, held FROM stock WHERE store_id = :s AND sku = :k AND size = :z"),
            {"s": store, "k": sku, "z": size})).one()
        open_holds = await c.scalar(sa.text(
            "SELECT count(*) FROM reservations WHERE status = 'HELD' AND store_id = :s AND sku = :k AND size = :z"),
            {"s": store, "k": sku, "z": size})
        moved = tuple(await c.execute(sa.text(
            "SELECT coalesce(sum(on_hand_change), 0), coalesce(sum(held_change), 0) FROM stock_movements "
            "WHERE store_id = :s AND sku = :k AND size = :z"), {"s": store, "k": sku, "z": size}))[0]
    assert open_holds == held and tuple(moved) == (on_hand, held), "stock and its movements disagree"
    return on_hand, held


async def reserve(runtime: Runtime, n: int, key: str, *, who: Principal | None = None, size: str | None = "M",
                  store: str = "st_portland", sku: str = "JKT", hours: int = 48):
    return await handlers.reservations.reserve(runtime, who or member(n), member_id=f"mbr_{n}", store_id=store,
                                               sku=sku, size=size, hold_hours=hours, idempotency_key=key)


@pytest.fixture(params=BACKENDS)
async def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[Runtime]]:
    """Two runtimes on one database: two replicas of inventory racing each other."""
    async with migrated_database("inventory", request.param, tmp_path) as url:
        settings = Settings(database_urls={"inventory": url})
        bus = InProcessBus()
        runtimes = [Runtime(load_spec("inventory"), settings, bus, ManualClock(START)) for _ in range(2)]
        try:
            yield runtimes
        finally:
            for runtime in runtimes:
                await runtime.close()


async def outcomes(calls) -> list:  # noqa: ANN001
    return await asyncio.gather(*calls, return_exceptions=True)


async def test_exactly_the_available_units_are_held_when_ten_members_race(replicas: list[Runtime]) -> None:
    await load(replicas[0], StockLevel("st_portland", "JKT", "M", 2))
    results = await outcomes(reserve(replicas[n % 2], n, f"race-{n}") for n in range(10))
    held = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(held) == 2 and all(r.status is ReservationStatus.HELD for r in held)
    assert len(refused) == 8 and all(isinstance(r, Conflict) for r in refused), refused
    assert await level(replicas[0]) == (2, 2)


async def test_ten_replays_of_one_key_hold_one_unit(replicas: list[Runtime]) -> None:
    await load(replicas[0], StockLevel("st_portland", "JKT", "M", 5))
    results = await outcomes(reserve(replicas[n % 2], 1, "same-key") for n in range(10))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.id for r in results}) == 1
    assert await level(replicas[0]) == (5, 1)


async def test_the_open_reservation_limit_holds_under_a_race(replicas: list[Runtime]) -> None:
    sizes = ["XS", "S", "M", "L", "XL", "XXL"]
    await load(replicas[0], *(StockLevel("st_portland", "JKT", size, 1) for size in sizes))
    results = await outcomes(reserve(replicas[n % 2], 1, f"limit-{n}", size=size) for n, size in enumerate(sizes))
    assert sum(not isinstance(r, Exception) for r in results) == 3  # inventory_max_open_reservations
    assert all(isinstance(r, Conflict) and "at most 3" in r.message for r in results if isinstance(r, Exception))


async def test_a_key_used_for_another_hold_is_a_conflict(replicas: list[Runtime]) -> None:
    runtime = replicas[0]
    await load(runtime, StockLevel("st_portland", "JKT", "M", 5), StockLevel("st_portland", "JKT", "L", 5))
    await reserve(runtime, 1, "k")
    with pytest.raises(Conflict, match="already used"):
        await reserve(runtime, 1, "k", size="L")
    assert await level(runtime, size="L") == (5, 0)


async def test_cancel_and_fulfil_move_the_unit(replicas: list[Runtime]) -> None:
    runtime = replicas[0]
    await load(runtime, StockLevel("st_portland", "JKT", "M", 2))
    first, second = await reserve(runtime, 1, "a"), await reserve(runtime, 2, "b")
    assert await level(runtime) == (2, 2)
    cancelled = await handlers.reservations.cancel(runtime, member(1), first.id)
    assert cancelled.status is ReservationStatus.CANCELLED
    assert await level(runtime) == (2, 1)
    with pytest.raises(Conflict, match="already cancelled"):
        await handlers.reservations.cancel(runtime, member(1), first.id)
    fulfilled = await handlers.reservations.fulfil(runtime, CASHIER, second.id)
    assert fulfilled.status is ReservationStatus.FULFILLED
    assert await level(runtime) == (1, 0)
    with pytest.raises(Conflict):
        await handlers.reservations.fulfil(runtime, CASHIER, second.id)
    assert await level(runtime) == (1, 0)


async def test_who_may_touch_a_reservation(replicas: list[Runtime]) -> None:
    runtime = replicas[0]
    await load(runtime, StockLevel("st_portland", "JKT", "M", 3))
    held = await reserve(runtime, 1, "a")
    for who, action in [(member(2), handlers.reservations.cancel), (CASHIER_ELSEWHERE, handlers.reservations.cancel),
                        (member(1), handlers.reservations.fulfil), (CASHIER_ELSEWHERE, handlers.reservations.fulfil)]:
        with pytest.raises(Forbidden):
            await action(runtime, who, held.id)
    with pytest.raises(Forbidden):
        await reserve(runtime, 2, "for-someone-else", who=member(1))
    with pytest.raises(Forbidden):
        await reserve(runtime, 2, "cashier-elsewhere", who=CASHIER_ELSEWHERE)
    assert await level(runtime) == (3, 1)
    assert [r.id for r in await handlers.reservations.reservations_of(runtime, CASHIER, "mbr_1")] == [held.id]
    assert await handlers.reservations.reservations_of(runtime, CASHIER_ELSEWHERE, "mbr_1") == []
    with pytest.raises(Forbidden):
        await handlers.reservations.reservations_of(runtime, member(2), "mbr_1")
    by_cashier = await reserve(runtime, 2, "at-the-till", who=CASHIER)
    assert by_cashier.member_id == "mbr_2"


@pytest.mark.parametrize(("request_changes", "error", "field"), [
    ({"store": "st_nowhere"}, NotFound, None),
    ({"sku": "NOPE"}, NotFound, None),
    ({"size": "XXXL"}, NotFound, "size"),
    ({"size": None}, NotFound, "size"),
    ({"hours": 0}, BadUserInput, "holdHours"),
    ({"hours": 169}, BadUserInput, "holdHours"),
    ({"store": "x" * 500}, BadUserInput, None),
])
async def test_bad_requests_hold_nothing(replicas: list[Runtime], request_changes: dict, error: type,
                                         field: str | None) -> None:
    runtime = replicas[0]
    await load(runtime, StockLevel("st_portland", "JKT", "M", 2))
    with pytest.raises(error) as refused:
        await reserve(runtime, 1, "bad", **request_changes)
    if field:
        assert refused.value.details.get("field") == field
    assert await level(runtime) == (2, 0)
    async with runtime.db.reading() as c:
        assert await c.scalar(sa.text("SELECT count(*) FROM reservations")) == 0


async def test_a_lower_count_releases_the_newest_holds(replicas: list[Runtime]) -> None:
    runtime = replicas[0]
    await load(runtime, StockLevel("st_portland", "JKT", "M", 3))
    older = await reserve(runtime, 1, "a")
    runtime.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    newer = await reserve(runtime, 2, "b")
    counted = await handlers.catalogue.set_stock(runtime, ADMIN, "st_portland", "JKT", "M", 1)
    assert (counted.on_hand, counted.held, counted.available) == (1, 1, 0)
    kept = await handlers.reservations.reservations_of(runtime, ADMIN, "mbr_1")
    dropped = await handlers.reservations.reservations_of(runtime, ADMIN, "mbr_2")
    assert (kept[0].id, kept[0].status) == (older.id, ReservationStatus.HELD)
    assert (dropped[0].id, dropped[0].status) == (newer.id, ReservationStatus.CANCELLED)
    assert await level(runtime) == (1, 1)


def purchase(n: int, *, store: str = "st_portland", channel: Channel = Channel.POS, quantity: int = 1,
             size: str = "m", external_id: str = "pos-1") -> Event:
    return Event(type="PurchaseCompleted", source="rewards", member_id=f"mbr_{n}", occurred_at=START, payload={
        "external_id": external_id, "channel": str(channel), "store_id": store,
        "lines": [{"line_id": "1", "sku": "JKT", "quantity": quantity, "size": size}]})


async def test_a_purchase_at_the_store_fulfils_the_members_hold(replicas: list[Runtime]) -> None:
    runtime = replicas[0]
    await load(runtime, StockLevel("st_portland", "JKT", "M", 3))
    held = await reserve(runtime, 1, "a")
    other = await reserve(runtime, 2, "b")
    sale = purchase(1, quantity=2)
    await handlers.events.on_purchase_completed(runtime, sale)
    await handlers.events.on_purchase_completed(runtime, sale)  # a redelivery changes nothing
    mine = (await handlers.reservations.reservations_of(runtime, ADMIN, "mbr_1"))[0]
    assert (mine.id, mine.status) == (held.id, ReservationStatus.FULFILLED)
    assert mine.closed_by == "bought at the till: pos-1"
    theirs = (await handlers.reservations.reservations_of(runtime, ADMIN, "mbr_2"))[0]
    assert (theirs.id, theirs.status) == (other.id, ReservationStatus.HELD)
    assert await level(runtime) == (1, 1)  # the hold and one free unit left; the other member's hold kept
    returned = Event(type="PurchaseReturned", source="rewards", member_id="mbr_1", payload={
        "external_id": "ret-1", "purchase_external_id": "pos-1", "lines": [{"line_id": "1", "quantity": 1}]})
    await handlers.events.on_purchase_returned(runtime, returned)
    await handlers.events.on_purchase_returned(runtime, returned)
    assert await level(runtime) == (2, 1)


async def test_a_sale_that_read_the_hold_before_a_cancel_gives_no_unit_back_twice(
        replicas: list[Runtime], monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL reads without locks: the sale may see the member's hold just before the member
    cancels it. The sale then sells from the shelf; the cancelled hold is not closed again."""
    runtime = replicas[0]
    await load(runtime, StockLevel("st_portland", "JKT", "M", 3))
    held = await reserve(runtime, 1, "a")
    async with runtime.db.reading() as connection:
        seen_by_the_sale = await repository.held_for(connection, "mbr_1", "st_portland", "JKT", "M")
    await handlers.reservations.cancel(runtime, member(1), held.id)  # commits between the read and the close

    async def as_read_before_the_cancel(*_args, **_kwargs) -> list:  # noqa: ANN002, ANN003
        return seen_by_the_sale

    monkeypatch.setattr(repository, "held_for", as_read_before_the_cancel)
    await handlers.events.on_purchase_completed(runtime, purchase(1))
    mine = (await handlers.reservations.reservations_of(runtime, ADMIN, "mbr_1"))[0]
    assert mine.status is ReservationStatus.CANCELLED
    assert await level(runtime) == (2, 0)  # one unit sold from the shelf, none held


async def test_a_web_purchase_or_one_at_another_store_leaves_the_hold(replicas: list[Runtime]) -> None:
    runtime = replicas[0]
    await load(runtime, StockLevel("st_portland", "JKT", "M", 2), StockLevel("st_seattle", "JKT", "M", 2))
    held = await reserve(runtime, 1, "a")
    await handlers.events.on_purchase_completed(runtime, purchase(1, channel=Channel.ECOMMERCE, external_id="web-1"))
    await handlers.events.on_purchase_completed(runtime, purchase(1, store="st_seattle", external_id="pos-2"))
    assert (await handlers.reservations.reservations_of(runtime, ADMIN, "mbr_1"))[0].status is ReservationStatus.HELD
    assert await level(runtime) == (2, 1)
    assert await level(runtime, store="st_seattle") == (1, 0)
    assert held.status is ReservationStatus.HELD


async def test_holds_expire_on_a_moved_clock_and_say_so_live(tmp_path: Path) -> None:
    clock = ManualClock(START)
    host = SubgraphHost(["inventory"], make_settings(tmp_path), clock=clock)
    await host.start(jobs=False)
    try:
        runtime = host.runtime("inventory")
        await load(runtime, StockLevel("st_portland", "JKT", "M", 1))
        changes = handlers.reservations.reservation_changes(runtime, member(1), "mbr_1")
        first = asyncio.ensure_future(anext(changes))
        await asyncio.sleep(0.05)  # subscribed
        held = await reserve(runtime, 1, "a", hours=2)
        assert (await asyncio.wait_for(first, 5)).status is ReservationStatus.HELD
        clock.advance(timedelta(hours=2) - timedelta(seconds=1))
        assert await handlers.reservations.expire_reservations(runtime) == 0
        assert await level(runtime) == (1, 1)
        clock.advance(timedelta(seconds=1))
        assert await handlers.reservations.expire_reservations(runtime) == 1
        pushed = await asyncio.wait_for(anext(changes), 5)
        assert (pushed.id, pushed.status) == (held.id, ReservationStatus.EXPIRED)
        assert await level(runtime) == (1, 0)
        assert await handlers.reservations.expire_reservations(runtime) == 0
        await changes.aclose()
    finally:
        await host.stop()


async def test_product_views_carry_what_the_engine_decides_on(tmp_path: Path) -> None:
    clock = ManualClock(START)
    host = SubgraphHost(["inventory"], make_settings(tmp_path), clock=clock)
    await host.start(relays=False, jobs=False)
    try:
        runtime = host.runtime("inventory")
        await load(runtime, StockLevel("st_portland", "JKT", "M", 2), StockLevel("st_portland", "JKT", "L", 0))
        await handlers.events.on_member_facts(runtime, Event(
            type="MemberEnrolled", source="profile", member_id="mbr_1", occurred_at=START,
            payload={"member_id": "mbr_1", "home_store_id": "st_portland"}))

        async def view(size: str = "m") -> bool:
            return await handlers.interest.record_view(runtime, member(1), member_id="mbr_1", sku="JKT", size=size,
                                                       channel=Channel.ECOMMERCE)

        assert await view()
        clock.advance(timedelta(minutes=29))
        assert not await view()  # a refresh is not interest
        clock.advance(timedelta(minutes=1))
        assert await view()
        clock.advance(timedelta(hours=5))
        assert await view()
        assert await view("L")
        async with runtime.db.reading() as c:
            bodies = (await c.scalars(sa.text("SELECT body FROM outbox WHERE subject = :s ORDER BY seq"),
                                      {"s": subject_for("inventory", "ProductViewed")})).all()
        payloads = [Event.from_json(body).payload for body in bodies]
        assert [(p["views_in_window"], p["size"], p["available_at_home"]) for p in payloads] == [
            (1, "M", 2), (2, "M", 2), (3, "M", 2), (4, "L", 0)]
        assert {p["home_store_id"] for p in payloads} == {"st_portland"}
        assert not any(p["bought_recently"] for p in payloads)
        interest = await handlers.interest.recently_viewed(runtime, member(1), "mbr_1")
        assert [(i.sku, i.views) for i in interest] == [("JKT", 4)]
        with pytest.raises(Forbidden):
            await handlers.interest.recently_viewed(runtime, member(2), "mbr_1")
        with pytest.raises(Forbidden):
            await handlers.interest.record_view(runtime, CASHIER, member_id="mbr_1", sku="JKT", size="M",
                                                channel=Channel.POS)
        clock.advance(timedelta(days=7))
        assert await handlers.interest.prune_views(runtime) == 4
        assert await handlers.interest.recently_viewed(runtime, member(1), "mbr_1") == []
    finally:
        await host.stop()


async def test_every_refusal_is_a_loyalty_error(replicas: list[Runtime]) -> None:
    """An unknown reservation id, an id too long: codes, never a crash."""
    runtime = replicas[0]
    with pytest.raises(NotFound):
        await handlers.reservations.cancel(runtime, ADMIN, "rsv_missing")
    with pytest.raises(LoyaltyError):
        await handlers.reservations.fulfil(runtime, ADMIN, "r" * 1000)


def merge_event(kind: str, absorbed: int, survivor: int, merge_id: str) -> Event:
    return Event(type=kind, source="profile", member_id=f"mbr_{survivor}", occurred_at=START, payload={
        "merge_id": merge_id, "absorbed_id": f"mbr_{absorbed}", "survivor_id": f"mbr_{survivor}",
        "at": START.isoformat()})


async def owners(runtime: Runtime) -> dict[str, str]:
    async with runtime.db.reading() as c:
        rows = (await c.execute(sa.text(
            "SELECT idempotency_key, member_id FROM reservations UNION ALL "
            "SELECT purchase_external_id, member_id FROM sales"))).all()
    return dict(rows)


async def test_holds_and_sales_follow_a_chain_of_merges_and_come_back(replicas: list[Runtime]) -> None:
    """A into B, B into C; a sale of A's that arrives after both merges; then the merges are
    undone, the later first (profile's order): everything is its first owner's again."""
    runtime = replicas[0]
    await load(runtime, StockLevel("st_portland", "JKT", "M", 5))
    await reserve(runtime, 1, "a-hold")
    await reserve(runtime, 2, "b-hold")
    await handlers.events.on_members_merged(runtime, merge_event("MembersMerged", 1, 2, "m1"))
    await handlers.events.on_members_merged(runtime, merge_event("MembersMerged", 2, 3, "m2"))
    await reserve(runtime, 1, "c-hold-by-old-id", who=member(3))  # after the merges: the survivor's own
    await handlers.events.on_purchase_completed(runtime, purchase(1, channel=Channel.ECOMMERCE,
                                                                  external_id="a-late"))
    assert await owners(runtime) == {"a-hold": "mbr_3", "b-hold": "mbr_3", "c-hold-by-old-id": "mbr_3",
                                     "a-late": "mbr_3"}
    assert len(await handlers.reservations.reservations_of(runtime, member(1), "mbr_3")) == 3  # an old token
    await handlers.events.on_members_unmerged(runtime, merge_event("MembersUnmerged", 2, 3, "m2"))
    assert await owners(runtime) == {"a-hold": "mbr_2", "b-hold": "mbr_2", "c-hold-by-old-id": "mbr_3",
                                     "a-late": "mbr_2"}
    await handlers.events.on_members_unmerged(runtime, merge_event("MembersUnmerged", 1, 2, "m1"))
    await handlers.events.on_members_unmerged(runtime, merge_event("MembersUnmerged", 1, 2, "m1"))  # again
    assert await owners(runtime) == {"a-hold": "mbr_1", "b-hold": "mbr_2", "c-hold-by-old-id": "mbr_3",
                                     "a-late": "mbr_1"}
