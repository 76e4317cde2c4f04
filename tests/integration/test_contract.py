"""The served schema matches ../shared/CONTRACT.graphql for everything built so far.

Grow ONLY with every issue until the whole contract is served and `--only` goes.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.support.stack import Stack

CHECKER = Path(__file__).resolve().parents[3] / "shared" / "tools" / "check_contract.py"

ONLY = [
    # types served whole
    "Channel", "IdentifierKind", "MemberStatus", "LedgerEntryKind", "EffectKind",
    "DateTime", "Date", "Decimal",
    "Identity", "Consents", "PointsBalance", "ExpiringPoints", "Tier", "TierStatus", "TierChange",
    "LedgerEntry", "LedgerConnection", "LedgerEdge", "PageInfo", "WalletEvent",
    "Effect", "BasketEvaluation", "CheckoutResult", "Store", "Product", "StockLevel",
    "IdentifierInput", "EnrollMemberInput", "ConsentsInput", "BasketLineInput", "BasketInput", "CheckoutInput",
    "ReturnResult", "ReturnInput", "ReturnLineInput", "AdjustPointsInput",
    "IdentifyInput", "ConsentPurpose", "ConsentChange", "Merge",
    "ReservationStatus", "Reservation", "ProductInterest", "ProductConnection", "ProductEdge", "ReserveInput",
    "ProductViewInput",
    "MemberTraits", "Segment", "SegmentInput",
    "Campaign", "CampaignStatus", "CampaignBudget", "CampaignVariant", "CampaignInput", "CampaignBudgetInput",
    "CampaignVariantInput", "Reward", "RewardInput", "Coupon", "CouponStatus",
    "Query.rewards", "Query.coupon", "Query.campaigns", "Query.dryRunCampaign",
    "Mutation.redeemReward", "Mutation.upsertCampaign", "Mutation.setCampaignStatus", "Mutation.upsertReward",
    "Member.coupons", "Member.availableRewards",
    "OfferKind", "OfferStatus", "Offer", "Mutation.acceptOffer", "Mutation.declineOffer", "Subscription.offerIssued",
    "Member.offers",
    "ErasureRequest", "MemberExport", "StaffAccess",
    "Webhook", "WebhookInput", "Query.webhooks", "Mutation.upsertWebhook", "Mutation.deleteWebhook",
    # fields served so far
    "Query.me", "Query.member", "Query.lookupMember", "Query.tiers", "Query.evaluateBasket",
    "Query.store", "Query.stores", "Query.product", "Query.products",
    "Mutation.enrollMember", "Mutation.updateConsents", "Mutation.checkout", "Mutation.setStock",
    "Mutation.recordReturn", "Mutation.adjustPoints", "Mutation.identify", "Mutation.unmergeMember",
    "Mutation.reserve", "Mutation.cancelReservation", "Mutation.fulfillReservation", "Mutation.recordProductView",
    "Mutation.upsertSegment", "Query.segments", "Mutation.requestErasure", "Query.exportMemberData",
    "Subscription.walletUpdated", "Subscription.tierChanged", "Subscription.reservationUpdated",
    "Member.id", "Member.givenName", "Member.familyName", "Member.email", "Member.phone", "Member.birthday",
    "Member.enrolledAt", "Member.status", "Member.homeStore", "Member.identities", "Member.consents",
    "Member.points", "Member.tier", "Member.activity", "Member.consentHistory", "Member.merges",
    "Member.reservations", "Member.recentlyViewed", "Member.traits", "Member.segments", "Member.accessLog",
]


async def test_served_schema_matches_the_contract(stack: Stack) -> None:
    assert CHECKER.exists(), f"the contract checker is missing at {CHECKER}"
    # The gateway runs in this event loop: the checker must not block it.
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(CHECKER), "--url", stack.url, "--only", ",".join(ONLY),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output = (await asyncio.wait_for(process.communicate(), 60))[0].decode()
    assert process.returncode == 0, output
    assert "contract: 0 differences" in output
