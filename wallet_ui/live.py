"""Following a wallet live, for as long as the page is open: when a subscription ends
(a gateway or subgraph restarted, the bus hiccupped, a limit refused it), the wallet
catches up with one query and subscribes again, waiting longer after each failure
in a row; when the token is no longer accepted (it expired: the gateway closes the
socket with 4403, or answers UNAUTHENTICATED), following stops with SignedOut and
the member signs in again. The balance (`walletUpdated`) and the reservations
(`reservationUpdated`) are followed alike, each on its own subscription."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from core.graphql_ws import SubscriptionLost

from . import admin_api, gateway, wallet_api

log = logging.getLogger(__name__)

REFUSED_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN"})
TOKEN_EXPIRED_CLOSE_CODE = 4403  # graphql-transport-ws: Forbidden
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0

Apply = Callable[[dict[str, Any]], Awaitable[None]]


class SignedOut(Exception):
    """The gateway no longer accepts the token: the member must sign in again."""


def _me(data: dict[str, Any]) -> dict[str, Any] | None:
    return data["me"]


async def follow(events: Callable[[], AsyncIterator[dict[str, Any]]], catch_up: Callable[[], Awaitable[dict[str, Any]]],
                 *, on_update: Apply, on_refresh: Apply, what: str, first_retry: float = FIRST_RETRY_SECONDS,
                 max_retry: float = MAX_RETRY_SECONDS,
                 caught_up: Callable[[dict[str, Any]], dict[str, Any] | None] = _me) -> None:
    """Calls `on_update` with each event of `events()` and, after a subscription ended,
    `on_refresh` with what `catch_up()` reads (`caught_up` picks it: `me` by default; None
    there means the sign-in is not a member's: SignedOut), since events may have been missed
    in between. Runs until cancelled, or raises SignedOut."""
    loop = asyncio.get_running_loop()
    retry = first_retry
    while True:
        started = loop.time()
        try:
            async for update in events():
                retry = first_retry
                await on_update(update)
            why = "it completed"
        except gateway.GatewayError as error:
            if error.code in REFUSED_CODES:
                raise SignedOut(str(error)) from error
            why = str(error)
        except SubscriptionLost as error:
            if error.code == TOKEN_EXPIRED_CLOSE_CODE:
                raise SignedOut("the token has expired") from error
            why = str(error)
        if loop.time() - started > max_retry:
            retry = first_retry  # it ran for a good while: this is not a failure in a row
        log.info("%s subscription ended (%s); subscribing again in %.1f s", what, why, retry)
        await asyncio.sleep(retry)
        retry = min(retry * 2, max_retry)
        try:
            data = await catch_up()
        except gateway.GatewayError as error:
            if error.code in REFUSED_CODES:
                raise SignedOut(str(error)) from error
            continue  # the gateway is not reachable yet: subscribe again after the next wait
        picked = caught_up(data)
        if picked is None:
            raise SignedOut("this sign-in is not a member")
        await on_refresh(picked)


async def follow_wallet(token: str, member_id: str, *, on_update: Apply, on_refresh: Apply,
                        url: str | None = None, first_retry: float = FIRST_RETRY_SECONDS,
                        max_retry: float = MAX_RETRY_SECONDS) -> None:
    """Every `walletUpdated` event; `on_refresh` gets the member as WALLET_QUERY reads them."""
    await follow(lambda: gateway.wallet_updates(token, member_id, url=url),
                 lambda: gateway.query(token, gateway.WALLET_QUERY, url=url),
                 on_update=on_update, on_refresh=on_refresh, what=f"wallet of {member_id}",
                 first_retry=first_retry, max_retry=max_retry)


async def follow_reservations(token: str, member_id: str, *, on_update: Apply, on_refresh: Apply,
                              url: str | None = None, first_retry: float = FIRST_RETRY_SECONDS,
                              max_retry: float = MAX_RETRY_SECONDS) -> None:
    """Every `reservationUpdated` event; `on_refresh` gets the member with their reservations."""
    await follow(lambda: gateway.reservation_updates(token, member_id, url=url),
                 lambda: gateway.query(token, gateway.RESERVATIONS_QUERY, url=url),
                 on_update=on_update, on_refresh=on_refresh, what=f"reservations of {member_id}",
                 first_retry=first_retry, max_retry=max_retry)


async def follow_offers(token: str, member_id: str, *, on_update: Apply, on_refresh: Apply,
                        url: str | None = None, first_retry: float = FIRST_RETRY_SECONDS,
                        max_retry: float = MAX_RETRY_SECONDS) -> None:
    """Every `offerUpdated` event (issued, accepted, declined); `on_refresh` gets the member with their offers."""
    await follow(lambda: gateway.offer_updates(token, member_id, url=url),
                 lambda: gateway.query(token, wallet_api.OFFERS, url=url),
                 on_update=on_update, on_refresh=on_refresh, what=f"offers of {member_id}",
                 first_retry=first_retry, max_retry=max_retry)


async def follow_tiers(token: str, member_id: str, *, on_update: Apply, on_refresh: Apply,
                       url: str | None = None, first_retry: float = FIRST_RETRY_SECONDS,
                       max_retry: float = MAX_RETRY_SECONDS) -> None:
    """Every `tierChanged` event (the celebration); `on_refresh` gets the member as WALLET_QUERY reads them."""
    await follow(lambda: gateway.tier_updates(token, member_id, url=url),
                 lambda: gateway.query(token, gateway.WALLET_QUERY, url=url),
                 on_update=on_update, on_refresh=on_refresh, what=f"tier of {member_id}",
                 first_retry=first_retry, max_retry=max_retry)


async def follow_segments(token: str, *, on_update: Apply, on_refresh: Apply, url: str | None = None,
                          first_retry: float = FIRST_RETRY_SECONDS, max_retry: float = MAX_RETRY_SECONDS) -> None:
    """Every `segmentUpdated` event (staff: a segment whose members changed, with its count);
    `on_refresh` gets `{"segments": [...]}` as the admin's SEGMENTS query reads it."""
    await follow(lambda: gateway.segment_updates(token, url=url),
                 lambda: gateway.query(token, admin_api.SEGMENTS, url=url),
                 on_update=on_update, on_refresh=on_refresh, what="segments",
                 first_retry=first_retry, max_retry=max_retry, caught_up=lambda data: data)
