"""Inventory: stores, products, per-store stock by size (reservations and product
interest come next)."""
from subgraphs.kernel.events import subject_for
from subgraphs.kernel.runtime import Consumer, SubgraphSpec

from . import handlers, privacy
from .adapters.tables import metadata
from .schema import schema

SPEC = SubgraphSpec(
    name="inventory",
    metadata=metadata,
    schema=schema,
    consumers=(
        Consumer("merges", subject_for("profile", "MembersMerged"), handlers.on_members_merged),
        Consumer("unmerges", subject_for("profile", "MembersUnmerged"), handlers.on_members_unmerged),
        privacy.CONSUMER,  # erasure: whatever privacy.PER_MEMBER_TABLES hold
    ),
)
