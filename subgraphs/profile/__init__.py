"""Profile: the golden record (members, identities, consents)."""
from subgraphs.kernel.runtime import SubgraphSpec

from .adapters.tables import metadata
from .schema import schema

SPEC = SubgraphSpec(name="profile", metadata=metadata, schema=schema)
