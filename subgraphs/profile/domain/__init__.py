"""Profile's rules, one concept a module, no I/O:

- `members`: the member record, identities as enrolled, consents, who may record them.
- `consents`: consents as a ledger (every change, with when, where and who).
- `merges`: identity resolution: which records are one person, survivorship, merge and unmerge.
- `traits`: purchases as profile keeps them, a member's running totals, recency, frequency,
  monetary and lapse risk as of a moment.
- `segments`: CEL conditions over traits and profile, the variables they read, who is in.
- `privacy`: erasure (pseudonymisation, the completion rule), export and the staff access log.
- `churn`: the churn model's features (traits and tier, as of any moment) and its scoring.
- `staff`: staff at the till: roles, store, PIN rules (Argon2id hashes only), bounded guessing.
"""
from . import churn, consents, members, merges, privacy, segments, staff, traits

__all__ = ["churn", "consents", "members", "merges", "privacy", "segments", "staff", "traits"]
