"""Identifiers: ULIDs (time-sortable, unique without coordination) with a readable prefix."""
from __future__ import annotations

from ulid import ULID


def new_ulid() -> str:
    return str(ULID())


def new_id(prefix: str) -> str:
    """`mbr_01JD...`: the prefix tells a reader what kind of thing an id names."""
    return f"{prefix}_{ULID()}"
