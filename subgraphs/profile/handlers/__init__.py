"""Profile's use cases, one concept a module (as in `domain/`):

- `members`: enrolment, lookups, consents (a ledger), the demo sign-in.
- `merges`: identify (find, create or merge) and unmerge.
- `privacy`: erasure requests and their completion, the data export, the staff access log.
"""
from . import members, merges, privacy

__all__ = ["members", "merges", "privacy"]
