from subgraphs.kernel.migrations import run_env
from subgraphs.ledger.adapters.tables import metadata

run_env(metadata)
