"""Messages to members through the whole stack: a purchase triggers an offer, the engine queues
its messages, the delivery job sends them over real SMTP (an aiosmtpd sink: the dev mailbox's)
and as signed webhooks to a local SMS and push provider. Only where consent allows (SMS only
on the member's own opt-in), deferred over quiet hours in the member's home store's time zone
(the stack's ManualClock), capped per member and channel, retried when a channel fails for a
moment, each outcome in the message log (`Member.messages`)."""
from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.auth import Role
from core.clock import ManualClock
from core.serving import ServerGroup
from loyalty.devmail import MailSink
from subgraphs.kernel import signing
from subgraphs.rewards import handlers
from tests.integration.test_golden_record import eventually
from tests.support.net import free_ports
from tests.support.stack import Stack, make_settings

PORTLAND = ZoneInfo("America/Los_Angeles")
NOON = datetime(2026, 12, 2, 12, tzinfo=PORTLAND).astimezone(UTC)
SMS_SECRET = "sms-provider-shared-secret-0123456789"
PUSH_SECRET = "push-provider-shared-secret-0123456789"
THANKS = ('{"type": "issue_offer", "kind": "EARLY_ACCESS", "valid_hours": 48, "message": "Early access to the '
          'new trail line", "reason": "You shopped with us today for {event.total}"}')
BIG_SPENDER = ('{"type": "issue_offer", "kind": "DISCOUNT", "percent": 20, "valid_hours": 48, "message": "20% off '
               'your next visit", "reason": "Your basket was over 500"}')
UPSERT = "mutation($i: CampaignInput!) { upsertCampaign(input: $i) { id } }"
ACTIVATE = "mutation($id: ID!) { setCampaignStatus(id: $id, status: ACTIVE) { id status } }"
MESSAGES = """query($id: ID!) { member(id: $id) { messages { kind channel status reason attempts nextAttemptAt sentAt }
  offers { id reason } } }"""
CONSENTS = "mutation($id: ID!, $i: ConsentsInput!) { updateConsents(memberId: $id, input: $i) { id } }"
external_ids = (f"msg-{n}" for n in itertools.count())
phones = (f"+1503555{n:04d}" for n in itertools.count(3000))


@dataclass
class Provider:
    """A local SMS and push provider: records what it is sent, answers with the statuses queued."""

    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def app(self) -> Starlette:
        async def take(request: Request) -> Response:
            body = await request.body()
            status = self.answers.pop(0) if self.answers else 200
            if status == 200:
                self.received.append((request.url.path, dict(request.headers), body))
            return Response(status_code=status)

        return Starlette(routes=[Route("/sms", take, methods=["POST"]), Route("/push", take, methods=["POST"])])

    def to(self, path: str, key: str, value: str) -> list[dict[str, Any]]:
        return [orjson.loads(body) for p, _, body in self.received if p == path and orjson.loads(body)[key] == value]


@dataclass
class World:
    stack: Stack
    sink: MailSink
    provider: Provider
    clock: ManualClock

    async def deliver(self) -> int:
        assert self.stack.host is not None
        return await handlers.messages.deliver(self.stack.host.runtime("rewards"))

    async def log(self, member_id: str, count: int) -> list[dict[str, Any]]:
        """The member's message log once `count` messages are in it (events travel the bus first)."""
        async def queued() -> list[dict[str, Any]]:
            found = (await self.stack.gql(MESSAGES, {"id": member_id}, self.stack.token(Role.SUPERVISOR))).ok()
            assert len(found["member"]["messages"]) == count, found
            return found["member"]["messages"]

        return await eventually(queued)

    async def buy(self, member_id: str, quantity: int = 1) -> None:
        (await self.stack.checkout(member_id, next(external_ids), [
            {"sku": "SOK-CREW-3PK", "quantity": quantity, "unitPrice": "24.00"}])).ok()


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    smtp_port, provider_port = free_ports(2)
    sink = MailSink()
    await sink.start("127.0.0.1", smtp_port)
    provider = Provider()
    providers = ServerGroup()
    providers.add(provider.app(), "127.0.0.1", provider_port)
    import asyncio

    provider_task = asyncio.create_task(providers.serve(handle_signals=False))
    await providers.started()
    clock = ManualClock(NOON)
    settings = make_settings(
        tmp_path_factory.mktemp("messages"), smtp_host="127.0.0.1", smtp_port=smtp_port,
        sms_webhook_url=f"http://127.0.0.1:{provider_port}/sms", sms_webhook_secret=SMS_SECRET,
        push_webhook_url=f"http://127.0.0.1:{provider_port}/push", push_webhook_secret=PUSH_SECRET,
        message_time_zone="UTC", message_store_time_zones={"st_portland": "America/Los_Angeles"},
        message_quiet_hours="21:00-08:00", message_caps={"EMAIL": 1, "SMS": 1, "PUSH": 1},
        message_retry_seconds=30, message_max_attempts=3)
    stack = Stack(settings, clock=clock)
    await stack.start()
    admin = stack.token(Role.ADMIN)
    for cid, name, condition, effect in (("cmp_thanks", "Thanks", "event.total >= 10.0", THANKS),
                                         ("cmp_big", "Big spender", "event.total >= 500.0", BIG_SPENDER)):
        (await stack.gql(UPSERT, {"i": {"id": cid, "name": name, "trigger": "purchase", "condition": condition,
                                        "effects": [effect]}}, admin)).ok()
        (await stack.gql(ACTIVATE, {"id": cid}, admin)).ok()
    try:
        yield World(stack, sink, provider, clock)
    finally:
        await stack.stop()
        providers.stop()
        await provider_task
        await sink.stop()


@pytest.fixture(autouse=True)
def at_noon(world: World) -> None:
    world.clock.set(NOON)


async def enrol(world: World, name: str, *, email: bool = False, push: bool = False, sms_by_member: bool = False,
                phone: bool = True) -> tuple[str, str, str]:
    address = f"{name.lower()}.{next(external_ids)}@example.org"
    number = next(phones)
    member_id = await world.stack.enroll(name, email=address, **({"phone": number} if phone else {}),
                                         homeStoreId="st_portland",
                                         consents={"emailMarketing": email, "pushMarketing": push})
    if sms_by_member:  # the member's own opt-in (staff cannot give it: TCPA)
        own = world.stack.token(Role.MEMBER, subject=member_id)
        world.clock.advance(timedelta(seconds=1))  # a moment after the enrolment (the newer fact wins)
        (await world.stack.gql(CONSENTS, {"id": member_id, "i": {"smsMarketing": True}}, own)).ok()
    return member_id, address, number


def by_channel(log: list[dict[str, Any]], channel: str) -> dict[str, Any]:
    [found] = [m for m in log if m["channel"] == channel]
    return found


async def test_an_opted_in_member_gets_the_offer_by_email_and_an_opted_out_one_nothing(world: World) -> None:
    julia, julia_email, _ = await enrol(world, "Julia", email=True)
    marcus, marcus_email, _ = await enrol(world, "Marcus", email=False)
    await world.buy(julia)
    await world.buy(marcus)
    await world.log(julia, 3)  # email, SMS, push: one each, queued
    await world.log(marcus, 3)
    assert await world.deliver() == 6
    mail = await world.sink.wait_for(lambda m: julia_email in m.to)
    assert mail.subject == "Early access to the new trail line"
    assert mail.body.startswith("Hi Julia,") and "Why you: You shopped with us today for 24.0" in mail.body
    assert "PST" in mail.body  # the offer's expiry in her home store's time zone
    assert mail.headers["X-Loyalty-Kind"] == "OFFER_ISSUED"
    assert world.sink.to(marcus_email) == []  # the SMTP sink received nothing for him
    julia_log, marcus_log = await world.log(julia, 3), await world.log(marcus, 3)
    assert by_channel(julia_log, "EMAIL")["status"] == "SENT" and by_channel(julia_log, "EMAIL")["sentAt"]
    assert by_channel(marcus_log, "EMAIL") | {"sentAt": None} == {
        "kind": "OFFER_ISSUED", "channel": "EMAIL", "status": "SKIPPED_NO_CONSENT", "reason": "no email_marketing "
        "opt-in", "attempts": 0, "nextAttemptAt": None, "sentAt": None}
    assert await world.deliver() == 0  # nothing is sent twice


async def test_sms_goes_only_on_the_members_own_opt_in_signed(world: World) -> None:
    staff_only, _, staff_only_phone = await enrol(world, "Aiko", email=False, push=True)
    opted_in, _, phone = await enrol(world, "Sam", sms_by_member=True)
    await world.buy(staff_only)
    await world.buy(opted_in)
    await world.log(staff_only, 3)
    await world.log(opted_in, 3)
    await world.deliver()
    assert world.provider.to("/sms", "to", staff_only_phone) == []
    assert by_channel(await world.log(staff_only, 3), "SMS")["status"] == "SKIPPED_NO_CONSENT"
    [text] = world.provider.to("/sms", "to", phone)
    assert "You shopped with us today for 24.0" in text["text"] and text["text"].endswith("Reply STOP to opt out.")
    [(_, headers, body)] = [r for r in world.provider.received if r[0] == "/sms" and orjson.loads(r[2])["to"] == phone]
    now = int(datetime.now(UTC).timestamp())
    assert signing.verify(SMS_SECRET, headers["x-loyalty-signature"], body, now)
    assert not signing.verify(PUSH_SECRET, headers["x-loyalty-signature"], body, now)  # another secret
    assert not signing.verify(SMS_SECRET, headers["x-loyalty-signature"], body.replace(phone.encode(), b"+15035550000"), now)
    assert headers["idempotency-key"] == text["id"]
    # Push: Aiko opted in to push (at the till), Sam did not.
    [note] = world.provider.to("/push", "member_id", staff_only)
    assert note["title"] == "Early access to the new trail line" and note["data"]["offer_id"]
    assert world.provider.to("/push", "member_id", opted_in) == []
    push_headers = next(h for p, h, b in world.provider.received if p == "/push" and orjson.loads(b)["member_id"]
                        == staff_only)
    push_body = next(b for p, h, b in world.provider.received if p == "/push" and orjson.loads(b)["member_id"]
                     == staff_only)
    assert signing.verify(PUSH_SECRET, push_headers["x-loyalty-signature"], push_body, now)


async def test_quiet_hours_defer_to_their_end_in_the_members_zone(world: World) -> None:
    world.clock.set(datetime(2026, 12, 2, 22, 30, tzinfo=PORTLAND).astimezone(UTC))  # 06:30 UTC: not quiet in UTC
    night_owl, address, _ = await enrol(world, "Nina", email=True)
    await world.buy(night_owl)
    await world.log(night_owl, 3)
    await world.deliver()
    email = by_channel(await world.log(night_owl, 3), "EMAIL")
    morning = datetime(2026, 12, 3, 8, tzinfo=PORTLAND).astimezone(UTC)
    assert email["status"] == "DEFERRED" and email["reason"] == "quiet hours"
    assert datetime.fromisoformat(email["nextAttemptAt"]) == morning
    world.clock.set(morning - timedelta(seconds=1))
    await world.deliver()
    assert world.sink.to(address) == []
    world.clock.set(morning)
    await world.deliver()
    mail = await world.sink.wait_for(lambda m: address in m.to)
    assert "Hi Nina," in mail.body
    assert by_channel(await world.log(night_owl, 3), "EMAIL")["status"] == "SENT"


async def test_a_cap_of_one_per_member_and_channel(world: World) -> None:
    big, address, _ = await enrol(world, "Bea", email=True)
    await world.buy(big, quantity=25)  # 600.00: both campaigns offer, two emails due
    log = await world.log(big, 6)
    await world.deliver()
    emails = [m for m in await world.log(big, 6) if m["channel"] == "EMAIL"]
    assert sorted(m["status"] for m in emails) == ["CAPPED", "SENT"]
    assert [m for m in emails if m["status"] == "CAPPED"][0]["reason"] == "1 email message(s) in the window already"
    await world.deliver()
    assert len(world.sink.to(address)) == 1
    assert len(log) == 6
    # The window rolls: once the offers expired (48 h), the next may go.
    world.clock.set(NOON + timedelta(days=2, minutes=1))
    await world.buy(big, quantity=25)
    await world.log(big, 12)
    await world.deliver()
    await eventually(_count(world, address, 2))


def _count(world: World, address: str, count: int):  # noqa: ANN202
    async def check() -> None:
        assert len(world.sink.to(address)) == count

    return check


async def test_a_provider_down_for_a_moment_is_retried_then_a_refusal_fails(world: World) -> None:
    member, _, phone = await enrol(world, "Rita", sms_by_member=True)
    world.provider.answers = [503]
    await world.buy(member)
    await world.log(member, 3)
    await world.deliver()
    sms = by_channel(await world.log(member, 3), "SMS")
    assert sms["status"] == "RETRYING" and sms["attempts"] == 1 and "503" in sms["reason"]
    assert world.provider.to("/sms", "to", phone) == []
    world.clock.advance(timedelta(seconds=30))
    await world.deliver()
    assert by_channel(await world.log(member, 3), "SMS")["status"] == "SENT"
    assert len(world.provider.to("/sms", "to", phone)) == 1
    # A refusal (4xx) is final at once.
    refused, _, refused_phone = await enrol(world, "Rolf", sms_by_member=True)
    world.clock.set(NOON + timedelta(days=3))
    world.provider.answers = [422]
    await world.buy(refused)
    await world.log(refused, 3)
    await world.deliver()
    failed = by_channel(await world.log(refused, 3), "SMS")
    assert failed["status"] == "FAILED" and "422" in failed["reason"] and failed["attempts"] == 1


async def test_the_dev_mailbox_page_lists_what_the_sink_received(world: World) -> None:
    import httpx

    from loyalty.devmail import mailbox_app

    member, address, _ = await enrol(world, "Paula", email=True)
    await world.buy(member)
    await world.log(member, 3)
    await world.deliver()
    await world.sink.wait_for(lambda m: address in m.to)
    app = mailbox_app(world.sink, smtp="127.0.0.1:1025", quiet="21:00-08:00 in UTC")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mailbox") as client:
        page = (await client.get("/")).text
        listed = (await client.get("/mails.json")).json()
    assert "Dev mailbox" in page and address in page and "Hi Paula," in page and "21:00-08:00 in UTC" in page
    assert any(mail["to"] == [address] and mail["body"].startswith("Hi Paula,") for mail in listed)


def test_loyalty_up_runs_the_dev_mailbox_in_dev_without_an_smtp_server(tmp_path) -> None:  # noqa: ANN001
    from loyalty.stack import dev_mailbox_environment, plan_parts

    dev = make_settings(tmp_path)
    assert [p.name for p in plan_parts(dev, wallet=False)[0]] == ["mailbox"]
    assert dev_mailbox_environment(dev) == {"LOYALTY_SMTP_HOST": "127.0.0.1",
                                            "LOYALTY_SMTP_PORT": str(dev.dev_mail_smtp_port)}
    own_relay = make_settings(tmp_path, smtp_host="mail.example.com")
    assert "mailbox" not in [p.name for group in plan_parts(own_relay, wallet=False) for p in group]
    assert dev_mailbox_environment(own_relay) == {}


# --- the wallet's sign-in with a one-time code by email ----------------------------------------

REQUEST_CODE = "mutation($e: String!) { requestSignInCode(email: $e) { expiresAt codeLength attemptsAllowed } }"
SIGN_IN = "mutation($e: String!, $c: String!) { signInWithCode(email: $e, code: $c) { token expiresAt member { id } } }"
ME = "{ me { id givenName } }"


async def code_mailed_to(world: World, address: str, after: int = 0) -> str:
    mail = await world.sink.wait_for(lambda m: address in m.to and m.headers.get("X-Loyalty-Kind") == "SIGN_IN_CODE"
                                     and world.sink.to(address).index(m) >= after)
    return mail.subject.rsplit(" ", 1)[1]


async def test_a_code_by_email_signs_the_member_in_once(world: World) -> None:
    world.clock.set(datetime(2026, 12, 2, 23, tzinfo=PORTLAND).astimezone(UTC))  # quiet hours: codes go all the same
    member, address, _ = await enrol(world, "Olga", email=False)  # no marketing consent: codes need none
    asked = (await world.stack.gql(REQUEST_CODE, {"e": address.upper()})).ok()["requestSignInCode"]
    assert asked["codeLength"] == 6 and asked["attemptsAllowed"] == 5
    assert datetime.fromisoformat(asked["expiresAt"]) == world.clock.now() + timedelta(minutes=10)
    await world.log(member, 1)
    await world.deliver()
    code = await code_mailed_to(world, address)
    assert len(code) == 6 and code.isdigit()
    mail = world.sink.to(address)[0]
    assert "Hi Olga," in mail.body and "10 minutes" in mail.body
    session = (await world.stack.gql(SIGN_IN, {"e": address, "c": code})).ok()["signInWithCode"]
    assert session["member"]["id"] == member
    assert (await world.stack.gql(ME, token=session["token"])).ok()["me"] == {"id": member, "givenName": "Olga"}
    again = await world.stack.gql(SIGN_IN, {"e": address, "c": code})
    assert again.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert again.errors[0]["extensions"]["reason"] == "NO_CODE"
    [logged] = await world.log(member, 1)
    assert logged["kind"] == "SIGN_IN_CODE" and logged["status"] == "SENT"
    kept = await world.stack.scalar("rewards", "SELECT facts FROM messages WHERE member_id = :m", m=member)
    assert code not in str(kept)  # the code is not kept once it was sent


async def test_unknown_and_known_addresses_get_the_same_answers(world: World) -> None:
    _, known, _ = await enrol(world, "Karl", email=True)
    unknown = f"nobody.{next(external_ids)}@example.org"
    answers = [(await world.stack.gql(REQUEST_CODE, {"e": e})).ok()["requestSignInCode"] for e in (known, unknown)]
    assert answers[0] == answers[1]
    guesses = [(await world.stack.gql(SIGN_IN, {"e": e, "c": "000000"})).errors[0] for e in (known, unknown)]
    assert [g["extensions"] for g in guesses] == [{"code": "UNAUTHENTICATED", "reason": "WRONG_CODE",
                                                  "attemptsLeft": 4, "serviceName": "profile"}] * 2
    assert guesses[0]["message"] == guesses[1]["message"]
    await world.deliver()
    assert world.sink.to(unknown) == []


async def test_wrong_codes_are_bounded_and_the_last_burns_the_code(world: World) -> None:
    member, address, _ = await enrol(world, "Gus")
    (await world.stack.gql(REQUEST_CODE, {"e": address})).ok()
    await world.log(member, 1)
    await world.deliver()
    code = await code_mailed_to(world, address)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    left = [(await world.stack.gql(SIGN_IN, {"e": address, "c": wrong})).errors[0]["extensions"]["attemptsLeft"]
            for _ in range(5)]
    assert left == [4, 3, 2, 1, 0]
    burnt = (await world.stack.gql(SIGN_IN, {"e": address, "c": code})).errors[0]["extensions"]
    assert burnt["code"] == "UNAUTHENTICATED" and burnt["reason"] == "NO_ATTEMPTS_LEFT"
    # A new code starts over (and the old one is gone).
    (await world.stack.gql(REQUEST_CODE, {"e": address})).ok()
    await world.log(member, 2)
    await world.deliver()
    fresh = await code_mailed_to(world, address, after=1)
    if fresh != code:
        assert (await world.stack.gql(SIGN_IN, {"e": address, "c": code})).errors[0]["extensions"]["attemptsLeft"] == 4
    assert (await world.stack.gql(SIGN_IN, {"e": address, "c": fresh})).ok()["signInWithCode"]["member"]["id"] == member
    bad = await world.stack.gql(SIGN_IN, {"e": address, "c": "12ab56"})
    assert bad.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await world.stack.gql(REQUEST_CODE, {"e": "not an email"})).errors[0]["extensions"]["code"] == \
        "BAD_USER_INPUT"


async def test_a_code_expires_and_an_address_asks_a_few_times_an_hour(world: World) -> None:
    member, address, _ = await enrol(world, "Eve")
    (await world.stack.gql(REQUEST_CODE, {"e": address})).ok()
    await world.log(member, 1)
    world.clock.advance(timedelta(minutes=10))  # the code expired before the job came to it
    await world.deliver()
    [logged] = await world.log(member, 1)
    assert logged["status"] == "EXPIRED" and world.sink.to(address) == []
    expired = (await world.stack.gql(SIGN_IN, {"e": address, "c": "123456"})).errors[0]["extensions"]
    assert expired["reason"] == "EXPIRED"
    for _ in range(4):  # five in the hour with the first
        (await world.stack.gql(REQUEST_CODE, {"e": address})).ok()
    for who in (address, f"nobody.{next(external_ids)}@example.org"):
        if who != address:
            for _ in range(5):
                (await world.stack.gql(REQUEST_CODE, {"e": who})).ok()
        refused = (await world.stack.gql(REQUEST_CODE, {"e": who})).errors[0]["extensions"]
        assert refused["code"] == "FORBIDDEN" and refused["reason"] == "TOO_MANY_CODES" and refused["retryAt"]
    world.clock.advance(timedelta(hours=1))
    (await world.stack.gql(REQUEST_CODE, {"e": address})).ok()


async def test_an_erasure_takes_the_contacts_and_the_messages_and_nothing_is_sent_after(world: World) -> None:
    member, address, _ = await enrol(world, "Erin", email=True)
    await world.buy(member)
    await world.log(member, 3)  # queued, not sent yet
    erase = "mutation($id: ID!) { requestErasure(memberId: $id) { completedAt } }"
    (await world.stack.gql(erase, {"id": member}, world.stack.token(Role.SUPERVISOR))).ok()

    async def gone() -> None:
        for table in ("member_contacts", "messages"):
            assert await world.stack.scalar("rewards", f"SELECT count(*) FROM {table} WHERE member_id = :m",
                                            m=member) == 0

    await eventually(gone)
    await world.deliver()
    assert world.sink.to(address) == []
