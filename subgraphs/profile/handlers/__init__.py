"""Profile's use cases, one concept a module (as in `domain/`):

- `members`: enrolment, lookups, consents, the demo sign-in.
"""
from . import members

__all__ = ["members"]
