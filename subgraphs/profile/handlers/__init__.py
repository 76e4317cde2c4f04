"""Profile's use cases, one concept a module (as in `domain/`):

- `members`: enrolment, lookups, consents (a ledger), the demo sign-in.
- `merges`: identify (find, create or merge) and unmerge.
"""
from . import members, merges

__all__ = ["members", "merges"]
