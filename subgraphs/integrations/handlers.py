"""Outbound webhooks, the use cases: register, list, delete; record each event that a
webhook wants (consumed from the bus, durably, before anything is sent); deliver the
queue, oldest first per webhook and member, with retries.

Delivery is at least once: a worker that dies after the receiver took a POST but before
it recorded the answer sends it again after a restart, with the same body and the same
`X-Loyalty-Event-Id` (and `Idempotency-Key`: the receiver's dedupe key). Nothing recorded is lost: a row
leaves the queue only when the receiver took it, the event gave the document no
result, or every attempt failed (then `Webhook.failures` counts it).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import sqlalchemy as sa

from core.auth import Principal, Role, require_role
from core.errors import BadUserInput, NotFound, Unavailable
from core.ids import new_id, new_ulid
from subgraphs.kernel.bounds import check_id
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime

from . import domain
from .adapters import gateway, receivers
from .adapters.tables import webhook_deliveries as deliveries
from .adapters.tables import webhooks

log = logging.getLogger(__name__)

SOURCE = "integrations"
LEASE_SECONDS = 120.0  # longer than a replay and a POST together (each bounded by webhook_timeout_seconds)
HEADS_PER_ROUND = 64
ROUNDS_PER_RUN = 50
LINE_BURST = 100  # rows one line sends in a row before the others get their turn again
PRUNE_BATCH = 1000
MAX_ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    url: str
    subscription: str
    active: bool
    last_delivery_at: datetime | None
    failures: int


def _webhook(row: Any) -> Webhook:
    return Webhook(row.id, row.url, row.subscription, row.active, row.last_delivery_at, row.failures)


# --- registrations ------------------------------------------------------------------------------


async def list_webhooks(runtime: Runtime, principal: Principal | None) -> list[Webhook]:
    require_role(principal, Role.ADMIN)
    async with runtime.db.reading() as connection:
        rows = await connection.execute(sa.select(webhooks).order_by(webhooks.c.created_at, webhooks.c.id))
        return [_webhook(row) for row in rows]


async def upsert_webhook(runtime: Runtime, principal: Principal | None, *, webhook_id: str | None,
                         url: str | None, subscription: str | None, secret: str | None,
                         active: bool | None) -> Webhook:
    """Admins. Every input given is checked before anything is written: the URL (http(s); in
    prod a public host), the secret's length, and the document against the supergraph's schema.
    A new webhook needs all three; a change (`webhook_id`) keeps what it is not given, the secret
    included (it is never shown back, so pausing or editing must not ask for it again)."""
    who = require_role(principal, Role.ADMIN)
    if webhook_id is not None:
        webhook_id = check_id(webhook_id, "id")
    else:
        for name, value in (("url", url), ("subscription", subscription), ("secret", secret)):
            if value is None:
                raise BadUserInput(f"a new webhook needs its {name}", field=name)
    receiver = domain.check_url(url) if url is not None else None
    if secret is not None:
        domain.check_secret(secret)
    if subscription is not None and len(subscription) > domain.MAX_DOCUMENT_CHARS:  # before asking the gateway
        raise BadUserInput(f"the subscription has at most {domain.MAX_DOCUMENT_CHARS} characters",
                           field="subscription")
    if receiver is not None and not runtime.settings.webhooks_may_reach_private_addresses:
        await receivers.require_public(receiver)
    document = (domain.parse_document(subscription, await gateway.api_schema(runtime))
                if subscription is not None else None)
    now = runtime.clock.now()
    values: dict[str, Any] = {"updated_at": now, "updated_by": who.subject[:100]}
    if receiver is not None:
        values["url"] = receiver.url
    if document is not None:
        values.update(subscription=document.text, field=document.field, member_filter=document.member_filter)
    if secret is not None:
        values["secret"] = secret
    if active is not None:
        values["active"] = active
    async with runtime.unit_of_work() as uow:
        if webhook_id is None:
            count = await uow.connection.scalar(sa.select(sa.func.count()).select_from(webhooks))
            if count >= domain.MAX_WEBHOOKS:
                raise BadUserInput(f"there are {domain.MAX_WEBHOOKS} webhooks already; delete one first")
            webhook_id = new_id("whk")
            values.setdefault("active", True)
            await uow.execute(webhooks.insert().values(id=webhook_id, failures=0, created_at=now, **values))
        else:
            changed = await uow.execute(webhooks.update().where(webhooks.c.id == webhook_id).values(**values))
            if changed.rowcount == 0:
                raise NotFound(f"no webhook {webhook_id}")
        row = (await uow.execute(sa.select(webhooks).where(webhooks.c.id == webhook_id))).one()
        await uow.commit()
    log.info("webhook %s on %s (%s) saved by %s", webhook_id, row.field, urlsplit(row.url).hostname, who.subject)
    return _webhook(row)


async def delete_webhook(runtime: Runtime, principal: Principal | None, webhook_id: str) -> bool:
    """Admins. The webhook and its queue go (nothing more is sent)."""
    require_role(principal, Role.ADMIN)
    webhook_id = check_id(webhook_id, "id")
    async with runtime.unit_of_work() as uow:
        deleted = await uow.execute(webhooks.delete().where(webhooks.c.id == webhook_id))
        if deleted.rowcount == 0:
            raise NotFound(f"no webhook {webhook_id}")
        await uow.execute(deliveries.delete().where(deliveries.c.webhook_id == webhook_id))
        await uow.commit()
    return True


# --- recording events ---------------------------------------------------------------------------


async def on_event(runtime: Runtime, event: Event) -> None:
    """A durable consumer's handler: one queued delivery per active webhook that wants the event,
    in one transaction. A redelivered event adds nothing (one row per webhook and event id)."""
    if event.member_id is None:
        return
    fields = domain.fields_fed_by(event.source, event.type)
    if not fields:
        return
    async with runtime.db.reading() as connection:
        wanting = (await connection.execute(sa.select(webhooks.c.id, webhooks.c.member_filter).where(
            webhooks.c.active.is_(True), webhooks.c.field.in_(fields),
            webhooks.c.member_filter.in_((domain.EVERY_MEMBER, event.member_id))))).all()
    if not wanting:
        return
    now = runtime.clock.now()
    body = event.to_json()
    recorded = 0
    async with runtime.unit_of_work() as uow:
        for webhook_id, _ in wanting:
            recorded += await uow.insert_ignoring_conflicts(deliveries, {
                "webhook_id": webhook_id, "event_id": event.id, "event_type": event.type,
                "member_id": event.member_id, "event": body, "state": str(domain.DeliveryState.PENDING),
                "attempts": 0, "next_attempt_at": now, "created_at": now})
        await uow.commit()
    if recorded:
        _worker(runtime).wake.set()


# --- delivering ---------------------------------------------------------------------------------


class _Worker:
    """What one process's delivery job keeps between runs."""

    def __init__(self, runtime: Runtime) -> None:
        self.client = httpx.AsyncClient(timeout=runtime.settings.webhook_timeout_seconds, follow_redirects=False)
        self.slots = asyncio.Semaphore(runtime.settings.webhook_concurrency)
        self.wake = asyncio.Event()
        self.leases_cleared = False


def _worker(runtime: Runtime) -> _Worker:
    worker = runtime.cache.get("integrations:worker")
    if not isinstance(worker, _Worker):
        worker = runtime.cache["integrations:worker"] = _Worker(runtime)
    return worker


async def deliver_continuously(runtime: Runtime) -> None:
    """The delivery job: runs until cancelled; wakes when an event is recorded, and at least
    every half second for retries that came due."""
    worker = _worker(runtime)
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(worker.wake.wait(), 0.5)
        worker.wake.clear()
        try:
            await deliver_due(runtime)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the queue stays; the next round tries again
            log.exception("a webhook delivery round failed")
            await asyncio.sleep(1.0)


async def deliver_due(runtime: Runtime) -> int:
    """Send every delivery that is due and first in its line (webhook and member); returns how
    many were attempted. Several workers (replicas) share the queue: each claims the heads it
    sends with a lease, so a line is only ever sent by one of them, in order."""
    worker = _worker(runtime)
    if not worker.leases_cleared:
        if runtime.db.is_sqlite:  # one process owns an embedded database: leases left are a dead run's
            async with runtime.unit_of_work() as uow:
                await uow.execute(deliveries.update().where(deliveries.c.lease_owner.is_not(None))
                                  .values(lease_owner=None, lease_until=None))
                await uow.commit()
        worker.leases_cleared = True
    total = 0
    for _ in range(ROUNDS_PER_RUN):
        claimed = await _claim(runtime)
        if not claimed:
            break
        total += sum(await asyncio.gather(*(_deliver_line(runtime, worker, row, lease) for row, lease in claimed)))
    return total


def _heads(now: datetime) -> sa.Select:
    """Due rows that are first in their line (webhook and member), of active webhooks, not leased."""
    pending = str(domain.DeliveryState.PENDING)
    earlier = deliveries.alias("earlier")
    return (
        sa.select(deliveries)
        .where(deliveries.c.state == pending, deliveries.c.next_attempt_at <= now,
               sa.or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now),
               deliveries.c.webhook_id.in_(sa.select(webhooks.c.id).where(webhooks.c.active.is_(True))),
               ~sa.exists().where(earlier.c.webhook_id == deliveries.c.webhook_id,
                                  earlier.c.member_id == deliveries.c.member_id,
                                  earlier.c.state == pending, earlier.c.seq < deliveries.c.seq))
        .order_by(deliveries.c.next_attempt_at, deliveries.c.seq)
    )


async def _claim(runtime: Runtime, line: tuple[str, str] | None = None) -> list[tuple[Any, str]]:
    """Lease the due heads (of one line: its next row), in one transaction; what this worker got."""
    now = runtime.clock.now()
    heads = _heads(now)
    if line is not None:
        heads = heads.where(deliveries.c.webhook_id == line[0], deliveries.c.member_id == line[1])
    async with runtime.db.reading() as connection:
        seqs = list((await connection.execute(heads.with_only_columns(deliveries.c.seq)
                                              .limit(1 if line else HEADS_PER_ROUND))).scalars())
    if not seqs:
        return []
    lease = new_ulid()
    async with runtime.unit_of_work() as uow:
        # Conditional: a row another worker leased meanwhile is not taken (it keeps its lease).
        await uow.execute(
            deliveries.update()
            .where(deliveries.c.seq.in_(seqs), deliveries.c.state == str(domain.DeliveryState.PENDING),
                   sa.or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now))
            .values(lease_owner=lease, lease_until=now + timedelta(seconds=LEASE_SECONDS)))
        await uow.commit()
    async with runtime.db.reading() as connection:
        rows = (await connection.execute(sa.select(deliveries).where(deliveries.c.seq.in_(seqs),
                                                                     deliveries.c.lease_owner == lease)
                                         .order_by(deliveries.c.seq))).all()
    return [(row, lease) for row in rows]


async def _deliver_line(runtime: Runtime, worker: _Worker, row: Any, lease: str) -> int:
    """Deliver a line's head, then its next rows while they are due and the previous one left the
    queue (each line flows at its own pace; a slow receiver holds back only its own lines).
    Returns how many were attempted."""
    attempted = 0
    while True:
        finished = await _deliver_one(runtime, worker, row, lease)
        attempted += 1
        if not finished or attempted >= LINE_BURST:
            return attempted
        following = await _claim(runtime, (row.webhook_id, row.member_id))
        if not following:
            return attempted
        row, lease = following[0]


async def _deliver_one(runtime: Runtime, worker: _Worker, row: Any, lease: str) -> bool:
    """One delivery; whatever goes wrong with it stays with it (the others keep flowing).
    True when the row left the queue (delivered, skipped, or failed for good)."""
    try:
        return await _attempt(runtime, worker, row, lease)
    except asyncio.CancelledError:
        raise
    except Exception as error:  # noqa: BLE001 - counted as an attempt, so a broken one ends, never blocks its line
        log.exception("webhook %s: event %s could not be attempted", row.webhook_id, row.event_id)
        return await _retry_later(runtime, row, lease, f"internal error: {error.__class__.__name__}",
                                  count_attempt=True)


async def _attempt(runtime: Runtime, worker: _Worker, row: Any, lease: str) -> bool:
    async with worker.slots:
        async with runtime.db.reading() as connection:
            hook = (await connection.execute(sa.select(webhooks).where(webhooks.c.id == row.webhook_id))).first()
        if hook is None or not hook.active:
            await _release(runtime, row.seq, lease)  # deleted or paused since the claim: it waits
            return False
        payload = row.payload
        if payload is None:
            document = domain.WebhookDocument(hook.subscription, hook.field, hook.member_filter)
            event = Event.from_json(row.event)
            try:
                result = await gateway.replay(runtime, document.for_member(row.member_id), event)
            except Unavailable as error:
                # Our side is down (the gateway, a subgraph): not the receiver's failure, no attempt counted.
                return await _retry_later(runtime, row, lease, str(error), count_attempt=False)
            if result is None:
                return await _finish(runtime, row, lease, domain.DeliveryState.SKIPPED, "no result for this event")
            payload = orjson.dumps(result)
            async with runtime.unit_of_work() as uow:  # every attempt from now on sends these bytes
                await uow.execute(deliveries.update().where(deliveries.c.seq == row.seq,
                                                            deliveries.c.lease_owner == lease).values(payload=payload))
                await uow.commit()
        # The event id is the receiver's idempotency key (at least once: a repeat carries the same id).
        headers = {"Idempotency-Key": row.event_id, "X-Loyalty-Event-Id": row.event_id,
                   "X-Loyalty-Webhook-Id": hook.id, "X-Loyalty-Event-Type": row.event_type,
                   "X-Loyalty-Member-Id": row.member_id, "X-Loyalty-Delivery-Attempt": str(row.attempts + 1)}
        outcome = await receivers.send(worker.client, hook.url, hook.secret, payload, headers,
                                       public_only=not runtime.settings.webhooks_may_reach_private_addresses)
        if outcome.delivered:
            return await _finish(runtime, row, lease, domain.DeliveryState.DELIVERED, outcome.detail)
        return await _retry_later(runtime, row, lease, outcome.detail, count_attempt=True)


async def _release(runtime: Runtime, seq: int, lease: str) -> None:
    async with runtime.unit_of_work() as uow:
        await uow.execute(deliveries.update().where(deliveries.c.seq == seq, deliveries.c.lease_owner == lease)
                          .values(lease_owner=None, lease_until=None))
        await uow.commit()


async def _finish(runtime: Runtime, row: Any, lease: str, state: domain.DeliveryState, detail: str,
                  attempts: int | None = None) -> bool:
    """The row leaves the queue; True when it was still this worker's to finish."""
    now = runtime.clock.now()
    counted = row.attempts + (0 if state is domain.DeliveryState.SKIPPED else 1) if attempts is None else attempts
    async with runtime.unit_of_work() as uow:
        done = await uow.execute(
            deliveries.update().where(deliveries.c.seq == row.seq, deliveries.c.lease_owner == lease)
            .values(state=str(state), attempts=counted, done_at=now, lease_owner=None, lease_until=None,
                    last_error=None if state is domain.DeliveryState.DELIVERED else detail[:MAX_ERROR_CHARS]))
        if done.rowcount == 1:  # still ours (a lease that ran out was taken over: that worker finishes it)
            if state is domain.DeliveryState.DELIVERED:
                await uow.execute(webhooks.update().where(webhooks.c.id == row.webhook_id)
                                  .values(last_delivery_at=now))
            elif state is domain.DeliveryState.FAILED:
                await uow.execute(webhooks.update().where(webhooks.c.id == row.webhook_id)
                                  .values(failures=webhooks.c.failures + 1))
        await uow.commit()
    if state is domain.DeliveryState.FAILED:
        log.error("webhook %s gave up on event %s after %d attempts: %s", row.webhook_id, row.event_id, counted,
                  detail)
    return done.rowcount == 1


async def _retry_later(runtime: Runtime, row: Any, lease: str, detail: str, *, count_attempt: bool) -> bool:
    """Another attempt later, or, with the last attempt spent, failed for good (then True: it left the queue)."""
    settings = runtime.settings
    attempts = row.attempts + (1 if count_attempt else 0)
    if count_attempt and domain.exhausted(attempts, settings.webhook_max_attempts):
        return await _finish(runtime, row, lease, domain.DeliveryState.FAILED, detail, attempts)
    delay = domain.retry_delay(max(1, attempts), settings.webhook_retry_seconds, settings.webhook_retry_max_seconds)
    async with runtime.unit_of_work() as uow:
        await uow.execute(
            deliveries.update().where(deliveries.c.seq == row.seq, deliveries.c.lease_owner == lease)
            .values(attempts=attempts, next_attempt_at=runtime.clock.now() + timedelta(seconds=delay),
                    lease_owner=None, lease_until=None, last_error=detail[:MAX_ERROR_CHARS]))
        await uow.commit()
    log.warning("webhook %s: event %s not delivered (%s); attempt %d again in %.1f s", row.webhook_id,
                row.event_id, detail, attempts + 1, delay)
    return False


async def prune_deliveries(runtime: Runtime) -> int:
    """Finished deliveries (their bodies carry personal data) go after LOYALTY_OUTBOX_RETENTION_HOURS,
    like published outbox rows; in bounded batches."""
    cutoff = runtime.clock.now() - timedelta(hours=runtime.settings.outbox_retention_hours)
    old = (sa.select(deliveries.c.seq).where(deliveries.c.done_at.is_not(None), deliveries.c.done_at < cutoff)
           .limit(PRUNE_BATCH))
    async with runtime.unit_of_work() as uow:
        deleted = (await uow.execute(deliveries.delete().where(deliveries.c.seq.in_(old.scalar_subquery())))).rowcount
        await uow.commit()
    return deleted
