"""bench/messages: how fast the engine queues and delivers members' messages.

    .venv/bin/python -m bench.messages                  # 2,000 members, one offer each
    .venv/bin/python -m bench.messages --members 500    # a quick run

On SQLite (the embedded default), in one process: the rewards subgraph's tables, an SMTP sink
(aiosmtpd, the dev mailbox's) and a local SMS provider (signed webhooks), all on this loop, so
the figures include the receivers' work too.

1. Queueing: `OfferIssued` events through the consumer (inbox, one row per channel), one after
   the other: events per second and p50 / p95 per event (what a consumer spends; delivery
   does not run here).
2. Delivery: the `deliver-messages` job's rounds until the log is drained: messages decided and
   sent per second over real SMTP and HTTP (every member opted in to email and SMS, outside quiet
   hours, under the caps: each message is sent).

Timings are measured here and recorded in bench/RESULTS.md; no test asserts them.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.clock import ManualClock
from core.serving import ServerGroup
from core.settings import Settings
from loyalty.devmail import MailSink
from subgraphs.kernel.events import Event
from subgraphs.kernel.host import SubgraphHost
from subgraphs.rewards import handlers
from subgraphs.rewards.adapters import offers as offer_store
from subgraphs.rewards.adapters import repository
from subgraphs.rewards.adapters.messages import Contacts, remember_contacts
from subgraphs.rewards.adapters.repository import Consents, KnownMember
from subgraphs.rewards.domain import offers as offer_rules
from subgraphs.rewards.domain.offers import Offer, OfferKind, OfferStatus
from tests.support.net import free_ports

NOON = datetime(2026, 12, 2, 20, tzinfo=UTC)


async def main(members: int) -> None:
    smtp_port, provider_port, *ports = free_ports(7)
    sink = MailSink(keep=members * 2)
    await sink.start("127.0.0.1", smtp_port)
    texts = 0

    async def sms(request: Request) -> Response:
        nonlocal texts
        await request.body()
        texts += 1
        return Response(status_code=200)

    provider = ServerGroup()
    provider.add(Starlette(routes=[Route("/sms", sms, methods=["POST"])]), "127.0.0.1", provider_port)
    provider_task = asyncio.create_task(provider.serve(handle_signals=False))
    await provider.started()
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), gateway_port=ports[0], subgraph_ports=dict(zip(
            ("profile", "ledger", "rewards", "inventory"), ports[1:5], strict=True)), smtp_host="127.0.0.1",
            smtp_port=smtp_port, sms_webhook_url=f"http://127.0.0.1:{provider_port}/sms",
            sms_webhook_secret="bench-provider-secret-0123456789abcdef", message_quiet_hours="")
        host = SubgraphHost(["rewards"], settings, clock=ManualClock(NOON))
        await host.start(relays=False, jobs=False)
        runtime = host.runtime("rewards")
        try:
            events = await prepare(runtime, members)
            per_event = []
            started = time.perf_counter()
            for event in events:
                t = time.perf_counter()
                await handlers.messages.on_offer_issued(runtime, event)
                per_event.append(time.perf_counter() - t)
            queued_in = time.perf_counter() - started
            started, rounds, looked_at = time.perf_counter(), 0, 0
            while (done := await handlers.messages.deliver(runtime)):
                rounds += 1
                looked_at += done
            delivered_in = time.perf_counter() - started
        finally:
            await host.stop()
    provider.stop()
    await provider_task
    await sink.stop()
    per_event.sort()
    print(f"queueing: {members} OfferIssued events in {queued_in:.1f} s = {members / queued_in:.0f} events/s; "
          f"p50 {statistics.median(per_event) * 1000:.1f} ms, p95 {per_event[int(len(per_event) * 0.95)] * 1000:.1f} ms")
    print(f"delivery: {looked_at} messages in {rounds} rounds, {delivered_in:.1f} s = {looked_at / delivered_in:.0f} "
          f"messages/s; the SMTP sink got {len(sink.mails)} mails, the SMS provider {texts} texts")


async def prepare(runtime, members: int) -> list[Event]:  # noqa: ANN001
    """Members opted in to everything, with contacts, each holding one open offer."""
    events = []
    async with runtime.unit_of_work() as uow:
        for n in range(members):
            member_id = f"mbr_bench_{n:06d}"
            await repository.remember_member(uow, KnownMember(member_id, "ACTIVE", Consents(True, True, True, True),
                                                              None, None, NOON - timedelta(days=30)), [],
                                             as_of=NOON - timedelta(days=1))
            await remember_contacts(uow, member_id, Contacts("Bench", f"bench{n}@example.org", f"+1503555{n:04d}"),
                                    as_of=NOON - timedelta(days=1))
            offer = Offer(f"ofr_bench_{n:06d}", member_id, "cmp_bench", OfferKind.EARLY_ACCESS, OfferStatus.ISSUED,
                          "Early access to the new line", "You shop with us often", NOON, NOON + timedelta(days=2))
            await offer_store.add_offer(uow, offer, issued_for=f"bench:{n}")
            events.append(Event(type="OfferIssued", source="rewards", member_id=member_id,
                                payload=offer_rules.offer_facts(offer)))
        await uow.commit()
    return events


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=2000)
    asyncio.run(main(parser.parse_args().members))
