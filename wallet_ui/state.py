"""The wallet's state: one signed-in member per browser session, kept live by
one graphql-transport-ws subscription to the gateway."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import reflex as rx

from . import gateway, live

log = logging.getLogger(__name__)

WATCH_SECONDS = 2.0

# Set by the app module: is this browser (client token) still connected? Reflex keeps
# background tasks running after a tab closes, so the wallet's follower checks.
def _always_connected(_token: str) -> bool:
    return True


client_connected: Callable[[str], bool] = _always_connected

DEMO_MEMBERS = [
    ("julia@example.com", "Julia", "Gold, shops in Portland"),
    ("marcus@example.com", "Marcus", "Silver, mostly online"),
    ("aiko@example.com", "Aiko", "Bronze, app user"),
    ("sam@example.com", "Sam", "New, opted out of profiling"),
]


def _entry_row(entry: dict[str, Any]) -> dict[str, str]:
    points = int(entry["points"])
    return {
        "id": entry["id"],
        "kind": entry["kind"],
        "points": f"+{points}" if points > 0 else str(points),
        "description": entry["description"],
        "date": str(entry["occurredAt"])[:10],
    }


def with_entry(activity: list[dict[str, str]], entry: dict[str, Any], limit: int = 10) -> list[dict[str, str]]:
    """The activity list after a live update: a new entry goes on top; an entry the
    list already shows (points that matured, a repeat) is not listed twice."""
    if any(row["id"] == entry["id"] for row in activity):
        return activity
    return [_entry_row(entry), *activity][:limit]


class WalletState(rx.State):
    token: str = rx.LocalStorage("", name="loyalty_wallet_token")
    member_id: str = ""
    given_name: str = ""
    tier_name: str = ""
    next_tier: str = ""
    points_to_next: int = 0
    progress: int = 0  # percent toward the next tier
    available: int = 0
    pending: int = 0
    lifetime: int = 0
    expiring_points: int = 0
    expiring_on: str = ""
    activity: list[dict[str, str]] = []
    live: bool = False
    error: str = ""
    busy: bool = False
    _follower: int = 0  # the newest follow task; older ones stop

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.token) and bool(self.member_id)

    def _apply_member(self, member: dict[str, Any]) -> None:
        self.member_id = member["id"]
        self.given_name = member.get("givenName") or ""
        tier = member["tier"]
        self.tier_name = tier["current"]["name"]
        self.next_tier = (tier.get("next") or {}).get("name") or ""
        self.points_to_next = tier.get("pointsToNext") or 0
        self.progress = round(float(tier["progress"]) * 100)
        points = member["points"]
        self.available = points["available"]
        self.pending = points["pending"]
        self.lifetime = points["lifetimeEarned"]
        expiring = points.get("expiringNext") or {}
        self.expiring_points = expiring.get("points") or 0
        self.expiring_on = expiring.get("on") or ""

    @rx.event
    async def sign_in(self, form: dict[str, Any]):
        email = str(form.get("email") or "").strip()
        if not email:
            self.error = "Enter the email of a demo member."
            return
        self.busy = True
        self.error = ""
        yield
        try:
            _, self.token = await gateway.dev_sign_in(email)
        except gateway.GatewayError as error:
            self.error = str(error)
            self.busy = False
            return
        self.busy = False
        yield WalletState.load

    @rx.event
    async def sign_in_as(self, email: str):
        async for update in self.sign_in({"email": email}):
            yield update

    @rx.event
    def sign_out(self):
        self.reset()
        self.token = ""

    @rx.event
    async def load(self):
        """On page load: the wallet as it is now, then follow it live."""
        if not self.token:
            return
        try:
            data = await gateway.query(self.token, gateway.WALLET_QUERY)
        except gateway.GatewayError as error:
            if error.code in ("UNAUTHENTICATED", "FORBIDDEN"):
                self.token = ""  # expired or revoked: sign in again
            self.error = str(error)
            return
        member = data["me"]
        if member is None:
            self.token = ""
            self.error = "This sign-in is not a member."
            return
        self._apply_member(member)
        self.activity = [_entry_row(edge["node"]) for edge in member["activity"]["edges"]]
        self.error = ""
        yield WalletState.follow

    @rx.event(background=True)
    async def follow(self):
        """Follow the wallet live while this page is open (wallet_ui/live.py: it subscribes
        again when a subscription ends); every change of the balance lands here and goes to
        the browser at once. It ends when the browser goes away, the member signs out, a
        newer page load takes over, or the token is no longer accepted (then the member
        is signed out and asked to sign in again)."""
        async with self:
            if not self.token:
                return
            self._follower += 1
            mine, token, member_id = self._follower, self.token, self.member_id
            client = self.router.session.client_token
            self.live = True

        async def on_update(update: dict[str, Any]) -> None:
            async with self:
                self._apply_member(update["member"])
                self.activity = with_entry(self.activity, update["entry"])

        async def on_refresh(member: dict[str, Any]) -> None:
            async with self:
                self._apply_member(member)
                self.activity = [_entry_row(edge["node"]) for edge in member["activity"]["edges"]]

        updates = asyncio.create_task(live.follow_wallet(token, member_id, on_update=on_update,
                                                         on_refresh=on_refresh))
        try:
            while not updates.done():
                await asyncio.wait({updates}, timeout=WATCH_SECONDS)
                if updates.done():
                    break
                async with self:
                    current = self._follower == mine and self.member_id == member_id
                if not current or not client_connected(client):
                    updates.cancel()
            if not updates.cancelled() and isinstance(updates.exception(), live.SignedOut):
                log.info("wallet of %s signed out: %s", member_id, updates.exception())
                async with self:
                    if self._follower == mine:
                        self.reset()
                        self._follower = mine  # still counting: an older follower must never match a newer one
                        self.token = ""
                        self.error = "Your session has expired: sign in again."
            elif not updates.cancelled() and updates.exception() is not None:
                log.warning("following the wallet of %s failed: %r", member_id, updates.exception())
        finally:
            updates.cancel()
            async with self:
                if self._follower == mine:
                    self.live = False
