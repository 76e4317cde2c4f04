"""The wallet's state: one signed-in member per browser session, kept live by four
graphql-transport-ws subscriptions to the gateway (the balance, the reservations, offers
issued and tier changes); the rewards, offers and privacy centre tabs."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import reflex as rx
import segno

from core.ids import new_ulid
from core.settings import get_settings

from . import gateway, live, words
from . import wallet_api as api

log = logging.getLogger(__name__)

WATCH_SECONDS = 2.0
ACTIVITY_PAGE = 10


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
        "kind_words": words.ENTRY_KIND.get(entry["kind"], entry["kind"].title()),
        "points": f"+{points}" if points > 0 else str(points),
        "points_words": words.signed_points(points),
        "tone": "plus" if points > 0 else "minus" if points < 0 else "zero",
        "description": entry["description"],
        "date": str(entry["occurredAt"])[:10],
        "when": words.day(str(entry["occurredAt"])),
    }


def with_entry(activity: list[dict[str, str]], entry: dict[str, Any], limit: int = 10) -> list[dict[str, str]]:
    """The activity list after a live update: a new entry goes on top; an entry the
    list already shows (points that matured, a repeat) is not listed twice."""
    if any(row["id"] == entry["id"] for row in activity):
        return activity
    return [_entry_row(entry), *activity][:limit]


def reservation_row(reservation: dict[str, Any]) -> dict[str, str]:
    status = reservation["status"]
    store = reservation.get("store") or {}
    return {
        "id": reservation["id"],
        "status": status,
        "status_words": words.RESERVATION_STATUS.get(status, status.title()),
        "product": (reservation.get("product") or {}).get("name") or "",
        "size": reservation.get("size") or "",
        "store": store.get("name") or "",
        "hold_until": words.day(reservation.get("holdUntil")),
        "held": "yes" if status == "HELD" else "",
    }


def with_reservation(rows: list[dict[str, str]], reservation: dict[str, Any]) -> list[dict[str, str]]:
    """The reservations after a live update: a known one changes in place, a new one goes on top."""
    row = reservation_row(reservation)
    if any(r["id"] == row["id"] for r in rows):
        return [row if r["id"] == row["id"] else r for r in rows]
    return [row, *rows]


RESERVATION_NEWS = {
    "FULFILLED": "Picked up: enjoy your {product}.",
    "CANCELLED": "Your reservation of the {product} was cancelled: {store} no longer holds it.",
    "EXPIRED": "Your reservation of the {product} has ended: {store} no longer holds it.",
}


def reservation_news(rows: list[dict[str, str]], reservation: dict[str, Any]) -> str:
    """What to tell the member when a live update ends a reservation the wallet shows as held
    ("" for anything else: a new hold shows in the list, a repeat says nothing)."""
    before = next((r for r in rows if r["id"] == reservation["id"]), None)
    row = reservation_row(reservation)
    if before is None or before["status"] != "HELD" or row["status"] not in RESERVATION_NEWS:
        return ""
    return RESERVATION_NEWS[row["status"]].format(product=row["product"] or "item", store=row["store"] or "the store")


def card_qr(code: str) -> str:
    """The member card's QR code (segno) as an SVG data URI. It encodes the member id,
    which the till's lookup takes as a code (wallet_ui/till.py: find_member)."""
    if not code:
        return ""
    return segno.make(code, error="m").svg_data_uri(scale=8, border=2, dark="#0f172a", light="#ffffff")


class WalletState(rx.State):
    token: str = rx.LocalStorage("", name="loyalty_wallet_token")
    member_id: str = ""
    given_name: str = ""
    family_name: str = ""
    tier_name: str = ""
    tier_multiplier: str = ""
    tier_benefits: list[str] = []
    next_tier: str = ""
    next_benefits: list[str] = []
    points_to_next: int = 0
    qualifying: int = 0
    progress: int = 0  # percent toward the next tier
    review_headline: str = ""  # the tier's next review in words (nothing for the lowest tier)
    review_detail: str = ""  # what keeps the tier at that review
    available: int = 0
    pending: int = 0
    lifetime: int = 0
    expiring_points: int = 0
    expiring_on: str = ""
    activity: list[dict[str, str]] = []
    activity_cursor: str = ""
    activity_more: bool = False
    loading_more: bool = False
    reservations: list[dict[str, str]] = []
    viewed: list[dict[str, str]] = []
    qr: str = ""
    show_card: bool = False
    live: bool = False
    error: str = ""
    notice: str = ""
    notice_tone: str = "green"  # "gray": news that is not good (a reservation cancelled or ended)
    busy: bool = False
    code_email: str = ""  # the address a sign-in code went to: the wallet asks for the code
    code_length: int = 6
    code_notice: str = ""
    _follower: int = 0  # the newest follow task; older ones stop
    tab: str = "home"

    # rewards
    rewards: list[dict[str, str]] = []
    coupons: list[dict[str, str]] = []
    rewards_loading: bool = False
    confirm_reward: dict[str, str] = {}
    _redeem_key: str = ""
    redeeming: bool = False
    redeem_error: str = ""
    coupon: dict[str, str] = {}  # the coupon shown with its QR code
    coupon_qr: str = ""

    # offers
    offers: list[dict[str, str]] = []
    toasts: list[dict[str, str]] = []  # offers that arrived live, until dismissed
    offer_busy: str = ""
    offer_error: str = ""

    # privacy centre
    consents: list[dict[str, str]] = []
    consent_history: list[dict[str, str]] = []
    privacy_error: str = ""
    exporting: bool = False
    confirm_erase: bool = False
    erase_typed: str = ""
    erasing: bool = False

    # the tier celebration
    celebrate_to: str = ""
    celebrate_from: str = ""
    celebrate_benefits: list[str] = []

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.token) and bool(self.member_id)

    @rx.var
    def available_words(self) -> str:
        return words.points(self.available)

    @rx.var
    def pending_words(self) -> str:
        return words.points(self.pending)

    @rx.var
    def lifetime_words(self) -> str:
        return words.points(self.lifetime)

    @rx.var
    def qualifying_words(self) -> str:
        return words.points(self.qualifying)

    @rx.var
    def to_next_words(self) -> str:
        if not self.next_tier:
            return f"You're at our top tier: enjoy every {self.tier_name} benefit"
        return f"{words.points(self.points_to_next)} points to {self.next_tier}"

    @rx.var
    def expiring_words(self) -> str:
        if self.expiring_points <= 0:
            return ""
        return f"{words.points(self.expiring_points)} points expire on {words.day(self.expiring_on)}"

    @rx.var
    def card_number(self) -> str:
        """The member id as printed under the QR code, in groups a cashier can type."""
        code = self.member_id.removeprefix("mbr_")
        return "mbr_" + " ".join(code[i:i + 4] for i in range(0, len(code), 4)) if code else ""

    @rx.var
    def held_count(self) -> int:
        return sum(1 for r in self.reservations if r["status"] == "HELD")

    @rx.var
    def open_offers(self) -> int:
        return sum(1 for o in self.offers if o["status"] == "ISSUED")

    @rx.var
    def open_offer_rows(self) -> list[dict[str, str]]:
        return api.offers_as_shown(self.offers, self.reservations)[0]

    @rx.var
    def earlier_offer_rows(self) -> list[dict[str, str]]:
        return api.offers_as_shown(self.offers, self.reservations)[1]

    @rx.var
    def affordable_count(self) -> int:
        return sum(1 for r in self.rewards if r["affordable"])

    @rx.var
    def active_coupons(self) -> int:
        return sum(1 for c in self.coupons if c["status"] == "ACTIVE")

    @rx.var
    def points_after_redeem(self) -> str:
        cost = self.confirm_reward.get("cost_raw")
        return api.points_after(self.available, cost) if cost else ""

    @rx.var
    def can_erase(self) -> bool:
        return self.erase_typed.strip().upper() == "DELETE"

    def _apply_member(self, member: dict[str, Any]) -> None:
        self.member_id = member["id"]
        self.given_name = member.get("givenName") or ""
        self.family_name = member.get("familyName") or ""
        tier = member["tier"]
        current = tier["current"]
        self.tier_name = current["name"]
        self.tier_multiplier = f"{float(current.get('multiplier') or 1):g}x"
        self.tier_benefits = list(current.get("benefits") or [])
        following = tier.get("next") or {}
        self.next_tier = following.get("name") or ""
        self.next_benefits = [b for b in following.get("benefits") or [] if b not in self.tier_benefits]
        self.points_to_next = tier.get("pointsToNext") or 0
        self.qualifying = tier.get("qualifyingPoints") or 0
        self.progress = round(float(tier["progress"]) * 100)
        self.review_headline, self.review_detail = api.tier_review_words(tier)
        points = member["points"]
        self.available = points["available"]
        self.pending = points["pending"]
        self.lifetime = points["lifetimeEarned"]
        expiring = points.get("expiringNext") or {}
        self.expiring_points = expiring.get("points") or 0
        self.expiring_on = expiring.get("on") or ""
        if not self.qr:
            self.qr = card_qr(self.member_id)

    def _apply_activity(self, connection: dict[str, Any], *, append: bool = False) -> None:
        rows = [_entry_row(edge["node"]) for edge in connection["edges"]]
        if append:
            known = {row["id"] for row in self.activity}
            rows = self.activity + [row for row in rows if row["id"] not in known]
        self.activity = rows
        self.activity_cursor = connection["pageInfo"].get("endCursor") or ""
        self.activity_more = bool(connection["pageInfo"]["hasNextPage"])

    def _apply_extras(self, member: dict[str, Any]) -> None:
        self.reservations = [reservation_row(r) for r in member.get("reservations") or []]
        self.viewed = [
            {"sku": v["product"]["sku"], "name": v["product"]["name"], "price": words.money(v["product"]["price"]),
             "category": v["product"]["category"], "views": str(v["views"]), "when": words.when(v["lastViewedAt"])}
            for v in member.get("recentlyViewed") or []
        ]

    @rx.var
    def demo(self) -> bool:
        """The demo shortcuts (sign in without a code, the demo members) exist in dev only."""
        return get_settings().is_dev

    @rx.event
    async def request_code(self, form: dict[str, Any]):
        """Step one: profile mails a one-time code to the address; the wallet asks for it next."""
        email = str(form.get("email") or self.code_email or "").strip()
        if not email:
            self.error = "Enter your email: we send you a code to sign in."
            return
        self.busy = True
        self.error = ""
        self.code_notice = ""
        yield
        try:
            asked = await gateway.request_sign_in_code(email)
        except gateway.GatewayError as error:
            self.error = error.sign_in_words
            self.busy = False
            return
        self.busy = False
        again = self.code_email == email  # "Send a new code": the one before no longer works
        self.code_email = email
        self.code_length = int(asked.get("codeLength") or 6)
        minutes = max(1, round((datetime.fromisoformat(str(asked["expiresAt"])) - datetime.now(UTC))
                               .total_seconds() / 60)) if asked.get("expiresAt") else 10
        self.code_notice = (f"We sent a {'new ' if again else ''}{self.code_length}-digit code to {email}. "
                            f"It works for {minutes} minutes{' (the one before no longer does)' if again else ''}. "
                            "Check your inbox.")

    @rx.event
    async def sign_in_with_code(self, form: dict[str, Any]):
        """Step two: the code from the mail gives the member's token."""
        code = "".join(str(form.get("code") or "").split())
        if not code:
            self.error = "Enter the code from the email."
            return
        self.busy = True
        self.error = ""
        yield
        try:
            _, token = await gateway.sign_in_with_code(self.code_email, code)
        except gateway.GatewayError as error:
            self.error = error.sign_in_words
            self.busy = False
            return
        self.busy = False
        self.code_email = ""
        self.code_notice = ""
        self.token = token
        yield WalletState.load

    @rx.event
    def use_another_email(self):
        self.code_email = ""
        self.code_notice = ""
        self.error = ""

    @rx.event
    async def sign_in(self, form: dict[str, Any]):
        """The demo shortcut (dev only: profile refuses devSignIn elsewhere): no code."""
        email = str(form.get("email") or "").strip()
        if not get_settings().is_dev:
            self.error = "Sign in with a code from your email."
            return
        if not email:
            self.error = "Enter the email of a demo member."
            return
        self.busy = True
        self.error = ""
        yield
        try:
            _, self.token = await gateway.dev_sign_in(email)
        except gateway.GatewayError as error:
            self.error = error.words
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
    def toggle_card(self):
        self.show_card = not self.show_card

    @rx.event
    def set_show_card(self, value: bool):
        self.show_card = value

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
                self.error = "Your session has ended: sign in again."
            else:
                self.error = error.words
            return
        member = data["me"]
        if member is None:
            self.token = ""
            self.error = "This sign-in is not a member."
            return
        self.qr = ""
        if member["id"] != self.member_id:  # another member on this page: nothing of the last one's is kept
            self.offers, self.toasts = [], []
        self._apply_member(member)
        self._apply_activity(member["activity"])
        self.error = ""
        yield WalletState.load_extras
        yield WalletState.load_offers
        yield WalletState.follow

    @rx.event
    async def load_extras(self):
        """Reservations and recently viewed products (inventory): a failure here leaves
        the balance and activity as they are and says so."""
        if not self.token:
            return
        try:
            data = await gateway.query(self.token, gateway.WALLET_EXTRAS)
        except gateway.GatewayError as error:
            self.error = error.words
            return
        if data["me"] is not None:
            self._apply_extras(data["me"])

    @rx.event
    async def more_activity(self):
        if not self.token or not self.activity_more:
            return
        self.loading_more = True
        yield
        try:
            data = await gateway.query(self.token, gateway.ACTIVITY_PAGE, {"after": self.activity_cursor})
        except gateway.GatewayError as error:
            self.error = error.words
        else:
            if data["me"] is not None:
                self._apply_activity(data["me"]["activity"], append=True)
        self.loading_more = False

    @rx.event(background=True)
    async def follow(self):
        """Follow the wallet live while this page is open (wallet_ui/live.py: each
        subscription starts again when it ends): every change of the balance and of the
        reservations lands here and goes to the browser at once. It ends when the browser
        goes away, the member signs out, a newer page load takes over, or the token is no
        longer accepted (then the member is signed out and asked to sign in again)."""
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
                self.activity = with_entry(self.activity, update["entry"], limit=max(ACTIVITY_PAGE,
                                                                                      len(self.activity) + 1))
                offers_open = any(o["status"] == "ISSUED" for o in self.offers)
            if offers_open:  # a checkout may have used a bonus offer (no offer event says so): read them again
                await reread_offers()

        async def reread_offers() -> None:
            try:
                data = await gateway.query(token, api.OFFERS)
            except gateway.GatewayError as error:
                log.info("offers of %s not read again after a balance change: %s", member_id, error)
                return
            if data["me"] is not None:
                await on_offers(data["me"])

        async def on_refresh(member: dict[str, Any]) -> None:
            async with self:
                self._apply_member(member)
                self._apply_activity(member["activity"])

        async def on_reservation(reservation: dict[str, Any]) -> None:
            async with self:
                news = reservation_news(self.reservations, reservation)
                self.reservations = with_reservation(self.reservations, reservation)
                if news:  # replaces a notice it makes untrue ("Reserved: it waits for you ...")
                    self.notice = news
                    self.notice_tone = "green" if reservation["status"] == "FULFILLED" else "gray"

        async def on_reservations(member: dict[str, Any]) -> None:
            async with self:
                self.reservations = [reservation_row(r) for r in member.get("reservations") or []]

        async def on_offer(offer: dict[str, Any]) -> None:
            async with self:
                self.offers, self.toasts = api.after_offer_update(self.offers, self.toasts, offer)

        async def on_offers(member: dict[str, Any]) -> None:
            async with self:
                self.offers = api.merged_offers(self.offers, [api.offer_row(o) for o in member.get("offers") or []])
                self.toasts = api.still_open(self.toasts, self.offers)

        async def on_tier(change: dict[str, Any]) -> None:
            async with self:
                self.celebrate_from = change["from"]["name"]
                self.celebrate_to = change["to"]["name"]
                self.celebrate_benefits = list(change["to"].get("benefits") or [])

        async def on_tier_refresh(member: dict[str, Any]) -> None:
            async with self:
                self._apply_member(member)

        followers = {
            asyncio.create_task(live.follow_wallet(token, member_id, on_update=on_update, on_refresh=on_refresh)),
            asyncio.create_task(live.follow_reservations(token, member_id, on_update=on_reservation,
                                                         on_refresh=on_reservations)),
            asyncio.create_task(live.follow_offers(token, member_id, on_update=on_offer, on_refresh=on_offers)),
            asyncio.create_task(live.follow_tiers(token, member_id, on_update=on_tier, on_refresh=on_tier_refresh)),
        }
        try:
            while all(not task.done() for task in followers):
                await asyncio.wait(followers, timeout=WATCH_SECONDS, return_when=asyncio.FIRST_COMPLETED)
                if any(task.done() for task in followers):
                    break
                async with self:
                    current = self._follower == mine and self.member_id == member_id
                if not current or not client_connected(client):
                    break
            failures = [task.exception() for task in followers if task.done() and not task.cancelled()]
            if any(isinstance(failure, live.SignedOut) for failure in failures):
                log.info("wallet of %s signed out", member_id)
                async with self:
                    if self._follower == mine:
                        self.reset()
                        self._follower = mine  # still counting: an older follower must never match a newer one
                        self.token = ""
                        self.error = "Your session has expired: sign in again."
            for failure in failures:
                if failure is not None and not isinstance(failure, live.SignedOut):
                    log.warning("following the wallet of %s failed: %r", member_id, failure)
        finally:
            for task in followers:
                task.cancel()
            await asyncio.gather(*followers, return_exceptions=True)
            async with self:
                if self._follower == mine:
                    self.live = False

    # --- tabs ------------------------------------------------------------------------------------

    @rx.event
    def set_tab(self, tab: str):
        self.tab = tab
        self.error = ""
        if tab == "rewards":
            return WalletState.load_rewards
        if tab == "offers":
            return WalletState.load_offers
        if tab == "privacy":
            return WalletState.load_privacy
        return None

    async def _call(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """One operation with the member's token; a token no longer accepted signs the member out."""
        try:
            return await gateway.query(self.token, document, variables)
        except gateway.GatewayError as error:
            if error.code == "UNAUTHENTICATED":
                self.reset()
                self.token = ""
                self.error = "Your session has ended: sign in again."
            raise

    # --- rewards ---------------------------------------------------------------------------------

    @rx.event
    async def load_rewards(self):
        if not self.token:
            return
        self.rewards_loading = True
        yield
        try:
            data = await self._call(api.REWARDS)
        except gateway.GatewayError as error:
            self.error = error.words
            self.rewards_loading = False
            return
        self.rewards_loading = False
        member = data["me"] or {}
        self.available = (member.get("points") or {}).get("available", self.available)
        self.rewards = api.reward_rows(data["rewards"], self.available)
        self.coupons = [api.coupon_row(c) for c in member.get("coupons") or []]

    @rx.event
    def ask_redeem(self, reward_id: str):
        """The confirmation; its idempotency key is made now, so a double tap is one redemption."""
        reward = next((r for r in self.rewards if r["id"] == reward_id), None)
        if reward is None:
            return
        self.confirm_reward = reward
        self._redeem_key = f"wallet-redeem-{new_ulid()}"
        self.redeem_error = ""

    @rx.event
    def set_confirm_open(self, value: bool):
        if not value:
            self.confirm_reward = {}

    @rx.event
    async def redeem(self):
        reward = self.confirm_reward
        if not reward or self.redeeming:
            return
        self.redeeming = True
        self.redeem_error = ""
        yield
        try:
            coupon = (await self._call(api.REDEEM, {"memberId": self.member_id, "rewardId": reward["id"],
                                                    "key": self._redeem_key}))["redeemReward"]
        except gateway.GatewayError as error:
            self.redeeming = False
            self.redeem_error = ("You don't have enough points for this one yet." if error.code == "CONFLICT"
                                 and "point" in str(error).lower() else error.words)
            return
        self.redeeming = False
        self.confirm_reward = {}
        self.coupon = api.coupon_row(coupon)
        self.coupon_qr = api.coupon_qr(coupon["code"])
        yield WalletState.load_rewards

    @rx.event
    def show_coupon(self, code: str):
        row = next((c for c in self.coupons if c["code"] == code), None)
        if row is not None:
            self.coupon = row
            self.coupon_qr = api.coupon_qr(code)

    @rx.event
    def set_coupon_open(self, value: bool):
        if not value:
            self.coupon = {}
            self.coupon_qr = ""

    # --- offers ----------------------------------------------------------------------------------

    @rx.event
    async def load_offers(self):
        if not self.token:
            return
        try:
            data = await self._call(api.OFFERS)
        except gateway.GatewayError as error:
            self.offer_error = error.words
            return
        if data["me"] is not None:
            self.offers = api.merged_offers(self.offers, [api.offer_row(o) for o in data["me"]["offers"]])
            self.toasts = api.still_open(self.toasts, self.offers)
            self.offer_error = ""

    async def _answer_offer(self, offer_id: str, document: str, field: str):
        self.offer_busy = offer_id
        self.offer_error = ""
        yield
        try:
            offer = (await self._call(document, {"id": offer_id}))[field]
        except gateway.GatewayError as error:
            self.offer_busy = ""
            self.offer_error = ("Sorry, the last one was just taken: it is no longer available at the store."
                                if error.code == "CONFLICT" and "stock" in str(error).lower() else error.words)
            return
        self.offer_busy = ""
        self.offers = api.with_offer(self.offers, offer)
        self.toasts = [t for t in self.toasts if t["id"] != offer_id]
        row = api.offer_row(offer)
        self.notice = row["done"] or ("Thanks, noted." if offer["status"] == "DECLINED" else "Done: you're in.")
        self.notice_tone = "green"

    @rx.event
    async def accept_offer(self, offer_id: str):
        async for update in self._answer_offer(offer_id, api.ACCEPT, "acceptOffer"):
            yield update

    @rx.event
    async def decline_offer(self, offer_id: str):
        async for update in self._answer_offer(offer_id, api.DECLINE, "declineOffer"):
            yield update

    @rx.event
    def dismiss_toast(self, offer_id: str):
        self.toasts = [t for t in self.toasts if t["id"] != offer_id]

    @rx.event
    def later_offer(self, offer_id: str):
        self.toasts = [t for t in self.toasts if t["id"] != offer_id]
        return WalletState.set_tab("offers")

    @rx.event
    def dismiss_notice(self):
        self.notice = ""

    @rx.event
    def end_celebration(self, _value: bool = False):
        self.celebrate_to = ""
        self.celebrate_from = ""
        self.celebrate_benefits = []

    # --- privacy centre --------------------------------------------------------------------------

    def _apply_privacy(self, member: dict[str, Any]) -> None:
        self.consents = api.consent_rows(member["consents"])
        self.consent_history = api.history_rows(member.get("consentHistory") or [], self.member_id)

    @rx.event
    async def load_privacy(self):
        if not self.token:
            return
        try:
            data = await self._call(api.PRIVACY)
        except gateway.GatewayError as error:
            self.privacy_error = error.words
            return
        if data["me"] is not None:
            self._apply_privacy(data["me"])
            self.privacy_error = ""

    @rx.event
    async def set_consent(self, field: str, granted: bool):
        self.privacy_error = ""
        self.consents = [{**c, "on": "yes" if granted else ""} if c["field"] == field else c for c in self.consents]
        yield
        try:
            member = (await self._call(api.UPDATE_CONSENTS, {"memberId": self.member_id,
                                                             "input": {field: granted}}))["updateConsents"]
        except gateway.GatewayError as error:
            self.privacy_error = error.words
            yield WalletState.load_privacy  # back to what is recorded
            return
        self._apply_privacy(member)

    @rx.event
    async def download_data(self):
        """Everything the platform holds on the member (GDPR Art. 15/20), as one JSON file."""
        self.exporting = True
        self.privacy_error = ""
        yield
        try:
            export = (await self._call(api.EXPORT, {"memberId": self.member_id}))["exportMemberData"]
        except gateway.GatewayError as error:
            self.exporting = False
            self.privacy_error = error.words
            return
        self.exporting = False
        yield rx.download(data=export["json"], filename=api.export_filename(str(export["generatedAt"])))

    @rx.event
    def ask_erase(self):
        self.confirm_erase = True
        self.erase_typed = ""

    @rx.event
    def set_confirm_erase(self, value: bool):
        self.confirm_erase = value
        self.erase_typed = ""

    @rx.event
    def set_erase_typed(self, value: str):
        self.erase_typed = value

    @rx.event
    async def erase(self):
        if not self.can_erase or self.erasing:
            return
        self.erasing = True
        yield
        try:
            await self._call(api.ERASE, {"memberId": self.member_id})
        except gateway.GatewayError as error:
            self.erasing = False
            self.privacy_error = error.words
            self.confirm_erase = False
            return
        self.reset()
        self.token = ""
        self.notice = ("Your account is being deleted: your name, email, phone and everything we worked out "
                       "about you are erased from every part of the platform. Thank you for being a member.")
