"""The rewards engine's use cases, one concept a module (as in `domain/`):

- `members`: the engine's copy of members (profile's facts, consents, segments; the ledger's
  tiers) and the catalogue's categories, from their events.
- `purchases`: `evaluateBasket`, the checkout saga, returns, postings the ledger did not take.
- `campaigns`: saving, starting, pausing and ending campaigns; the running ones; the dry run.
- `coupons`: checking, listing, issuing and voiding coupons.
- `catalogue`: the rewards catalogue and the `redeemReward` saga.
- `triggers`: campaigns on events (purchase, tier change, product view, ...): offers, coupons, points.
- `offers`: members' offers: listed, pushed live, accepted (a reservation, a coupon) or declined.

The names below are what the schema, the seed and the bus call most, re-exported for them.
"""
from . import campaigns, catalogue, coupons, members, messages, offers, purchases, triggers
from .members import (
    MemberRef,
    find_member,
    on_consents_changed,
    on_member_enrolled,
    on_member_updated,
    on_members_merged,
    on_members_unmerged,
    on_product_changed,
    on_segment_changed,
    on_tier_changed,
)
from .purchases import CheckoutOutcome, checkout, evaluate_basket, record_return, resume_postings

__all__ = [
    "CheckoutOutcome", "MemberRef", "campaigns", "catalogue", "checkout", "coupons", "evaluate_basket",
    "find_member", "members", "messages", "on_consents_changed", "on_member_enrolled", "on_member_updated", "on_members_merged",
    "offers", "on_members_unmerged", "on_product_changed", "on_segment_changed", "on_tier_changed", "purchases",
    "triggers",
    "record_return", "resume_postings",
]
