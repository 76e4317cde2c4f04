"""The wallet's rewards, offers and privacy centre on the public API, and the pure rules of
those screens: rewards the member can afford, coupons with their QR code, offers in words
(what, why, until when; a reservation's store and hold time), consents and their history."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import segno

from . import words

REWARD_FIELDS = "id name description pointsCost stock couponAmount couponPercent validDays"
COUPON_FIELDS = "code status description discountAmount discountPercent expiresAt issuedAt reason rewardId"
REWARDS = f"""
query WalletRewards {{
  rewards {{ {REWARD_FIELDS} }}
  me {{ id points {{ available }} coupons {{ {COUPON_FIELDS} }} }}
}}
"""
REDEEM = f"""
mutation Redeem($memberId: ID!, $rewardId: ID!, $key: String!) {{
  redeemReward(memberId: $memberId, rewardId: $rewardId, idempotencyKey: $key) {{ {COUPON_FIELDS} }}
}}
"""
OFFER_FIELDS = ("id kind status message reason issuedAt expiresAt size holdHours reservationId couponCode "
                "product { sku name price } store { id name city }")
OFFERS = f"query WalletOffers {{ me {{ id offers {{ {OFFER_FIELDS} }} }} }}"
ACCEPT = f"mutation Accept($id: ID!) {{ acceptOffer(offerId: $id) {{ {OFFER_FIELDS} }} }}"
DECLINE = f"mutation Decline($id: ID!) {{ declineOffer(offerId: $id) {{ {OFFER_FIELDS} }} }}"
# Offers issued and every change of one (accepted or declined on another device): one subscription.
OFFER_UPDATES = f"subscription OfferUpdated($memberId: ID!) {{ offerUpdated(memberId: $memberId) {{ {OFFER_FIELDS} }} }}"
TIER_UPDATES = """
subscription TierChanged($memberId: ID!) {
  tierChanged(memberId: $memberId) { at from { name } to { name benefits multiplier } }
}
"""
CONSENT_FIELDS = "consents { emailMarketing smsMarketing pushMarketing profiling updatedAt } " \
                 "consentHistory { purpose granted at source actor }"
PRIVACY = f"query WalletPrivacy {{ me {{ id {CONSENT_FIELDS} }} }}"
UPDATE_CONSENTS = f"""
mutation UpdateConsents($memberId: ID!, $input: ConsentsInput!) {{
  updateConsents(memberId: $memberId, input: $input, channel: APP) {{ id {CONSENT_FIELDS} }}
}}
"""
EXPORT = "query Export($memberId: ID!) { exportMemberData(memberId: $memberId) { generatedAt json } }"
ERASE = "mutation Erase($memberId: ID!) { requestErasure(memberId: $memberId) { id requestedAt completedAt } }"

# The purposes a member decides on, in the order the privacy centre lists them.
CONSENTS = [
    ("emailMarketing", "EMAIL_MARKETING", "Offers by email", "News, offers and coupons in your inbox"),
    ("smsMarketing", "SMS_MARKETING", "Offers by text message", "Only with your own yes, never from the till"),
    ("pushMarketing", "PUSH_MARKETING", "Offers in the app", "Notifications on this phone"),
    ("profiling", "PROFILING", "Personalised offers",
     "We use your purchases to pick offers for you. Off: no personalised offers, no model scores"),
]
PURPOSE_WORDS = {purpose: title for _, purpose, title, _ in CONSENTS}
CHANNEL_WORDS = {"POS": "at the till", "ECOMMERCE": "online", "APP": "in the app", "CRM": "by customer service",
                 "SYSTEM": "by the platform"}
OFFER_KIND = {"RESERVATION": "Reserve", "BONUS_POINTS": "Bonus points", "DISCOUNT": "Discount",
              "EARLY_ACCESS": "Early access", "GIFT": "Gift"}
OFFER_STATUS = {"ISSUED": "Open", "ACCEPTED": "Accepted", "DECLINED": "Declined", "EXPIRED": "Expired",
                "REDEEMED": "Taken"}
COUPON_STATUS = {"ACTIVE": "Ready to use", "REDEEMED": "Used", "EXPIRED": "Expired", "VOID": "Cancelled"}


def coupon_qr(code: str) -> str:
    """A coupon's QR code (segno) as an SVG data URI: the till scans the code itself."""
    if not code:
        return ""
    return segno.make(code, error="m").svg_data_uri(scale=8, border=2, dark="#0f172a", light="#ffffff")


def _gives(amount: Any, percent: Any) -> str:
    if amount not in (None, ""):
        return f"{words.money(amount)} off"
    if percent is not None:
        return f"{float(percent):g}% off"
    return "on us"


def reward_rows(rewards: list[dict[str, Any]], available: int) -> list[dict[str, str]]:
    """The catalogue, what the member can afford first (cheapest first), then the rest by cost."""
    rows = []
    for reward in rewards:
        cost = int(reward["pointsCost"])
        stock = reward.get("stock")
        sold_out = stock is not None and int(stock) <= 0
        affordable = cost <= available and not sold_out
        rows.append({
            "id": reward["id"], "name": reward["name"], "description": reward["description"],
            "cost": words.points(cost), "cost_raw": str(cost),
            "gives": _gives(reward.get("couponAmount"), reward.get("couponPercent")),
            "affordable": "yes" if affordable else "",
            "short": "" if affordable or sold_out else f"{words.points(cost - available)} more points",
            "stock": "Sold out" if sold_out else ("" if stock is None else f"Only {int(stock)} left"),
            "valid_days": str(reward.get("validDays") or 90),
        })
    rows.sort(key=lambda r: (r["affordable"] != "yes", int(r["cost_raw"])))
    return rows


def coupon_row(coupon: dict[str, Any]) -> dict[str, str]:
    status = coupon["status"]
    return {
        "code": coupon["code"],
        "pretty": pretty_code(coupon["code"]),
        "status": status,
        "status_words": COUPON_STATUS.get(status, status.title()),
        "description": words.sentence(coupon["description"]),
        "gives": _gives(coupon.get("discountAmount"), coupon.get("discountPercent")),
        "expires": f"Use by {words.day(coupon['expiresAt'])}" if coupon.get("expiresAt") else "No end date",
        "active": "yes" if status == "ACTIVE" else "",
    }


def pretty_code(code: str) -> str:
    """K7QM2XPA9D -> "K7QM-2XPA-9D": the way a coupon reads out at the till."""
    compact = code.replace("-", "")
    return "-".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def _hours_words(hours: int) -> str:
    if hours and hours % 24 == 0:
        days = hours // 24
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours} hour{'s' if hours != 1 else ''}"


def offer_row(offer: dict[str, Any]) -> dict[str, str]:
    kind, status = offer["kind"], offer["status"]
    product = offer.get("product") or {}
    store = offer.get("store") or {}
    hold = int(offer.get("holdHours") or 0)
    reserve = kind == "RESERVATION"
    if reserve and status == "ISSUED":
        action = "Reserve one for me"
    elif kind in ("DISCOUNT", "GIFT") and status == "ISSUED":
        action = "Get my coupon"
    elif status == "ISSUED":
        action = "Yes, I'm in"
    else:
        action = ""
    if reserve and status in ("ACCEPTED", "REDEEMED"):
        done = f"Reserved: it waits for you at {store.get('name') or 'the store'}."
    elif status in ("ACCEPTED", "REDEEMED") and offer.get("couponCode"):
        done = f"Your coupon: {pretty_code(offer['couponCode'])}"
    else:
        done = ""
    # How long the store would hold one: said while the offer is open, never after (declined: nothing held).
    hold_words = (f"{store.get('name')} holds it {_hours_words(hold)} for you"
                  if reserve and status == "ISSUED" and store.get("name") and hold else "")
    return {
        "id": offer["id"], "kind": kind, "kind_words": OFFER_KIND.get(kind, kind.title()), "status": status,
        "status_words": OFFER_STATUS.get(status, status.title()),
        "message": words.sentence(offer["message"]), "reason": words.sentence(offer["reason"]),
        "product": product.get("name") or "", "size": offer.get("size") or "",
        "store": store.get("name") or "", "hold": hold_words,
        "expires": f"Until {words.day(offer['expiresAt'])}" if offer.get("expiresAt") else "",
        "action": action, "done": done, "open": "yes" if status == "ISSUED" else "",
        "reservation_id": offer.get("reservationId") or "",
        "done_muted": "",  # "yes": what became of it is no good news (the reservation was cancelled, ended)
    }


# What became of the reservation a reservation offer made, as its offer says it.
RESERVATION_DONE = {
    "FULFILLED": "Picked up at {store}.",
    "CANCELLED": "This reservation was cancelled: {store} no longer holds it.",
    "EXPIRED": "This reservation has ended: {store} no longer holds it.",
}


def offers_as_shown(rows: list[dict[str, str]], reservations: list[dict[str, str]]
                    ) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The offers tab: the open offers, then the earlier ones (answered, expired). A taken
    reservation offer says what became of its reservation (picked up, cancelled, ended), never
    "it waits for you" once it does not."""
    status = {r["id"]: (r["status"], r["store"]) for r in reservations}
    shown = []
    for row in rows:
        found = status.get(row.get("reservation_id") or "")
        if found and found[0] in RESERVATION_DONE:
            row = {**row, "done": RESERVATION_DONE[found[0]].format(store=found[1] or row["store"] or "the store"),
                   "done_muted": "" if found[0] == "FULFILLED" else "yes"}
        shown.append(row)
    return [r for r in shown if r["open"]], [r for r in shown if not r["open"]]


def with_offer(rows: list[dict[str, str]], offer: dict[str, Any]) -> list[dict[str, str]]:
    """The offers after a live one arrived or changed: a known one changes in place, a new one on top."""
    row = offer_row(offer)
    if any(r["id"] == row["id"] for r in rows):
        return [row if r["id"] == row["id"] else r for r in rows]
    return [row, *rows]


MAX_TOASTS = 3


def after_offer_update(rows: list[dict[str, str]], toasts: list[dict[str, str]], offer: dict[str, Any]
                       ) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The offers and the toasts after `offerUpdated`: a new open offer gets a toast (the newest on
    top, at most three); an offer answered elsewhere (another tab, another device) changes in the
    list and its toast goes, so nothing offers what can no longer be taken."""
    offers = with_offer(rows, offer)
    others = [t for t in toasts if t["id"] != offer["id"]]
    if offer["status"] == "ISSUED":
        return offers, [offer_row(offer), *others][:MAX_TOASTS]
    return offers, others


_PROGRESS = {"ISSUED": 0, "ACCEPTED": 1}  # any other status is final: an offer never goes back


def merged_offers(current: list[dict[str, str]], read: list[dict[str, str]]) -> list[dict[str, str]]:
    """The offers after reading them again, with what arrived live meanwhile kept: an offer the read
    does not list yet (issued after it) stays on top, and of two views of one offer the further
    along wins (a read that started before a decline must not open the offer again)."""
    known = {r["id"]: r for r in current}
    listed = {r["id"] for r in read}
    newer = [r for r in current if r["id"] not in listed]
    rows = []
    for row in read:
        live = known.get(row["id"])
        if live is not None and _PROGRESS.get(live["status"], 2) > _PROGRESS.get(row["status"], 2):
            row = live
        rows.append(row)
    return [*newer, *rows]


def still_open(toasts: list[dict[str, str]], rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The toasts whose offer is still open in `rows` (the offers as just read)."""
    open_ids = {r["id"] for r in rows if r["status"] == "ISSUED"}
    return [t for t in toasts if t["id"] in open_ids]


def actor_words(actor: str, member_id: str) -> str:
    if actor == member_id or actor.startswith("member"):
        return "by you"
    if actor.startswith("merge:"):
        return "when your records were joined"
    if actor.startswith(("cashier", "supervisor", "admin")):
        return "by our staff, at your request"
    if actor.startswith("service"):
        return "by a partner service you used"
    return f"by {actor}"


def consent_rows(consents: dict[str, Any]) -> list[dict[str, str]]:
    return [{"field": field, "title": title, "about": about, "on": "yes" if consents.get(field) else ""}
            for field, _, title, about in CONSENTS]


def history_rows(changes: list[dict[str, Any]], member_id: str, limit: int = 50) -> list[dict[str, str]]:
    """Every consent change, newest first, in words: what, on or off, when, where, by whom."""
    ordered = sorted(changes, key=lambda c: c["at"], reverse=True)[:limit]
    return [{
        "what": PURPOSE_WORDS.get(c["purpose"], c["purpose"].replace("_", " ").lower()),
        "granted": "yes" if c["granted"] else "",
        "state": "turned on" if c["granted"] else "turned off",
        "when": words.when(c["at"]),
        "how": f"{CHANNEL_WORDS.get(c['source'], '')} {actor_words(c['actor'], member_id)}".strip(),
    } for c in ordered]


def export_filename(generated_at: str) -> str:
    return f"my-loyalty-data-{(generated_at or '')[:10] or 'today'}.json"


def points_after(available: int, cost: str) -> str:
    return words.points(available - int(Decimal(cost)))


def tier_review_words(tier: dict[str, Any], now: datetime | None = None) -> tuple[str, str]:
    """The tier card's review in words: when the tier is reviewed (or, in the grace period
    after a review that found the member short, until when it stays) and what keeps it.
    Nothing for a tier with no review (the lowest)."""
    review_at, grace_until = tier.get("reviewAt"), tier.get("graceUntil")
    if not review_at:
        return "", ""
    name = (tier.get("current") or {}).get("name") or "your tier"
    to_keep = int(tier.get("pointsToKeep") or 0)
    kept_until = tier.get("keptUntil")
    passed = datetime.fromisoformat(review_at.replace("Z", "+00:00")) <= (now or datetime.now(UTC))
    if grace_until:
        headline = f"Tier review: {name} kept until {words.day(grace_until)}"
    elif passed:  # the review is due and the schedule job has not got to it yet (seconds)
        headline = "Tier review under way"
    else:
        headline = f"Tier review on {words.day(review_at)}"
    if to_keep > 0 and (grace_until or not passed):
        detail = f"Earn {words.points(to_keep)} more qualifying points by then to stay {name}"
    elif to_keep > 0:
        detail = f"{words.points(to_keep)} qualifying points short of {name}"
    elif kept_until:
        detail = f"{name} is yours until {words.day(kept_until)}"
    else:
        detail = ""
    return headline, detail
