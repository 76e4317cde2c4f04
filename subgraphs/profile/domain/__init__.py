"""Profile's rules, one concept a module, no I/O:

- `members`: the member record, identities as enrolled, consents, who may record them.
"""
from . import members

__all__ = ["members"]
