"""Signing members in with a one-time code by email (domain/sign_in_codes.py has the rules).

`request_code` answers the same for every well-formed address after the same work: it keeps
the address's row and counters whether or not a member holds it, and only for a member does
the code leave, as a `SignInCodeRequested` event that rewards' email channel delivers (a
transactional message: no marketing consent, quiet hours or cap). `sign_in` counts the attempt
in the same transaction that checks it, so parallel guesses cannot exceed the bound."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.auth import Role, issue_token
from core.vocabulary import IdentifierKind
from subgraphs.kernel.events import Event
from subgraphs.kernel.identifiers import normalize_identifier
from subgraphs.kernel.runtime import Runtime

from ..adapters import repository
from ..adapters import sign_in_codes as store
from ..domain import sign_in_codes as rules
from ..domain.members import Member, MemberStatus

SOURCE = "profile"
SESSION = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class CodeRequested:
    expires_at: datetime
    code_length: int
    attempts_allowed: int


@dataclass(frozen=True, slots=True)
class MemberSession:
    member: Member
    token: str
    expires_at: datetime


def _key(runtime: Runtime) -> bytes:
    cached = runtime.cache.get("sign_in_code_key")
    if not isinstance(cached, bytes):
        cached = runtime.cache["sign_in_code_key"] = rules.key_of(runtime.settings.service_jwt_secret)
    return cached


async def _active_member(runtime: Runtime, connection, normalized: str) -> Member | None:  # noqa: ANN001
    member_id = await repository.member_id_by_identifier(connection, IdentifierKind.EMAIL, normalized)
    member = (await repository.members_by_id(connection, [member_id])).get(member_id) if member_id else None
    return member if member is not None and member.status is MemberStatus.ACTIVE else None


async def request_code(runtime: Runtime, email: str) -> CodeRequested:
    settings = runtime.settings
    normalized = normalize_identifier(IdentifierKind.EMAIL, email, settings.default_phone_region)
    key = _key(runtime)
    email_key = rules.email_key(key, normalized)
    code = rules.new_code(secrets.randbelow)
    now = runtime.clock.now()
    async with runtime.unit_of_work() as uow:
        await uow.serialise_on(f"sign-in-code:{email_key}")
        member = await _active_member(runtime, uow.connection, normalized)
        challenge = rules.request(await store.challenge(uow.connection, email_key), email_key_=email_key,
                                  member_id=member.id if member else None,
                                  code_hash_=rules.code_hash(key, email_key, code), now=now,
                                  valid=timedelta(minutes=settings.sign_in_code_minutes),
                                  per_hour=settings.sign_in_code_requests_per_hour)
        await store.save(uow, challenge)
        if member is not None:
            uow.publish(Event(type="SignInCodeRequested", source=SOURCE, member_id=member.id, occurred_at=now,
                              payload={"member_id": member.id, "email": normalized, "code": code,
                                       "expires_at": challenge.expires_at.isoformat()}))
        await uow.commit()
    return CodeRequested(challenge.expires_at, rules.CODE_DIGITS, settings.sign_in_code_attempts)


async def sign_in(runtime: Runtime, email: str, code: str) -> MemberSession:
    settings = runtime.settings
    normalized = normalize_identifier(IdentifierKind.EMAIL, email, settings.default_phone_region)
    code = rules.check_code(code)
    key = _key(runtime)
    email_key = rules.email_key(key, normalized)
    now = runtime.clock.now()
    limit = settings.sign_in_code_attempts
    async with runtime.unit_of_work() as uow:
        await uow.serialise_on(f"sign-in-code:{email_key}")
        challenge = await store.challenge(uow.connection, email_key)
        refused = rules.refusal(challenge, now, limit)
        if refused is not None:
            raise refused
        assert challenge is not None
        counted, right = rules.attempt(challenge, rules.code_hash(key, email_key, code))
        member = await _active_member(runtime, uow.connection, normalized) if right else None
        if member is None or member.id != challenge.member_id:  # wrong, or the address changed hands since
            await store.save(uow, counted)
            await uow.commit()
            raise rules.wrong(counted, limit)
        await store.delete(uow, email_key)  # once
        await uow.commit()
    return MemberSession(member, issue_token(settings, member.id, Role.MEMBER, ttl=SESSION), now + SESSION)


async def prune(runtime: Runtime) -> int:
    """Job: rows with nothing left to count (the code expired, the request window passed)."""
    async with runtime.unit_of_work() as uow:
        deleted = await store.prune(uow, runtime.clock.now())
        await uow.commit()
    return deleted
