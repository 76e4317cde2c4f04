"""Privacy through the gateway (README "Privacy"): an erasure leaves no trace of the
member in any database while the books stay; the export holds what every subgraph
holds; the staff access log records who on the staff read or changed a member."""
from __future__ import annotations

from typing import Any

import orjson

from core.auth import Role
from core.settings import SUBGRAPHS
from subgraphs.ledger.privacy import ERASED_REASON
from tests.support import graphql
from tests.support.privacy import Person, clear_of_a_minute_boundary, eventually, find_in_databases
from tests.support.stack import Stack

from .test_end_to_end import LINES

ERASE = "mutation($id: ID!) { requestErasure(memberId: $id) { id memberId requestedAt completedAt confirmedBy } }"
EXPORT = "query($id: ID!) { exportMemberData(memberId: $id) { memberId generatedAt json } }"
ACCESS_LOG = "query($id: ID!, $first: Int) { member(id: $id) { accessLog(first: $first) { staffId role action at } } }"
LOOKUP = "query($kind: IdentifierKind!, $value: String!) { lookupMember(kind: $kind, value: $value) { id } }"
ADJUST = "mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { points description } }"
RETURN = "mutation($i: ReturnInput!) { recordReturn(input: $i) { pointsReversed } }"
CONSENTS = "mutation($id: ID!, $c: ConsentsInput!) { updateConsents(memberId: $id, input: $c) { id } }"
SET_STOCK = "mutation($q: Int!) { setStock(storeId: \"st_portland\", sku: \"CAP-TRAIL\", quantity: $q) { available } }"
STOCK = 'query { product(sku: "CAP-TRAIL") { stock(storeId: "st_portland") { available reserved } } }'
RESERVE = "mutation($i: ReserveInput!) { reserve(input: $i) { id status } }"
VIEW = "mutation($i: ProductViewInput!) { recordProductView(input: $i) }"
MEMBER = """query($id: ID!) { member(id: $id) { id status givenName familyName email phone birthday homeStore { id }
  identities { kind } consents { emailMarketing profiling } points { available lifetimeEarned } } }"""
# The demo members the seed enrols in every stack: their data must survive another member's erasure.
DEMO = ["Julia", "Meyer", "julia@example.com", "+15035550142"]


async def enroll(stack: Stack, person: Person, **fields: Any) -> str:
    return await stack.enroll(person.given_name, familyName=person.family_name, email=person.email,
                              phone=person.phone, **fields)


async def a_member_with_a_history(stack: Stack, person: Person) -> str:
    """Enrolled with everything profile holds, a purchase, a return, an adjustment whose
    reason names them, consents changed by them and by staff."""
    member_id = await enroll(stack, person, birthday="1991-03-04", homeStoreId="st_portland",
                             consents={"emailMarketing": True})
    (await stack.checkout(member_id, f"buy-{person.key}", LINES)).ok()
    (await stack.gql(RETURN, {"i": {"externalId": f"return-{person.key}", "purchaseExternalId": f"buy-{person.key}",
                                    "lines": [{"sku": "SOK-CREW-3PK", "quantity": 1}]}}, stack.cashier)).ok()
    (await stack.gql(ADJUST, {"i": {"memberId": member_id, "points": 30, "idempotencyKey": f"adj-{person.key}",
                                    "reason": f"Goodwill for {person.given_name} {person.family_name}: "
                                              "parcel lost"}},
                     stack.token(Role.SUPERVISOR, "sup-privacy"))).ok()
    member = stack.token(Role.MEMBER, member_id)
    (await stack.gql(CONSENTS, {"id": member_id, "c": {"smsMarketing": True}}, member)).ok()
    (await stack.gql(CONSENTS, {"id": member_id, "c": {"emailMarketing": False}}, stack.cashier)).ok()
    # In inventory: a cap looked at in the app, and one held at the store.
    (await stack.gql(SET_STOCK, {"q": 5}, stack.token(Role.ADMIN))).ok()
    (await stack.gql(VIEW, {"i": {"memberId": member_id, "sku": "CAP-TRAIL", "channel": "APP"}}, member)).ok()
    (await stack.gql(RESERVE, {"i": {"memberId": member_id, "storeId": "st_portland", "sku": "CAP-TRAIL",
                                     "idempotencyKey": f"hold-{person.key}"}}, member)).ok()
    return member_id


async def completed_erasure(stack: Stack, member_id: str) -> dict[str, Any]:
    """Asked again (by a supervisor: the same request) until every subgraph has confirmed."""
    supervisor = stack.token(Role.SUPERVISOR, "sup-privacy")

    async def completed() -> dict[str, Any] | None:
        request = (await stack.gql(ERASE, {"id": member_id}, supervisor)).ok()["requestErasure"]
        return request if request["completedAt"] else None

    return await eventually(completed)


async def test_an_erasure_leaves_no_trace_of_the_member_and_keeps_the_books(stack: Stack) -> None:
    person = Person.new()
    member_id = await a_member_with_a_history(stack, person)
    supervisor = stack.token(Role.SUPERVISOR, "sup-privacy")
    before = (await stack.gql(MEMBER, {"id": member_id}, supervisor)).ok()["member"]
    assert before["points"]["available"] == 197 - 24 + 30  # bought, returned a line, adjusted
    assert await find_in_databases(stack, person.needles)  # the search finds them while they are there
    entries = await stack.scalar("ledger", "SELECT count(*) FROM entries WHERE member_id = :m", m=member_id)
    stock = (await stack.gql(STOCK)).ok()["product"]["stock"]
    assert await eventually(lambda: stack.scalar("profile", "SELECT count(*) FROM member_traits WHERE member_id = :m",
                                                 m=member_id))  # the purchase reached the traits

    asked = (await stack.gql(ERASE, {"id": member_id}, stack.token(Role.MEMBER, member_id))).ok()["requestErasure"]
    assert asked["memberId"] == member_id
    done = await completed_erasure(stack, member_id)
    assert done["id"] == asked["id"] and done["requestedAt"] == asked["requestedAt"]  # a repeat: the same request
    assert done["confirmedBy"] == sorted(SUBGRAPHS)

    # Not a byte of them in any database file; the other members' data is all there.
    assert await find_in_databases(stack, person.needles) == {}
    assert set(await find_in_databases(stack, DEMO)) == set(DEMO)

    # Pseudonymised: the id, the enrolment, the consents and the books stay.
    after = (await stack.gql(MEMBER, {"id": member_id}, supervisor)).ok()["member"]
    assert after == {**before, "status": "ERASED", "givenName": None, "familyName": None, "email": None,
                     "phone": None, "birthday": None, "homeStore": None, "identities": []}
    assert after["consents"] == {"emailMarketing": False, "profiling": True}
    assert await stack.scalar("ledger", "SELECT count(*) FROM entries WHERE member_id = :m", m=member_id) == entries
    assert await stack.scalar("ledger", "SELECT description FROM entries WHERE member_id = :m AND kind = 'ADJUST'",
                              m=member_id) == ERASED_REASON
    assert await stack.scalar("rewards", "SELECT count(*) FROM purchases WHERE member_id = :m", m=member_id) == 1
    # Inventory: the held cap is back on the shelf, the views are gone; profile's traits too.
    assert await stack.scalar("inventory", "SELECT status FROM reservations WHERE member_id = :m",
                              m=member_id) == "CANCELLED"
    [level] = (await stack.gql(STOCK)).ok()["product"]["stock"]
    assert (level["available"], level["reserved"]) == (stock[0]["available"] + 1, stock[0]["reserved"] - 1)
    for subgraph, table in (("inventory", "product_views"), ("profile", "member_traits"),
                            ("profile", "member_purchases"), ("profile", "segment_members")):
        assert await stack.scalar(subgraph, f"SELECT count(*) FROM {table} WHERE member_id = :m", m=member_id) == 0

    # The old identifiers find no one; the member's token reads nothing; the email is free again.
    for kind, value in (("EMAIL", person.email), ("PHONE", person.phone)):
        assert (await stack.gql(LOOKUP, {"kind": kind, "value": value}, stack.cashier)).ok() == {"lookupMember": None}
    mine = await stack.gql("{ me { id } }", token=stack.token(Role.MEMBER, member_id))
    assert mine.codes == ["FORBIDDEN"]
    assert mine.data == {"me": None}
    checkout = await stack.checkout(member_id, f"after-{person.key}", LINES)
    assert checkout.codes == ["CONFLICT"]
    adjusted = await stack.gql(ADJUST, {"i": {"memberId": member_id, "points": 5, "idempotencyKey": f"late-{person.key}",
                                              "reason": f"for {person.given_name}"}}, supervisor)
    assert adjusted.codes == ["CONFLICT"]
    again = await enroll(stack, person)
    assert again != member_id
    found = (await stack.gql(LOOKUP, {"kind": "EMAIL", "value": person.email}, stack.cashier)).ok()["lookupMember"]
    assert found == {"id": again}


IDENTIFY = "mutation($i: IdentifyInput!) { identify(input: $i) { id merges { id reason } } }"


async def test_an_erasure_reaches_the_records_merged_into_the_member(stack: Stack) -> None:
    """Two records of one person, merged: an erasure asked for by the absorbed id erases both,
    and the merge's reason and record (which quote the identifiers and both records) with them;
    the merge can no longer be undone."""
    at_till, online = Person.new(), Person.new()
    till_id = await stack.enroll(at_till.given_name, familyName=at_till.family_name, phone=at_till.phone,
                                 email=None)
    web_id = await stack.enroll(online.given_name, familyName=online.family_name, email=online.email)
    identifiers = [{"kind": "PHONE", "value": at_till.phone}, {"kind": "EMAIL", "value": online.email}]
    merged = (await stack.gql(IDENTIFY, {"i": {"channel": "APP", "identifiers": identifiers}},
                              stack.cashier)).ok()["identify"]
    assert merged["id"] == till_id  # the older record survives
    [merge] = merged["merges"]
    assert online.email in merge["reason"]

    (await stack.gql(ERASE, {"id": web_id}, stack.token(Role.SUPERVISOR, "sup-privacy"))).ok()
    done = await completed_erasure(stack, till_id)
    assert done["memberId"] == till_id
    needles = [at_till.given_name, at_till.family_name, at_till.phone_e164,
               online.given_name, online.family_name, online.email]
    assert await find_in_databases(stack, needles) == {}
    assert set(await find_in_databases(stack, DEMO)) == set(DEMO)

    supervisor = stack.token(Role.SUPERVISOR)
    merges = (await stack.gql("query($id: ID!) { member(id: $id) { status merges { id reason } } }",
                              {"id": till_id}, supervisor)).ok()["member"]
    assert merges == {"status": "ERASED", "merges": [{"id": merge["id"], "reason": "erased at the member's request"}]}
    undone = await stack.gql("mutation($id: ID!) { unmergeMember(mergeId: $id) { id } }", {"id": merge["id"]},
                             supervisor)
    assert undone.codes == ["CONFLICT"]
    assert await stack.scalar("profile", "SELECT status FROM members WHERE id = :m", m=web_id) == "ERASED"


async def test_a_redelivered_erasure_event_changes_nothing(stack: Stack) -> None:
    person = Person.new()
    member_id = await enroll(stack, person)
    await stack.gql(ERASE, {"id": member_id}, stack.token(Role.ADMIN, "admin-privacy"))
    first = await completed_erasure(stack, member_id)
    events = [e for e in await stack.outbox_events("profile", member_id) if e.type == "MemberErasureRequested"]
    assert [e.payload["request_id"] for e in events] == [first["id"]]
    confirmations = [e for name in SUBGRAPHS for e in await stack.outbox_events(name, member_id)
                     if e.type == "MemberErased"]
    assert sorted(e.payload["subgraph"] for e in confirmations) == sorted(SUBGRAPHS)

    await stack.publish_again(events + confirmations)

    assert await completed_erasure(stack, member_id) == first
    for name in SUBGRAPHS:
        assert [e.type for e in await stack.outbox_events(name, member_id)].count("MemberErased") == 1, name


async def test_who_may_ask_for_an_erasure(stack: Stack) -> None:
    member_id, other = await stack.enroll("Keeper"), await stack.enroll("Other")
    for token in (stack.cashier, stack.token(Role.MEMBER, other), stack.token(Role.SERVICE)):
        refused = await stack.gql(ERASE, {"id": member_id}, token)
        assert refused.codes == ["FORBIDDEN"], refused.body
    assert (await stack.gql(ERASE, {"id": "mbr_nobody"}, stack.token(Role.ADMIN))).codes == ["NOT_FOUND"]
    assert (await stack.gql(ERASE, {"id": "m" * 41}, stack.token(Role.ADMIN))).codes == ["BAD_USER_INPUT"]
    assert (await stack.gql(ERASE, {"id": member_id})).codes == ["UNAUTHENTICATED"]
    assert await stack.scalar("profile", "SELECT count(*) FROM erasure_requests WHERE member_id = :m",
                              m=member_id) == 0
    assert await stack.scalar("profile", "SELECT status FROM members WHERE id = :m", m=member_id) == "ACTIVE"


# --- export ----------------------------------------------------------------------------------


async def test_the_export_holds_what_every_subgraph_holds_on_the_member(stack: Stack) -> None:
    person = Person.new()
    member_id = await a_member_with_a_history(stack, person)

    async def arrived(subgraph: str, table: str) -> int:
        return await stack.scalar(subgraph, f"SELECT count(*) FROM {table} WHERE member_id = :m", m=member_id)

    # What other subgraphs learn from events: the till's sales in inventory, the traits in profile.
    await eventually(lambda: arrived("inventory", "sales"))
    await eventually(lambda: arrived("profile", "member_traits"))
    exported = (await stack.gql(EXPORT, {"id": member_id}, stack.token(Role.MEMBER, member_id))).ok()
    export = exported["exportMemberData"]
    assert export["memberId"] == member_id
    document = orjson.loads(export["json"])
    assert document["member_id"] == member_id and document["row_limit"] == 5000
    assert set(document) >= set(SUBGRAPHS)

    profile = document["profile"]
    [record] = profile["members"]["rows"]
    assert (record["given_name"], record["family_name"], record["email"], record["phone"], record["birthday"],
            record["home_store_id"]) == (person.given_name, person.family_name, person.email, person.phone_e164,
                                         "1991-03-04", "st_portland")
    assert sorted((i["kind"], i["value"]) for i in profile["identities"]["rows"]) == [
        ("EMAIL", person.email), ("PHONE", person.phone_e164)]
    assert [(c["purpose"], c["granted"]) for c in profile["consent_changes"]["rows"]] == [
        ("EMAIL_MARKETING", False), ("SMS_MARKETING", True), ("EMAIL_MARKETING", True)]  # newest first
    assert profile["merges"]["total"] == 0
    # The cashier saw them at the checkout and withdrew a consent (the adjustment may still be on its way).
    assert {"view", "consents"} <= {a["action"] for a in profile["staff_access"]["rows"]}

    ledger = document["ledger"]
    assert [a["available"] for a in ledger["accounts"]["rows"]] == [197 - 24 + 30]
    assert sorted(e["kind"] for e in ledger["entries"]["rows"]) == ["ADJUST", "EARN", "REVERSE"]
    assert sorted(line["sku"] for line in ledger["earning_lines"]["rows"]) == ["JKT-TRAIL-SHELL", "SOK-CREW-3PK"]
    assert ledger["entries"] == {**ledger["entries"], "total": 3, "truncated": False}

    rewards = document["rewards"]
    assert [p["external_id"] for p in rewards["purchases"]["rows"]] == [f"buy-{person.key}"]
    assert [r["external_id"] for r in rewards["returns"]["rows"]] == [f"return-{person.key}"]
    assert sorted(i["value"] for i in rewards["member_identifiers"]["rows"]) == sorted(
        [person.email, person.phone_e164])
    assert [m["birthday"] for m in rewards["members"]["rows"]] == ["1991-03-04"]
    inventory = document["inventory"]
    assert [(r["sku"], r["status"]) for r in inventory["reservations"]["rows"]] == [("CAP-TRAIL", "HELD")]
    assert [v["sku"] for v in inventory["product_views"]["rows"]] == ["CAP-TRAIL"]
    assert sorted(line["sku"] for line in inventory["sales"]["rows"]) == ["JKT-TRAIL-SHELL", "SOK-CREW-3PK"]
    assert [m["home_store_id"] for m in inventory["members"]["rows"]] == ["st_portland"]
    assert [t["purchases"] for t in profile["member_traits"]["rows"]] == [1]


async def test_who_may_export_and_the_service_parts_stay_hidden(stack: Stack) -> None:
    member_id, other = await stack.enroll("Exported"), await stack.enroll("Nosy")
    refused = await stack.gql(EXPORT, {"id": member_id}, stack.token(Role.MEMBER, other))
    assert refused.codes == ["FORBIDDEN"]
    assert (await stack.gql(EXPORT, {"id": "mbr_nobody"}, stack.cashier)).codes == ["NOT_FOUND"]
    assert (await stack.gql(EXPORT, {"id": member_id}, stack.cashier)).ok()["exportMemberData"]["memberId"] == member_id
    # Each subgraph's part is a service-only field: not in the public API, refused to anyone else.
    hidden = await stack.gql("query($id: ID!) { ledgerMemberExport(memberId: $id) }", {"id": member_id},
                             stack.token(Role.ADMIN))
    assert hidden.codes == ["GRAPHQL_VALIDATION_FAILED"]
    for subgraph in ("ledger", "rewards", "inventory"):
        direct = await graphql.post(stack.settings.subgraph_url(subgraph),
                                    f"query($id: ID!) {{ {subgraph}MemberExport(memberId: $id) }}", {"id": member_id},
                                    stack.token(Role.ADMIN))
        assert direct.codes == ["FORBIDDEN"], (subgraph, direct.body)


# --- the staff access log ----------------------------------------------------------------------


async def test_the_access_log_shows_staff_reads_and_changes_to_the_member_and_supervisors(stack: Stack) -> None:
    person = Person.new()
    member_id = await enroll(stack, person)
    cashier = stack.token(Role.CASHIER, "cashier-ann", store="st_portland")
    supervisor = stack.token(Role.SUPERVISOR, "sup-bo")
    await clear_of_a_minute_boundary()
    (await stack.gql(LOOKUP, {"kind": "PHONE", "value": person.phone}, cashier)).ok()
    # One query reading the member twice (and the gateway fetching it again for the ledger's
    # fields) is one view.
    (await stack.gql("query($id: ID!) { a: member(id: $id) { givenName } b: member(id: $id) { email points "
                     "{ available } } }", {"id": member_id}, supervisor)).ok()
    (await stack.gql(ADJUST, {"i": {"memberId": member_id, "points": 12, "reason": "till error",
                                    "idempotencyKey": f"log-{person.key}"}}, supervisor)).ok()
    member = stack.token(Role.MEMBER, member_id)

    async def adjustment_arrived() -> list[dict[str, Any]] | None:
        log = (await stack.gql(ACCESS_LOG, {"id": member_id}, member)).ok()["member"]["accessLog"]
        return log if any(entry["action"] == "adjustment" for entry in log) else None

    await eventually(adjustment_arrived)
    (await stack.gql(EXPORT, {"id": member_id}, stack.token(Role.ADMIN, "admin-cy"))).ok()

    log = (await stack.gql(ACCESS_LOG, {"id": member_id}, member)).ok()["member"]["accessLog"]
    assert [(e["staffId"], e["role"], e["action"]) for e in log] == [
        ("admin-cy", "admin", "export"),
        ("sup-bo", "supervisor", "adjustment"),
        ("sup-bo", "supervisor", "view"),
        ("cashier-ann", "cashier", "lookup"),
    ]
    assert [e["at"] for e in log] == sorted((e["at"] for e in log), reverse=True)
    assert (await stack.gql(ACCESS_LOG, {"id": member_id, "first": 1}, member)).ok()["member"]["accessLog"] == log[:1]
    another = stack.token(Role.SUPERVISOR, "sup-dee")
    by_supervisor = (await stack.gql(ACCESS_LOG, {"id": member_id}, another)).ok()["member"]["accessLog"]
    assert by_supervisor[1:] == log  # reading the log is a view of the member too
    assert (by_supervisor[0]["staffId"], by_supervisor[0]["action"]) == ("sup-dee", "view")

    other = await stack.enroll("Curious")
    for token in (stack.token(Role.MEMBER, other), cashier):
        refused = await stack.gql(ACCESS_LOG, {"id": member_id}, token)
        assert "FORBIDDEN" in refused.codes, refused.body
    for first in (-1, 501):
        assert (await stack.gql(ACCESS_LOG, {"id": member_id, "first": first}, member)).codes == ["BAD_USER_INPUT"]


async def test_a_view_of_fifty_members_in_one_fetch_is_fifty_entries_once(stack: Stack) -> None:
    """The gateway fetches members from profile as entities (`_entities`): each one a staff
    member reads is an entry, written in one statement, and a second fetch within the same
    minute (the gateway fetching again for the same query) adds none."""
    members = [await stack.enroll(f"Many{n}") for n in range(50)]
    fetch = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Member { id givenName } } }"
    representations = [{"__typename": "Member", "id": member_id} for member_id in members]
    staff = stack.token(Role.SUPERVISOR, "sup-many")
    await clear_of_a_minute_boundary()
    for _ in range(2):
        fetched = await graphql.post(stack.settings.subgraph_url("profile"), fetch, {"r": representations}, staff)
        assert [m["id"] for m in fetched.ok()["_entities"]] == members
    assert await stack.scalar("profile", "SELECT count(*) FROM staff_access WHERE staff_id = 'sup-many'") == 50
    assert await stack.scalar("profile", "SELECT count(DISTINCT member_id) FROM staff_access "
                                         "WHERE staff_id = 'sup-many' AND action = 'view'") == 50
