"""Profile: the golden record (members, identities, consents, traits and segments; erasure, export,
the staff access log)."""
from subgraphs.kernel.events import subject_for
from subgraphs.kernel.privacy import ERASED, erasure_consumer
from subgraphs.kernel.runtime import Consumer, Job, SubgraphSpec

from . import handlers
from .adapters.tables import metadata
from .handlers import privacy
from .schema import schema

SPEC = SubgraphSpec(
    name="profile",
    metadata=metadata,
    schema=schema,
    consumers=(
        # What the engine says a purchase was, for traits (recency, frequency, monetary) and segments.
        Consumer("purchases", subject_for("rewards", "PurchaseCompleted"), handlers.traits.on_purchase_completed),
        Consumer("returns", subject_for("rewards", "PurchaseReturned"), handlers.traits.on_purchase_returned),
        # The ledger's tiers: the churn model's tier feature.
        Consumer("tiers", subject_for("ledger", "TierChanged"), handlers.traits.on_tier_changed),
        # Privacy: profile erases its own part like every subgraph, counts the four confirmations,
        # and records the ledger's adjustments in the staff access log.
        erasure_consumer(privacy.erase),
        Consumer(privacy.CONFIRMATIONS, subject_for("*", ERASED), privacy.on_member_erased),
        Consumer(privacy.ACCESS_LOG, subject_for("ledger", "PointsAdjusted"), privacy.on_points_adjusted),
    ),
    jobs=(
        # A new or changed segment, for every member, a page at a time.
        Job("segments-evaluate", 5.0, handlers.segments.evaluate_changed_segments),
        # Time passing (recency, the windows): once a day, resumed every minute until done.
        Job("segments-daily", 60.0, handlers.segments.run_daily_pass),
        # The churn model scores members who ever bought: once a day, resumed every minute until done.
        Job("lapse-scores", 60.0, handlers.churn.run_scoring_pass),
        Job("access-log-retention", 3600.0, privacy.prune_access_log),
        Job("sign-in-codes", 3600.0, handlers.sign_in_codes.prune),  # rows with nothing left to count
    ),
)
