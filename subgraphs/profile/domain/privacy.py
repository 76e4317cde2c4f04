"""Privacy rules: erasure (GDPR Art. 17), who may export and read the staff access
log (Art. 15/20), and what the log records. No I/O here.

Erasure pseudonymises: the member id (a random ULID that names no one) stays, so
the books other subgraphs keep still add up, and so do the member's consents
(booleans and times, the record of what they agreed to); everything that names
or reaches the person goes. The request is complete when every subgraph has
confirmed its own part.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.auth import Principal, Role
from core.errors import BadUserInput, Conflict, Forbidden
from core.settings import SUBGRAPHS

from .members import PROFILE_FIELDS, Member, MemberStatus

# What a member record keeps after an erasure: these fields become empty, identities go.
ERASED_FIELDS: dict[str, Any] = {
    "given_name": None,
    "family_name": None,
    "email": None,
    "phone": None,
    "birthday": None,
    "home_store_id": None,  # with the enrolment date, a store narrows a person down
    "field_sources": {},  # where the fields above came from: nothing left to describe
}
# What a merge's reason (the identifiers that matched) says once the person is erased.
ERASED_MERGE_REASON = "erased at the member's request"

# Who asks for an erasure: the member themself, or a supervisor or an admin on their behalf.
ERASURE_STAFF_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
# Who reads a member's access log: the member themself, supervisors and admins.
ACCESS_LOG_STAFF_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
# Whose reads and changes the access log records: people on the staff. Service tokens are
# the platform's own calls (a checkout confirming a member), already on record as what they did.
AUDITED_ROLES = frozenset({Role.CASHIER, Role.SUPERVISOR, Role.ADMIN})
MAX_ACCESS_LOG_PAGE = 500


def pseudonymise(member: Member) -> Member:
    """The member as an erasure leaves them: status ERASED, nothing that names or reaches them."""
    return replace(member, status=MemberStatus.ERASED, identities=(), **ERASED_FIELDS)


def erased_merge_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A merge's record (the snapshots that would undo it: domain/merges.py) without the
    person: every profile field of every snapshot empty, the identifiers that moved gone.
    The ids, times, statuses and consents stay; the merge can no longer be undone."""
    def scrubbed(snapshot: Any) -> Any:
        if not isinstance(snapshot, Mapping):
            return snapshot
        fields = snapshot.get("fields")
        return {**snapshot, "fields": {name: None for name in (fields or PROFILE_FIELDS)}, "sources": {}}

    return {**record, **{key: scrubbed(record.get(key)) for key in ("survivor_before", "absorbed_before",
                                                                   "survivor_after") if key in record},
            "moved": []}


def check_not_erased(members: Iterable[Member]) -> None:
    """Nothing brings an erased member back (an unmerge would restore a record from nothing)."""
    for member in members:
        if member.status is MemberStatus.ERASED:
            raise Conflict(f"member {member.id} was erased", memberId=member.id)


def check_erasure_requester(principal: Principal) -> None:
    """The member (checked against the member id elsewhere) or a supervisor or admin."""
    if principal.role is not Role.MEMBER and principal.role not in ERASURE_STAFF_ROLES:
        raise Forbidden("an erasure is requested by the member, or by a supervisor or an admin for them")


def check_access_log_reader(principal: Principal) -> None:
    if principal.role is not Role.MEMBER and principal.role not in ACCESS_LOG_STAFF_ROLES:
        raise Forbidden("the access log is for the member, supervisors and admins")


def check_access_log_page(first: int) -> int:
    if not 0 <= first <= MAX_ACCESS_LOG_PAGE:
        raise BadUserInput(f"first must be between 0 and {MAX_ACCESS_LOG_PAGE}", field="first")
    return first


# --- the erasure request ---------------------------------------------------------------------


class UnknownSubgraph(ValueError):
    """A confirmation from a subgraph that holds no part of an erasure."""


@dataclass(frozen=True, slots=True)
class ErasureRequest:
    id: str
    member_id: str
    requested_at: datetime
    requested_by: str  # the member's id, or the staff id that asked on their behalf
    confirmed: frozenset[str] = frozenset()  # the subgraphs that erased their part
    completed_at: datetime | None = None


def confirm(request: ErasureRequest, subgraph: str, at: datetime,
            subgraphs: Iterable[str] = SUBGRAPHS) -> ErasureRequest:
    """A subgraph erased its part. The request completes, at the last confirmation's
    time, when every subgraph has confirmed; a repeated confirmation changes nothing."""
    expected = frozenset(subgraphs)
    if subgraph not in expected:
        raise UnknownSubgraph(f"{subgraph!r} holds no part of an erasure (expected one of {sorted(expected)})")
    if subgraph in request.confirmed:
        return request
    confirmed = request.confirmed | {subgraph}
    return replace(request, confirmed=confirmed,
                   completed_at=at if confirmed == expected and request.completed_at is None else request.completed_at)


# --- the staff access log ---------------------------------------------------------------------


class Action(StrEnum):
    """What a member of staff did with a member's data."""

    LOOKUP = "lookup"  # found them by an identifier (lookupMember)
    VIEW = "view"  # read their record (member(id), or an entity fetch of it)
    CONSENTS = "consents"  # recorded a consent change on their behalf
    ADJUSTMENT = "adjustment"  # adjusted their points (the ledger's PointsAdjusted)
    EXPORT = "export"  # exported their data
    ERASURE = "erasure"  # asked for their erasure


# Reads are recorded once per staff member, member and minute: the gateway's second fetch
# of a member for the same query (and a lookup followed by a view) is not a second access.
READS = frozenset({Action.LOOKUP, Action.VIEW})


@dataclass(frozen=True, slots=True)
class StaffAccess:
    member_id: str
    staff_id: str
    role: str
    action: Action
    at: datetime

    @property
    def read_minute(self) -> int | None:
        """The minute a read falls in (its de-duplication key); None for changes, each recorded."""
        return int(self.at.timestamp() // 60) if self.action in READS else None


def staff_access(principal: Principal | None, member_id: str, action: Action, at: datetime) -> StaffAccess | None:
    """The entry an access by this principal makes; None for the member themself and services."""
    if principal is None or principal.role not in AUDITED_ROLES:
        return None
    return StaffAccess(member_id, principal.subject, str(principal.role), action, at)


def staff_of(actor: str) -> tuple[str, str]:
    """The ledger's `actor` of an adjustment ("supervisor:sup-7") as (role, staff id)."""
    role, separator, staff_id = actor.partition(":")
    return (role, staff_id) if separator and staff_id else ("unknown", actor)
