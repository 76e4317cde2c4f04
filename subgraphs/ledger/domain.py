"""The ledger's domain: accounts, append-only entries, tiers. No I/O here.

The balance is the sum of entries; `Account` caches it and every change to the
cache goes through `post`, which also produces the entry. Nothing else may
change an account, so the cache can never disagree with the entries.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from subgraphs.kernel.errors import BadUserInput, Conflict
from subgraphs.kernel.vocabulary import Channel


class EntryKind(StrEnum):
    EARN = "EARN"
    REDEEM = "REDEEM"
    ADJUST = "ADJUST"
    EXPIRE = "EXPIRE"
    REVERSE = "REVERSE"
    BONUS = "BONUS"


# Kinds that count toward tier qualification and lifetime points.
QUALIFYING_KINDS = frozenset({EntryKind.EARN, EntryKind.BONUS})


@dataclass(frozen=True, slots=True)
class Tier:
    id: str
    name: str
    threshold: int  # qualifying points needed
    multiplier: float  # earn rate multiplier the engine applies
    benefits: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Account:
    member_id: str
    available: int
    pending: int
    lifetime_earned: int
    qualifying_points: int
    tier_id: str
    tier_since: datetime
    last_seq: int  # entries are numbered 1, 2, 3 ... per member


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    member_id: str
    seq: int
    kind: EntryKind
    points: int  # signed
    balance_after: int
    occurred_at: datetime
    channel: Channel
    reference: str | None
    description: str


@dataclass(frozen=True, slots=True)
class TierChange:
    member_id: str
    from_tier: Tier
    to_tier: Tier
    at: datetime


@dataclass(frozen=True, slots=True)
class Posting:
    """The outcome of one posting: the account after it, its entry and any tier change."""

    account: Account
    entry: Entry
    tier_change: TierChange | None


@dataclass(frozen=True, slots=True)
class TierStatus:
    current: Tier
    since: datetime
    qualifying_points: int
    next: Tier | None
    points_to_next: int | None
    progress: float  # 0..1 toward next; 1.0 at the top tier


def ordered(tiers: Sequence[Tier]) -> list[Tier]:
    if not tiers:
        raise LookupError("the program has no tiers: load the program (loyalty seed)")
    return sorted(tiers, key=lambda t: t.threshold)


def tier_for(qualifying_points: int, tiers: Sequence[Tier]) -> Tier:
    """The highest tier whose threshold the points reach (the lowest tier at worst)."""
    ladder = ordered(tiers)
    reached = [t for t in ladder if t.threshold <= qualifying_points]
    return reached[-1] if reached else ladder[0]


def tier_status(account: Account, tiers: Sequence[Tier]) -> TierStatus:
    ladder = ordered(tiers)
    current = next((t for t in ladder if t.id == account.tier_id), ladder[0])
    higher = [t for t in ladder if t.threshold > current.threshold]
    if not higher:
        return TierStatus(current, account.tier_since, account.qualifying_points, None, None, 1.0)
    nxt = higher[0]
    span = nxt.threshold - current.threshold
    done = min(max(account.qualifying_points - current.threshold, 0), span)
    return TierStatus(
        current=current,
        since=account.tier_since,
        qualifying_points=account.qualifying_points,
        next=nxt,
        points_to_next=max(nxt.threshold - account.qualifying_points, 0),
        progress=round(done / span, 4) if span else 1.0,
    )


def new_account(member_id: str, tiers: Sequence[Tier], now: datetime) -> Account:
    return Account(member_id, 0, 0, 0, 0, ordered(tiers)[0].id, now, 0)


def post(
    account: Account,
    *,
    entry_id: str,
    kind: EntryKind,
    points: int,
    occurred_at: datetime,
    channel: Channel,
    reference: str | None,
    description: str,
    tiers: Sequence[Tier],
    now: datetime,
) -> Posting:
    """Append one entry to the account. Tiers upgrade at once when a posting
    crosses a threshold; downgrades happen only at review (not here)."""
    if kind in (EntryKind.EARN, EntryKind.BONUS) and points <= 0:
        raise BadUserInput(f"{kind.lower()} postings add points: got {points}")
    if kind is EntryKind.REDEEM and points >= 0:
        raise BadUserInput("a redemption takes points: its points are negative")
    if not description.strip():
        raise BadUserInput("every entry needs a description")
    available = account.available + points
    if available < 0 and kind is EntryKind.REDEEM:
        raise Conflict(f"insufficient points: {account.available} available, {-points} needed")
    qualifying = account.qualifying_points + (points if kind in QUALIFYING_KINDS else 0)
    lifetime = account.lifetime_earned + (points if kind in QUALIFYING_KINDS else 0)
    seq = account.last_seq + 1
    entry = Entry(entry_id, account.member_id, seq, kind, points, available, occurred_at, channel, reference,
                  description.strip())
    updated = replace(account, available=available, qualifying_points=qualifying, lifetime_earned=lifetime,
                      last_seq=seq)
    change = None
    ladder = ordered(tiers)
    current = next((t for t in ladder if t.id == account.tier_id), ladder[0])
    reached = tier_for(qualifying, ladder)
    if reached.threshold > current.threshold:
        updated = replace(updated, tier_id=reached.id, tier_since=now)
        change = TierChange(account.member_id, current, reached, now)
    return Posting(updated, entry, change)


# Every change of the balance is one of these events; each carries its entry.
EVENT_TYPE_BY_KIND = {
    EntryKind.EARN: "PointsEarned",
    EntryKind.REDEEM: "PointsRedeemed",
    EntryKind.ADJUST: "PointsAdjusted",
    EntryKind.EXPIRE: "PointsExpired",
    EntryKind.REVERSE: "PointsReversed",
    EntryKind.BONUS: "BonusPointsAwarded",
}
WALLET_EVENT_TYPES = frozenset(EVENT_TYPE_BY_KIND.values())


def entry_facts(entry: Entry) -> dict[str, object]:
    return {
        "id": entry.id,
        "member_id": entry.member_id,
        "seq": entry.seq,
        "kind": str(entry.kind),
        "points": entry.points,
        "balance_after": entry.balance_after,
        "occurred_at": entry.occurred_at.isoformat(),
        "channel": str(entry.channel),
        "reference": entry.reference,
        "description": entry.description,
    }


def entry_from_facts(facts: dict[str, object]) -> Entry:
    return Entry(
        id=str(facts["id"]),
        member_id=str(facts["member_id"]),
        seq=int(facts["seq"]),  # type: ignore[arg-type]
        kind=EntryKind(facts["kind"]),
        points=int(facts["points"]),  # type: ignore[arg-type]
        balance_after=int(facts["balance_after"]),  # type: ignore[arg-type]
        occurred_at=datetime.fromisoformat(str(facts["occurred_at"])),
        channel=Channel(facts["channel"]),
        reference=facts["reference"],  # type: ignore[arg-type]
        description=str(facts["description"]),
    )


def tier_facts(tier: Tier) -> dict[str, object]:
    return {"id": tier.id, "name": tier.name, "threshold": tier.threshold, "multiplier": tier.multiplier,
            "benefits": list(tier.benefits)}


def tier_from_facts(facts: dict[str, object]) -> Tier:
    return Tier(str(facts["id"]), str(facts["name"]), int(facts["threshold"]),  # type: ignore[arg-type]
                float(facts["multiplier"]), tuple(facts.get("benefits") or ()))  # type: ignore[arg-type]
