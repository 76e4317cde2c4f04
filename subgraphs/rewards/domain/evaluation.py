"""The engine: a basket and the member in, typed effects out, each with the campaign
that caused it. `evaluateBasket` is this function and nothing else (a dry run); a
checkout commits what it returns (budgets, caps, coupons, points). No I/O here.

The order of work, so that the result never depends on anything but the inputs:

1. Line amounts, in cents.
2. Campaigns, in `order_key` order (priority, then id); each running one that targets the
   member (audience, profiling consent, per-member cap, budget left) and whose condition
   holds applies its effects and its variant's: discounts on the amounts as they stand, never
   below zero. An exclusive campaign that applies ends the campaigns.
3. Coupons, in the order the till sent them: at most `max_coupons`, an exclusive one alone.
4. Points, on the final amounts: 1 point per 1.00 (floored per line), times the tier's
   multiplier, plus each campaign's multiplier on its lines' base points, plus fixed points
   spread over the lines by amount. Every point sits on a line, so a return of a line takes
   back exactly what it earned.
5. A campaign whose points do not fit its points budget does not apply: evaluate again
   without it (at most once per such campaign).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from core.cel import Bindings, CelEvaluationError, Expression, bind
from core.errors import BadUserInput
from subgraphs.kernel.bounds import MAX_INT

from .basket import BASE_EARN_RATE, CENT, Basket, money, validate_basket
from .campaigns import Budget, BudgetUnit, Campaign, order_key, running, variant_of
from .coupons import MAX_PER_BASKET, Coupon, normalize_code, why_not
from .effects import AddPoints, Discount, EffectSpec, FreeShipping, IssueCoupon
from .members import MemberFacts, condition_values


class EffectKind(StrEnum):
    DISCOUNT = "DISCOUNT"
    ADD_POINTS = "ADD_POINTS"
    COUPON_ACCEPTED = "COUPON_ACCEPTED"
    COUPON_REJECTED = "COUPON_REJECTED"
    FREE_SHIPPING = "FREE_SHIPPING"
    ISSUE_OFFER = "ISSUE_OFFER"
    ISSUE_COUPON = "ISSUE_COUPON"


@dataclass(frozen=True, slots=True)
class Effect:
    kind: EffectKind
    description: str
    amount: Decimal | None = None
    points: int | None = None
    coupon_code: str | None = None
    sku: str | None = None
    campaign_id: str | None = None


@dataclass(frozen=True, slots=True)
class LineResult:
    line_id: str  # the line's position in the basket, "1", "2", ...
    sku: str
    quantity: int
    unit_price: Decimal
    size: str | None
    amount: Decimal  # after discounts
    points: int


@dataclass(frozen=True, slots=True)
class Applied:
    """A campaign that applied: what a checkout consumes of its budget and cap (or, for a
    member's bonus offer, the offer it uses)."""

    campaign_id: str
    version: int
    variant: str | None
    points: int
    discount_cents: int
    offer_id: str | None = None


@dataclass(frozen=True, slots=True)
class CouponToIssue:
    campaign_id: str
    spec: IssueCoupon


@dataclass(frozen=True, slots=True)
class Evaluation:
    subtotal: Decimal
    discount: Decimal
    total: Decimal
    points_to_earn: int
    effects: tuple[Effect, ...]
    lines: tuple[LineResult, ...] = field(default=())
    applied: tuple[Applied, ...] = ()
    exposed: tuple[tuple[str, str], ...] = ()  # (campaign, variant) of A/B tests whose condition was checked
    coupons_redeemed: tuple[str, ...] = ()
    coupons_to_issue: tuple[CouponToIssue, ...] = ()
    free_shipping: bool = False


@dataclass(frozen=True, slots=True)
class LiveCampaign:
    """A running campaign with its condition compiled (once per version, by the handlers); or a
    member's open bonus offer, as a campaign of its own (`offer_id`)."""

    campaign: Campaign
    condition: Expression
    offer_id: str | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """Everything the engine decides on besides the basket."""

    now: datetime
    member: MemberFacts | None = None
    campaigns: Sequence[LiveCampaign] = ()
    coupons: Mapping[str, Coupon] = field(default_factory=dict)  # by normalised code; absent: unknown
    categories: Mapping[str, str] = field(default_factory=dict)  # sku -> category (the catalogue)
    usage: Mapping[str, int] = field(default_factory=dict)  # campaign id -> times this member benefited
    max_coupons: int = MAX_PER_BASKET


def evaluate(basket: Basket, context: Context) -> Evaluation:
    basket = validate_basket(basket)
    excluded: set[str] = set()
    while True:
        work = _Work(basket, context, excluded)
        over = work.run()
        if over is None:
            return work.result()
        excluded.add(over)


def _cents(amount: Decimal) -> int:
    return int((amount / CENT).to_integral_value(rounding=ROUND_HALF_UP))


def _money(cents: int) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)


def spread(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split over `weights` in proportion, in whole units, adding up exactly (largest
    remainder, ties to the earlier); all-zero weights count as equal."""
    if not weights:
        return []
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


@dataclass(slots=True)
class _Applying:
    live: LiveCampaign
    variant: str | None
    specs: tuple[EffectSpec, ...]
    discount_cents: int = 0


class _Work:
    """One evaluation's mutable state; `run` returns a campaign to exclude, or None when done."""

    def __init__(self, basket: Basket, context: Context, excluded: set[str]) -> None:
        self.basket, self.context, self.excluded = basket, context, excluded
        self.member = context.member
        self.gross = [_cents(line.unit_price * line.quantity) for line in basket.lines]
        self.amounts = list(self.gross)
        self.effects: list[Effect] = []
        self.applying: list[_Applying] = []
        self.exposed: list[tuple[str, str]] = []
        self.redeemed: list[str] = []
        self.points = [0] * len(basket.lines)
        self.applied: list[Applied] = []

    def category(self, sku: str) -> str | None:
        return self.context.categories.get(sku)

    # -- 2. campaigns ----------------------------------------------------------------------------

    def run(self) -> str | None:
        try:  # converted once for every campaign's condition (converting costs more than evaluating)
            values: Bindings | None = bind(self._condition_values())
        except CelEvaluationError:
            values = None  # values CEL cannot hold: no condition can be evaluated on them
        for live in sorted(self.context.campaigns, key=lambda lc: order_key(lc.campaign)):
            campaign = live.campaign
            if campaign.id in self.excluded or not running(campaign, self.context.now) or not self._targets(campaign):
                continue
            variant = variant_of(campaign, self.member.member_id if self.member else None)
            if variant is not None:
                self.exposed.append((campaign.id, variant.name))
            try:
                holds = values is not None and live.condition.evaluate(values) is True
            except CelEvaluationError:
                holds = False  # a condition that cannot be evaluated for this basket does not hold
            if not holds:
                continue
            applying = _Applying(live, variant.name if variant else None,
                                 campaign.specs + (variant.specs if variant else ()))
            if not self._discount(applying):
                continue
            self.applying.append(applying)
            if campaign.exclusive:
                break
        self._coupons()
        return self._points()

    def _targets(self, campaign: Campaign) -> bool:
        member = self.member
        if campaign.audience is not None and (member is None or campaign.audience not in member.segments):
            return False
        if campaign.personalized and (member is None or not member.profiling):
            return False
        if campaign.per_member_cap is not None and (
                member is None or self.context.usage.get(campaign.id, 0) >= campaign.per_member_cap):
            return False
        return campaign.budget is None or campaign.budget.left > 0

    def _condition_values(self) -> dict[str, Any]:
        now = self.context.now
        lines = self.basket.lines
        categories = sorted({c for c in (self.category(line.sku) for line in lines) if c})
        return {
            "member": condition_values(self.member, now),
            "basket": {
                "channel": str(self.basket.channel), "store_id": self.basket.store_id,
                "subtotal": float(_money(sum(self.gross))), "quantity": sum(line.quantity for line in lines),
                "lines": len(lines), "skus": sorted({line.sku for line in lines}), "categories": categories,
                "coupon_codes": [normalize_code(c) for c in self.basket.coupon_codes],
            },
            "event": {},
            "now": {"day_of_week": now.isoweekday(), "hour": now.hour, "date": now.date().isoformat()},
        }

    def _discount(self, applying: _Applying) -> bool:
        """Apply the campaign's discounts to the amounts; False (nothing changed) when they do
        not fit its discount budget."""
        before = list(self.amounts)
        effects: list[Effect] = []
        for spec in applying.specs:
            if isinstance(spec, Discount):
                off = self._discount_lines(spec)
                taken = sum(off)
                if taken:
                    applying.discount_cents += taken
                    skus = {self.basket.lines[i].sku for i, cents in enumerate(off) if cents}
                    effects.append(Effect(EffectKind.DISCOUNT, applying.live.campaign.name, _money(taken),
                                          sku=next(iter(skus)) if len(skus) == 1 else None,
                                          campaign_id=applying.live.campaign.id))
        budget = applying.live.campaign.budget
        if budget is not None and budget.unit is BudgetUnit.DISCOUNT_CENTS and applying.discount_cents > budget.left:
            self.amounts = before
            return False
        self.effects.extend(effects)
        return True

    def _discount_lines(self, spec: Discount) -> list[int]:
        """Cents off each line (never more than is left of it); the amounts are updated."""
        target = spec.target
        matched = [i for i, line in enumerate(self.basket.lines) if target.matches(line.sku, self.category(line.sku))]
        off = [0] * len(self.amounts)
        if spec.percent is not None:
            for i in matched:
                off[i] = min(self.amounts[i], int((Decimal(self.amounts[i]) * spec.percent / 100)
                                                  .to_integral_value(rounding=ROUND_HALF_UP)))
        elif target.cart:
            assert spec.amount is not None
            left = sum(self.amounts[i] for i in matched)
            for i, cents in zip(matched, spread(min(_cents(spec.amount), left), [self.amounts[i] for i in matched]),
                                strict=True):
                off[i] = cents
        else:
            assert spec.amount is not None
            for i in matched:
                off[i] = min(self.amounts[i], _cents(spec.amount) * self.basket.lines[i].quantity)
        for i, cents in enumerate(off):
            self.amounts[i] -= cents
        return off

    # -- 3. coupons ------------------------------------------------------------------------------

    def _coupons(self) -> None:
        member_id = self.member.member_id if self.member else None
        seen: set[str] = set()
        exclusive_taken = False
        for given in self.basket.coupon_codes:
            code = normalize_code(given)
            coupon = self.context.coupons.get(code)
            reason = "already in this basket" if code in seen else why_not(coupon, member_id, self.context.now)
            seen.add(code)
            if reason is None and len(self.redeemed) >= self.context.max_coupons:
                reason = f"at most {self.context.max_coupons} coupons per basket"
            if reason is None and (exclusive_taken or (coupon.exclusive and self.redeemed)):  # type: ignore[union-attr]
                reason = "cannot be combined with the other coupons"
            if reason is not None:
                self.effects.append(Effect(EffectKind.COUPON_REJECTED, f"coupon {given}: {reason}",
                                           coupon_code=code or given))
                continue
            assert coupon is not None
            total = sum(self.amounts)
            wanted = _cents(coupon.amount) if coupon.amount is not None else int(
                (Decimal(total) * (coupon.percent or Decimal(0)) / 100).to_integral_value(rounding=ROUND_HALF_UP))
            taken = min(wanted, total)
            for i, cents in enumerate(spread(taken, self.amounts)):
                self.amounts[i] -= cents
            self.redeemed.append(code)
            exclusive_taken = exclusive_taken or coupon.exclusive
            self.effects.append(Effect(EffectKind.COUPON_ACCEPTED, f"coupon {code}: {coupon.description}",
                                       _money(taken), coupon_code=code, campaign_id=coupon.campaign_id))

    # -- 4. points -------------------------------------------------------------------------------

    def _points(self) -> str | None:
        if self.member is None:
            return None  # an anonymous basket earns nothing; its discounts stand
        base = [int((_money(cents) * BASE_EARN_RATE).to_integral_value(rounding=ROUND_FLOOR)) for cents in
                self.amounts]
        multiplier = self.member.multiplier
        tiered = [int((Decimal(b) * multiplier).to_integral_value(rounding=ROUND_FLOOR)) for b in base]
        self.points = list(tiered)
        earned = sum(base)
        head: list[Effect] = []
        if earned:
            head.append(Effect(EffectKind.ADD_POINTS, f"{earned} points: 1 point per 1.00 spent", points=earned))
        if sum(tiered) != earned:
            name = self.member.tier_name or self.member.tier_id or "your tier"
            head.append(Effect(EffectKind.ADD_POINTS, f"{name}: {multiplier.normalize()}x points",
                               points=sum(tiered) - earned))
        for applying in self.applying:
            campaign = applying.live.campaign
            added = [0] * len(self.points)
            for spec in applying.specs:
                if isinstance(spec, AddPoints):
                    self._add_points(spec, base, added)
            gained = sum(added)
            budget: Budget | None = campaign.budget
            if budget is not None and budget.unit is BudgetUnit.POINTS and gained > budget.left:
                return campaign.id  # does not fit: evaluate again without it
            self.points = [p + a for p, a in zip(self.points, added, strict=True)]
            if gained:
                self.effects.append(Effect(EffectKind.ADD_POINTS, campaign.name, points=gained,
                                           campaign_id=campaign.id))
            for spec in applying.specs:
                if isinstance(spec, FreeShipping):
                    self.effects.append(Effect(EffectKind.FREE_SHIPPING, campaign.name, campaign_id=campaign.id))
                elif isinstance(spec, IssueCoupon):
                    self.effects.append(Effect(EffectKind.ISSUE_COUPON, f"{campaign.name}: {spec.description}",
                                               amount=spec.amount, campaign_id=campaign.id))
            self.applied.append(Applied(campaign.id, campaign.version, applying.variant, gained,
                                        applying.discount_cents, applying.live.offer_id))
        self.effects[:0] = head
        if sum(self.points) > MAX_INT:
            raise BadUserInput(f"this basket would earn {sum(self.points)} points, more than a posting can hold "
                               f"({MAX_INT})", field="lines")
        return None

    def _add_points(self, spec: AddPoints, base: list[int], added: list[int]) -> None:
        if spec.points is not None:
            for i, share in enumerate(spread(spec.points, self.amounts)):
                added[i] += share
            return
        assert spec.multiplier is not None
        for i, line in enumerate(self.basket.lines):
            if spec.target.matches(line.sku, self.category(line.sku)):
                added[i] += int((Decimal(base[i]) * (spec.multiplier - 1)).to_integral_value(rounding=ROUND_FLOOR))

    def result(self) -> Evaluation:
        lines = tuple(
            LineResult(str(n), line.sku, line.quantity, line.unit_price, line.size, _money(self.amounts[n - 1]),
                       self.points[n - 1])
            for n, line in enumerate(self.basket.lines, start=1)
        )
        subtotal = _money(sum(self.gross))
        total = _money(sum(self.amounts))
        applied_ids = {a.campaign_id for a in self.applied}
        issue = tuple(CouponToIssue(a.live.campaign.id, spec) for a in self.applying
                      if a.live.campaign.id in applied_ids and self.member is not None
                      for spec in a.specs if isinstance(spec, IssueCoupon))
        effects = [e for e in self.effects if self.member is not None or e.kind is not EffectKind.ISSUE_COUPON]
        return Evaluation(
            subtotal=subtotal, discount=money(subtotal - total), total=total, points_to_earn=sum(self.points),
            effects=tuple(effects), lines=lines, applied=tuple(self.applied), exposed=tuple(self.exposed),
            coupons_redeemed=tuple(self.redeemed), coupons_to_issue=issue,
            free_shipping=any(e.kind is EffectKind.FREE_SHIPPING for e in effects),
        )


# --- a stored evaluation (replays of a checkout) and the PurchaseCompleted payload --------------


def evaluation_facts(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "subtotal": str(evaluation.subtotal),
        "discount": str(evaluation.discount),
        "total": str(evaluation.total),
        "points_to_earn": evaluation.points_to_earn,
        "effects": [
            {"kind": str(e.kind), "description": e.description,
             "amount": str(e.amount) if e.amount is not None else None, "points": e.points,
             "coupon_code": e.coupon_code, "sku": e.sku, "campaign_id": e.campaign_id}
            for e in evaluation.effects
        ],
        "lines": [
            {"line_id": r.line_id, "sku": r.sku, "quantity": r.quantity, "unit_price": str(r.unit_price),
             "size": r.size, "amount": str(r.amount), "points": r.points}
            for r in evaluation.lines
        ],
        "campaigns": [{"campaign_id": a.campaign_id, "version": a.version, "variant": a.variant, "points": a.points,
                       "discount_cents": a.discount_cents, "offer_id": a.offer_id} for a in evaluation.applied],
        "coupons_redeemed": list(evaluation.coupons_redeemed),
        "free_shipping": evaluation.free_shipping,
    }


def evaluation_from_facts(facts: dict[str, Any]) -> Evaluation:
    def dec(value: str | None) -> Decimal | None:
        return Decimal(value) if value is not None else None

    return Evaluation(
        subtotal=Decimal(facts["subtotal"]),
        discount=Decimal(facts["discount"]),
        total=Decimal(facts["total"]),
        points_to_earn=facts["points_to_earn"],
        effects=tuple(
            Effect(EffectKind(e["kind"]), e["description"], dec(e["amount"]), e["points"], e["coupon_code"],
                   e["sku"], e["campaign_id"])
            for e in facts["effects"]
        ),
        lines=tuple(
            LineResult(r["line_id"], r["sku"], r["quantity"], Decimal(r["unit_price"]), r["size"],
                       Decimal(r["amount"]), r["points"])
            for r in facts["lines"]
        ),
        applied=tuple(Applied(a["campaign_id"], a["version"], a["variant"], a["points"], a["discount_cents"],
                              a.get("offer_id")) for a in facts.get("campaigns", ())),
        coupons_redeemed=tuple(facts.get("coupons_redeemed", ())),
        free_shipping=bool(facts.get("free_shipping", False)),
    )


def same_basket(evaluation: Evaluation, basket: Basket) -> bool:
    """Is this basket the one the evaluation was made for (a replay of one checkout)?"""
    recorded = [(r.sku, r.quantity, r.unit_price, r.size) for r in evaluation.lines]
    return recorded == [(ln.sku, ln.quantity, ln.unit_price, ln.size) for ln in basket.lines]


def earning_lines(evaluation: Evaluation) -> Sequence[LineResult]:
    """The lines that earned something: what the ledger records per line."""
    return [r for r in evaluation.lines if r.points > 0]
