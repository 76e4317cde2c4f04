"""Profile's privacy use cases: erasure requests and their completion, the member's data
export gathered from every subgraph, and the staff access log.

Erasure: `request_erasure` pseudonymises the member and publishes
`MemberErasureRequested` in one transaction; every subgraph's erasure consumer
(kernel/privacy.py; profile's own is `erase` below) erases its part and publishes
`MemberErased`; `on_member_erased` counts them and completes the request when all
four are in.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError

from core.auth import Principal, require_principal
from core.errors import NotFound
from core.ids import new_id
from core.settings import SUBGRAPHS
from subgraphs.kernel import privacy as kernel_privacy
from subgraphs.kernel.aliases import current_member_id, current_member_ids, require_member_access
from subgraphs.kernel.bounds import check_id
from subgraphs.kernel.db import UnitOfWork, is_unique_violation
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime

from ..adapters import privacy as repository
from ..adapters import sign_in_codes as sign_in_code_store
from ..adapters.repository import members_by_id
from ..domain import privacy as rules
from ..domain.members import Member
from ..domain.privacy import Action, ErasureRequest, StaffAccess
from . import segments

log = logging.getLogger(__name__)

SOURCE = "profile"
EXPORT_FORMAT = "loyalty.member-export"
EXPORT_VERSION = 1
ACCESS_LOG_PRUNE_BATCH = 1000
ACCESS_LOG_PRUNE_MAX_BATCHES = 50  # per run


# --- erasure ---------------------------------------------------------------------------------


async def request_erasure(runtime: Runtime, principal: Principal | None, member_id: str) -> ErasureRequest:
    """Erase a member (GDPR Art. 17): the member themself, or a supervisor or an admin.
    A repeated request (for any id of the member) returns the first one."""
    who = require_principal(principal)
    rules.check_erasure_requester(who)
    member_id = check_id(member_id, "memberId")
    current = member_id
    try:
        async with runtime.unit_of_work() as uow:
            current = await require_member_access(uow.connection, who, member_id)
            member_ids = await kernel_privacy.member_ids_of(uow.connection, [current])
            earlier = await repository.erasure_for_members(uow.connection, member_ids)
            if earlier is not None:
                return earlier
            if current not in await members_by_id(uow.connection, [current]):
                raise NotFound(f"no member {member_id}")
            now = runtime.clock.now()
            request = ErasureRequest(id=new_id("era"), member_id=current, requested_at=now, requested_by=who.subject)
            await _erase(uow, member_ids, now)
            await repository.add_erasure(uow, request)
            await kernel_privacy.record_erasure(uow, member_ids, request.id, now)
            await repository.record_access(uow, _entries(who, [current], Action.ERASURE, now))
            uow.publish(Event(type=kernel_privacy.ERASURE_REQUESTED, source=SOURCE, member_id=current,
                              payload={"request_id": request.id, "member_id": current, "member_ids": member_ids}))
            await uow.commit()
    except IntegrityError as error:  # the same member's erasure, asked twice at once
        if not is_unique_violation(error):
            raise
        async with runtime.db.reading() as connection:
            earlier = await repository.erasure_for_members(connection, [current])
        if earlier is None:
            raise
        return earlier
    return request


async def erase(runtime: Runtime, uow: UnitOfWork, member_ids: Sequence[str]) -> None:
    """Profile's part, run again by its erasure consumer (kernel/privacy.py): the records were
    pseudonymised with the request; ids merged into the member since are caught here."""
    await _erase(uow, member_ids, runtime.clock.now())


async def _erase(uow: UnitOfWork, member_ids: Sequence[str], now: datetime) -> None:
    """The records pseudonymised, their identifiers freed, their merges without the person,
    what profile worked out about them gone, and out of every segment (an erased member is in
    none). A table that comes to hold personal data per member is erased here."""
    await repository.erase_members(uow, member_ids)
    await repository.erase_profiling(uow, member_ids)
    await sign_in_code_store.forget(uow, member_ids)
    await segments.reevaluate(uow, member_ids, now)


CONFIRMATIONS = "erasure-confirmations"


async def on_member_erased(runtime: Runtime, event: Event) -> None:
    """A subgraph erased its part: record it; the last of the four completes the request."""
    request_id, subgraph = str(event.payload["request_id"]), str(event.payload["subgraph"])
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled(CONFIRMATIONS, event.id):
            return
        request = await repository.lock_erasure(uow, request_id)
        if request is None:
            log.warning("%s confirmed erasure %s, which profile does not know", subgraph, request_id)
        else:
            try:
                confirmed = rules.confirm(request, subgraph, event.occurred_at)
            except rules.UnknownSubgraph as error:
                log.warning("erasure %s: %s", request_id, error)
            else:
                if confirmed != request:
                    await repository.save_confirmation(uow, confirmed, subgraph, event.occurred_at)
        await uow.commit()


async def erasure_of(runtime: Runtime, member_id: str) -> ErasureRequest | None:
    async with runtime.db.reading() as connection:
        return await repository.erasure_for_members(connection, [member_id])


# --- export ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberExport:
    member_id: str
    generated_at: datetime
    json: str


OTHER_SUBGRAPHS = tuple(name for name in SUBGRAPHS if name != SOURCE)


def export_field(subgraph: str) -> str:
    """The service-only query that gives a subgraph's part, e.g. `ledgerMemberExport`."""
    return f"{subgraph}MemberExport"


async def export_member_data(runtime: Runtime, principal: Principal | None, member_id: str) -> MemberExport:
    """Everything every subgraph holds on the member, as one JSON document (GDPR Art. 15/20):
    the member themself, or staff. Each table's rows are capped (the document says where);
    a subgraph that cannot answer fails the export whole rather than leave a part out."""
    who = require_principal(principal)
    member_id = check_id(member_id, "memberId")
    async with runtime.db.reading() as connection:
        current = await require_member_access(connection, who, member_id)
        member_ids = await kernel_privacy.member_ids_of(connection, [current])
        if not await members_by_id(connection, [current]):
            raise NotFound(f"no member {member_id}")
        own = await repository.export(connection, member_ids)
    parts = await asyncio.gather(*(_remote_part(runtime, name, current) for name in OTHER_SUBGRAPHS))
    now = runtime.clock.now()
    await record_access(runtime, who, [current], Action.EXPORT)
    document = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "member_id": current,
        "member_ids": member_ids,
        "generated_at": now,
        "row_limit": kernel_privacy.EXPORT_ROW_LIMIT,
        "about": "Every row each part of the loyalty platform holds on the member, by subgraph and table. "
                 "A table lists at most row_limit rows, newest first where time orders them; 'total' counts "
                 "them all and 'truncated' says when rows were left out.",
        SOURCE: own,
        **dict(zip(OTHER_SUBGRAPHS, parts, strict=True)),
    }
    return MemberExport(current, now, orjson.dumps(document, default=str).decode())


async def _remote_part(runtime: Runtime, subgraph: str, member_id: str) -> dict[str, Any]:
    field = export_field(subgraph)
    data = await runtime.services.execute(subgraph, f"query($id: ID!) {{ {field}(memberId: $id) }}",
                                          {"id": member_id})
    return orjson.loads(data[field])


# --- the staff access log --------------------------------------------------------------------


def _entries(principal: Principal | None, member_ids: Sequence[str], action: Action,
             at: datetime) -> list[StaffAccess]:
    entries = (rules.staff_access(principal, member_id, action, at) for member_id in member_ids)
    return [entry for entry in entries if entry is not None]


async def record_access(runtime: Runtime, principal: Principal | None, member_ids: Sequence[str],
                        action: Action) -> None:
    """Record a staff member's access (one INSERT for all the members; nothing for the
    member themself or a service). Done before the data leaves: no read goes unrecorded."""
    entries = _entries(principal, member_ids, action, runtime.clock.now())
    if entries:
        async with runtime.unit_of_work() as uow:
            await repository.record_access(uow, entries)
            await uow.commit()


async def record_consent_change(uow: UnitOfWork, principal: Principal, member_id: str, at: datetime) -> None:
    """A consent change staff recorded, in the change's own transaction."""
    await repository.record_access(uow, _entries(principal, [member_id], Action.CONSENTS, at))


async def members_viewed(runtime: Runtime, principal: Principal | None, ids: Sequence[str]) -> list[Member | None]:
    """Members as an entity fetch reads them (a DataLoader's batch; a merged-away id gives its
    survivor), each found one recorded as viewed by staff: fifty members in one query are fifty
    entries, in one statement."""
    async with runtime.db.reading() as connection:
        current = await current_member_ids(connection, ids)
        found = await members_by_id(connection, sorted(set(current.values())))
    await record_access(runtime, principal, sorted(found), Action.VIEW)
    return [found.get(current[i]) for i in ids]


async def access_log(runtime: Runtime, principal: Principal | None, member_id: str, first: int
                     ) -> list[StaffAccess]:
    """Who on the staff read or changed this member, newest first: for the member,
    supervisors and admins."""
    who = require_principal(principal)
    rules.check_access_log_reader(who)
    limit = rules.check_access_log_page(first)
    async with runtime.db.reading() as connection:
        current = await require_member_access(connection, who, member_id)
        member_ids = await kernel_privacy.member_ids_of(connection, [current])
        return await repository.access_log(connection, member_ids, limit) if limit else []


ACCESS_LOG = "access-log"


async def on_points_adjusted(runtime: Runtime, event: Event) -> None:
    """The ledger's PointsAdjusted names the staff member who adjusted (`actor`): an access."""
    if event.member_id is None:
        return
    role, staff_id = rules.staff_of(str(event.payload.get("actor") or ""))
    async with runtime.unit_of_work() as uow:
        if not await uow.mark_handled(ACCESS_LOG, event.id):
            return
        member_id = await current_member_id(uow.connection, event.member_id)
        await repository.record_access(uow, [StaffAccess(member_id, staff_id, role, Action.ADJUSTMENT,
                                                          event.occurred_at)])
        await uow.commit()


async def prune_access_log(runtime: Runtime) -> int:
    """Job: delete entries older than LOYALTY_ACCESS_LOG_RETENTION_DAYS, in bounded batches."""
    before = runtime.clock.now() - timedelta(days=runtime.settings.access_log_retention_days)
    total = 0
    for _ in range(ACCESS_LOG_PRUNE_MAX_BATCHES):
        async with runtime.unit_of_work() as uow:
            deleted = await repository.prune_access_log(uow, before, ACCESS_LOG_PRUNE_BATCH)
            await uow.commit()
        total += deleted
        if deleted < ACCESS_LOG_PRUNE_BATCH:
            break
    return total

