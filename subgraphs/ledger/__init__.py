"""The ledger: the points book of record (entries, accounts, tiers)."""
from subgraphs.kernel.events import subject_for
from subgraphs.kernel.runtime import Consumer, SubgraphSpec

from . import handlers
from .adapters.tables import metadata
from .schema import schema

SPEC = SubgraphSpec(
    name="ledger",
    metadata=metadata,
    schema=schema,
    consumers=(Consumer("accounts", subject_for("profile", "MemberEnrolled"), handlers.on_member_enrolled),),
)
