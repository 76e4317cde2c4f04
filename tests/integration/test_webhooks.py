"""Outbound webhooks through the gateway, to a real HTTP receiver on loopback: each event
arrives as the subscription document's result, signed; a receiver that is down gets every
event once it is back, in order per member; bad registrations are refused and store nothing.

Delivery is at least once with an idempotency key (`Loyalty-Event-Id`): the receiver here
dedupes on it, as the README tells receivers to."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from core.auth import Role
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
        if delivery.headers["loyalty-webhook-id"] != webhook_id:
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
        expected = await purchases(hooks, [julia, marcus], 2, "signed")
        await eventually(lambda: sum(map(len, arrived_in_order(receiver, saved["id"]).values())) >= 4,
                         "four deliveries")
        assert arrived_in_order(receiver, saved["id"]) == expected
        for delivery in receiver.received:
            assert delivery.signed_by(SECRET), delivery.headers
            assert not delivery.signed_by("another-secret-0123456789")
            assert delivery.headers["content-type"] == "application/json"
            assert delivery.headers["loyalty-event-type"] == "PointsEarned"
            event = delivery.json["data"]["walletUpdated"]
            # The root field's own part (the ledger's) and an entity fetched from profile by the gateway.
            assert event["entry"]["points"] == 24 and event["entry"]["kind"] == "EARN"
            assert event["member"]["givenName"] in ("Julia", "Marcus")
            assert delivery.headers["loyalty-member-id"] == event["member"]["id"]
        assert len({d.event_id for d in receiver.received}) == 4
        after = await webhook(hooks, saved["id"])
        assert after["lastDeliveryAt"] is not None and after["failures"] == 0
    finally:
        (await hooks.gql(DELETE, {"id": saved["id"]}, hooks.token(Role.ADMIN))).ok()
        await receiver.stop()
