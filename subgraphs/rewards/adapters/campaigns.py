"""Campaigns, their versions, budgets, per-member use and A/B counts, as rows."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.kernel import aliases
from subgraphs.kernel.db import UnitOfWork

from ..domain import campaigns as rules
from ..domain.campaigns import Campaign
from .tables import campaign_budgets, campaign_usage, campaign_variant_stats, campaign_versions, campaigns

_SELECT = sa.select(campaigns, campaign_budgets.c.used).select_from(
    campaigns.outerjoin(campaign_budgets, campaign_budgets.c.campaign_id == campaigns.c.id))


def _campaign(row: sa.Row) -> Campaign:
    return rules.from_definition(row.definition, campaign_id=row.id, status=row.status, version=row.version,
                                 created_at=row.created_at, updated_at=row.updated_at, budget_used=row.used or 0)


async def campaign(connection: AsyncConnection, campaign_id: str) -> Campaign | None:
    row = (await connection.execute(_SELECT.where(campaigns.c.id == campaign_id))).first()
    return _campaign(row) if row else None


async def lock_campaign(uow: UnitOfWork, campaign_id: str) -> Campaign | None:
    """The campaign, locked until commit: two admins saving it get versions one after the other."""
    locked = await uow.execute(uow.for_update(sa.select(campaigns.c.id).where(campaigns.c.id == campaign_id)))
    if locked.first() is None:
        return None
    return await campaign(uow.connection, campaign_id)


async def all_campaigns(connection: AsyncConnection) -> list[Campaign]:
    rows = await connection.execute(_SELECT.order_by(campaigns.c.id))
    return [_campaign(row) for row in rows]


async def active_campaigns(connection: AsyncConnection, trigger: str) -> list[Campaign]:
    rows = await connection.execute(_SELECT.where(campaigns.c.trigger == trigger, campaigns.c.status == "ACTIVE"))
    return [_campaign(row) for row in rows]


async def generation(connection: AsyncConnection) -> tuple[int, object]:
    """Changes whenever any campaign is saved or changes status (the live campaigns' cache key)."""
    row = (await connection.execute(sa.select(sa.func.count(), sa.func.max(campaigns.c.updated_at),
                                              sa.func.sum(campaigns.c.version)).select_from(campaigns))).one()
    return row[0], (row[1], row[2])


async def save_campaign(uow: UnitOfWork, campaign: Campaign, *, actor: str, new: bool) -> None:
    values = {"version": campaign.version, "name": campaign.name, "status": str(campaign.status),
              "trigger": str(campaign.trigger), "definition": rules.definition(campaign),
              "updated_at": campaign.updated_at}
    if new:
        await uow.execute(campaigns.insert().values(id=campaign.id, created_at=campaign.created_at, **values))
    else:
        await uow.execute(campaigns.update().where(campaigns.c.id == campaign.id).values(**values))
    await uow.execute(campaign_versions.insert().values(
        campaign_id=campaign.id, version=campaign.version, definition=values["definition"],
        status=str(campaign.status), saved_at=campaign.updated_at, saved_by=actor[:100]))
    budget = campaign.budget
    if budget is None:
        await uow.execute(campaign_budgets.delete().where(campaign_budgets.c.campaign_id == campaign.id))
    elif not await uow.insert_ignoring_conflicts(campaign_budgets, {
            "campaign_id": campaign.id, "unit": str(budget.unit), "budget_limit": budget.limit, "used": 0}):
        # A new limit keeps what was used (a lower limit than is used leaves nothing to spend).
        await uow.execute(campaign_budgets.update().where(campaign_budgets.c.campaign_id == campaign.id).values(
            unit=str(budget.unit), budget_limit=sa.func.max(budget.limit, campaign_budgets.c.used)
            if uow.db.is_sqlite else sa.func.greatest(budget.limit, campaign_budgets.c.used),
            used=sa.case((campaign_budgets.c.unit == str(budget.unit), campaign_budgets.c.used), else_=0)))


async def save_status(uow: UnitOfWork, campaign: Campaign, *, actor: str) -> None:
    await uow.execute(campaigns.update().where(campaigns.c.id == campaign.id).values(
        status=str(campaign.status), updated_at=campaign.updated_at))
    await uow.execute(campaign_versions.update().where(
        campaign_versions.c.campaign_id == campaign.id, campaign_versions.c.version == campaign.version
    ).values(status=str(campaign.status)))


async def budgets_used(connection: AsyncConnection, campaign_ids: Sequence[str]) -> dict[str, int]:
    rows = await connection.execute(sa.select(campaign_budgets.c.campaign_id, campaign_budgets.c.used)
                                    .where(campaign_budgets.c.campaign_id.in_(sorted(set(campaign_ids)))))
    return dict(rows.all())


async def consume_budget(uow: UnitOfWork, campaign_id: str, amount: int) -> bool:
    """Take `amount` from the budget if it is still there: False when a concurrent checkout
    took it first (the row is locked and the condition checked again, on both databases)."""
    if amount <= 0:
        return True
    result = await uow.execute(campaign_budgets.update().where(
        campaign_budgets.c.campaign_id == campaign_id,
        campaign_budgets.c.used + amount <= campaign_budgets.c.budget_limit,
    ).values(used=campaign_budgets.c.used + amount))
    return result.rowcount == 1


# A member's uses of campaigns, with the uses of every id merged into them (built once).
_USAGE = (sa.select(campaign_usage.c.campaign_id, sa.func.sum(campaign_usage.c.uses))
          .where(campaign_usage.c.member_id.in_(sa.select(aliases.NAMING.c.member_id)),
                 campaign_usage.c.campaign_id.in_(sa.bindparam("campaign_ids", expanding=True)))
          .group_by(campaign_usage.c.campaign_id))
_USED_BY_MERGED = sa.select(sa.func.coalesce(sa.func.sum(campaign_usage.c.uses), 0)).where(
    campaign_usage.c.campaign_id == sa.bindparam("campaign_id"),
    campaign_usage.c.member_id.in_(sa.select(aliases.NAMING.c.member_id).where(aliases.NAMING.c.depth > 0)))


async def usage(connection: AsyncConnection, member_id: str, campaign_ids: Sequence[str]) -> dict[str, int]:
    """The member's uses per campaign, with the uses of every id merged into them (a merge must
    not reopen a per-member cap: two cards of one person get a welcome coupon once)."""
    rows = await connection.execute(_USAGE, {"naming_member_id": member_id, "campaign_ids": sorted(set(campaign_ids))})
    return {campaign_id: int(uses) for campaign_id, uses in rows.all()}


async def add_use(uow: UnitOfWork, campaign_id: str, member_id: str, cap: int | None) -> bool:
    """One more use of the campaign by the member; False when that would pass its cap.

    A row per (campaign, id it was counted for): the rows of ids merged into the member stay as
    they were (so an unmerge needs nothing) and count toward the cap. New uses land on the
    member's current id, so the merged ids' rows do not change under us and the conditional
    update on the member's own row keeps the cap exact under concurrency."""
    used_elsewhere = 0
    if cap is not None:
        used_elsewhere = int(await uow.connection.scalar(
            _USED_BY_MERGED, {"naming_member_id": member_id, "campaign_id": campaign_id}) or 0)
        if used_elsewhere >= cap:
            return False
    if await uow.insert_ignoring_conflicts(campaign_usage, {"campaign_id": campaign_id, "member_id": member_id,
                                                            "uses": 1, "origin_member_id": member_id}):
        return True
    condition = [campaign_usage.c.campaign_id == campaign_id, campaign_usage.c.member_id == member_id]
    if cap is not None:
        condition.append(campaign_usage.c.uses < cap - used_elsewhere)
    result = await uow.execute(campaign_usage.update().where(*condition).values(uses=campaign_usage.c.uses + 1))
    return result.rowcount == 1


async def count_variants(uow: UnitOfWork, exposed: Iterable[tuple[str, str]], converted: Iterable[tuple[str, str]]
                         ) -> None:
    """One statement per exposure (an upsert): it runs in the writer's transaction of every checkout."""
    insert = sqlite_insert if uow.db.is_sqlite else postgresql_insert
    converted = set(converted)
    for campaign_id, variant in exposed:
        won = 1 if (campaign_id, variant) in converted else 0
        await uow.execute(insert(campaign_variant_stats).values(
            campaign_id=campaign_id, variant=variant, exposures=1, conversions=won,
        ).on_conflict_do_update(index_elements=[campaign_variant_stats.c.campaign_id, campaign_variant_stats.c.variant],
                                set_={"exposures": campaign_variant_stats.c.exposures + 1,
                                      "conversions": campaign_variant_stats.c.conversions + won}))


async def variant_counts(connection: AsyncConnection, campaign_ids: Sequence[str]
                         ) -> dict[tuple[str, str], tuple[int, int]]:
    rows = await connection.execute(sa.select(campaign_variant_stats).where(
        campaign_variant_stats.c.campaign_id.in_(sorted(set(campaign_ids)))))
    return {(row.campaign_id, row.variant): (row.exposures, row.conversions) for row in rows}
