"""Profile's use cases, one concept a module (as in `domain/`):

- `members`: enrolment, lookups, consents, the demo sign-in.
- `privacy`: erasure requests and their completion, the data export, the staff access log.
"""
from . import members, privacy

__all__ = ["members", "privacy"]
