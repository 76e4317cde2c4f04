"""Messages to members: queued from events, delivered by a job.

Consumers only queue (one short transaction per event, once per event: the inbox and the log's
unique key), so delivery never holds up the event consumers. The `deliver-messages` job drains
the log: it claims due messages, decides each with what is true then (domain/messages.py:
still open? consent? an address? quiet hours? the cap?), sends it through its channel, and
records the outcome. Messages to one member on one channel go one after the other (the cap
counts what was sent); different members' go side by side, a few at a time.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from core.auth import Principal
from core.ids import new_id
from subgraphs.kernel import aliases
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime

from ..adapters import coupons as coupon_store
from ..adapters import messages as store
from ..adapters import offers as offer_store
from ..adapters import repository
from ..adapters.channels import DeliveryFailed, Outgoing, email, push, sms
from ..adapters.messages import Contacts, Message
from ..domain import coupons as coupon_rules
from ..domain import messages as rules
from ..domain import offers as offer_rules
from ..domain.messages import MarketingConsents, MessageChannel, MessageKind, MessageStatus

log = logging.getLogger(__name__)

BATCH = 100  # messages one round of the job takes on
SENDING_AT_ONCE = 8  # members served side by side
LEASE = timedelta(minutes=10)  # a sender that died lets go of its messages after this (a round takes far less)
MAX_LISTED = 100


def enabled_channels(runtime: Runtime) -> set[MessageChannel]:
    settings = runtime.settings
    found = set()
    if settings.smtp_host:
        found.add(MessageChannel.EMAIL)
    if settings.sms_webhook_url and settings.sms_webhook_secret:
        found.add(MessageChannel.SMS)
    if settings.push_webhook_url and settings.push_webhook_secret:
        found.add(MessageChannel.PUSH)
    return found


# --- queueing, from events ---------------------------------------------------------------------

async def on_offer_issued(runtime: Runtime, event: Event) -> None:
    offer = event.payload
    await _queue(runtime, event, MessageKind.OFFER_ISSUED, reference=offer["id"], facts={"offer": {
        "id": offer["id"], "kind": offer["kind"], "message": offer["message"], "reason": offer["reason"],
        "expires_at": offer["expires_at"]}})


async def on_coupon_issued(runtime: Runtime, event: Event) -> None:
    coupon = event.payload
    await _queue(runtime, event, MessageKind.COUPON_ISSUED, reference=coupon["code"], facts={"coupon": {
        "code": coupon["code"], "description": coupon["description"], "expires_at": coupon.get("expires_at")}})


async def on_sign_in_code_requested(runtime: Runtime, event: Event) -> None:
    """Profile's one-time code, to the address it was asked for (the code is emptied once sent)."""
    facts = event.payload
    await _queue(runtime, event, MessageKind.SIGN_IN_CODE, reference=event.id, address=facts["email"],
                 facts={"code": facts["code"], "expires_at": facts["expires_at"]})


async def _queue(runtime: Runtime, event: Event, kind: MessageKind, *, reference: str, facts: dict[str, Any],
                 address: str | None = None) -> None:
    channels = [c for c in rules.channels_for(kind) if c in enabled_channels(runtime)]
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled(f"messages:{kind}", event.id):
            return
        if channels and event.member_id is not None:
            member_id = await aliases.current_member_id(uow.connection, str(event.member_id))
            now = runtime.clock.now()
            for channel in channels:
                await store.queue(uow, message_id=new_id("msg"), member_id=member_id, kind=kind, channel=channel,
                                  reference=reference, facts=facts, address=address, now=now)
        await uow.commit()


# --- delivering, the job -----------------------------------------------------------------------

async def deliver(runtime: Runtime) -> int:
    """One round: every due message decided, and sent where it may go; how many were looked at."""
    now = runtime.clock.now()
    async with runtime.db.reading() as connection:
        found = await store.due(connection, now, BATCH)
    if not found:
        return 0
    claimed: dict[tuple[str, str], list[Message]] = defaultdict(list)
    async with runtime.unit_of_work() as uow:
        for message in found:
            if await store.claim(uow, message.id, now, now + LEASE):
                claimed[(message.member_id, str(message.channel))].append(message)
        await uow.commit()
    gate = asyncio.Semaphore(SENDING_AT_ONCE)
    mailer = email.Mailer(runtime.settings) if runtime.settings.smtp_host else None
    async with httpx.AsyncClient() as client:
        outlets = Outlets(client, mailer)

        async def serve(queue: list[Message]) -> None:
            async with gate:
                for message in queue:  # one member and channel: in order, so the cap sees each send
                    try:
                        await _deliver_one(runtime, outlets, message)
                    except Exception as error:  # noqa: BLE001 - one message's trouble leaves the others flowing
                        log.exception("message %s could not be handled", message.id)
                        await _failed(runtime, message, DeliveryFailed(f"internal error: {error!r}", transient=True))

        try:
            outcomes = await asyncio.gather(*(serve(queue) for queue in claimed.values()), return_exceptions=True)
            for outcome in outcomes:  # the log could not be written (the database away): the lease runs out
                if isinstance(outcome, Exception):
                    log.error("a message's outcome could not be recorded: %r; it is looked at again later", outcome)
        finally:
            if mailer is not None:
                await mailer.close()
    return sum(len(queue) for queue in claimed.values())


@dataclass(frozen=True, slots=True)
class Outlets:
    """The channels' connections for one round: an HTTP client for the providers, a mailer."""

    http: httpx.AsyncClient
    mailer: email.Mailer | None


async def _deliver_one(runtime: Runtime, outlets: Outlets, message: Message) -> None:
    settings = runtime.settings
    now = runtime.clock.now()
    async with runtime.db.reading() as connection:
        known = await repository.known_member(connection, message.member_id)
        contacts = await store.contacts_of(connection, message.member_id)
        relevant = await _still_relevant(connection, message, now)
        window = timedelta(hours=settings.message_cap_window_hours)
        sent = await store.sent_since(connection, message.member_id, message.channel, now - window)
    consents = MarketingConsents(known.consents.email_marketing, known.consents.sms_marketing,
                                 known.consents.push_marketing) if known and known.status == "ACTIVE" else None
    zone = rules.zone_of(known.home_store_id if known else None, settings.message_store_time_zones,
                         settings.message_time_zone)
    address = _address(message, contacts)
    decision = rules.decide(message.kind, message.channel, now=now, relevant=relevant, consents=consents,
                            has_address=address is not None, quiet=rules.QuietHours.parse(settings.message_quiet_hours),
                            zone=zone, sent_in_window=sent, cap=settings.message_caps.get(str(message.channel)))
    if decision.status is not MessageStatus.SENT:
        async with runtime.unit_of_work() as uow:
            await store.record(uow, message.id, status=decision.status, now=now, reason=decision.reason,
                               next_attempt_at=decision.not_before,
                               facts=None if decision.status in rules.PENDING else _spent(message))
            await uow.commit()
        return
    assert address is not None
    rendered = rules.render(message.kind, message.channel, _template_facts(message, zone, settings), program=
                            settings.program_name, given_name=contacts.given_name if contacts else None)
    outgoing = Outgoing(message.id, str(message.kind), message.member_id, address, rendered.subject, rendered.body,
                        _app_data(message))
    try:
        await _send(runtime, outlets, message.channel, outgoing)
    except DeliveryFailed as failure:
        await _failed(runtime, message, failure)
        return
    async with runtime.unit_of_work() as uow:
        await store.record(uow, message.id, status=MessageStatus.SENT, now=runtime.clock.now(),
                           attempts=message.attempts + 1, facts=_spent(message))
        await uow.commit()


async def _failed(runtime: Runtime, message: Message, failure: DeliveryFailed) -> None:
    """A transient failure is tried again after a while, until the attempts run out; a refusal
    fails the message at once."""
    settings = runtime.settings
    attempts = message.attempts + 1
    delay = rules.retry_delay(attempts, timedelta(seconds=settings.message_retry_seconds),
                              settings.message_max_attempts) if failure.transient else None
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        if delay is None:
            await store.record(uow, message.id, status=MessageStatus.FAILED, now=now, reason=failure.reason,
                               attempts=attempts, facts=_spent(message))
        else:
            await store.record(uow, message.id, status=MessageStatus.RETRYING, now=now, reason=failure.reason,
                               attempts=attempts, next_attempt_at=now + delay)
        await uow.commit()
    log.warning("%s %s to member %s: %s (%s)", message.channel, message.kind, message.member_id, failure.reason,
                "retried later" if delay else "failed")


async def _send(runtime: Runtime, outlets: Outlets, channel: MessageChannel, outgoing: Outgoing) -> None:
    if channel is MessageChannel.EMAIL:
        if outlets.mailer is None:  # the setting went away between queueing and now
            raise DeliveryFailed("email is off (no LOYALTY_SMTP_HOST)", transient=False)
        await outlets.mailer.send(outgoing)
    elif channel is MessageChannel.SMS:
        await sms.send(runtime.settings, outlets.http, outgoing)
    else:
        await push.send(runtime.settings, outlets.http, outgoing)


def _address(message: Message, contacts: Contacts | None) -> str | None:
    if message.address:
        return message.address
    if message.channel is MessageChannel.PUSH:
        return message.member_id
    if contacts is None:
        return None
    return contacts.email if message.channel is MessageChannel.EMAIL else contacts.phone


async def _still_relevant(connection: Any, message: Message, now: datetime) -> bool:
    """An offer still waiting for the member's answer, a coupon still usable, a code not expired."""
    if message.kind is MessageKind.OFFER_ISSUED:
        offer = await offer_store.offer(connection, message.reference)
        return offer is not None and offer_rules.status_at(offer, now) is offer_rules.OfferStatus.ISSUED
    if message.kind is MessageKind.COUPON_ISSUED:
        coupon = (await coupon_store.coupons_by_code(connection, [message.reference])).get(message.reference)
        return coupon is not None and coupon_rules.status_at(coupon, now) is coupon_rules.CouponStatus.ACTIVE
    expires = message.facts.get("expires_at")
    return bool(message.facts.get("code")) and expires is not None and datetime.fromisoformat(expires) > now


def _template_facts(message: Message, zone: Any, settings: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {key: dict(value) if isinstance(value, dict) else value
                             for key, value in message.facts.items()}
    for part in ("offer", "coupon"):
        if part in facts and facts[part].get("expires_at"):
            facts[part]["expires"] = rules.local_text(datetime.fromisoformat(facts[part]["expires_at"]), zone)
    if message.kind is MessageKind.SIGN_IN_CODE:
        facts["minutes"] = settings.sign_in_code_minutes
    return facts


def _app_data(message: Message) -> dict[str, Any]:
    if message.kind is MessageKind.OFFER_ISSUED:
        return {"offer_id": message.reference}
    if message.kind is MessageKind.COUPON_ISSUED:
        return {"coupon_code": message.reference}
    return {}


def _spent(message: Message) -> dict[str, Any] | None:
    """A sign-in code is not kept once its message is done with; other facts stay for the log."""
    return {"expires_at": message.facts.get("expires_at")} if message.kind is MessageKind.SIGN_IN_CODE else None


async def messages_of(runtime: Runtime, principal: Principal | None, member_id: str, first: int) -> list[Message]:
    """The member's message log, newest first (the member themself, or staff)."""
    async with runtime.db.reading() as connection:
        member_id = await aliases.require_member_access(connection, principal, member_id)
        return await store.messages_of(connection, member_id, max(0, min(first, MAX_LISTED)))
