"""Bad input gets a GraphQL error with an `extensions.code` and changes nothing."""
from __future__ import annotations

import httpx

from subgraphs.kernel.auth import Role
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
