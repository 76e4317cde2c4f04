"""The message log through the engine's handlers on SQLite and PostgreSQL: an event redelivered
queues nothing more, two delivery jobs at once (two replicas) send each message once, the cap
counts what was sent, a late enrolment does not overwrite newer contacts."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.clock import ManualClock
from loyalty.devmail import MailSink
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime
from subgraphs.rewards import handlers
from subgraphs.rewards.adapters import messages as store
from subgraphs.rewards.adapters import offers as offer_store
from subgraphs.rewards.domain import offers as offer_rules
from subgraphs.rewards.domain.messages import MessageStatus
from subgraphs.rewards.domain.offers import Offer, OfferKind, OfferStatus
from tests.support.net import free_port
from tests.support.runtimes import BACKENDS, runtime_on

NOW = datetime(2026, 12, 2, 20, tzinfo=UTC)


@dataclass
class Engine:
    runtime: Runtime
    sink: MailSink


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Engine]:
    port = free_port()
    sink = MailSink()
    await sink.start("127.0.0.1", port)
    async with runtime_on("rewards", request.param, tmp_path, clock=ManualClock(NOW), smtp_host="127.0.0.1",
                          smtp_port=port, message_quiet_hours="", message_caps={"EMAIL": 1}) as runtime:
        yield Engine(runtime, sink)
    await sink.stop()


def enrolled(member_id: str, name: str, email: str, *, at: datetime) -> Event:
    return Event("MemberEnrolled", "profile", member_id, occurred_at=at, payload={
        "member_id": member_id, "status": "ACTIVE", "birthday": None, "home_store_id": None,
        "enrolled_at": at.isoformat(), "given_name": name, "email": email, "phone": None,
        "identities": [{"kind": "EMAIL", "value": email}],
        "consents": {"email_marketing": True, "sms_marketing": False, "push_marketing": False, "profiling": True}})


async def offer_for(runtime: Runtime, member_id: str, n: int) -> Event:
    offer = Offer(f"ofr_{member_id}_{n}", member_id, f"cmp_{n}", OfferKind.EARLY_ACCESS, OfferStatus.ISSUED,
                  f"Offer {n}", f"Reason {n}", NOW, NOW + timedelta(days=2))
    async with runtime.unit_of_work() as uow:
        await offer_store.add_offer(uow, offer, issued_for=f"test:{offer.id}")
        await uow.commit()
    return Event("OfferIssued", "rewards", member_id, payload=offer_rules.offer_facts(offer))


async def log_of(runtime: Runtime, member_id: str) -> list[store.Message]:
    async with runtime.db.reading() as connection:
        return await store.messages_of(connection, member_id, 100)


async def test_redeliveries_queue_nothing_more_and_two_jobs_send_each_message_once(engine: Engine) -> None:
    runtime = engine.runtime
    members = [f"mbr_{n}" for n in range(12)]
    for member_id in members:
        await handlers.on_member_enrolled(runtime, enrolled(member_id, "Ann", f"{member_id}@example.org",
                                                            at=NOW - timedelta(days=1)))
        event = await offer_for(runtime, member_id, 1)
        await handlers.messages.on_offer_issued(runtime, event)
        await handlers.messages.on_offer_issued(runtime, event)  # redelivered: the inbox
        again = Event("OfferIssued", "rewards", member_id, payload=event.payload)  # published twice: the log's key
        await handlers.messages.on_offer_issued(runtime, again)
    assert [len(await log_of(runtime, m)) for m in members] == [1] * len(members)
    first, second = await asyncio.gather(handlers.messages.deliver(runtime), handlers.messages.deliver(runtime))
    assert first + second == len(members)  # each message claimed by one job
    assert sorted(a for mail in engine.sink.mails for a in mail.to) == sorted(f"{m}@example.org" for m in members)
    assert [[m.status for m in await log_of(runtime, member_id)] for member_id in members] == [
        [MessageStatus.SENT]] * len(members)
    assert await handlers.messages.deliver(runtime) == 0


async def test_the_cap_counts_what_was_sent_and_contacts_follow_the_newest_fact(engine: Engine) -> None:
    runtime = engine.runtime
    await handlers.on_member_enrolled(runtime, enrolled("mbr_cap", "Cleo", "new@example.org", at=NOW))
    await handlers.on_member_updated(runtime, enrolled("mbr_cap", "Old", "old@example.org", at=NOW - timedelta(days=9)))
    for n in (1, 2):
        await handlers.messages.on_offer_issued(runtime, await offer_for(runtime, "mbr_cap", n))
    await handlers.messages.deliver(runtime)
    statuses = sorted(str(m.status) for m in await log_of(runtime, "mbr_cap"))
    assert statuses == ["CAPPED", "SENT"]
    [mail] = engine.sink.mails
    assert mail.to == ("new@example.org",) and mail.body.startswith("Hi Cleo,")


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_an_smtp_server_away_is_retried_then_the_message_fails(backend: str, tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    async with runtime_on("rewards", backend, tmp_path, clock=clock, smtp_host="127.0.0.1", smtp_port=free_port(),
                          message_quiet_hours="", message_retry_seconds=30, message_max_attempts=2) as runtime:
        await handlers.on_member_enrolled(runtime, enrolled("mbr_away", "Ada", "ada@example.org", at=NOW))
        await handlers.messages.on_offer_issued(runtime, await offer_for(runtime, "mbr_away", 1))
        await handlers.messages.deliver(runtime)
        [message] = await log_of(runtime, "mbr_away")
        assert message.status is MessageStatus.RETRYING and message.attempts == 1
        assert message.reason and message.reason.startswith("SMTP server unreachable")
        assert message.next_attempt_at == NOW + timedelta(seconds=30)
        clock.advance(timedelta(seconds=29))
        assert await handlers.messages.deliver(runtime) == 0  # not due yet
        clock.advance(timedelta(seconds=1))
        await handlers.messages.deliver(runtime)
        [message] = await log_of(runtime, "mbr_away")
        assert message.status is MessageStatus.FAILED and message.attempts == 2
