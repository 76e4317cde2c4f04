"""Profile's rules, one concept a module, no I/O:

- `members`: the member record, identities as enrolled, consents, who may record them.
- `consents`: consents as a ledger (every change, with when, where and who).
- `merges`: identity resolution: which records are one person, survivorship, merge and unmerge.
- `privacy`: erasure (pseudonymisation, the completion rule), export and the staff access log.
"""
from . import consents, members, merges, privacy

__all__ = ["consents", "members", "merges", "privacy"]
