"""Inventory: stores, products, per-store stock by size (reservations and product
interest come next)."""
from subgraphs.kernel.runtime import SubgraphSpec

from .adapters.tables import metadata
from .schema import schema

SPEC = SubgraphSpec(name="inventory", metadata=metadata, schema=schema)
