"""The member as the engine sees them when it decides: its own copy of what the other
subgraphs publish (profile: status, consents, birthday, home store, segments; the
ledger: the tier and its multiplier), plus the traits of the purchases it recorded
itself. Deciding never waits on another subgraph. No I/O here."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Traits:
    """Recency, frequency and monetary value from the engine's own purchases."""

    recency_days: int | None = None
    frequency_90d: int = 0
    monetary_365d: Decimal = Decimal("0.00")
    lapse_risk: float | None = None  # the churn model's score; None without one or without consent
    lapse_horizon_days: int = 90  # the score is the chance of no purchase within these days


@dataclass(frozen=True, slots=True)
class MemberFacts:
    member_id: str
    tier_id: str | None = None  # None until the ledger's first TierChanged: the program's entry tier
    tier_name: str | None = None
    multiplier: Decimal = Decimal(1)
    segments: frozenset[str] = frozenset()
    email_marketing: bool = False
    sms_marketing: bool = False
    push_marketing: bool = False
    profiling: bool = True
    birthday: date | None = None
    enrolled_at: datetime | None = None
    home_store_id: str | None = None
    traits: Traits = field(default_factory=Traits)


def condition_values(member: MemberFacts | None, now: datetime) -> dict[str, object] | None:
    """`member` as a condition reads it (README "Campaign conditions"); None for an anonymous basket."""
    if member is None:
        return None
    traits = member.traits
    return {
        "id": member.member_id,
        "tier": member.tier_id,
        "tier_name": member.tier_name,
        "segments": sorted(member.segments),
        "consents": {"email_marketing": member.email_marketing, "sms_marketing": member.sms_marketing,
                     "push_marketing": member.push_marketing, "profiling": member.profiling},
        "birthday_today": member.birthday is not None and (member.birthday.month, member.birthday.day) == (
            now.month, now.day),
        "enrolled_days": (now - member.enrolled_at).days if member.enrolled_at is not None else None,
        "home_store": member.home_store_id,
        "traits": {
            "recency_days": traits.recency_days,
            "frequency_90d": traits.frequency_90d,
            "monetary_365d": float(traits.monetary_365d),
            "lapse_risk": traits.lapse_risk if member.profiling else None,
        },
    }
