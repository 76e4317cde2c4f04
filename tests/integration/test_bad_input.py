"""Bad input gets a GraphQL error with an `extensions.code` and changes nothing."""
from __future__ import annotations

import asyncio
import time

import httpx

from core.auth import Role
from tests.support.graphql import subscribe
from tests.support.stack import Stack

from .test_end_to_end import LINES, WALLET_UPDATED


async def purchases_recorded(stack: Stack, external_id: str) -> int:
    return await stack.scalar("rewards", "SELECT count(*) FROM purchases WHERE external_id = :e", e=external_id)


async def test_unknown_member_at_checkout(stack: Stack) -> None:
    response = await stack.checkout("mbr_does_not_exist", "bad-unknown-1", LINES)
    assert response.codes == ["NOT_FOUND"]
    assert response.data is None
    assert await purchases_recorded(stack, "bad-unknown-1") == 0


async def test_malformed_json_body(stack: Stack) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(stack.url, content=b'{"query": "{ stores { id } }"',
                                     headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_missing_token(stack: Stack) -> None:
    member_id = await stack.enroll("NoToken")
    me = await stack.gql("{ me { id } }")
    assert me.codes == ["UNAUTHENTICATED"]
    checkout = await stack.gql(
        "mutation($i: CheckoutInput!) { checkout(input: $i) { externalId } }",
        {"i": {"externalId": "bad-token-1", "basket": {"channel": "POS", "memberId": member_id, "lines": LINES}}},
    )
    assert checkout.codes == ["UNAUTHENTICATED"]
    assert await purchases_recorded(stack, "bad-token-1") == 0


async def test_invalid_token_is_refused_before_planning(stack: Stack) -> None:
    response = await stack.gql("{ stores { id } }", token="not-a-jwt")
    assert response.status == 401
    assert response.codes == ["UNAUTHENTICATED"]


async def test_another_members_data(stack: Stack) -> None:
    alice, bob = await stack.enroll("Alice"), await stack.enroll("Bob")
    alice_token = stack.token(Role.MEMBER, alice)
    response = await stack.gql("query($id: ID!) { member(id: $id) { givenName points { available } } }",
                               {"id": bob}, alice_token)
    assert response.codes == ["FORBIDDEN"]
    assert response.data == {"member": None}
    async with subscribe(stack.url, WALLET_UPDATED, {"memberId": bob}, alice_token) as spy:
        event = await spy.next()
    assert [e["extensions"]["code"] for e in event["errors"]] == ["FORBIDDEN"]


async def test_member_cannot_check_out(stack: Stack) -> None:
    member = await stack.enroll("SelfService")
    response = await stack.checkout(member, "bad-self-1", LINES, token=stack.token(Role.MEMBER, member))
    assert response.codes == ["FORBIDDEN"]
    assert await purchases_recorded(stack, "bad-self-1") == 0


async def test_cashier_at_another_store(stack: Stack) -> None:
    member = await stack.enroll("Traveller")
    response = await stack.checkout(member, "bad-store-1", LINES, store_id="st_denver")
    assert response.codes == ["FORBIDDEN"]
    assert await purchases_recorded(stack, "bad-store-1") == 0


async def test_bad_basket_lines(stack: Stack) -> None:
    member = await stack.enroll("Zero")
    for external_id, lines in [
        ("bad-lines-1", []),
        ("bad-lines-2", [{"sku": "CAP-TRAIL", "quantity": 0, "unitPrice": "29.00"}]),
        ("bad-lines-3", [{"sku": "CAP-TRAIL", "quantity": 1, "unitPrice": "-1.00"}]),
    ]:
        response = await stack.checkout(member, external_id, lines)
        assert response.codes == ["BAD_USER_INPUT"], (external_id, response.body)
        assert await purchases_recorded(stack, external_id) == 0
    malformed = await stack.checkout(member, "bad-lines-4", [{"sku": "CAP", "quantity": 1, "unitPrice": "abc"}])
    assert malformed.codes == ["BAD_USER_INPUT"]  # the rewards subgraph owns the Decimal scalar
    assert await purchases_recorded(stack, "bad-lines-4") == 0


async def test_enrolling_an_email_twice(stack: Stack) -> None:
    await stack.enroll("First", email="twice@example.org")
    response = await stack.gql(
        "mutation($i: EnrollMemberInput!) { enrollMember(input: $i) { id } }",
        {"i": {"channel": "POS", "givenName": "Second", "email": "Twice@Example.org"}}, stack.cashier,
    )
    assert response.codes == ["CONFLICT"]


async def test_junk_identifiers(stack: Stack) -> None:
    for email in ("test@test.com", "not-an-email"):
        response = await stack.gql(
            "mutation($i: EnrollMemberInput!) { enrollMember(input: $i) { id } }",
            {"i": {"channel": "POS", "email": email}}, stack.cashier,
        )
        assert response.codes == ["BAD_USER_INPUT"], email


async def test_an_externalid_reused_for_another_member(stack: Stack) -> None:
    first, second = await stack.enroll("Owner"), await stack.enroll("Other")
    (await stack.checkout(first, "bad-reuse-1", LINES)).ok()
    assert (await stack.checkout(second, "bad-reuse-1", LINES)).codes == ["CONFLICT"]
    assert (await stack.checkout(first, "bad-reuse-1", LINES[:1])).codes == ["CONFLICT"]  # another basket
    points = "query($id: ID!) { member(id: $id) { points { available } } }"
    assert (await stack.gql(points, {"id": second}, stack.cashier)).ok()["member"]["points"]["available"] == 0
    assert (await stack.gql(points, {"id": first}, stack.cashier)).ok()["member"]["points"]["available"] == 197


CHECKOUT = "mutation($i: CheckoutInput!) { checkout(input: $i) { pointsEarned } }"


async def checkout_input(stack: Stack, external_id: str, lines: list[dict], token: str | None = None,
                         **fields: object) -> tuple[list[str], dict]:
    member = await stack.enroll("Edge")
    basket = {"channel": "POS", "storeId": "st_portland", "memberId": member, "lines": lines}
    basket.update({k: v for k, v in fields.items() if k != "occurredAt"})
    request: dict = {"externalId": external_id, "basket": basket}
    if "occurredAt" in fields:
        request["occurredAt"] = fields["occurredAt"]
    response = await stack.gql(CHECKOUT, {"i": request}, token or stack.cashier)
    return response.codes, response.body


async def test_what_the_ledger_or_a_database_could_not_store_is_refused_at_the_till(stack: Stack) -> None:
    """Each of these was accepted by the engine and refused later (by the ledger, or by
    PostgreSQL: lengths and 32-bit integers), leaving a purchase that blocked the saga."""
    sock = {"sku": "SOK-CREW-3PK", "quantity": 1, "unitPrice": "24.00"}
    cases = {
        "edge-year-9999": ([sock], {"occurredAt": "9999-12-31T23:59:59Z"}),
        "edge-year-1": ([sock], {"occurredAt": "0001-01-01T00:00:00Z"}),
        "edge-no-zone": ([sock], {"occurredAt": "2026-11-30T10:00:00"}),
        "edge-1e30": ([{**sock, "unitPrice": "1e30"}], {}),
        "edge-points-past-int": ([{**sock, "quantity": 10000, "unitPrice": "999999.99"}], {}),
        "edge-long-sku": ([{**sock, "sku": "S" * 65}], {}),
        "edge-long-size": ([{**sock, "size": "X" * 17}], {}),
        "edge-long-store": ([sock], {"storeId": "s" * 41}),
    }
    for external_id, (lines, fields) in cases.items():
        codes, body = await checkout_input(stack, external_id, lines, **fields)
        assert codes == ["BAD_USER_INPUT"], (external_id, body)
        assert body["data"] is None
        assert await purchases_recorded(stack, external_id) == 0, external_id


async def test_a_cashier_cannot_mint_points_through_the_price(stack: Stack) -> None:
    """POS prices are trusted, within limits (LOYALTY_CHECKOUT_MAX_*): above them a
    supervisor must ring it up; a catalogue product far above its price likewise."""
    minted = {"sku": "GIFT-CARD", "quantity": 1, "unitPrice": "99999999.99"}
    codes, _ = await checkout_input(stack, "mint-1", [minted])
    assert codes == ["BAD_USER_INPUT"]  # past any till's price, for everyone
    big = {"sku": "GIFT-CARD", "quantity": 1, "unitPrice": "5000.01"}
    codes, body = await checkout_input(stack, "mint-2", [big])
    assert codes == ["FORBIDDEN"]
    assert body["errors"][0]["extensions"]["limits"] == [
        "line 1 (GIFT-CARD) comes to 5000.01, above the line limit of 5000"]
    assert await purchases_recorded(stack, "mint-2") == 0
    aurora = {"sku": "JKT-AURORA-LTD", "quantity": 1, "unitPrice": "600.00"}  # the catalogue says 189.00
    codes, body = await checkout_input(stack, "mint-3", [aurora])
    assert codes == ["FORBIDDEN"], body
    assert "more than 3 times the catalogue price of 189.00" in body["errors"][0]["message"]
    assert await purchases_recorded(stack, "mint-3") == 0
    fair = {"sku": "JKT-AURORA-LTD", "quantity": 1, "unitPrice": "567.00"}  # 3 x 189.00: allowed
    codes, body = await checkout_input(stack, "mint-4", [fair])
    assert codes == [], body
    supervised, body = await checkout_input(stack, "mint-5", [big, aurora],
                                            token=stack.token(Role.SUPERVISOR, store="st_portland"))
    assert supervised == [], body
    assert body["data"]["checkout"]["pointsEarned"] == 5000 + 600


async def test_a_cashier_acts_only_at_their_store(stack: Stack) -> None:
    member = await stack.enroll("Portlander")
    (await stack.checkout(member, "store-bought-1", LINES)).ok()  # at st_portland
    denver = stack.token(Role.CASHIER, store="st_denver")
    returned = await stack.gql(
        "mutation($i: ReturnInput!) { recordReturn(input: $i) { pointsReversed member { email } } }",
        {"i": {"externalId": "store-return-1", "purchaseExternalId": "store-bought-1",
               "lines": [{"sku": "SOK-CREW-3PK", "quantity": 1}]}}, denver)
    assert returned.codes == ["FORBIDDEN"]
    assert returned.data is None
    assert await stack.scalar("rewards", "SELECT count(*) FROM returns WHERE external_id = 'store-return-1'") == 0
    evaluated = await stack.gql(
        "query($i: BasketInput!) { evaluateBasket(input: $i) { pointsToEarn } }",
        {"i": {"channel": "POS", "storeId": "st_portland", "memberId": member, "lines": LINES}}, denver)
    assert evaluated.codes == ["FORBIDDEN"]
    at_home = await stack.gql(
        "mutation($i: ReturnInput!) { recordReturn(input: $i) { pointsReversed } }",
        {"i": {"externalId": "store-return-2", "purchaseExternalId": "store-bought-1",
               "lines": [{"sku": "SOK-CREW-3PK", "quantity": 1}]}}, stack.cashier)
    assert at_home.ok()["recordReturn"]["pointsReversed"] == 24


async def test_a_cashier_token_without_a_store_is_refused(stack: Stack) -> None:
    import jwt

    member = await stack.enroll("Storeless")
    storeless = jwt.encode({"sub": "cashier-7", "role": "cashier", "exp": int(time.time()) + 600},
                           stack.settings.jwt_secret, algorithm="HS256")
    response = await stack.checkout(member, "storeless-1", LINES, token=storeless)
    assert response.codes in (["UNAUTHENTICATED"], ["FORBIDDEN"]), response.body
    assert await purchases_recorded(stack, "storeless-1") == 0


async def test_enrolment_values_a_database_could_not_store(stack: Stack) -> None:
    enroll = "mutation($i: EnrollMemberInput!) { enrollMember(input: $i) { id } }"
    for values in ({"email": "a" * 120 + "@example.org"}, {"email": "x@example.org", "homeStoreId": "s" * 41},
                   {"phone": "5" * 200}):
        response = await stack.gql(enroll, {"i": {"channel": "POS", **values}}, stack.cashier)
        assert response.codes == ["BAD_USER_INPUT"], (values, response.body)
    assert await stack.scalar("profile", "SELECT count(*) FROM members WHERE email = 'x@example.org'") == 0


async def test_two_enrolments_racing_for_one_email_give_one_member_and_one_conflict(stack: Stack) -> None:
    enroll = "mutation($i: EnrollMemberInput!) { enrollMember(input: $i) { id } }"
    email = f"race.{time.monotonic_ns()}@example.org"
    responses = await asyncio.gather(*(
        stack.gql(enroll, {"i": {"channel": "POS", "givenName": f"Racer{n}", "email": email}}, stack.cashier)
        for n in range(4)))
    assert sorted(tuple(r.codes) for r in responses) == [(), ("CONFLICT",), ("CONFLICT",), ("CONFLICT",)]
    assert await stack.scalar("profile", "SELECT count(*) FROM members WHERE email = :e", e=email) == 1


async def test_staff_record_consents_under_the_consent_policy(stack: Stack) -> None:
    member = await stack.enroll("Consenting")
    update = "mutation($id: ID!, $c: ConsentsInput!) { updateConsents(memberId: $id, input: $c) { consents { " \
             "emailMarketing smsMarketing profiling } } }"
    grant_sms = await stack.gql(update, {"id": member, "c": {"smsMarketing": True}}, stack.cashier)
    assert grant_sms.codes == ["FORBIDDEN"]
    withdraw = await stack.gql(update, {"id": member, "c": {"profiling": False}}, stack.cashier)
    assert withdraw.ok()["updateConsents"]["consents"]["profiling"] is False
    lift = await stack.gql(update, {"id": member, "c": {"profiling": True}}, stack.token(Role.SUPERVISOR))
    assert lift.codes == ["FORBIDDEN"]
    own = await stack.gql(update, {"id": member, "c": {"profiling": True, "smsMarketing": True}},
                          stack.token(Role.MEMBER, member))
    assert own.ok()["updateConsents"]["consents"] == {"emailMarketing": False, "smsMarketing": True,
                                                      "profiling": True}


async def test_bad_argument_in_an_entity_fetch_nulls_the_entity_with_its_one_error(stack: Stack) -> None:
    # The ledger nulls the `_entities` item when `activity` fails (it is non-null there as here);
    # the gateway carries that null on to the nearest nullable field, `member`, and adds nothing.
    member_id = await stack.enroll("Paged")
    response = await stack.gql(
        "query($id: ID!) { member(id: $id) { tier { progress } activity(first: 0) { edges { cursor } } } }",
        {"id": member_id}, stack.cashier)
    assert response.codes == ["BAD_USER_INPUT"], response.errors
    assert response.errors[0]["path"] == ["member", "activity"]
    assert response.data == {"member": None}
