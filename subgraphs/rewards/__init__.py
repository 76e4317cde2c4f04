"""Rewards: the loyalty and promotion engine (baskets, checkout; campaigns, offers,
coupons and the catalogue come next)."""
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
        privacy.CONSUMER,  # erasure: identifiers go, a tombstone stays, the books stay
    ),
    jobs=(Job("resume-postings", 5.0, handlers.resume_postings),),
)
