from subgraphs.kernel.migrations import run_env
from subgraphs.rewards.adapters.tables import metadata

run_env(metadata)
