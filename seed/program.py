"""The demo program of a small outdoor retailer: tiers, stores, products, stock, segments."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from subgraphs.inventory.domain.catalogue import Product, Store
from subgraphs.inventory.domain.stock import StockLevel
from subgraphs.ledger.domain import ExpiryKind, ExpiryPolicy, NegativeBalancePolicy, Policy, Tier
from subgraphs.rewards.domain.campaigns import CampaignDraft
from subgraphs.rewards.domain.catalogue import Reward

TIERS = [
    Tier("bronze", "Bronze", 0, 1.0, ("1 point per 1.00 spent", "Member prices")),
    Tier("silver", "Silver", 1000, 1.25, ("1.25x points", "Free shipping over 50.00")),
    Tier("gold", "Gold", 5000, 1.5, ("1.5x points", "Free shipping", "Early access to new lines")),
    Tier("platinum", "Platinum", 15000, 2.0, ("2x points", "Free shipping", "Early access", "Personal stylist")),
]

# Points expire 18 months after they were earned; online and app purchases stay pending
# through their 14-day return window, store purchases are spendable at once; tiers
# qualify on a rolling year; a member below their tier at review keeps it 30 days more.
POINTS_POLICY = Policy(
    expiry=ExpiryPolicy(ExpiryKind.ROLLING_MONTHS, 18),
    pending_days={"ECOMMERCE": 14, "APP": 14},
    qualification_months=12,
    review_months=12,
    grace_days=30,
    negative_balance=NegativeBalancePolicy.CAP_AT_ZERO,
)

STORES = [
    Store("st_portland", "Portland Pearl District", "Portland"),
    Store("st_seattle", "Seattle Capitol Hill", "Seattle"),
    Store("st_denver", "Denver LoDo", "Denver"),
    Store("st_boulder", "Boulder Pearl Street", "Boulder"),
]

APPAREL_SIZES = ("XS", "S", "M", "L", "XL")
SHOE_SIZES = ("40", "41", "42", "43", "44", "45")

PRODUCTS = [
    Product("JKT-AURORA-LTD", "Aurora Limited Running Jacket", "Running jackets", Decimal("189.00")),
    Product("JKT-TRAIL-SHELL", "Trail Shell Jacket", "Running jackets", Decimal("149.00")),
    Product("SHO-RIDGE-TR", "Ridge Trail Running Shoe", "Running shoes", Decimal("139.95")),
    Product("SHO-ROAD-LITE", "Road Lite Running Shoe", "Running shoes", Decimal("119.95")),
    Product("TEE-MERINO-150", "Merino 150 Tee", "Base layers", Decimal("69.00")),
    Product("TGT-THERMAL", "Thermal Running Tights", "Base layers", Decimal("79.00")),
    Product("SHT-SPLIT-5", "Split 5in Running Shorts", "Shorts", Decimal("45.00")),
    Product("SOK-CREW-3PK", "Crew Running Socks (3 pack)", "Accessories", Decimal("24.00")),
    Product("CAP-TRAIL", "Trail Cap", "Accessories", Decimal("29.00")),
    Product("BTL-SOFT-500", "Soft Flask 500 ml", "Hydration", Decimal("34.50")),
    Product("VST-HYDRO-8", "Hydration Vest 8 l", "Hydration", Decimal("129.00")),
    Product("LMP-HEAD-400", "Headlamp 400 lm", "Accessories", Decimal("59.90")),
]

SIZED = {
    "JKT-AURORA-LTD": APPAREL_SIZES,
    "JKT-TRAIL-SHELL": APPAREL_SIZES,
    "TEE-MERINO-150": APPAREL_SIZES,
    "TGT-THERMAL": APPAREL_SIZES,
    "SHT-SPLIT-5": APPAREL_SIZES,
    "VST-HYDRO-8": ("S", "M", "L"),
    "SHO-RIDGE-TR": SHOE_SIZES,
    "SHO-ROAD-LITE": SHOE_SIZES,
}


def stock_levels() -> list[StockLevel]:
    """Deterministic stock: the limited jacket is scarce (two of Julia's size in Portland)."""
    levels = []
    for s_index, store in enumerate(STORES):
        for p_index, product in enumerate(PRODUCTS):
            sizes = SIZED.get(product.sku, (None,))
            for z_index, size in enumerate(sizes):
                if product.sku == "JKT-AURORA-LTD":
                    quantity = 2 if (store.id == "st_portland" and size == "M") else (s_index + z_index) % 3
                else:
                    quantity = 3 + (s_index * 7 + p_index * 5 + z_index * 3) % 17
                levels.append(StockLevel(store.id, product.sku, size, quantity, 0))
    return levels


@dataclass(frozen=True)
class SeedSegment:
    id: str
    name: str
    condition: str  # CEL over traits and profile (README: "Traits and segments")


# Audiences the engine's campaigns will target. The first two read behaviour, which is
# profiling (GDPR Art. 21): members who object to it are left out by the condition itself.
SEGMENTS = [
    SeedSegment("lapsing-high-spenders", "Lapsing high spenders",
                "consents.profiling && monetary365d >= 500 && "
                "((lapseRisk != null && lapseRisk >= 0.6) || (recencyDays != null && recencyDays > 60))"),
    SeedSegment("portland-regulars", "Portland regulars",
                "consents.profiling && homeStoreId == 'st_portland' && frequency90d >= 2"),
    SeedSegment("new-members", "New members, no purchase yet",
                "enrolledDays < 30 && lifetimePurchases == 0"),
]


# --- the engine's demo: campaigns of each kind the basket can show, and the rewards catalogue ----
# (README "The engine" explains every field; the admin screen and `campaigns` list them.)


@dataclass(frozen=True)
class SeedCampaign:
    id: str
    draft: CampaignDraft
    active: bool = True


def _campaign(cid: str, name: str, condition: str, *effects: str, **fields: object) -> SeedCampaign:
    return SeedCampaign(cid, CampaignDraft(name=name, trigger="basket", condition=condition, effects=effects,
                                           **fields))  # type: ignore[arg-type]


CAMPAIGNS = [
    _campaign("cmp_free_shipping_silver", "Free shipping for Silver and up, online",
              "basket.channel in ['ECOMMERCE', 'APP'] && member != null && "
              "member.tier in ['silver', 'gold', 'platinum']",
              '{"type": "free_shipping"}'),
    _campaign("cmp_weekend_bonus", "Weekend bonus: 50 points on 50.00 or more",
              "member != null && now.day_of_week >= 6 && basket.subtotal >= 50.0",
              '{"type": "add_points", "points": 50}',
              budget_limit=100_000, budget_unit="points"),
    _campaign("cmp_shoe_bonus_ab", "Running shoes bonus (A/B on the bonus size)",
              "'Running shoes' in basket.categories",
              variants=(("25 points", 1, ('{"type": "add_points", "points": 25}',)),
                        ("75 points", 1, ('{"type": "add_points", "points": 75}',)))),
    _campaign("cmp_hydration_double", "Double points on hydration",
              "true", '{"type": "add_points", "multiplier": 2, "categories": ["Hydration"]}'),
    _campaign("cmp_accessories_gold", "Gold members: 10% off accessories",
              "member != null && member.tier in ['gold', 'platinum']",
              '{"type": "discount", "percent": 10, "categories": ["Accessories"]}', priority=10),

    _campaign("cmp_big_basket_coupon", "Spend 250.00, get 10.00 off your next visit",
              "member != null && basket.subtotal >= 250.0",
              '{"type": "issue_coupon", "amount": "10.00", "valid_days": 60, '
              '"description": "10.00 off your next visit"}',
              per_member_cap=3),
]

def _triggered(cid: str, name: str, trigger: str, condition: str, *effects: str, **fields: object) -> SeedCampaign:
    return SeedCampaign(cid, CampaignDraft(name=name, trigger=trigger, condition=condition, effects=effects,
                                           **fields))  # type: ignore[arg-type]


# Julia's journey (seed 000): three views in a week, no purchase, few left in her size at her
# home store -> a reservation offer; the purchase -> early access (Gold) and double points on
# what goes with a jacket. And the other triggers of seed 002: a tier upgrade, a milestone,
# a welcome coupon for new members, a birthday, a thank-you after a redemption; and a win-back
# offer for members the churn model scores as likely to lapse (seed 001, 003).
TRIGGERED = [
    _triggered("cmp_eyeing_reserve", "Reserve the one you are eyeing", "product_viewed",
               "event.views_in_window >= 3 && !event.bought_recently && event.available_at_home != null "
               "&& event.available_at_home > 0 && event.available_at_home <= 3",
               '{"type": "issue_offer", "kind": "RESERVATION", "valid_hours": 48, "hold_hours": 48, '
               '"message": "Looks like you\'re eyeing this. Want us to reserve one for you?", '
               '"reason": "You viewed the {event.product.name} {event.views_in_window} times this week; '
               '{event.available_at_home} left in {event.size} at {event.home_store_name}"}'),
    _triggered("cmp_gold_early_access", "Gold early access after a purchase", "purchase",
               "member.tier in ['gold', 'platinum']",
               '{"type": "issue_offer", "kind": "EARLY_ACCESS", "valid_hours": 168, "value": 5, '
               '"message": "Early access: the new Aurora line is yours to shop before everyone", '
               '"reason": "As a {member.tier_name} member you shop new lines first"}'),
    _triggered("cmp_jacket_matching_double", "Double points on what goes with your jacket", "purchase",
               "'Running jackets' in event.categories",
               '{"type": "issue_offer", "kind": "BONUS_POINTS", "valid_hours": 336, "value": 20, '
               '"message": "Double points on base layers and tights for two weeks", '
               '"reason": "You bought a running jacket: these go with it", '
               '"effects": [{"type": "add_points", "multiplier": 2, "categories": ["Base layers"]}]}',
               priority=10),
    _triggered("cmp_tier_upgrade_gift", "A gift for moving up a tier", "tier_changed", "event.upgrade",
               '{"type": "issue_offer", "kind": "GIFT", "valid_hours": 720, "amount": "15.00", '
               '"message": "Welcome to {event.to_name}: 15.00 on us", "reason": "You reached {event.to_name}"}'),
    _triggered("cmp_milestone_bonus", "Milestone bonus", "milestone", "event.threshold >= 1000",
               '{"type": "add_points", "points": 100}'),
    _triggered("cmp_welcome_coupon", "Welcome: 10.00 off your first purchase", "segment_entered",
               "event.segment_id == 'new-members'",
               '{"type": "issue_coupon", "amount": "10.00", "valid_days": 30, '
               '"description": "Welcome: 10.00 off your first purchase"}', per_member_cap=1),
    _triggered("cmp_birthday", "Happy birthday", "birthday", "true",
               '{"type": "issue_coupon", "percent": 20, "valid_days": 14, "description": "Birthday: 20% off"}'),
    # Personalised: members who object to profiling have no score and never get it (README "Churn model").
    _triggered("cmp_lapse_winback", "We miss you: 15% off to come back", "lapse_risk",
               "member.traits.lapse_risk != null && member.traits.lapse_risk > 0.7",
               '{"type": "issue_offer", "kind": "DISCOUNT", "percent": 15, "valid_hours": 336, "value": 15, '
               '"message": "We miss you: 15% off your next visit, for two weeks", '
               '"reason": "It has been {member.traits.recency_days} days since your last visit"}',
               personalized=True, per_member_cap=2),
    _triggered("cmp_redemption_thanks", "Thanks for redeeming", "redemption", "event.points >= 1000",
               '{"type": "add_points", "points": 50}', per_member_cap=3),
]

REWARDS = [
    Reward("rwd_coffee", "Coffee on us", "A coffee at the store's bar", 250),
    Reward("rwd_10_off", "10.00 off", "10.00 off a purchase of your choice", 1000, coupon_amount=Decimal("10.00")),
    Reward("rwd_15_percent", "15% off", "15% off one purchase", 2000, coupon_percent=Decimal(15)),
    Reward("rwd_trail_cap", "Trail Cap", "The Trail Cap, on us (limited)", 3000, stock=25),
]
