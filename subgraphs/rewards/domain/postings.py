"""The saga's patience: how long to wait before posting to the ledger again. No I/O here."""
from __future__ import annotations

from datetime import timedelta

RETRY_CAP = timedelta(hours=1)


def retry_after(attempts: int, *, first: timedelta, max_attempts: int, cap: timedelta = RETRY_CAP
                ) -> timedelta | None:
    """How long to wait after `attempts` failed tries to post to the ledger: doubling
    from `first` up to `cap`; None once `max_attempts` have failed (park it)."""
    if attempts >= max_attempts:
        return None
    return min(first * 2 ** (attempts - 1), cap)
