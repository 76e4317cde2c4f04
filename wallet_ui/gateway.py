"""The wallet's only way to the platform: the gateway (GraphQL over HTTP and
graphql-transport-ws). Never a database."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from core import graphql_ws
from core.settings import get_settings

WALLET_FIELDS = """
  id
  givenName
  familyName
  tier { current { name } next { name } pointsToNext progress }
  points { available pending lifetimeEarned expiringNext { points on } }
"""

WALLET_QUERY = f"""
query Wallet {{
  me {{
    {WALLET_FIELDS}
    activity(first: 10) {{ edges {{ node {{ id kind points description occurredAt }} }} }}
  }}
}}
"""

WALLET_UPDATES = f"""
subscription WalletUpdates($memberId: ID!) {{
  walletUpdated(memberId: $memberId) {{
    change
    entry {{ id kind points description occurredAt }}
    member {{ {WALLET_FIELDS} }}
  }}
}}
"""



class GatewayError(Exception):
    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


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
    body = response.json()
    if body.get("errors"):
        first = body["errors"][0]
        raise GatewayError(first.get("message", "error"), (first.get("extensions") or {}).get("code"))
    return body["data"]


DEV_SIGN_IN = "mutation($email: String!) { devSignIn(email: $email) { token member { id } } }"


async def dev_sign_in(email: str) -> tuple[str, str]:
    """Demo sign-in: the platform (profile, dev profile only) issues the member's token;
    the wallet holds no signing secret. Returns (member id, token)."""
    signed_in = (await query(None, DEV_SIGN_IN, {"email": email}))["devSignIn"]
    return signed_in["member"]["id"], signed_in["token"]


async def wallet_updates(token: str, member_id: str, *, url: str | None = None) -> AsyncIterator[dict[str, Any]]:
    """Every change of the member's balance, enriched by the gateway. Ends when the
    subscription completes; raises GatewayError (with the error's code) or
    graphql_ws.SubscriptionLost (with the close code) when it fails."""
    async for payload in graphql_ws.subscribe(url or gateway_url(), WALLET_UPDATES, {"memberId": member_id},
                                             f"Bearer {token}"):
        if payload.get("errors"):
            first = payload["errors"][0]
            raise GatewayError(first.get("message", "error"), (first.get("extensions") or {}).get("code"))
        yield payload["data"]["walletUpdated"]
