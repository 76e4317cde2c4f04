"""Profile's use cases, one concept a module (as in `domain/`):

- `members`: enrolment, lookups, consents (a ledger), the demo sign-in.
- `merges`: identify (find, create or merge) and unmerge.
- `traits`: purchases and returns from the engine's events, a member's traits, lapse scores,
  and moving a member's purchases with a merge (and back with an unmerge).
- `churn`: the `lapse-scores` job: the churn model scores members from their traits and tier.
- `segments`: saving segments, evaluating members against them (on every change of a member, for
  every member when a segment changes, daily for time passing), who is in.
- `privacy`: erasure requests and their completion, the data export, the staff access log.
- `staff`: the till's sign-in (staff id and PIN, bounded guessing), staff accounts.
- `sign_in_codes`: members' sign-in with a one-time code by email (bounded guessing, no enumeration).
"""
from . import churn, members, merges, privacy, segments, sign_in_codes, staff, traits

__all__ = ["churn", "members", "merges", "privacy", "segments", "sign_in_codes", "staff", "traits"]
