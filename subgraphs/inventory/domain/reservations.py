"""Reservations: one unit of a product in a size, held at a store for a member until a
time, then fulfilled at the till, cancelled, or expired. No I/O here.

A reservation changes state once: HELD -> FULFILLED | CANCELLED | EXPIRED. Who may
touch one: the member it is for, staff of the store that holds it (a cashier's token
names their store), supervisors and admins anywhere, and the engine's service token
(an accepted offer reserves on the member's behalf).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from core.auth import Principal, Role
from core.errors import BadUserInput, Conflict, Forbidden

MIN_HOLD_HOURS = 1
MAX_HOLD_HOURS = 168  # a week
DEFAULT_HOLD_HOURS = 48
MAX_KEY_LENGTH = 128


class ReservationStatus(StrEnum):
    HELD = "HELD"
    FULFILLED = "FULFILLED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    member_id: str
    store_id: str
    sku: str
    size: str | None
    status: ReservationStatus
    hold_until: datetime
    created_at: datetime
    updated_at: datetime
    idempotency_key: str
    offer_id: str | None = None
    closed_by: str | None = None  # why it closed: a purchase's externalId, "expired", "cancelled by ...", "count"

    @property
    def open(self) -> bool:
        return self.status is ReservationStatus.HELD


def check_request(hold_hours: int, idempotency_key: str) -> str:
    if not MIN_HOLD_HOURS <= hold_hours <= MAX_HOLD_HOURS:
        raise BadUserInput(f"holdHours must be between {MIN_HOLD_HOURS} and {MAX_HOLD_HOURS}", field="holdHours")
    key = idempotency_key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise BadUserInput(f"idempotencyKey has 1 to {MAX_KEY_LENGTH} characters", field="idempotencyKey")
    return key


def new(*, reservation_id: str, member_id: str, store_id: str, sku: str, size: str | None, hold_hours: int,
        idempotency_key: str, offer_id: str | None, now: datetime) -> Reservation:
    return Reservation(reservation_id, member_id, store_id, sku, size, ReservationStatus.HELD,
                       now + timedelta(hours=hold_hours), now, now, idempotency_key, offer_id)


def same_request(existing: Reservation, *, member_id: str, store_id: str, sku: str, size: str | None) -> bool:
    """Is this a repeat of the request that made `existing` (same key, same hold)?"""
    return (existing.member_id, existing.store_id, existing.sku, existing.size) == (member_id, store_id, sku, size)


def check_open_limit(open_count: int, limit: int) -> None:
    if open_count >= limit:
        raise Conflict(f"a member holds at most {limit} reservations at once", limit=limit)


def close(reservation: Reservation, status: ReservationStatus, *, at: datetime, by: str) -> Reservation:
    if status is ReservationStatus.HELD:
        raise ValueError("closing means leaving HELD")
    if not reservation.open:
        raise Conflict(f"reservation {reservation.id} is already {reservation.status.lower()}")
    return replace(reservation, status=status, updated_at=at, closed_by=by[:160])


def due_to_expire(reservation: Reservation, now: datetime) -> bool:
    return reservation.open and reservation.hold_until <= now


def check_may_reserve(principal: Principal, store_id: str) -> None:
    """Members reserve for themselves (the handler checks whose the member id is, merges
    included); a cashier at their own store; supervisors, admins and the engine anywhere."""
    if principal.role is Role.CASHIER and principal.store != store_id:
        raise Forbidden(f"a cashier of store {principal.store} cannot reserve at {store_id}")


def check_may_touch(principal: Principal, reservation: Reservation) -> None:
    """Staff of the holding store (cashiers), supervisors, admins, the engine; members their
    own (the handler checks whose it is, merges included)."""
    if principal.role is Role.CASHIER and principal.store != reservation.store_id:
        raise Forbidden(f"a cashier of store {principal.store} cannot touch a reservation at {reservation.store_id}")


def check_may_fulfil(principal: Principal, reservation: Reservation) -> None:
    """Fulfilment happens at the till of the store that holds the unit."""
    if principal.role not in (Role.CASHIER, Role.SUPERVISOR, Role.ADMIN, Role.SERVICE):
        raise Forbidden("a reservation is fulfilled at the till")
    if principal.role is Role.CASHIER and principal.store != reservation.store_id:
        raise Forbidden(f"a cashier of store {principal.store} cannot fulfil a reservation at "
                        f"{reservation.store_id}")


def visible_to(principal: Principal, reservation: Reservation) -> bool:
    """What a list of a member's reservations shows a reader: a cashier sees their store's."""
    return principal.role is not Role.CASHIER or principal.store == reservation.store_id


def reservation_facts(reservation: Reservation) -> dict[str, object]:
    """What a ReservationChanged event carries."""
    return {
        "id": reservation.id, "member_id": reservation.member_id, "store_id": reservation.store_id,
        "sku": reservation.sku, "size": reservation.size, "status": str(reservation.status),
        "hold_until": reservation.hold_until.isoformat(), "created_at": reservation.created_at.isoformat(),
        "updated_at": reservation.updated_at.isoformat(), "idempotency_key": reservation.idempotency_key,
        "offer_id": reservation.offer_id, "closed_by": reservation.closed_by,
    }


def reservation_from_facts(facts: dict[str, object]) -> Reservation:
    def at(name: str) -> datetime:
        return datetime.fromisoformat(str(facts[name]))

    return Reservation(str(facts["id"]), str(facts["member_id"]), str(facts["store_id"]), str(facts["sku"]),
                       facts["size"], ReservationStatus(facts["status"]), at("hold_until"),  # type: ignore[arg-type]
                       at("created_at"), at("updated_at"), str(facts["idempotency_key"]),
                       facts.get("offer_id"), facts.get("closed_by"))  # type: ignore[arg-type]
