"""Inventory: stores, products, stock per store and size, reservations that never
oversell, product interest."""
from subgraphs.kernel.events import subject_for
from subgraphs.kernel.runtime import Consumer, Job, SubgraphSpec

from . import handlers, privacy
from .adapters.tables import metadata
from .schema import schema

SPEC = SubgraphSpec(
    name="inventory",
    metadata=metadata,
    schema=schema,
    consumers=(
        Consumer("sales", subject_for("rewards", "PurchaseCompleted"), handlers.events.on_purchase_completed),
        Consumer("returns", subject_for("rewards", "PurchaseReturned"), handlers.events.on_purchase_returned),
        Consumer("members", subject_for("profile", "MemberEnrolled"), handlers.events.on_member_facts),
        Consumer("member-updates", subject_for("profile", "MemberUpdated"), handlers.events.on_member_facts),
        Consumer("merges", subject_for("profile", "MembersMerged"), handlers.events.on_members_merged),
        Consumer("unmerges", subject_for("profile", "MembersUnmerged"), handlers.events.on_members_unmerged),
        privacy.CONSUMER,  # erasure: open reservations released, views and the home store forgotten
    ),
    jobs=(
        Job("expire-reservations", 15.0, handlers.reservations.expire_reservations),
        Job("prune-views", 3600.0, handlers.interest.prune_views),
    ),
)
