"""Bearer tokens and role checks.

Claims (DESIGN.md): `sub` (member or staff id), `role` (member, cashier,
supervisor, admin, service), `store` (a cashier's store), `exp`. The gateway
verifies the token and forwards it; every subgraph verifies it again and
enforces field-level authorization itself: no trust in the network.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
    expires_at: datetime | None = field(default=None, compare=False)  # the token's `exp`: live operations end then

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


def issue_token(
    settings: Settings,
    subject: str,
    role: Role | str,
    *,
    store: str | None = None,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    now = utcnow()
    claims: dict[str, object] = {"sub": subject, "role": str(Role(role)), "iat": now, "exp": now + ttl}
    if store:
        claims["store"] = store
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def verify_token(settings: Settings, token: str) -> Principal:
    key = settings.jwt_public_key or settings.jwt_secret
    try:
        claims = jwt.decode(
            token, key, algorithms=[settings.jwt_algorithm], options={"require": ["sub", "exp"]}
        )
        role = Role(claims.get("role", ""))
    except jwt.ExpiredSignatureError as error:
        raise Unauthenticated("the token has expired") from error
    except (jwt.InvalidTokenError, ValueError) as error:
        raise Unauthenticated("the token is not valid") from error
    return Principal(subject=str(claims["sub"]), role=role, store=claims.get("store"), token=token,
                     expires_at=datetime.fromtimestamp(claims["exp"], UTC))


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
