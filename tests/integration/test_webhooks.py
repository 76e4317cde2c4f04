"""Outbound webhooks through the gateway, to a real HTTP receiver on loopback: each event
arrives as the subscription document's result, signed; a receiver that is down gets every
event once it is back, in order per member; bad registrations are refused and store nothing.

Delivery is at least once with an idempotency key (`X-Loyalty-Event-Id`): the receiver here
dedupes on it, as the README tells receivers to."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from core.auth import Role
from core.errors import BadUserInput
from core.settings import Settings
from tests.support.receiver import Receiver
from tests.support.stack import Stack, make_settings

SECRET = "whsec-test-0123456789abcdef"
WALLET_DOCUMENT = """subscription {
  walletUpdated(memberId: "*") {
    member { id givenName }
    entry { reference points kind }
  }
}"""
UPSERT = """mutation($input: WebhookInput!) {
  upsertWebhook(input: $input) { id url subscription active lastDeliveryAt failures }
}"""
WEBHOOKS = "{ webhooks { id url subscription active lastDeliveryAt failures } }"
DELETE = "mutation($id: ID!) { deleteWebhook(id: $id) }"
SOCKS = {"sku": "SOK-CREW-3PK", "quantity": 1, "unitPrice": "24.00"}


async def eventually(check: Callable[[], Awaitable[bool] | bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        outcome = check()
        if isinstance(outcome, Awaitable):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _at_least(count: Callable[[], Awaitable[int]], minimum: int) -> bool:
    return await count() >= minimum


def fast_retries(data_dir: Path, **overrides: Any) -> Stack:
    settings = make_settings(data_dir, webhook_retry_seconds=0.1, webhook_retry_max_seconds=0.5,
                             **{"webhook_max_attempts": 1000, **overrides})
    return Stack(settings)


@pytest.fixture(scope="module")
async def hooks(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    running = fast_retries(tmp_path_factory.mktemp("webhooks"))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def register(stack: Stack, url: str, document: str = WALLET_DOCUMENT, **fields: Any) -> dict[str, Any]:
    response = await stack.gql(UPSERT, {"input": {"url": url, "subscription": document, "secret": SECRET, **fields}},
                               stack.token(Role.ADMIN))
    return response.ok()["upsertWebhook"]


async def webhook(stack: Stack, webhook_id: str) -> dict[str, Any]:
    found = (await stack.gql(WEBHOOKS, token=stack.token(Role.ADMIN))).ok()["webhooks"]
    return next(w for w in found if w["id"] == webhook_id)


async def purchases(stack: Stack, members: list[str], rounds: int, prefix: str) -> dict[str, list[str]]:
    """`rounds` purchases per member, interleaved across members; the references per member in order."""
    references: dict[str, list[str]] = {m: [] for m in members}
    for n in range(rounds):
        for member in members:
            reference = f"{prefix}-{member[-6:]}-{n}"
            (await stack.checkout(member, reference, [SOCKS])).ok()
            references[member].append(reference)
    return references


def arrived_in_order(receiver: Receiver, webhook_id: str) -> dict[str, list[str]]:
    """What the receiver kept (deduped by event id), per member, in arrival order."""
    seen: dict[str, list[str]] = {}
    for delivery in receiver.unique():
        if delivery.headers["x-loyalty-webhook-id"] != webhook_id:
            continue
        event = delivery.json["data"]["walletUpdated"]
        seen.setdefault(event["member"]["id"], []).append(event["entry"]["reference"])
    return seen


async def test_each_event_arrives_as_the_documents_result_signed(hooks: Stack) -> None:
    receiver = Receiver()
    await receiver.start()
    saved = await register(hooks, receiver.url)
    try:
        assert saved["active"] is True and saved["failures"] == 0 and saved["lastDeliveryAt"] is None
        assert saved["subscription"] == WALLET_DOCUMENT
        julia, marcus = await hooks.enroll("Julia"), await hooks.enroll("Marcus")
        bought_at: dict[str, float] = {}
        expected: dict[str, list[str]] = {julia: [], marcus: []}
        for n in range(2):
            for member in (julia, marcus):
                reference = f"signed-{member[-6:]}-{n}"
                (await hooks.checkout(member, reference, [SOCKS])).ok()
                bought_at[reference] = time.monotonic()
                expected[member].append(reference)
        await eventually(lambda: sum(map(len, arrived_in_order(receiver, saved["id"]).values())) >= 4,
                         "four deliveries")
        latencies = sorted(d.arrived_at - bought_at[d.json["data"]["walletUpdated"]["entry"]["reference"]]
                           for d in receiver.received)
        print(f"\ncheckout answered -> webhook received: {', '.join(f'{x * 1000:.0f}' for x in latencies)} ms")
        assert arrived_in_order(receiver, saved["id"]) == expected
        for delivery in receiver.received:
            assert delivery.signed_by(SECRET), delivery.headers
            assert not delivery.signed_by("another-secret-0123456789")
            assert delivery.headers["content-type"] == "application/json"
            assert delivery.headers["x-loyalty-event-type"] == "PointsEarned"
            event = delivery.json["data"]["walletUpdated"]
            # The root field's own part (the ledger's) and an entity fetched from profile by the gateway.
            assert event["entry"]["points"] == 24 and event["entry"]["kind"] == "EARN"
            assert event["member"]["givenName"] in ("Julia", "Marcus")
            assert delivery.headers["x-loyalty-member-id"] == event["member"]["id"]
        assert len({d.event_id for d in receiver.received}) == 4
        after = await webhook(hooks, saved["id"])
        assert after["lastDeliveryAt"] is not None and after["failures"] == 0
    finally:
        (await hooks.gql(DELETE, {"id": saved["id"]}, hooks.token(Role.ADMIN))).ok()
        await receiver.stop()


async def test_a_receiver_that_is_down_gets_every_event_once_it_is_back_in_order(hooks: Stack) -> None:
    receiver = Receiver()
    saved = await register(hooks, receiver.url)  # registered while nothing listens on its port
    try:
        members = [await hooks.enroll(f"Down{n}") for n in range(3)]
        expected = await purchases(hooks, members, 4, "down")

        async def refused_lines() -> int:
            return await hooks.scalar("integrations", "SELECT count(DISTINCT member_id) FROM webhook_deliveries "
                                      "WHERE webhook_id = :w AND state = 'pending' AND attempts >= 2", w=saved["id"])

        await eventually(lambda: _at_least(refused_lines, 3),
                         "each member's first delivery to be tried and refused twice")
        pending = await hooks.scalar("integrations", "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = :w "
                                     "AND state = 'pending'", w=saved["id"])
        assert pending == 12  # recorded, nothing lost while the receiver is down
        receiver.status = 503  # up, but refusing: still retried
        await receiver.start()
        await eventually(lambda: receiver.refused >= 3, "attempts against a 503")
        assert receiver.received == []
        receiver.status = 200
        await eventually(lambda: sum(map(len, arrived_in_order(receiver, saved["id"]).values())) >= 12,
                         "twelve deliveries")
        assert arrived_in_order(receiver, saved["id"]) == expected
        assert all(d.signed_by(SECRET) for d in receiver.received)
        after = await webhook(hooks, saved["id"])
        assert after["failures"] == 0 and after["lastDeliveryAt"] is not None
        print(f"\nreceiver down then up: 12 events, {len(receiver.received)} POSTs accepted")
    finally:
        (await hooks.gql(DELETE, {"id": saved["id"]}, hooks.token(Role.ADMIN))).ok()
        await receiver.stop()


async def test_a_webhook_for_one_member_and_on_another_field_gets_only_its_events(hooks: Stack) -> None:
    receiver = Receiver()
    await receiver.start()
    julia, marcus = await hooks.enroll("Only"), await hooks.enroll("Other")
    document = f'subscription {{ walletUpdated(memberId: "{julia}") {{ entry {{ reference }} }} }}'
    tiers = 'subscription { tierChanged(memberId: "*") { member { id } to { name } } }'
    only_julia = await register(hooks, receiver.url, document)
    tier_changes = await register(hooks, receiver.url, tiers)
    try:
        await purchases(hooks, [marcus, julia], 1, "only")
        await eventually(lambda: len(receiver.received) >= 1, "julia's delivery")
        await hooks.checkout(marcus, "only-late", [SOCKS])
        await asyncio.sleep(1.0)  # marcus's events must not arrive: give them every chance to
        assert [d.headers["x-loyalty-webhook-id"] for d in receiver.received] == [only_julia["id"]]
        assert receiver.received[0].json == {"data": {"walletUpdated": {"entry": {"reference": f"only-{julia[-6:]}-0"}}}}
        # Socks earn no tier change: the tier webhook recorded nothing (ledger events it does not follow are
        # never queued), and julia's other ledger events (none change the balance) were skipped, not sent.
        assert await hooks.scalar("integrations", "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = :w",
                                  w=tier_changes["id"]) == 0
    finally:
        for saved in (only_julia, tier_changes):
            (await hooks.gql(DELETE, {"id": saved["id"]}, hooks.token(Role.ADMIN))).ok()
        await receiver.stop()


@pytest.mark.parametrize(("fields", "code", "says"), [
    ({"subscription": "subscription { walletUpdated(memberId: \"*\") { nope } }"}, "BAD_USER_INPUT",
     "Cannot query field 'nope'"),
    ({"subscription": "subscription { walletUpdated(memberId: \"*\") { at } tierChanged(memberId: \"*\") { at } }"},
     "BAD_USER_INPUT", "only one top level field"),
    ({"subscription": "query { tiers { name } }"}, "BAD_USER_INPUT", "needs a subscription"),
    ({"subscription": "subscription($m: ID!) { walletUpdated(memberId: $m) { at } }"}, "BAD_USER_INPUT",
     "takes no variables"),
    ({"subscription": "subscription { walletUpdated(memberId: \"*\") { at }"}, "BAD_USER_INPUT", "does not parse"),
    ({"subscription": "subscription { offerIssued(memberId: 7) { id } }"}, "BAD_USER_INPUT", "as a string"),
    ({"url": "ftp://example.com/hook"}, "BAD_USER_INPUT", "http:// or https://"),
    ({"url": "https://user:pw@example.com/hook"}, "BAD_USER_INPUT", "credentials"),
    ({"url": "not a url"}, "BAD_USER_INPUT", "http:// or https://"),
    ({"secret": "short"}, "BAD_USER_INPUT", "secret"),
    ({"id": "whk_missing"}, "NOT_FOUND", "no webhook"),
])
async def test_bad_registrations_are_refused_and_store_nothing(hooks: Stack, fields: dict[str, str], code: str,
                                                               says: str) -> None:
    before = await hooks.scalar("integrations", "SELECT count(*) FROM webhooks")
    changed = await hooks.scalar("integrations", "SELECT max(updated_at) FROM webhooks")
    payload = {"url": "http://127.0.0.1:9/hook", "subscription": WALLET_DOCUMENT, "secret": SECRET, **fields}
    response = await hooks.gql(UPSERT, {"input": payload}, hooks.token(Role.ADMIN))
    assert response.errors and response.errors[0]["extensions"]["code"] == code, response.errors
    assert says in response.errors[0]["message"]
    assert await hooks.scalar("integrations", "SELECT count(*) FROM webhooks") == before
    assert await hooks.scalar("integrations", "SELECT max(updated_at) FROM webhooks") == changed


@pytest.mark.parametrize(("role", "code"), [(None, "UNAUTHENTICATED"), (Role.MEMBER, "FORBIDDEN"),
                                            (Role.CASHIER, "FORBIDDEN"), (Role.SUPERVISOR, "FORBIDDEN")])
async def test_only_admins_see_and_change_webhooks(hooks: Stack, role: Role | None, code: str) -> None:
    token = None if role is None else hooks.token(role, store="st_portland" if role is Role.CASHIER else None)
    payload = {"url": "http://127.0.0.1:9/hook", "subscription": WALLET_DOCUMENT, "secret": SECRET}
    for query, variables in ((UPSERT, {"input": payload}), (WEBHOOKS, None), (DELETE, {"id": "whk_x"})):
        response = await hooks.gql(query, variables, token)
        assert response.errors and response.errors[0]["extensions"]["code"] == code, (query, response.errors)
    assert await hooks.scalar("integrations", "SELECT count(*) FROM webhooks") == 0


async def test_an_admin_changes_pauses_and_deletes_a_webhook(hooks: Stack) -> None:
    saved = await register(hooks, "http://127.0.0.1:9/first")
    changed = await register(hooks, "https://hooks.example.com/loyalty", id=saved["id"], active=False)
    assert changed["id"] == saved["id"] and changed["url"] == "https://hooks.example.com/loyalty"
    assert changed["active"] is False
    listed = (await hooks.gql(WEBHOOKS, token=hooks.token(Role.ADMIN))).ok()["webhooks"]
    assert [w["id"] for w in listed] == [saved["id"]]
    assert "secret" not in listed[0]
    assert (await hooks.gql(DELETE, {"id": saved["id"]}, hooks.token(Role.ADMIN))).ok() == {"deleteWebhook": True}
    again = await hooks.gql(DELETE, {"id": saved["id"]}, hooks.token(Role.ADMIN))
    assert again.errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert await hooks.scalar("integrations", "SELECT count(*) FROM webhooks") == 0


UPDATE = """mutation($input: WebhookUpdateInput!) {
  updateWebhook(input: $input) { id url subscription active lastDeliveryAt failures }
}"""


async def update(stack: Stack, **fields: Any) -> dict[str, Any]:
    return (await stack.gql(UPDATE, {"input": fields}, stack.token(Role.ADMIN))).ok()["updateWebhook"]


async def test_a_new_webhook_without_a_secret_is_refused_and_stores_nothing(hooks: Stack) -> None:
    before = await hooks.scalar("integrations", "SELECT count(*) FROM webhooks")
    payload = {"url": "http://127.0.0.1:9/hook", "subscription": WALLET_DOCUMENT}
    refused = await hooks.gql(UPSERT, {"input": payload}, hooks.token(Role.ADMIN))
    # The contract keeps WebhookInput.secret required: the gateway refuses the variables themselves.
    assert refused.errors and refused.errors[0]["extensions"]["code"] == "BAD_USER_INPUT", refused.errors
    assert "secret" in refused.errors[0]["message"]
    empty = await hooks.gql(UPSERT, {"input": {**payload, "secret": ""}}, hooks.token(Role.ADMIN))
    assert empty.errors and empty.errors[0]["extensions"]["code"] == "BAD_USER_INPUT", empty.errors
    assert await hooks.scalar("integrations", "SELECT count(*) FROM webhooks") == before


@pytest.mark.parametrize(("fields", "code", "says"), [
    ({"secret": "short"}, "BAD_USER_INPUT", "secret"),
    ({"secret": ""}, "BAD_USER_INPUT", "secret"),
    ({"url": "ftp://example.com/hook"}, "BAD_USER_INPUT", "http:// or https://"),
    ({"subscription": "query { tiers { name } }"}, "BAD_USER_INPUT", "needs a subscription"),
])
async def test_a_bad_change_is_refused_and_changes_nothing(hooks: Stack, fields: dict[str, str], code: str,
                                                           says: str) -> None:
    saved = await register(hooks, "http://127.0.0.1:9/kept")
    try:
        row = "SELECT url || '|' || subscription || '|' || secret || '|' || active || '|' || updated_at " \
              "FROM webhooks WHERE id = :w"
        before = await hooks.scalar("integrations", row, w=saved["id"])
        response = await hooks.gql(UPDATE, {"input": {"id": saved["id"], "active": False, **fields}},
                                   hooks.token(Role.ADMIN))
        assert response.errors and response.errors[0]["extensions"]["code"] == code, response.errors
        assert says in response.errors[0]["message"]
        assert await hooks.scalar("integrations", row, w=saved["id"]) == before
    finally:
        (await hooks.gql(DELETE, {"id": saved["id"]}, hooks.token(Role.ADMIN))).ok()
    missing = await hooks.gql(UPDATE, {"input": {"id": "whk_missing", "active": False}}, hooks.token(Role.ADMIN))
    assert missing.errors[0]["extensions"]["code"] == "NOT_FOUND"
    member = await hooks.gql(UPDATE, {"input": {"id": saved["id"], "active": False}}, hooks.token(Role.CASHIER,
                                                                                                 store="st_portland"))
    assert member.errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_pausing_and_editing_without_the_secret_keep_it_signing(hooks: Stack) -> None:
    """updateWebhook leaves out the secret: the one given at registration still signs every delivery."""
    receiver = Receiver()
    await receiver.start()
    saved = await register(hooks, "http://127.0.0.1:9/not-yet")
    try:
        paused = await update(hooks, id=saved["id"], active=False)
        assert paused["active"] is False and paused["url"] == "http://127.0.0.1:9/not-yet"
        assert paused["subscription"] == WALLET_DOCUMENT
        member = await hooks.enroll("Paused")
        edited = await update(hooks, id=saved["id"], url=receiver.url, active=True)
        assert edited["url"] == receiver.url and edited["active"] is True
        assert edited["subscription"] == WALLET_DOCUMENT
        (await hooks.checkout(member, "after-edit", [SOCKS])).ok()
        await eventually(lambda: len(receiver.unique()) >= 1, "a delivery after the edit")
        delivery = receiver.unique()[0]
        assert delivery.json["data"]["walletUpdated"]["entry"]["reference"] == "after-edit"
        assert delivery.signed_by(SECRET), delivery.headers  # the registration's secret, kept by both changes
        assert await hooks.scalar("integrations", "SELECT secret FROM webhooks WHERE id = :w", w=saved["id"]) == SECRET
        rotated = "whsec-rotated-0123456789abcdef"
        await update(hooks, id=saved["id"], secret=rotated)
        (await hooks.checkout(member, "after-rotation", [SOCKS])).ok()
        await eventually(lambda: len(receiver.unique()) >= 2, "a delivery after the new secret")
        last = next(d for d in receiver.unique()
                    if d.json["data"]["walletUpdated"]["entry"]["reference"] == "after-rotation")
        assert last.signed_by(rotated) and not last.signed_by(SECRET)
    finally:
        await receiver.stop()
        (await hooks.gql(DELETE, {"id": saved["id"]}, hooks.token(Role.ADMIN))).ok()


async def test_a_replay_is_for_services_only(hooks: Stack) -> None:
    """The replay extension through the gateway: a member (or any non-service token) gets
    FORBIDDEN from the subgraph, never someone else's event."""
    from core import graphql_ws

    member = await hooks.enroll("Replay")
    token = hooks.token(Role.ADMIN)
    event = {"id": "01JDREPLAY0000000000000000", "type": "PointsEarned", "version": 1,
             "occurred_at": "2026-11-30T10:00:00+00:00", "member_id": member, "source": "ledger", "payload": {}}
    results = [r async for r in graphql_ws.subscribe(
        hooks.url, f'subscription {{ walletUpdated(memberId: "{member}") {{ at }} }}', None, f"Bearer {token}",
        {graphql_ws.REPLAY_EXTENSION: event})]
    assert results and results[0]["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_deliveries_that_exhaust_their_retries_are_counted_and_the_line_moves_on(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Two attempts each here; with introspection off for clients (as in prod), the worker still
    checks documents against the supergraph (services may introspect)."""
    strict = fast_retries(tmp_path_factory.mktemp("webhooks-failures"), webhook_max_attempts=2,
                          gateway_introspection=False)
    await strict.start()
    receiver = Receiver(status=500)
    await receiver.start()
    try:
        refused = await strict.gql("{ __schema { queryType { name } } }", token=strict.token(Role.ADMIN))
        assert refused.errors and refused.errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        saved = await register(strict, receiver.url)
        member = await strict.enroll("Failing")
        await purchases(strict, [member], 2, "failing")
        await eventually(lambda: _failures(strict, saved["id"], 2), "two deliveries to fail")
        assert receiver.refused == 4  # two events, two attempts each
        assert await strict.scalar("integrations", "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = :w "
                                   "AND state = 'failed' AND attempts = 2 AND last_error = 'HTTP 500'",
                                   w=saved["id"]) == 2
        assert (await webhook(strict, saved["id"]))["lastDeliveryAt"] is None
        receiver.status = 200
        (await strict.checkout(member, "failing-later", [SOCKS])).ok()
        await eventually(lambda: len(receiver.received) == 1, "the next event, after the failed ones")
        assert receiver.received[0].json["data"]["walletUpdated"]["entry"]["reference"] == "failing-later"
        after = await webhook(strict, saved["id"])
        assert after["failures"] == 2 and after["lastDeliveryAt"] is not None
    finally:
        await receiver.stop()
        await strict.stop()


async def _failures(stack: Stack, webhook_id: str, count: int) -> bool:
    return (await webhook(stack, webhook_id))["failures"] >= count


@pytest.mark.parametrize("url", ["http://localhost:8080/hook", "http://10.0.0.7/hook", "https://[::1]/hook",
                                 "http://169.254.169.254/latest/meta-data"])
async def test_receivers_on_our_own_network_are_refused_where_only_public_ones_are_allowed(url: str) -> None:
    from subgraphs.integrations import domain
    from subgraphs.integrations.adapters import receivers

    with pytest.raises(BadUserInput, match="loopback, private or reserved"):
        await receivers.require_public(domain.check_url(url))
    assert Settings(env="prod").webhooks_may_reach_private_addresses is False
    assert Settings(env="dev").webhooks_may_reach_private_addresses is True


async def test_a_paused_webhook_holds_its_queue_and_records_nothing_new_until_resumed(hooks: Stack) -> None:
    receiver = Receiver()
    saved = await register(hooks, receiver.url)
    try:
        member = await hooks.enroll("Paused")
        await purchases(hooks, [member], 2, "paused")
        await eventually(lambda: _at_least(lambda: hooks.scalar(
            "integrations", "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = :w", w=saved["id"]), 2),
            "two queued deliveries")
        await register(hooks, receiver.url, id=saved["id"], active=False)
        await receiver.start()
        (await hooks.checkout(member, "paused-while", [SOCKS])).ok()
        await asyncio.sleep(1.0)  # a paused webhook sends nothing: give it every chance to
        assert receiver.received == []
        await register(hooks, receiver.url, id=saved["id"], active=True)
        await eventually(lambda: len(receiver.received) >= 2, "the queued deliveries")
        await asyncio.sleep(0.5)
        assert [d.json["data"]["walletUpdated"]["entry"]["reference"] for d in receiver.unique()] == [
            f"paused-{member[-6:]}-0", f"paused-{member[-6:]}-1"]
    finally:
        (await hooks.gql(DELETE, {"id": saved["id"]}, hooks.token(Role.ADMIN))).ok()
        await receiver.stop()
