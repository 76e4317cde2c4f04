"""The versioned event envelope every subgraph publishes through its outbox.

Events carry the facts their consumers need (event-carried state transfer), so
a consumer never calls back synchronously to decide.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from core.clock import utcnow
from core.ids import new_ulid

SUBJECT_PREFIX = "loyalty"


@dataclass(frozen=True, slots=True)
class Event:
    type: str  # PascalCase fact, e.g. "PointsEarned"
    source: str  # the subgraph that owns the fact
    member_id: str | None
    payload: dict[str, Any]
    version: int = 1
    id: str = field(default_factory=new_ulid)
    occurred_at: datetime = field(default_factory=utcnow)

    @property
    def subject(self) -> str:
        return subject_for(self.source, self.type)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "type": self.type,
                "version": self.version,
                "occurred_at": self.occurred_at.isoformat(),
                "member_id": self.member_id,
                "source": self.source,
                "payload": self.payload,
            }
        )

    @classmethod
    def from_json(cls, data: bytes | str) -> Event:
        raw = orjson.loads(data)
        return cls(
            id=raw["id"],
            type=raw["type"],
            version=raw["version"],
            occurred_at=datetime.fromisoformat(raw["occurred_at"]),
            member_id=raw.get("member_id"),
            source=raw["source"],
            payload=raw.get("payload") or {},
        )


def subject_for(source: str, event_type: str = "*") -> str:
    """`loyalty.ledger.PointsEarned`; `loyalty.ledger.*` matches every ledger event."""
    return f"{SUBJECT_PREFIX}.{source}.{event_type}"


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching (`*` one token, `>` the rest), used by the in-process bus too."""
    p_tokens = pattern.split(".")
    s_tokens = subject.split(".")
    for i, token in enumerate(p_tokens):
        if token == ">":
            return len(s_tokens) > i
        if i >= len(s_tokens) or (token != "*" and token != s_tokens[i]):
            return False
    return len(p_tokens) == len(s_tokens)
