"""Bounds on live operations, shared by the gateway's transports (websocket and
event stream) and every subgraph's websocket:

- how many operations one principal may hold at once, across all its
  connections (`OperationQuota`); one connection's own count is its own;
- when a principal's time is up: an operation never outlives its token's `exp`
  (`seconds_left`).

In scale-out the subgraphs are reachable on the network, so they enforce the
same bounds as the gateway instead of trusting it.
"""
from __future__ import annotations

from typing import Any

from .auth import Principal
from .clock import utcnow
from .errors import ErrorCode

# Close code and reason for a socket whose token expired (graphql-ws PROTOCOL.md: 4403 Forbidden).
# graphql-ws clients retry after 4403 with fresh connection params, i.e. with a refreshed token.
TOKEN_EXPIRED_CLOSE = (4403, "Forbidden: the token has expired")


class OperationQuota:
    """Live operations held per principal; a principal at its maximum gets no more.
    Holds one counter per principal that holds something, nothing else."""

    def __init__(self, per_principal: int) -> None:
        self.per_principal = per_principal
        self._held: dict[str, int] = {}

    def acquire(self, who: str) -> bool:
        held = self._held.get(who, 0)
        if held >= self.per_principal:
            return False
        self._held[who] = held + 1
        return True

    def release(self, who: str) -> None:
        held = self._held.get(who, 0) - 1
        if held > 0:
            self._held[who] = held
        else:
            self._held.pop(who, None)

    def held(self, who: str) -> int:
        return self._held.get(who, 0)

    @property
    def total(self) -> int:
        return sum(self._held.values())

    def __len__(self) -> int:
        return len(self._held)


def principal_key(principal: Principal | None, peer: str | None) -> str:
    """Whose quota an operation counts against: the token's subject, or (without a
    token) the peer address, so anonymous clients do not share one allowance."""
    if principal is not None:
        return f"{principal.role}:{principal.subject}"
    return f"anonymous@{peer or 'unknown'}"


def seconds_left(principal: Principal | None) -> float | None:
    """Seconds until the principal's token expires (None: no token, or no expiry)."""
    if principal is None or principal.expires_at is None:
        return None
    return principal.expires_at - utcnow().timestamp()


def too_many(scope: str, maximum: int) -> dict[str, Any]:
    """The GraphQL error (as sent) for an operation refused by a limit; like the gateway's
    other guards: BAD_USER_INPUT with the limit named."""
    where = "this connection" if scope == "operationsPerConnection" else "this principal"
    return {"message": f"{where} already holds {maximum} live operations, this server's limit",
            "extensions": {"code": str(ErrorCode.BAD_USER_INPUT), "limit": scope, "maximum": maximum}}


def token_expired() -> dict[str, Any]:
    return {"message": "the token has expired", "extensions": {"code": str(ErrorCode.UNAUTHENTICATED)}}
