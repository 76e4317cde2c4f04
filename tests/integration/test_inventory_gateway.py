"""Julia's journey in inventory, through the gateway: she views a jacket three times
(each view a `ProductViewed` event with the stock of her size at her home store), she
reserves one, the till's checkout of it fulfils the hold by itself, and every step is
pushed on `reservationUpdated`. Also: the catalogue search, and bad input that holds
nothing."""
from __future__ import annotations

import asyncio
import itertools

from core.auth import Role
from tests.integration.test_golden_record import eventually
from tests.support.graphql import subscribe
from tests.support.stack import Stack

STORE, SKU, SIZE = "st_boulder", "JKT-TRAIL-SHELL", "L"
VIEW = "mutation($i: ProductViewInput!) { recordProductView(input: $i) }"
RESERVE = """mutation($i: ReserveInput!) { reserve(input: $i) {
  id status size holdUntil member { id givenName } store { id } product { sku name } } }"""
CANCEL = "mutation($id: ID!) { cancelReservation(id: $id) { id status } }"
FULFIL = "mutation($id: ID!) { fulfillReservation(id: $id) { id status } }"
SET_STOCK = """mutation($s: ID!, $k: ID!, $z: String, $q: Int!) {
  setStock(storeId: $s, sku: $k, size: $z, quantity: $q) { size available reserved } }"""
STOCK = 'query($k: ID!, $s: ID!) { product(sku: $k) { stock(storeId: $s) { size available reserved } } }'
MINE = """query($id: ID!) { member(id: $id) { reservations { id status store { id } product { sku } size }
  recentlyViewed { product { sku } views } } }"""
UPDATES = "subscription($m: ID!) { reservationUpdated(memberId: $m) { id status } }"
keys = itertools.count()


async def stock_of(stack: Stack, size: str = SIZE) -> dict:
    levels = (await stack.gql(STOCK, {"k": SKU, "s": STORE})).ok()["product"]["stock"]
    return next({"available": lv["available"], "reserved": lv["reserved"]} for lv in levels if lv["size"] == size)


async def test_views_a_reservation_and_the_till(stack: Stack) -> None:
    admin = stack.token(Role.ADMIN)
    (await stack.gql(SET_STOCK, {"s": STORE, "k": SKU, "z": SIZE, "q": 2}, admin)).ok()
    julia = await stack.enroll("Julia", homeStoreId=STORE)
    token = stack.token(Role.MEMBER, julia)
    view = {"memberId": julia, "sku": SKU, "size": "l", "channel": "ECOMMERCE"}

    async def home_store_known() -> None:  # profile's MemberEnrolled reached inventory
        assert await stack.scalar("inventory", "SELECT home_store_id FROM members WHERE member_id = :m",
                                  m=julia) == STORE

    await eventually(home_store_known)
    assert (await stack.gql(VIEW, {"i": view}, token)).ok() == {"recordProductView": True}
    assert (await stack.gql(VIEW, {"i": view}, token)).ok() == {"recordProductView": False}  # a refresh
    viewed = [e for e in await stack.outbox_events("inventory", julia) if e.type == "ProductViewed"]
    assert [(e.payload["views_in_window"], e.payload["home_store_id"], e.payload["available_at_home"],
             e.payload["size"]) for e in viewed] == [(1, STORE, 2, "L")]

    async with subscribe(stack.url, UPDATES, {"m": julia}, token) as updates:
        await asyncio.sleep(0.5)  # the gateway holds its upstream subscription
        held = (await stack.gql(RESERVE, {"i": {"memberId": julia, "storeId": STORE, "sku": SKU, "size": "L",
                                                "holdHours": 24, "idempotencyKey": f"julia-{next(keys)}"}},
                                token)).ok()["reserve"]
        assert held["status"] == "HELD" and held["member"] == {"id": julia, "givenName": "Julia"}
        assert held["product"]["sku"] == SKU and held["store"] == {"id": STORE}
        assert await updates.next() == {"data": {"reservationUpdated": {"id": held["id"], "status": "HELD"}}}
        assert await stock_of(stack) == {"available": 1, "reserved": 1}

        boulder = stack.token(Role.CASHIER, store=STORE)
        bought = await stack.checkout(julia, f"inv-gw-{next(keys)}", [
            {"sku": SKU, "quantity": 1, "unitPrice": "149.00", "size": "L"}], token=boulder, store_id=STORE)
        bought.ok()
        assert await updates.next() == {"data": {"reservationUpdated": {"id": held["id"], "status": "FULFILLED"}}}

    async def fulfilled() -> None:
        assert await stock_of(stack) == {"available": 1, "reserved": 0}  # the held unit left with her

    await eventually(fulfilled)
    mine = (await stack.gql(MINE, {"id": julia}, token)).ok()["member"]
    assert mine["reservations"] == [{"id": held["id"], "status": "FULFILLED", "store": {"id": STORE},
                                     "product": {"sku": SKU}, "size": "L"}]
    assert mine["recentlyViewed"] == [{"product": {"sku": SKU}, "views": 1}]


async def test_three_views_carry_the_stock_at_the_home_store(stack: Stack) -> None:
    admin = stack.token(Role.ADMIN)
    (await stack.gql(SET_STOCK, {"s": STORE, "k": SKU, "z": "XS", "q": 2}, admin)).ok()
    member = await stack.enroll("Viewer", homeStoreId=STORE)

    async def home_store_known() -> None:
        assert await stack.scalar("inventory", "SELECT home_store_id FROM members WHERE member_id = :m",
                                  m=member) == STORE

    await eventually(home_store_known)
    shop = stack.token(Role.SERVICE)  # the web shop's integration records views
    counted = []
    for size in ("XS", "S", "M", "XS"):  # each size a view of its own; the count is per product
        counted.append((await stack.gql(VIEW, {"i": {"memberId": member, "sku": SKU, "size": size,
                                                     "channel": "ECOMMERCE"}}, shop)).ok()["recordProductView"])
    assert counted == [True, True, True, False]  # the last one is a refresh of the first
    viewed = [e.payload for e in await stack.outbox_events("inventory", member) if e.type == "ProductViewed"]
    levels = {lv["size"]: lv["available"] for lv in
              (await stack.gql(STOCK, {"k": SKU, "s": STORE})).ok()["product"]["stock"]}
    assert [(p["views_in_window"], p["size"], p["available_at_home"]) for p in viewed] == [
        (1, "XS", 2), (2, "S", levels["S"]), (3, "M", levels["M"])]
    assert {(p["home_store_id"], p["bought_recently"], p["product"]["price"]) for p in viewed} == {
        (STORE, False, "149.00")}


async def test_the_catalogue_search_pages(stack: Stack) -> None:
    query = """query($s: String, $c: String, $f: Int, $a: String) { products(search: $s, category: $c, first: $f,
      after: $a) { edges { cursor node { sku } } pageInfo { hasNextPage endCursor } } }"""
    first = (await stack.gql(query, {"s": "running", "f": 2})).ok()["products"]
    assert [e["node"]["sku"] for e in first["edges"]] == ["JKT-AURORA-LTD", "SHO-RIDGE-TR"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await stack.gql(query, {"s": "running", "f": 10, "a": first["pageInfo"]["endCursor"]})).ok()["products"]
    assert [e["node"]["sku"] for e in rest["edges"]] == ["SHO-ROAD-LITE", "SHT-SPLIT-5", "SOK-CREW-3PK", "TGT-THERMAL"]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": rest["edges"][-1]["cursor"]}
    by_sku = (await stack.gql(query, {"s": "jkt-"})).ok()["products"]["edges"]
    assert [e["node"]["sku"] for e in by_sku] == ["JKT-AURORA-LTD", "JKT-TRAIL-SHELL"]
    category = (await stack.gql(query, {"c": "hydration"})).ok()["products"]["edges"]
    assert [e["node"]["sku"] for e in category] == ["BTL-SOFT-500", "VST-HYDRO-8"]
    literal = (await stack.gql(query, {"s": "%"})).ok()["products"]["edges"]
    assert literal == []  # % is a character, not a wildcard
    for bad in ({"f": 0}, {"f": 10_000}, {"a": "not-a-cursor"}, {"s": "x" * 101}):
        assert (await stack.gql(query, bad)).codes == ["BAD_USER_INPUT"], bad


async def test_bad_reservations_hold_nothing(stack: Stack) -> None:
    admin = stack.token(Role.ADMIN)
    (await stack.gql(SET_STOCK, {"s": STORE, "k": SKU, "z": "XL", "q": 3}, admin)).ok()
    member = await stack.enroll("Careful")
    other = await stack.enroll("Other")
    token = stack.token(Role.MEMBER, member)

    def request(**changes: object) -> dict:
        return {"i": {"memberId": member, "storeId": STORE, "sku": SKU, "size": "XL",
                      "idempotencyKey": f"bad-{next(keys)}", **changes}}

    cases = [
        (request(storeId="st_atlantis"), token, "NOT_FOUND"),
        (request(sku="NO-SUCH-SKU"), token, "NOT_FOUND"),
        (request(size="XXXL"), token, "NOT_FOUND"),
        (request(holdHours=0), token, "BAD_USER_INPUT"),
        (request(holdHours=-5), token, "BAD_USER_INPUT"),
        (request(holdHours=169), token, "BAD_USER_INPUT"),
        (request(idempotencyKey=""), token, "BAD_USER_INPUT"),
        (request(memberId=other), token, "FORBIDDEN"),  # another member's name on it
        (request(), None, "UNAUTHENTICATED"),
        (request(), stack.token(Role.CASHIER, store="st_denver"), "FORBIDDEN"),  # not this cashier's store
    ]
    for variables, who, code in cases:
        assert (await stack.gql(RESERVE, variables, who)).codes == [code], (variables, code)
    for quantity in (-1, -100, 2**31):  # the stock feed: a count is 0 or more, and fits an Int
        assert (await stack.gql(SET_STOCK, {"s": STORE, "k": SKU, "z": "XL", "q": quantity}, admin)).codes == [
            "BAD_USER_INPUT"], quantity
    assert (await stack.gql(SET_STOCK, {"s": STORE, "k": SKU, "z": "XL", "q": 0}, token)).codes == ["FORBIDDEN"]
    assert await stock_of(stack, "XL") == {"available": 3, "reserved": 0}
    assert await stack.scalar("inventory", "SELECT count(*) FROM reservations WHERE member_id IN (:a, :b)",
                              a=member, b=other) == 0

    held = (await stack.gql(RESERVE, request(), token)).ok()["reserve"]
    other_token = stack.token(Role.MEMBER, other)
    assert (await stack.gql(CANCEL, {"id": held["id"]}, other_token)).codes == ["FORBIDDEN"]
    assert (await stack.gql(FULFIL, {"id": held["id"]}, token)).codes == ["FORBIDDEN"]  # at the till only
    assert (await stack.gql(FULFIL, {"id": held["id"]}, stack.token(Role.CASHIER, store="st_denver"))
            ).codes == ["FORBIDDEN"]
    assert (await stack.gql(CANCEL, {"id": "rsv_nope"}, token)).codes == ["NOT_FOUND"]
    assert await stock_of(stack, "XL") == {"available": 2, "reserved": 1}
    assert (await stack.gql(CANCEL, {"id": held["id"]}, token)).ok()["cancelReservation"]["status"] == "CANCELLED"
    assert (await stack.gql(CANCEL, {"id": held["id"]}, token)).codes == ["CONFLICT"]
    assert await stock_of(stack, "XL") == {"available": 3, "reserved": 0}
