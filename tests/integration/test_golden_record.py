"""The golden record through the gateway: a POS phone member and a web email member of one
person, both with points, become one when the app identifies them together; every
subgraph follows (balances add up, lots keep their dates, the old id and an old token
reach the survivor); `unmergeMember` puts both back exactly. Also run in scale-out
(tests/scaleout/test_scaleout.py)."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa

from core.auth import Role
from subgraphs.kernel.db import create_engine
from tests.support.stack import Stack

IDENTIFY = """mutation($input: IdentifyInput!) { identify(input: $input) {
  id identities { kind value } consents { profiling emailMarketing }
  merges { id survivorId absorbedId reason reversedAt } } }"""
UNMERGE = "mutation($id: ID!) { unmergeMember(mergeId: $id) { id identities { kind value } consents { profiling } } }"
MEMBER = """query($id: ID!) { member(id: $id) { id givenName identities { kind value }
  consents { profiling } points { available pending lifetimeEarned } tier { current { name } }
  activity(first: 20) { edges { node { kind points reference } } } traits { frequency90d monetary365d }
  reservations { id status } } }"""
RESERVE = "mutation($i: ReserveInput!) { reserve(input: $i) { id status } }"
CONSENT_HISTORY = "query($id: ID!) { member(id: $id) { consentHistory { purpose granted source actor } } }"


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 15.0) -> Any:
    """Events travel through the bus: wait until the check passes (its last failure otherwise)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def member(stack: Stack, member_id: str, token: str | None = None) -> dict[str, Any]:
    return (await stack.gql(MEMBER, {"id": member_id}, token or stack.token(Role.SUPERVISOR))).ok()["member"]


async def two_records_of_one_person(stack: Stack, tag: str) -> tuple[str, str, str, str]:
    """A till customer known by phone, and a web shop customer known by email (no profiling)."""
    n = int(tag) % 8_000_000
    phone, email = f"+1 503 {200 + n // 10000:03d} {n % 10000:04d}", f"julia.{tag}@example.org"
    at_till = await stack.enroll("Julia", phone=phone, email=None, channel="POS")
    online = (await stack.gql(
        "mutation($i: EnrollMemberInput!) { enrollMember(input: $i) { id } }",
        {"i": {"channel": "ECOMMERCE", "givenName": "Jules", "email": email, "consents": {"profiling": False}}},
        stack.token(Role.SERVICE))).ok()["enrollMember"]["id"]
    (await stack.checkout(at_till, f"gr-{tag}-till", [{"sku": "SOK-CREW-3PK", "quantity": 4, "unitPrice": "25.00"}])
     ).ok()
    web = {"channel": "ECOMMERCE", "memberId": online,
           "lines": [{"sku": "CAP-TRAIL", "quantity": 2, "unitPrice": "25.00"}]}
    (await stack.gql("mutation($i: CheckoutInput!) { checkout(input: $i) { pointsEarned } }",
                     {"i": {"externalId": f"gr-{tag}-web", "basket": web}}, stack.token(Role.SERVICE))).ok()

    async def both_have_points() -> None:
        assert (await member(stack, at_till))["points"]["available"] == 100
        assert (await member(stack, online))["points"]["pending"] == 50

    await eventually(both_have_points)
    return at_till, online, f"+1503{200 + n // 10000:03d}{n % 10000:04d}", email


async def test_identify_merges_two_records_and_unmerge_puts_them_back(stack: Stack) -> None:
    tag = str(time.monotonic_ns() % 10_000_000)
    at_till, online, phone, email = await two_records_of_one_person(stack, tag)
    online_token = stack.token(Role.MEMBER, online)  # issued before the merge
    held = (await stack.gql(RESERVE, {"i": {"memberId": online, "storeId": "st_seattle", "sku": "JKT-TRAIL-SHELL",
                                            "size": "M", "idempotencyKey": f"gr-{tag}-hold"}},
                            online_token)).ok()["reserve"]
    merged = (await stack.gql(IDENTIFY, {"input": {"channel": "APP", "identifiers": [
        {"kind": "PHONE", "value": phone}, {"kind": "EMAIL", "value": email},
        {"kind": "APP_DEVICE", "value": f"device-{tag}"}]}}, stack.token(Role.SERVICE))).ok()["identify"]
    assert merged["id"] == at_till  # the older record survives
    assert {(i["kind"], i["value"]) for i in merged["identities"]} == {
        ("PHONE", phone), ("EMAIL", email), ("APP_DEVICE", f"device-{tag}")}
    assert merged["consents"]["profiling"] is False  # the web record's opt-out wins
    [merge] = merged["merges"]
    assert (merge["survivorId"], merge["absorbedId"], merge["reason"]) == (at_till, online, f"EMAIL {email}")

    async def the_books_are_one() -> dict[str, Any]:
        survivor = await member(stack, at_till)
        assert survivor["points"] == {"available": 100, "pending": 50, "lifetimeEarned": 150}
        assert survivor["traits"] == {"frequency90d": 2, "monetary365d": "150.00"}  # profile's copy follows
        assert survivor["reservations"] == [held]  # inventory's hold follows
        assert await stack.scalar("inventory", "SELECT member_id FROM sales WHERE purchase_external_id = :e",
                                  e=f"gr-{tag}-web") == at_till
        return survivor

    survivor = await eventually(the_books_are_one)
    references = {e["node"]["reference"] for e in survivor["activity"]["edges"]}
    assert {f"gr-{tag}-till", f"gr-{tag}-web"} <= references  # the absorbed member's entries, re-attributed
    assert "TRANSFER" not in {e["node"]["kind"] for e in survivor["activity"]["edges"]}
    assert (await member(stack, online))["id"] == at_till  # the old id reaches the survivor
    me = (await stack.gql("{ me { id points { available pending } } }", token=online_token)).ok()["me"]
    assert me == {"id": at_till, "points": {"available": 100, "pending": 50}}  # and so does an old token
    lots = await stack.scalar("ledger", "SELECT count(*) FROM lots WHERE member_id = :m AND merge_id = :g",
                              m=at_till, g=merge["id"])
    assert lots == 1  # the web purchase's lot moved, its dates kept (test_ledger_merges checks the dates)
    assert await stack.scalar("rewards", "SELECT member_id FROM purchases WHERE external_id = :e",
                              e=f"gr-{tag}-web") == at_till
    history = (await stack.gql(CONSENT_HISTORY, {"id": at_till}, stack.cashier)).ok()["member"]["consentHistory"]
    assert {"purpose": "PROFILING", "granted": False, "source": "APP", "actor": f"merge:{merge['id']}"} in history

    if stack.host is not None:  # embedded: the in-process bus delivers a replay; the inboxes absorb it
        await replay(stack, "loyalty.profile.MembersMerged")
        assert (await member(stack, at_till))["points"] == {"available": 100, "pending": 50, "lifetimeEarned": 150}
        assert await stack.scalar("ledger", "SELECT count(*) FROM account_merges WHERE merge_id = :g",
                                  g=merge["id"]) == 1

    undone = (await stack.gql(UNMERGE, {"id": merge["id"]}, stack.token(Role.SUPERVISOR))).ok()["unmergeMember"]
    assert [m["id"] for m in undone] == [at_till, online]
    assert {(i["kind"], i["value"]) for i in undone[0]["identities"]} == {
        ("PHONE", phone), ("APP_DEVICE", f"device-{tag}")}  # the device came in on the survivor: it stays
    assert {(i["kind"], i["value"]) for i in undone[1]["identities"]} == {("EMAIL", email)}
    assert (undone[0]["consents"]["profiling"], undone[1]["consents"]["profiling"]) == (True, False)

    async def the_books_are_two_again() -> None:
        assert (await member(stack, at_till))["points"] == {"available": 100, "pending": 0, "lifetimeEarned": 100}
        absorbed = await member(stack, online)
        assert absorbed["id"] == online
        assert absorbed["points"] == {"available": 0, "pending": 50, "lifetimeEarned": 50}
        assert absorbed["traits"] == {"frequency90d": 1, "monetary365d": "50.00"}
        assert absorbed["reservations"] == [held]
        survivor = await member(stack, at_till)
        assert survivor["traits"] == {"frequency90d": 1, "monetary365d": "100.00"}
        assert survivor["reservations"] == []
        assert await stack.scalar("inventory", "SELECT member_id FROM sales WHERE purchase_external_id = :e",
                                  e=f"gr-{tag}-web") == online

    await eventually(the_books_are_two_again)
    assert await stack.scalar("rewards", "SELECT member_id FROM purchases WHERE external_id = :e",
                              e=f"gr-{tag}-web") == online
    again = await stack.gql(UNMERGE, {"id": merge["id"]}, stack.token(Role.SUPERVISOR))
    assert again.codes == ["CONFLICT"]


async def test_identify_without_a_match_creates_and_then_finds_the_member(stack: Stack) -> None:
    tag = str(time.monotonic_ns())
    card = {"kind": "APP_DEVICE", "value": f"dev-{tag}"}
    created = (await stack.gql(IDENTIFY, {"input": {"channel": "APP", "identifiers": [card], "givenName": "Ann"}},
                               stack.token(Role.SERVICE))).ok()["identify"]
    found = (await stack.gql(IDENTIFY, {"input": {"channel": "POS", "identifiers": [card]}},
                             stack.cashier)).ok()["identify"]
    assert found["id"] == created["id"] and found["merges"] == []


async def test_identify_refuses_what_it_must(stack: Stack) -> None:
    service = stack.token(Role.SERVICE)
    cases = [
        ([], "BAD_USER_INPUT"),
        ([{"kind": "EMAIL", "value": "test@test.com"}], "BAD_USER_INPUT"),  # junk
        ([{"kind": "LOYALTY_CARD", "value": "4111 1111 1111 1111"}], "BAD_USER_INPUT"),  # a payment card
        ([{"kind": "CRM_CONTACT", "value": "crm-1"}, {"kind": "CRM_CONTACT", "value": "crm-2"}], "CONFLICT"),
    ]
    for identifiers, code in cases:
        response = await stack.gql(IDENTIFY, {"input": {"channel": "CRM", "identifiers": identifiers}}, service)
        assert response.codes == [code], (identifiers, response.body)
    member_token = stack.token(Role.MEMBER, await stack.enroll("Self"))
    refused = await stack.gql(IDENTIFY, {"input": {"channel": "APP", "identifiers": [
        {"kind": "EMAIL", "value": "someone.else@example.org"}]}}, member_token)
    assert refused.codes == ["FORBIDDEN"]  # a member never merges records


async def test_merging_records_with_two_loyalty_cards_is_refused_and_changes_nothing(stack: Stack) -> None:
    tag = str(time.monotonic_ns() % 100_000_000)
    service = stack.token(Role.SERVICE)
    first = (await stack.gql(IDENTIFY, {"input": {"channel": "POS", "identifiers": [
        {"kind": "LOYALTY_CARD", "value": luhn_card("10", tag)},
        {"kind": "POS_CUSTOMER", "value": f"pos-a-{tag}"}]}}, service)).ok()["identify"]
    second = (await stack.gql(IDENTIFY, {"input": {"channel": "POS", "identifiers": [
        {"kind": "LOYALTY_CARD", "value": luhn_card("20", tag)},
        {"kind": "POS_CUSTOMER", "value": f"pos-b-{tag}"}]}}, service)).ok()["identify"]
    both = await stack.gql(IDENTIFY, {"input": {"channel": "CRM", "identifiers": [
        {"kind": "POS_CUSTOMER", "value": f"pos-a-{tag}"}, {"kind": "POS_CUSTOMER", "value": f"pos-b-{tag}"}]}},
        service)
    assert both.codes == ["CONFLICT"]
    assert "at most 1 LOYALTY_CARD" in both.errors[0]["message"]
    for member_id in (first["id"], second["id"]):
        assert (await member(stack, member_id))["id"] == member_id  # both still themselves


async def replay(stack: Stack, subject: str) -> None:
    """Publish every outbox row of this subject again, as a relay that crashed before marking them would."""
    engine = create_engine(stack.settings.database_url_for(subject.split(".")[1]))
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.text("UPDATE outbox SET published_at = NULL WHERE subject = :s"),
                                     {"s": subject})
    finally:
        await engine.dispose()
    assert stack.host is not None
    assert await stack.host.flush() >= 1


def luhn_card(prefix: str, tag: str) -> str:
    """A loyalty card number with a valid check digit."""
    digits = f"{prefix}{tag}"[:15]
    for check in range(10):
        candidate = digits + str(check)
        total = sum((d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 else d
                    for i, d in enumerate(int(c) for c in reversed(candidate)))
        if total % 10 == 0:
            return "LC" + candidate
    raise AssertionError("unreachable")
