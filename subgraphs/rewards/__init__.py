"""Rewards: the loyalty and promotion engine: baskets in, effects out (campaigns as data,
tier multipliers, coupons), the checkout saga, the rewards catalogue and redemptions."""
from subgraphs.kernel.events import subject_for
from subgraphs.kernel.runtime import Consumer, Job, SubgraphSpec

from . import handlers, privacy
from .adapters.tables import metadata
from .schema import schema

SPEC = SubgraphSpec(
    name="rewards",
    metadata=metadata,
    schema=schema,
    consumers=(
        Consumer("members", subject_for("profile", "MemberEnrolled"), handlers.on_member_enrolled),
        Consumer("consents", subject_for("profile", "ConsentsChanged"), handlers.on_consents_changed),
        Consumer("catalogue", subject_for("inventory", "ProductChanged"), handlers.on_product_changed),
        Consumer("member-updates", subject_for("profile", "MemberUpdated"), handlers.on_member_updated),
        Consumer("merges", subject_for("profile", "MembersMerged"), handlers.on_members_merged),
        Consumer("unmerges", subject_for("profile", "MembersUnmerged"), handlers.on_members_unmerged),
        Consumer("tiers", subject_for("ledger", "TierChanged"), handlers.on_tier_changed),
        Consumer("segments-entered", subject_for("profile", "SegmentEntered"), handlers.on_segment_changed),
        Consumer("segments-exited", subject_for("profile", "SegmentExited"), handlers.on_segment_changed),
        # Triggered campaigns (handlers/triggers.py): each event once per trigger (the inbox).
        Consumer("purchase-triggers", subject_for("rewards", "PurchaseCompleted"), handlers.triggers.on_purchase),
        Consumer("tier-triggers", subject_for("ledger", "TierChanged"), handlers.triggers.on_tier_changed),
        Consumer("milestone-triggers", subject_for("ledger", "MilestoneReached"), handlers.triggers.on_milestone),
        Consumer("view-triggers", subject_for("inventory", "ProductViewed"), handlers.triggers.on_product_viewed),
        Consumer("segment-triggers", subject_for("profile", "SegmentEntered"), handlers.triggers.on_segment_entered),
        Consumer("redemption-triggers", subject_for("rewards", "RewardRedeemed"), handlers.triggers.on_redemption),
        # Messages (handlers/messages.py): queued here, delivered by the job below.
        Consumer("offer-messages", subject_for("rewards", "OfferIssued"), handlers.messages.on_offer_issued),
        Consumer("coupon-messages", subject_for("rewards", "CouponIssued"), handlers.messages.on_coupon_issued),
        Consumer("sign-in-code-messages", subject_for("profile", "SignInCodeRequested"),
                 handlers.messages.on_sign_in_code_requested),
        # Profile's churn scores: the engine's copy (next best offer, conditions), then the lapse_risk campaigns.
        Consumer("lapse-risk", subject_for("profile", "LapseRiskScored"), handlers.triggers.on_lapse_risk),
        privacy.CONSUMER,  # erasure: identifiers go, a tombstone stays, the books stay
    ),
    jobs=(
        Job("resume-postings", 5.0, handlers.resume_postings),
        Job("resume-redemptions", 10.0, handlers.catalogue.resume_redemptions),
        Job("birthdays", 3600.0, handlers.triggers.birthdays),  # hourly; once a year per member (the inbox)
        Job("deliver-messages", 1.0, handlers.messages.deliver),  # drains the message log
    ),
)
