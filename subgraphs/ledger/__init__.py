"""The ledger: the points book of record (entries, accounts, tiers)."""
from subgraphs.kernel.events import subject_for
from subgraphs.kernel.runtime import Consumer, Job, SubgraphSpec

from . import handlers, privacy
from .adapters.tables import metadata
from .schema import schema

SPEC = SubgraphSpec(
    name="ledger",
    metadata=metadata,
    schema=schema,
    consumers=(
        Consumer("accounts", subject_for("profile", "MemberEnrolled"), handlers.on_member_enrolled),
        Consumer("merges", subject_for("profile", "MembersMerged"), handlers.on_members_merged),
        Consumer("unmerges", subject_for("profile", "MembersUnmerged"), handlers.on_members_unmerged),
        Consumer("bonuses", subject_for("rewards", "BonusPointsAwarded"), handlers.on_bonus_awarded),
        privacy.CONSUMER,  # erasure: adjustment reasons go, the books stay
    ),
    # Maturing, expiry and tier reviews; cheap when nothing is due.
    jobs=(Job("schedule", 30.0, handlers.run_schedule),),
)
