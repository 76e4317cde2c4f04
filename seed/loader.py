"""Loading the demo into the subgraphs, through their own handlers (the same
rules as every other write), in one process with the in-process bus."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.auth import Principal, Role
from core.errors import Conflict
from core.settings import SUBGRAPHS, Settings
from core.vocabulary import Channel
from subgraphs.inventory.handlers import catalogue as inventory_catalogue
from subgraphs.kernel.host import SubgraphHost
from subgraphs.kernel.runtime import Runtime
from subgraphs.ledger import handlers as ledger
from subgraphs.profile.handlers import members as profile
from subgraphs.profile.handlers import segments as profile_segments
from subgraphs.rewards import domain as rewards_domain
from subgraphs.rewards import handlers as rewards
from subgraphs.rewards.domain import LineResult, ReturnedLine
from subgraphs.rewards.domain.campaigns import CampaignStatus

from .members import SeedMember, demo_members, generated_members, occurred_at
from .program import CAMPAIGNS, POINTS_POLICY, PRODUCTS, REWARDS, SEGMENTS, STORES, TIERS, TRIGGERED, stock_levels
from .staff import seed_staff

SEEDER = Principal("service:seed", Role.SERVICE)
SEED_ADMIN = Principal("admin:seed", Role.ADMIN)  # segments are the admin's to define


class InProcessLedger:
    """The rewards engine's ledger port, calling the ledger's handler directly."""

    def __init__(self, ledger_runtime: Runtime) -> None:
        self.runtime = ledger_runtime

    async def post_earning(self, *, member_id: str, reference: str, channel: Channel, occurred_at: datetime,
                           description: str, lines: Sequence[LineResult]) -> str:
        result = await ledger.post_earning(
            self.runtime, SEEDER, member_id=member_id, reference=reference, channel=channel,
            occurred_at=occurred_at, description=description,
            lines=[ledger.EarningLine(ln.line_id, ln.sku, ln.quantity, ln.points) for ln in lines],
        )
        assert result.entry is not None
        return result.entry.id

    async def post_return(self, *, member_id: str, reference: str, purchase_reference: str, channel: Channel,
                          occurred_at: datetime, description: str, lines: Sequence[ReturnedLine]) -> None:
        await ledger.post_return(
            self.runtime, SEEDER, member_id=member_id, reference=reference, purchase_reference=purchase_reference,
            channel=channel, occurred_at=occurred_at, description=description,
            lines=[(ln.line_id, ln.points) for ln in lines],
        )


@dataclass
class SeedReport:
    members: int
    purchases: int
    seconds: float


async def is_seeded(settings: Settings) -> bool:
    host = SubgraphHost(["ledger"], settings.model_copy(update={"bus_url": "memory://"}))
    await host.start(relays=False, jobs=False)
    try:
        return bool((await ledger.program(host.runtime("ledger"))).tiers)
    finally:
        await host.stop()


async def seed(settings: Settings, *, members: int, campaigns: bool = True,
               log: Callable[[str], None] = print) -> SeedReport:
    """The demo program, members and their history; `campaigns`: also start the demo campaigns
    (after the history, so that what members earned does not depend on the day it was seeded)."""
    started = time.perf_counter()
    host = SubgraphHost(list(SUBGRAPHS), settings.model_copy(update={"bus_url": "memory://"}))
    await host.start(relays=False, jobs=False)
    try:
        rt = {name: host.runtime(name) for name in SUBGRAPHS}
        rt["rewards"].adapters["ledger"] = InProcessLedger(rt["ledger"])
        await ledger.save_program(rt["ledger"], TIERS, POINTS_POLICY)
        await inventory_catalogue.save_catalogue(rt["inventory"], STORES, PRODUCTS, stock_levels())
        log(f"program: {len(TIERS)} tiers, {len(STORES)} stores, {len(PRODUCTS)} products")
        await seed_staff(settings, rt["profile"], log=log)
        people = demo_members() + list(generated_members(members))
        ids: dict[str, str] = {}
        for person in people:
            ids[person.email] = await _enroll(rt["profile"], person)
        await host.flush()  # enrolments reach the ledger and the engine before the purchases
        log(f"members: {len(people)} enrolled")
        purchases = 0
        for number, person in enumerate(people, start=1):
            if number % 200 == 0:
                await host.flush()  # keeps the outboxes short
            for purchase in person.purchases:
                await rewards.checkout(
                    rt["rewards"], SEEDER,
                    external_id=purchase.external_id,
                    occurred_at=occurred_at(rt["rewards"].clock.now(), purchase.days_ago),
                    basket=rewards_domain.Basket(
                        channel=purchase.channel,
                        lines=tuple(rewards_domain.BasketLine(sku, qty, price, size)
                                    for sku, qty, price, size in purchase.lines),
                        store_id=purchase.store_id,
                    ),
                    ref=rewards.MemberRef(member_id=ids[person.email]),
                )
                purchases += 1
        await host.flush()
        log(f"purchases: {purchases} checked out")
        # Segments last, so that enrolments and purchases above do not evaluate them one member at
        # a time; the segment job then evaluates everyone in pages, here rather than once the stack
        # runs. Saving a segment again with the same condition changes nothing.
        for segment in SEGMENTS:
            await profile_segments.upsert_segment(rt["profile"], SEED_ADMIN, segment_id=segment.id,
                                                  name=segment.name, condition=segment.condition)
        evaluated = 0
        while (page := await profile_segments.evaluate_changed_segments(rt["profile"])):
            evaluated += page
        await host.flush()
        log(f"segments: {len(SEGMENTS)} saved, {evaluated} member evaluations")
        for reward in REWARDS:
            await rewards.catalogue.upsert_reward(rt["rewards"], SEED_ADMIN, reward)
        if campaigns:
            for seeded in CAMPAIGNS + TRIGGERED:
                await rewards.campaigns.upsert_campaign(rt["rewards"], SEED_ADMIN, seeded.draft, seeded.id)
                if seeded.active:
                    await rewards.campaigns.set_status(rt["rewards"], SEED_ADMIN, seeded.id,
                                                       CampaignStatus.ACTIVE)
        log(f"engine: {len(REWARDS)} rewards, {len(CAMPAIGNS + TRIGGERED) if campaigns else 0} campaigns")
        return SeedReport(len(people), purchases, time.perf_counter() - started)
    finally:
        await host.stop()


async def _enroll(runtime: Runtime, person: SeedMember) -> str:
    try:
        member = await profile.enroll_member(
            runtime, SEEDER,
            channel=person.channel,
            given_name=person.given_name,
            family_name=person.family_name,
            email=person.email,
            phone=person.phone,
            birthday=person.birthday,
            home_store_id=person.home_store_id,
            consents={"profiling": person.profiling, "email_marketing": person.email_marketing,
                      "sms_marketing": person.sms_marketing},
        )
        return member.id
    except Conflict as already:  # seeded before: the same person, found by their email
        return str(already.details["memberId"])
