"""Profile: the golden record (members, identities, consents; erasure, export, the staff access log)."""
from subgraphs.kernel.events import subject_for
from subgraphs.kernel.privacy import ERASED, erasure_consumer
from subgraphs.kernel.runtime import Consumer, Job, SubgraphSpec

from .adapters.tables import metadata
from .handlers import privacy
from .schema import schema

SPEC = SubgraphSpec(
    name="profile",
    metadata=metadata,
    schema=schema,
    consumers=(
        # Privacy: profile erases its own part like every subgraph, counts the four confirmations,
        # and records the ledger's adjustments in the staff access log.
        erasure_consumer(privacy.erase),
        Consumer(privacy.CONFIRMATIONS, subject_for("*", ERASED), privacy.on_member_erased),
        Consumer(privacy.ACCESS_LOG, subject_for("ledger", "PointsAdjusted"), privacy.on_points_adjusted),
    ),
    jobs=(Job("access-log-retention", 3600.0, privacy.prune_access_log),),
)
