"""Profile's rules, one concept a module, no I/O:

- `members`: the member record, identities as enrolled, consents, who may record them.
- `privacy`: erasure (pseudonymisation, the completion rule), export and the staff access log.
"""
from . import members, privacy

__all__ = ["members", "privacy"]
