from subgraphs.kernel.migrations import run_env
from subgraphs.profile.adapters.tables import metadata

run_env(metadata)
