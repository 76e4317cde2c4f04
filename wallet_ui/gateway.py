"""The wallet's and the till's only way to the platform: the gateway (GraphQL over HTTP
and graphql-transport-ws). Never a database, never a subgraph."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from core import graphql_ws
from core.settings import get_settings

from . import admin_api, wallet_api
from .words import error_words, sign_in_words

ENTRY_FIELDS = "id kind points description occurredAt reference"

WALLET_FIELDS = """
  id
  givenName
  familyName
  tier {
    current { name multiplier benefits }
    next { name threshold benefits }
    pointsToNext progress qualifyingPoints
    reviewAt graceUntil pointsToKeep keptUntil
  }
  points { available pending lifetimeEarned expiringNext { points on } }
"""

RESERVATION_FIELDS = "id status size holdUntil createdAt product { sku name } store { id name city }"

WALLET_QUERY = f"""
query Wallet {{
  me {{
    {WALLET_FIELDS}
    activity(first: 10) {{ edges {{ node {{ {ENTRY_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }}
  }}
}}
"""

# Apart from the balance, so that a subgraph that is down leaves the rest of the wallet working.
WALLET_EXTRAS = f"""
query WalletExtras {{
  me {{
    id
    reservations {{ {RESERVATION_FIELDS} }}
    recentlyViewed {{ views lastViewedAt product {{ sku name price category }} }}
  }}
}}
"""

RESERVATIONS_QUERY = f"query Reservations {{ me {{ id reservations {{ {RESERVATION_FIELDS} }} }} }}"

ACTIVITY_PAGE = f"""
query ActivityPage($after: String) {{
  me {{ id activity(first: 10, after: $after) {{ edges {{ node {{ {ENTRY_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}
}}
"""

WALLET_UPDATES = f"""
subscription WalletUpdates($memberId: ID!) {{
  walletUpdated(memberId: $memberId) {{
    change
    entry {{ {ENTRY_FIELDS} }}
    member {{ {WALLET_FIELDS} }}
  }}
}}
"""

RESERVATION_UPDATES = f"""
subscription ReservationUpdates($memberId: ID!) {{
  reservationUpdated(memberId: $memberId) {{ {RESERVATION_FIELDS} }}
}}
"""


class GatewayError(Exception):
    def __init__(self, message: str, code: str | None = None, extensions: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.extensions = extensions or {}

    @property
    def words(self) -> str:
        """The error as a person reads it (wallet_ui/words.py)."""
        return error_words(str(self), self.code)

    @property
    def sign_in_words(self) -> str:
        """A refused sign-in code in words: wrong (with the tries left), expired, too many requests."""
        return sign_in_words(str(self), self.code, self.extensions)

    @classmethod
    def of(cls, error: dict[str, Any]) -> GatewayError:
        extensions = error.get("extensions") or {}
        return cls(error.get("message", "error"), extensions.get("code"), extensions)


def gateway_url() -> str:
    return get_settings().gateway_http_url()


async def query(token: str | None, document: str, variables: dict[str, Any] | None = None, *,
                url: str | None = None) -> dict[str, Any]:
    """One operation through the gateway, as the member of `token` (None: anonymous)."""
    headers = {"accept": "application/graphql-response+json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(timeout=10.0) as client:
        try:
            response = await client.post(url or gateway_url(), json={"query": document, "variables": variables or {}},
                                         headers=headers)
        except httpx.HTTPError as error:
            raise GatewayError("the gateway cannot be reached") from error
    try:
        body = response.json()
    except ValueError as error:
        raise GatewayError(f"the gateway answered {response.status_code} without GraphQL", "INTERNAL") from error
    if body.get("errors"):
        raise GatewayError.of(body["errors"][0])
    return body["data"]


DEV_SIGN_IN = "mutation($email: String!) { devSignIn(email: $email) { token member { id } } }"


async def dev_sign_in(email: str) -> tuple[str, str]:
    """Demo sign-in: the platform (profile, dev profile only) issues the member's token;
    the wallet holds no signing secret. Returns (member id, token)."""
    signed_in = (await query(None, DEV_SIGN_IN, {"email": email}))["devSignIn"]
    return signed_in["member"]["id"], signed_in["token"]


REQUEST_SIGN_IN_CODE = "mutation($email: String!) { requestSignInCode(email: $email) { expiresAt codeLength } }"
SIGN_IN_WITH_CODE = ("mutation($email: String!, $code: String!) "
                     "{ signInWithCode(email: $email, code: $code) { token member { id } } }")


async def request_sign_in_code(email: str) -> dict[str, Any]:
    """Profile mails a one-time code to the member who holds `email` (the same answer for
    any well-formed address, so nobody learns who is a member). Returns {expiresAt, codeLength}."""
    return (await query(None, REQUEST_SIGN_IN_CODE, {"email": email}))["requestSignInCode"]


async def sign_in_with_code(email: str, code: str) -> tuple[str, str]:
    """The member's token for the code mailed to `email`, once. Returns (member id, token)."""
    signed_in = (await query(None, SIGN_IN_WITH_CODE, {"email": email, "code": code}))["signInWithCode"]
    return signed_in["member"]["id"], signed_in["token"]


async def wallet_updates(token: str, member_id: str, *, url: str | None = None) -> AsyncIterator[dict[str, Any]]:
    """Every change of the member's balance, enriched by the gateway. Ends when the
    subscription completes; raises GatewayError (with the error's code) or
    graphql_ws.SubscriptionLost (with the close code) when it fails."""
    async for payload in graphql_ws.subscribe(url or gateway_url(), WALLET_UPDATES, {"memberId": member_id},
                                             f"Bearer {token}"):
        if payload.get("errors"):
            raise GatewayError.of(payload["errors"][0])
        yield payload["data"]["walletUpdated"]


async def reservation_updates(token: str, member_id: str, *, url: str | None = None
                              ) -> AsyncIterator[dict[str, Any]]:
    """Every change of the member's reservations (held, picked up, expired, cancelled)."""
    async for payload in graphql_ws.subscribe(url or gateway_url(), RESERVATION_UPDATES, {"memberId": member_id},
                                             f"Bearer {token}"):
        if payload.get("errors"):
            raise GatewayError.of(payload["errors"][0])
        yield payload["data"]["reservationUpdated"]


async def _updates(token: str, document: str, member_id: str, field: str, url: str | None
                   ) -> AsyncIterator[dict[str, Any]]:
    async for payload in graphql_ws.subscribe(url or gateway_url(), document, {"memberId": member_id},
                                             f"Bearer {token}"):
        if payload.get("errors"):
            raise GatewayError.of(payload["errors"][0])
        yield payload["data"][field]


def offer_updates(token: str, member_id: str, *, url: str | None = None) -> AsyncIterator[dict[str, Any]]:
    """Every offer the engine issues to the member from now on, and every change of one (`offerUpdated`)."""
    return _updates(token, wallet_api.OFFER_UPDATES, member_id, "offerUpdated", url)


def tier_updates(token: str, member_id: str, *, url: str | None = None) -> AsyncIterator[dict[str, Any]]:
    """Every change of the member's tier (`tierChanged`): up at once, down at the review."""
    return _updates(token, wallet_api.TIER_UPDATES, member_id, "tierChanged", url)


SEGMENT_UPDATES = f"subscription SegmentUpdates {{ segmentUpdated {{ {admin_api.SEGMENT_FIELDS} }} }}"


async def segment_updates(token: str, *, url: str | None = None) -> AsyncIterator[dict[str, Any]]:
    """Staff: every segment whose members change from now on, with its member count (`segmentUpdated`)."""
    async for payload in graphql_ws.subscribe(url or gateway_url(), SEGMENT_UPDATES, None, f"Bearer {token}"):
        if payload.get("errors"):
            raise GatewayError.of(payload["errors"][0])
        yield payload["data"]["segmentUpdated"]
