"""Bearer tokens and role checks.

Claims (DESIGN.md): `sub` (member or staff id), `role` (member, cashier,
supervisor, admin, service), `store` (a cashier's store: required on their
tokens), `exp`, and `iss` / `aud` (checked: LOYALTY_JWT_ISSUER and
LOYALTY_JWT_AUDIENCE). The gateway
verifies the token and forwards it; every subgraph verifies it again and
enforces field-level authorization itself: no trust in the network.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

import jwt

from .clock import utcnow
from .errors import Forbidden, Unauthenticated
from .settings import Settings


class Role(StrEnum):
    MEMBER = "member"
    CASHIER = "cashier"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    SERVICE = "service"


STAFF_ROLES = frozenset({Role.CASHIER, Role.SUPERVISOR, Role.ADMIN, Role.SERVICE})


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    role: Role
    store: str | None = None
    token: str | None = None  # forwarded on calls made on the principal's behalf
    expires_at: int | None = field(default=None, compare=False)  # the token's `exp` (seconds since the epoch)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


# Subgraph-to-subgraph calls carry tokens of their own, signed with the service key
# (LOYALTY_SERVICE_JWT_SECRET), never with the key that members' and staff's tokens
# come with: an identity provider (RS256) cannot mint a service token, and a leaked
# user-token secret does not open the service-only mutations.
SERVICE_KEY_ID = "loyalty-service"
SERVICE_ISSUER = "loyalty-services"
SERVICE_AUDIENCE = "loyalty-services"


def issue_token(
    settings: Settings,
    subject: str,
    role: Role | str,
    *,
    store: str | None = None,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    """A signed token: service tokens with the service key; others as the configured
    identity provider would issue them (HS256 with the secret, or RS256 with
    LOYALTY_JWT_PRIVATE_KEY where one is set, e.g. in tests)."""
    role = Role(role)
    now = utcnow()
    claims: dict[str, object] = {"sub": subject, "role": str(role), "iat": now, "exp": now + ttl}
    if role is Role.SERVICE:
        claims.update(iss=SERVICE_ISSUER, aud=SERVICE_AUDIENCE)
        return jwt.encode(claims, settings.service_jwt_secret, algorithm="HS256", headers={"kid": SERVICE_KEY_ID})
    if role is Role.CASHIER and not store:
        raise ValueError("a cashier's token names their store (e.g. store='st_portland')")
    if store:
        claims["store"] = store
    claims.update(iss=settings.jwt_issuer, aud=settings.jwt_audience)
    if settings.jwt_algorithm == "HS256":
        return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
    if not settings.jwt_private_key:
        raise ValueError(f"{settings.jwt_algorithm} tokens come from your identity provider "
                         "(LOYALTY_JWT_PRIVATE_KEY signs test tokens)")
    return jwt.encode(claims, settings.jwt_private_key, algorithm=settings.jwt_algorithm)


class VerifiedTokens:
    """Tokens whose signature and claims checked out, by their exact text and the settings
    that checked them. A till or a wallet sends the same token with every request, and
    PyJWT's decoding costs about 0.1 ms of CPU each time, in the gateway and again in each
    subgraph: measured in bench/lookup as 5 to 10 % of a lookup's CPU. Only verified tokens
    enter (a forged or garbled one is decoded and refused every time, as before), each is
    used only until its `exp` (then verified again, which says it has expired), and the
    cache is bounded (least recently used dropped first)."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, tuple[object, ...]], Principal] = OrderedDict()

    def get(self, token: str, checked_by: tuple[object, ...]) -> Principal | None:
        key = (token, checked_by)
        principal = self._entries.get(key)
        if principal is None:
            return None
        if principal.expires_at is None or time.time() >= principal.expires_at:  # PyJWT: valid while now < exp
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return principal

    def put(self, token: str, checked_by: tuple[object, ...], principal: Principal) -> None:
        self._entries[(token, checked_by)] = principal
        self._entries.move_to_end((token, checked_by))
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


_verified = VerifiedTokens()


def _verifying_settings(settings: Settings) -> tuple[object, ...]:
    """What decides whether a token verifies: a token checked under other keys, issuer or
    audience (tests run several configurations in one process) is checked again."""
    return (settings.jwt_secret, settings.service_jwt_secret, settings.jwt_algorithm, settings.jwt_public_key,
            settings.jwt_issuer, settings.jwt_audience)


def verify_token(settings: Settings, token: str) -> Principal:
    checked_by = _verifying_settings(settings)
    principal = _verified.get(token, checked_by)
    if principal is None:
        principal = _decode(settings, token)
        _verified.put(token, checked_by, principal)
    return principal


def _decode(settings: Settings, token: str) -> Principal:
    try:
        service = jwt.get_unverified_header(token).get("kid") == SERVICE_KEY_ID
        if service:
            claims = jwt.decode(token, settings.service_jwt_secret, algorithms=["HS256"],
                                audience=SERVICE_AUDIENCE, issuer=SERVICE_ISSUER,
                                options={"require": ["sub", "exp", "iss", "aud"]})
        else:
            key = settings.jwt_public_key if settings.jwt_algorithm != "HS256" else settings.jwt_secret
            if not key:
                raise Unauthenticated(f"no key is configured for {settings.jwt_algorithm} tokens")
            claims = jwt.decode(token, key, algorithms=[settings.jwt_algorithm], audience=settings.jwt_audience,
                                issuer=settings.jwt_issuer, options={"require": ["sub", "exp", "iss", "aud"]})
        role = Role(claims.get("role", ""))
    except jwt.ExpiredSignatureError as error:
        raise Unauthenticated("the token has expired") from error
    except (jwt.InvalidTokenError, ValueError) as error:
        raise Unauthenticated("the token is not valid") from error
    if (role is Role.SERVICE) != service:
        raise Unauthenticated("the token is not valid: service tokens are signed with the service key, and only they")
    store = claims.get("store")
    if role is Role.CASHIER and not store:
        raise Unauthenticated("the token is not valid: a cashier's token names their store")
    return Principal(subject=str(claims["sub"]), role=role, store=store, token=token, expires_at=int(claims["exp"]))


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def principal_from_authorization(settings: Settings, authorization: str | None) -> Principal | None:
    token = bearer_token(authorization)
    return verify_token(settings, token) if token else None


# Guards: called by resolvers and handlers before they read or write anything.


def require_principal(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthenticated("sign in first: this needs a bearer token")
    return principal


def require_role(principal: Principal | None, *roles: Role) -> Principal:
    who = require_principal(principal)
    if who.role not in roles:
        raise Forbidden(f"the {who.role} role may not do this")
    return who


def require_staff(principal: Principal | None) -> Principal:
    return require_role(principal, *STAFF_ROLES)


def require_member_access(principal: Principal | None, member_id: str) -> Principal:
    """The member themself, or staff."""
    who = require_principal(principal)
    if who.is_staff or (who.role is Role.MEMBER and who.subject == member_id):
        return who
    raise Forbidden("a member may only see their own data")
