from subgraphs.integrations.adapters.tables import metadata
from subgraphs.kernel.migrations import run_env

run_env(metadata)
