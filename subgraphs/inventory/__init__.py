"""Inventory: stores, products, per-store stock by size (reservations and product
interest come next)."""
from subgraphs.kernel.runtime import SubgraphSpec

from . import privacy
from .adapters.tables import metadata
from .schema import schema

SPEC = SubgraphSpec(
    name="inventory",
    metadata=metadata,
    schema=schema,
    consumers=(privacy.CONSUMER,),  # erasure: whatever privacy.PER_MEMBER_TABLES hold
)
