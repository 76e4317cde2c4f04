"""Planning: a normalized operation -> a query plan of subgraph fetches.

`walker.Planner` decides which subgraph resolves each field (entity jumps
through `_entities`, `@requires`, `@provides`, abstract types);
`selections` holds the subgraph operations being built; `plan` is the result
the executor runs and `loyalty plan` prints.
"""
from .plan import Fetch, QueryPlan
from .walker import Planner, Unplannable

__all__ = ["Fetch", "Planner", "QueryPlan", "Unplannable"]
