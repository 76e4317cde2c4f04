"""The demo's staff (README's demo logins): cashiers at the Portland store, a supervisor
and a marketer (the admin role, for /admin). Dev profile only: their PINs are published,
so a prod data directory never gets them. Created once; an account that exists is left
as it is (its PIN may have been changed)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.auth import Principal, Role
from core.settings import Settings
from subgraphs.kernel.host import SubgraphHost
from subgraphs.kernel.runtime import Runtime
from subgraphs.profile.domain.staff import StaffRole
from subgraphs.profile.handlers import staff as profile_staff

SEEDER = Principal("service:seed", Role.SERVICE)


@dataclass(frozen=True)
class SeedStaff:
    staff_id: str
    name: str
    role: StaffRole
    store_id: str | None
    pin: str


DEMO_STAFF = [
    SeedStaff("ana.portland", "Ana Reyes", StaffRole.CASHIER, "st_portland", "480215"),
    SeedStaff("ben.portland", "Ben Okafor", StaffRole.CASHIER, "st_portland", "731904"),
    SeedStaff("maya.supervisor", "Maya Chen", StaffRole.SUPERVISOR, "st_portland", "265830"),
    SeedStaff("lena.marketing", "Lena Park", StaffRole.ADMIN, None, "604817"),  # campaigns at /admin
]


async def seed_staff(settings: Settings, profile: Runtime, *, log: Callable[[str], None] = print) -> int:
    """Creates the demo staff that do not exist yet; returns how many it created."""
    if not settings.is_dev:
        log("staff: none seeded (prod profile: demo PINs are public)")
        return 0
    created = 0
    for person in DEMO_STAFF:
        if await profile_staff.staff_account(profile, person.staff_id) is None:
            await profile_staff.save_staff(profile, SEEDER, staff_id=person.staff_id, name=person.name,
                                           role=person.role, store_id=person.store_id, pin=person.pin)
            created += 1
    if created:
        log(f"staff: {created} demo accounts ({', '.join(p.staff_id for p in DEMO_STAFF)})")
    return created


async def ensure_demo_staff(settings: Settings, *, log: Callable[[str], None] = print) -> int:
    """For a data directory seeded before staff existed: the demo staff, once (dev only)."""
    if not settings.is_dev:
        return 0
    host = SubgraphHost(["profile"], settings.model_copy(update={"bus_url": "memory://"}))
    await host.start(relays=False, jobs=False)
    try:
        return await seed_staff(settings, host.runtime("profile"), log=log)
    finally:
        await host.stop()
