"""The admin's operations on the public API, and the pure rules of its screen: effects built
from a form (the engine's JSON specs, README "The engine"), effects and budgets in words,
campaign rows with their A/B counts. The engine checks everything again when it saves."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from . import words

CAMPAIGN_FIELDS = """
  id name status trigger condition effects personalized startsAt endsAt priority exclusive perMemberCap audience
  budget { limit used unit } variants { name weight effects exposures conversions } version updatedAt
"""
CAMPAIGNS = f"query Campaigns {{ campaigns {{ {CAMPAIGN_FIELDS} }} }}"
UPSERT_CAMPAIGN = f"mutation UpsertCampaign($input: CampaignInput!) {{ upsertCampaign(input: $input) {{ {CAMPAIGN_FIELDS} }} }}"
SET_STATUS = f"mutation SetCampaignStatus($id: ID!, $status: CampaignStatus!) {{ setCampaignStatus(id: $id, status: $status) {{ {CAMPAIGN_FIELDS} }} }}"
VALIDATE = "query ValidateCampaign($input: CampaignInput!) { validateCampaign(input: $input) { field message line column } }"
DRY_RUN = """
query DryRun($input: CampaignInput!, $memberId: ID!, $event: String) {
  dryRunCampaign(input: $input, memberId: $memberId, event: $event) { kind description amount points couponCode sku }
}
"""
FIND_MEMBER = "query FindMember($kind: IdentifierKind!, $value: String!) { lookupMember(kind: $kind, value: $value) { id givenName familyName } }"
REWARD_FIELDS = "id name description pointsCost active stock couponAmount couponPercent validDays"
REWARDS = f"query Rewards {{ rewards {{ {REWARD_FIELDS} }} }}"
UPSERT_REWARD = f"mutation UpsertReward($input: RewardInput!) {{ upsertReward(input: $input) {{ {REWARD_FIELDS} }} }}"
SEGMENT_FIELDS = "id name condition members evaluating updatedAt"
SEGMENTS = f"query Segments {{ segments {{ {SEGMENT_FIELDS} }} }}"
UPSERT_SEGMENT = f"mutation UpsertSegment($input: SegmentInput!) {{ upsertSegment(input: $input) {{ {SEGMENT_FIELDS} }} }}"

TRIGGERS = {
    "basket": "At the till or checkout (discounts, points)",
    "purchase": "After a purchase",
    "tier_changed": "When the tier changes",
    "milestone": "At a lifetime milestone",
    "product_viewed": "When a product is viewed",
    "segment_entered": "When the member enters a segment",
    "redemption": "After a reward is redeemed",
    "lapse_risk": "When the lapse risk is scored",
    "birthday": "On the member's birthday",
}
EFFECT_KINDS = {
    "discount": "Discount",
    "add_points": "Points",
    "free_shipping": "Free shipping",
    "issue_coupon": "Coupon for later",
}
TARGETS = {"cart": "The whole basket", "per_line": "Every line", "skus": "These SKUs",
           "categories": "These categories"}
BUDGET_UNITS = {"points": "points", "discount_cents": "cents of discount", "redemptions": "redemptions"}
STATUS_TONE = {"DRAFT": "gray", "ACTIVE": "green", "PAUSED": "amber", "ENDED": "red"}
# What each status can become (README "The engine": DRAFT -> ACTIVE <-> PAUSED -> ENDED).
NEXT_STATUSES = {"DRAFT": ["ACTIVE", "ENDED"], "ACTIVE": ["PAUSED", "ENDED"], "PAUSED": ["ACTIVE", "ENDED"],
                 "ENDED": []}
STATUS_ACTION = {"ACTIVE": "Activate", "PAUSED": "Pause", "ENDED": "End"}


class FormError(ValueError):
    """A form value the screen can already tell is wrong (the engine checks the rest)."""


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _number(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise FormError(f"{what} is a number, like 10 or 2.50") from None
    if not value.is_finite() or value <= 0:
        raise FormError(f"{what} is more than zero")
    return value


def effect_spec(form: dict[str, Any]) -> str:
    """One effect from the form, as the engine's JSON spec. `kind`: discount, add_points,
    free_shipping, issue_coupon; `measure`: percent or amount (discount, coupon), points or
    multiplier (points); `value`; `target`: cart, per_line, skus, categories with `names`
    (comma separated); a coupon's `valid_days` and `description`."""
    kind = str(form.get("kind") or "")
    if kind not in EFFECT_KINDS:
        raise FormError("choose what the effect gives")
    spec: dict[str, Any] = {"type": kind}
    if kind == "free_shipping":
        return json.dumps(spec)
    measure = str(form.get("measure") or "")
    value = _number(str(form.get("value") or ""), "The value")
    if kind == "add_points":
        if measure == "multiplier":
            spec["multiplier"] = float(value) if value != value.to_integral() else int(value)
        else:
            if value != value.to_integral():
                raise FormError("Points are whole numbers")
            spec["points"] = int(value)
    elif measure == "amount":
        spec["amount"] = f"{value:.2f}"
    else:
        if value > 100:
            raise FormError("A percentage is at most 100")
        spec["percent"] = float(value) if value != value.to_integral() else int(value)
    if kind == "discount" or "multiplier" in spec:  # fixed points go to the whole basket
        target = str(form.get("target") or "cart")
        if target == "per_line" and kind == "discount":
            spec["per_line"] = True
        elif target in ("skus", "categories"):
            names = _names(str(form.get("names") or ""))
            if not names:
                raise FormError(f"Name the {'SKUs' if target == 'skus' else 'categories'}, separated by commas")
            spec[target] = names
    if kind == "issue_coupon":
        days = str(form.get("valid_days") or "").strip() or "30"
        if not days.isdigit() or int(days) < 1:
            raise FormError("A coupon is valid for at least 1 day")
        spec["valid_days"] = int(days)
        description = str(form.get("description") or "").strip()
        if description:
            spec["description"] = description
    return json.dumps(spec)


def _targets(spec: dict[str, Any]) -> str:
    if spec.get("skus"):
        return " on " + ", ".join(str(s) for s in spec["skus"])
    if spec.get("categories"):
        return " on " + ", ".join(str(c) for c in spec["categories"])
    if spec.get("per_line"):
        return " on every line"
    return ""


def effect_words(text: str) -> str:
    """An effect spec as a marketer reads it: "20% off on Accessories", "+100 points"."""
    try:
        spec = json.loads(text)
    except ValueError:
        return "An effect the screen cannot read"
    if not isinstance(spec, dict):
        return "An effect the screen cannot read"
    kind = spec.get("type")
    if kind == "discount":
        value = f"{spec['percent']:g}% off" if "percent" in spec else f"{words.money(spec.get('amount'))} off"
        return value + (_targets(spec) or " the basket")
    if kind == "add_points":
        if "multiplier" in spec:
            return f"{spec['multiplier']:g}x points" + (_targets(spec) or " on the basket")
        return f"+{words.points(int(spec.get('points') or 0))} points" + _targets(spec)
    if kind == "free_shipping":
        return "Free shipping"
    if kind == "issue_coupon":
        value = f"{spec['percent']:g}% off" if "percent" in spec else f"{words.money(spec.get('amount'))} off"
        return f"A coupon: {value}, valid {spec.get('valid_days', 30)} days"
    if kind == "issue_offer":
        offer = str(spec.get("kind") or "").replace("_", " ").lower()
        return f"An offer ({offer}): {spec.get('message') or ''}".rstrip(": ")
    return f"{str(kind).replace('_', ' ').capitalize()}"


def budget_words(budget: dict[str, Any] | None) -> str:
    if not budget:
        return "No budget"
    unit = budget["unit"]
    if unit == "discount_cents":
        return f"{words.money(Decimal(budget['used']) / 100)} of {words.money(Decimal(budget['limit']) / 100)}"
    return f"{words.points(budget['used'])} of {words.points(budget['limit'])} {BUDGET_UNITS.get(unit, unit)}"


def budget_percent(budget: dict[str, Any] | None) -> int:
    if not budget or not budget["limit"]:
        return 0
    return min(100, round(100 * budget["used"] / budget["limit"]))


@dataclass
class VariantRow:
    name: str
    weight: str
    exposures: str
    conversions: str
    rate: str
    effects: str
    share: str = ""  # the variant's part of the members, from the weights: "75%"


@dataclass
class StatusAction:
    status: str
    label: str


@dataclass
class CampaignRow:
    """A campaign as the list shows it."""

    id: str
    name: str
    status: str
    status_words: str
    tone: str
    trigger: str
    version: str
    budget: str
    budget_percent: int
    has_budget: bool
    updated: str
    effects: list[str] = field(default_factory=list)
    variants: list[VariantRow] = field(default_factory=list)
    actions: list[StatusAction] = field(default_factory=list)


def variant_share(weight: int, total: int) -> str:
    """A weight as the part of the members it gets: 1 of 4 -> "25%", 1 of 3 -> "33%"."""
    return f"{100 * weight / total:.0f}%" if total > 0 else ""


def variant_effects_words(effects: list[str]) -> str:
    return "; ".join(effect_words(e) for e in effects) or "Nothing more (a control group)"


def variant_rows(campaign: dict[str, Any]) -> list[VariantRow]:
    rows = []
    variants = campaign.get("variants") or []
    total = sum(int(v["weight"]) for v in variants)
    for variant in variants:
        exposures, conversions = int(variant["exposures"]), int(variant["conversions"])
        rate = f"{100 * conversions / exposures:.1f}%" if exposures else "no data yet"
        rows.append(VariantRow(variant["name"], f"{variant['weight']}", words.points(exposures),
                               words.points(conversions), rate, variant_effects_words(variant["effects"]),
                               variant_share(int(variant["weight"]), total)))
    return rows


def variant_counts_words(variant: dict[str, Any]) -> str:
    """A saved variant's counts for the editor: "120 exposures, 30 conversions (25.0%)"."""
    exposures, conversions = int(variant.get("exposures") or 0), int(variant.get("conversions") or 0)
    if not exposures:
        return "No exposures yet"
    return (f"{words.points(exposures)} exposure{'s' if exposures != 1 else ''}, {words.points(conversions)} "
            f"conversion{'s' if conversions != 1 else ''} ({100 * conversions / exposures:.1f}%)")


def variant_list(variants: list[dict[str, str]]) -> list[dict[str, str]]:
    """The editor's variants with each one's share of the members from the weights as they stand."""
    weights = [int(v["weight"]) if str(v.get("weight", "")).isdigit() else 0 for v in variants]
    total = sum(weights)
    return [{**v, "share": variant_share(w, total)} for v, w in zip(variants, weights, strict=True)]


# --- A/B variants in the editor (README "The engine": 2 to 10 {name, weight, effects}) ---------------

MAX_VARIANTS = 10
MAX_VARIANT_WEIGHT = 1000
MAX_VARIANT_NAME = 100


def variant_weight(text: str) -> int:
    """A variant's weight from the form: a whole number from 1 to 1,000."""
    value = str(text or "").strip()
    if not value.isdigit() or not 1 <= int(value) <= MAX_VARIANT_WEIGHT:
        raise FormError(f"A variant's weight is a whole number from 1 to {words.points(MAX_VARIANT_WEIGHT)}")
    return int(value)


def variant_draft(name: str, weight: str, effects: list[str], others: list[str]) -> dict[str, Any]:
    """One variant from the editor's variant form; `others`: the names of the campaign's other variants."""
    name = str(name or "").strip()
    if not name:
        raise FormError("Give the variant a name, like A or Bonus 75")
    if len(name) > MAX_VARIANT_NAME:
        raise FormError(f"A variant's name has at most {MAX_VARIANT_NAME} characters")
    if name in [o.strip() for o in others]:
        raise FormError(f"Another variant is called {name}: each variant needs its own name")
    return {"name": name, "weight": variant_weight(weight), "effects": list(effects)}


def variants_problem(variants: list[dict[str, Any]]) -> str:
    """What is wrong with the campaign's variants as a whole, in words ("" when nothing): none at
    all is fine (no A/B test); otherwise 2 to 10, each named once, each weighing at least 1."""
    if not variants:
        return ""
    if len(variants) == 1:
        return "An A/B test needs at least two variants: add another, or remove this one."
    if len(variants) > MAX_VARIANTS:
        return f"An A/B test has at most {MAX_VARIANTS} variants."
    names = [str(v.get("name") or "").strip() for v in variants]
    if not all(names):
        return "Every variant needs a name."
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        return f"Each variant needs its own name: {', '.join(repeated)} is used twice."
    for variant in variants:
        try:
            variant_weight(str(variant.get("weight")))
        except FormError as error:
            return f"{variant['name']}: {str(error)[0].lower()}{str(error)[1:]}."
    return ""


def variants_input(variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The CampaignVariantInput list; FormError (in words) when the screen can already tell it is wrong."""
    problem = variants_problem(variants)
    if problem:
        raise FormError(problem.rstrip("."))
    return [{"name": str(v["name"]).strip(), "weight": int(v["weight"]), "effects": list(v["effects"])}
            for v in variants]


def campaign_row(campaign: dict[str, Any]) -> CampaignRow:
    status = campaign["status"]
    return CampaignRow(
        id=campaign["id"],
        name=campaign["name"],
        status=status,
        status_words=status.title(),
        tone=STATUS_TONE.get(status, "gray"),
        trigger=TRIGGERS.get(campaign["trigger"], campaign["trigger"]),
        version=f"v{campaign['version']}",
        budget=budget_words(campaign.get("budget")),
        budget_percent=budget_percent(campaign.get("budget")),
        has_budget=bool(campaign.get("budget")),
        updated=words.when(campaign.get("updatedAt")),
        effects=[effect_words(e) for e in campaign["effects"]],
        variants=variant_rows(campaign),
        actions=[StatusAction(s, STATUS_ACTION[s]) for s in NEXT_STATUSES.get(status, [])],
    )


def campaign_input(form: dict[str, Any], effects: list[str], *, campaign_id: str = "",
                   variants: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The CampaignInput of the contract from the editor's fields and its A/B variants (checked
    in words first: 2 to 10, names unique, weights from 1)."""
    data: dict[str, Any] = {
        "name": str(form.get("name") or "").strip(),
        "trigger": str(form.get("trigger") or "basket"),
        "condition": str(form.get("condition") or ""),
        "effects": list(effects),
        "personalized": bool(form.get("personalized")),
        "exclusive": bool(form.get("exclusive")),
    }
    priority = str(form.get("priority") or "").strip()
    if priority:
        try:
            data["priority"] = int(priority)
        except ValueError:
            raise FormError("The priority is a whole number") from None
    cap = str(form.get("cap") or "").strip()
    if cap:
        if not cap.isdigit():
            raise FormError("The limit per member is a whole number")
        data["perMemberCap"] = int(cap)
    limit = str(form.get("budget_limit") or "").strip()
    if limit:
        if not limit.isdigit():
            raise FormError("The budget is a whole number")
        data["budget"] = {"limit": int(limit), "unit": str(form.get("budget_unit") or "points")}
    audience = str(form.get("audience") or "")
    if audience and audience != "everyone":
        data["audience"] = audience
    if campaign_id:
        data["id"] = campaign_id
    if variants:
        data["variants"] = variants_input(variants)
    return data


_WHERE = re.compile(r"^condition, (line \d+, column \d+|somewhere): ", re.IGNORECASE)


def problem_words(problem: dict[str, Any]) -> str:
    """A problem of validateCampaign as the marketer reads it (its line and column show apart)."""
    return words.sentence(_WHERE.sub("", str(problem.get("message") or "")))


def dry_run_rows(effects: list[dict[str, Any]]) -> list[dict[str, str]]:
    rows = []
    for effect in effects:
        detail = ""
        if effect.get("amount") not in (None, ""):
            detail = f"\u2212{words.money(effect['amount'])}"
        elif effect.get("points"):
            detail = f"+{words.points(int(effect['points']))} pts"
        rows.append({"kind": str(effect["kind"]).replace("_", " ").capitalize(),
                     "text": words.sentence(effect["description"]), "detail": detail})
    return rows


def reward_row(reward: dict[str, Any]) -> dict[str, str]:
    if reward.get("couponAmount") not in (None, ""):
        gives = f"{words.money(reward['couponAmount'])} off"
    elif reward.get("couponPercent") is not None:
        gives = f"{float(reward['couponPercent']):g}% off"
    else:
        gives = "The reward, on us"
    stock = reward.get("stock")
    return {
        "id": reward["id"], "name": reward["name"], "description": reward["description"],
        "cost": words.points(int(reward["pointsCost"])), "cost_raw": str(reward["pointsCost"]),
        "gives": gives, "stock": "Unlimited" if stock is None else f"{words.points(int(stock))} left",
        "stock_raw": "" if stock is None else str(stock), "active": "yes" if reward["active"] else "",
        "amount": str(reward.get("couponAmount") or ""),
        "percent": "" if reward.get("couponPercent") is None else f"{float(reward['couponPercent']):g}",
        "valid_days": str(reward.get("validDays") or 90),
    }


def reward_input(form: dict[str, Any], reward_id: str = "") -> dict[str, Any]:
    name = str(form.get("name") or "").strip()
    if not name:
        raise FormError("Give the reward a name")
    cost = str(form.get("cost") or "").strip()
    if not cost.isdigit() or int(cost) < 1:
        raise FormError("The cost is a whole number of points, at least 1")
    data: dict[str, Any] = {"name": name, "description": str(form.get("description") or "").strip() or name,
                            "pointsCost": int(cost), "active": bool(form.get("active"))}
    measure, value = str(form.get("measure") or "amount"), str(form.get("value") or "").strip()
    if value:
        amount = _number(value, "The coupon's value")
        if measure == "percent":
            data["couponPercent"] = str(amount)
        else:
            data["couponAmount"] = f"{amount:.2f}"
    stock = str(form.get("stock") or "").strip()
    if stock:
        if not stock.isdigit():
            raise FormError("The stock is a whole number (leave it empty for unlimited)")
        data["stock"] = int(stock)
    days = str(form.get("valid_days") or "").strip()
    if days:
        if not days.isdigit() or int(days) < 1:
            raise FormError("The coupon is valid for at least 1 day")
        data["validDays"] = int(days)
    if reward_id:
        data["id"] = reward_id
    return data


def segment_row(segment: dict[str, Any]) -> dict[str, str]:
    return {"id": segment["id"], "name": segment["name"], "condition": segment["condition"],
            "members": words.points(int(segment["members"])),
            "members_word": "member" if int(segment["members"]) == 1 else "members",
            "evaluating": "yes" if segment["evaluating"] else "",
            "updated": words.when(segment.get("updatedAt"))}


def with_segment(rows: list[dict[str, str]], segment: dict[str, Any]) -> list[dict[str, str]]:
    """The list with one segment as `segmentUpdated` brings it: its row replaced in place, or
    added at the end when the list did not have it yet (saved meanwhile elsewhere)."""
    row = segment_row(segment)
    if any(r["id"] == row["id"] for r in rows):
        return [row if r["id"] == row["id"] else r for r in rows]
    return [*rows, row]


# --- webhooks (README "Webhooks") ---------------------------------------------------------------------

WEBHOOK_FIELDS = "id url subscription active lastDeliveryAt failures"
WEBHOOKS = f"query Webhooks {{ webhooks {{ {WEBHOOK_FIELDS} }} }}"
UPSERT_WEBHOOK = f"mutation UpsertWebhook($input: WebhookInput!) {{ upsertWebhook(input: $input) {{ {WEBHOOK_FIELDS} }} }}"
UPDATE_WEBHOOK = (f"mutation UpdateWebhook($input: WebhookUpdateInput!) {{ updateWebhook(input: $input) "
                  f"{{ {WEBHOOK_FIELDS} }} }}")
DELETE_WEBHOOK = "mutation DeleteWebhook($id: ID!) { deleteWebhook(id: $id) }"
WEBHOOK_EXAMPLE = 'subscription { tierChanged(memberId: "*") { member { id givenName } from { name } to { name } at } }'
SHORT_DOCUMENT_CHARS = 90


def short_document(text: str) -> str:
    """A subscription document on one line, cut to what a list row shows (the whole is in a tooltip)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= SHORT_DOCUMENT_CHARS else flat[:SHORT_DOCUMENT_CHARS - 1].rstrip() + "…"


def webhook_row(webhook: dict[str, Any]) -> dict[str, str]:
    failures = int(webhook["failures"])
    return {"id": webhook["id"], "url": webhook["url"], "subscription": webhook["subscription"],
            "short": short_document(webhook["subscription"]), "active": "yes" if webhook["active"] else "",
            "last": words.when(webhook.get("lastDeliveryAt")) or "Nothing sent yet",
            "failures": "No failed deliveries" if failures == 0
            else f"{words.points(failures)} failed deliver{'y' if failures == 1 else 'ies'}",
            "failing": "yes" if failures else ""}


def webhook_input(form: dict[str, Any]) -> dict[str, Any]:
    """A new webhook from the form, checked only for what is missing: the API checks the URL, the
    secret's length and the document against the schema, and says what is wrong in words."""
    url, secret = str(form.get("url") or "").strip(), str(form.get("secret") or "")
    subscription = str(form.get("subscription") or "").strip()
    if not url:
        raise FormError("Give the URL that receives the events (https://...)")
    if not secret:
        raise FormError("Give the secret that signs each delivery (16 to 200 characters)")
    if not subscription:
        raise FormError("Give the subscription document: which events, and what each delivery carries")
    return {"url": url, "secret": secret, "subscription": subscription, "active": True}


def webhook_change(webhook_id: str, form: dict[str, Any] | None = None, *, active: bool | None = None
                   ) -> dict[str, Any]:
    """A change to a webhook (updateWebhook): what the form leaves empty is not sent, so the API
    keeps it; above all the secret, which is never shown back and need not be typed again."""
    data: dict[str, Any] = {"id": webhook_id}
    if form is not None:
        url, subscription = str(form.get("url") or "").strip(), str(form.get("subscription") or "").strip()
        if not url:
            raise FormError("Give the URL that receives the events (https://...)")
        if not subscription:
            raise FormError("Give the subscription document: which events, and what each delivery carries")
        data["url"], data["subscription"] = url, subscription
        secret = str(form.get("secret") or "")
        if secret:
            data["secret"] = secret
    if active is not None:
        data["active"] = active
    return data
