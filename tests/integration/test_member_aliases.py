"""The ids that name a member after merges (subgraphs/kernel/aliases.py), as one recursive
query on each database, and a per-member cap counted across them (rewards' campaign usage)."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from subgraphs.kernel import aliases
from subgraphs.rewards.adapters import campaigns as campaign_store
from subgraphs.rewards.adapters.tables import campaign_usage
from tests.support.runtimes import BACKENDS, runtime_on

AT = datetime(2026, 11, 30, 12, tzinfo=UTC)


async def _merge(runtime, absorbed: str, survivor: str, merge_id: str) -> None:  # noqa: ANN001
    async with runtime.unit_of_work() as uow:
        assert await aliases.record_merge(uow, absorbed_id=absorbed, survivor_id=survivor, merge_id=merge_id, at=AT)
        await uow.commit()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_ids_naming_a_member_follow_chains_and_unmerges(backend: str, tmp_path: Path) -> None:
    async with runtime_on("rewards", backend, tmp_path) as runtime:
        async with runtime.db.reading() as connection:
            assert await aliases.ids_naming(connection, "mbr_c") == ["mbr_c"]
        await _merge(runtime, "mbr_a", "mbr_b", "mrg_1")  # a into b, then b into c; d into c
        await _merge(runtime, "mbr_b", "mbr_c", "mrg_2")
        await _merge(runtime, "mbr_d", "mbr_c", "mrg_3")
        async with runtime.db.reading() as connection:
            assert sorted(await aliases.ids_naming(connection, "mbr_c")) == ["mbr_a", "mbr_b", "mbr_c", "mbr_d"]
            assert sorted(await aliases.ids_naming(connection, "mbr_b")) == ["mbr_a", "mbr_b"]
            assert await aliases.ids_naming(connection, "mbr_a") == ["mbr_a"]
            assert sorted(await aliases.naming_with_merges(connection, "mbr_c"), key=lambda r: r[0]) == [
                ("mbr_a", "mrg_1"), ("mbr_b", "mrg_2"), ("mbr_c", None), ("mbr_d", "mrg_3")]  # what brought each in
        async with runtime.unit_of_work() as uow:
            assert await aliases.forget_merge(uow, "mrg_2")
            await uow.commit()
        async with runtime.db.reading() as connection:
            assert sorted(await aliases.ids_naming(connection, "mbr_c")) == ["mbr_c", "mbr_d"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_chain_longer_than_the_limit_is_refused_not_followed_forever(backend: str, tmp_path: Path) -> None:
    async with runtime_on("rewards", backend, tmp_path) as runtime:
        async with runtime.unit_of_work() as uow:
            await uow.execute(aliases._TABLE.insert(), [
                {"absorbed_id": f"m{n + 1}", "survivor_id": f"m{n}", "merge_id": f"g{n}", "merged_at": AT}
                for n in range(aliases.MAX_CHAIN + 1)])
            await uow.commit()
        async with runtime.db.reading() as connection:
            assert len(await aliases.ids_naming(connection, f"m{2}")) == aliases.MAX_CHAIN  # m2 .. m65
            with pytest.raises(RuntimeError, match="longer than"):
                await aliases.ids_naming(connection, "m0")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_per_member_cap_counts_the_uses_of_every_id_merged_in(backend: str, tmp_path: Path) -> None:
    async with runtime_on("rewards", backend, tmp_path) as runtime:
        async with runtime.unit_of_work() as uow:  # uses recorded before the merges, under each id
            await uow.execute(campaign_usage.insert(), [
                {"campaign_id": "cmp_1", "member_id": "mbr_a", "uses": 1, "origin_member_id": "mbr_a"},
                {"campaign_id": "cmp_1", "member_id": "mbr_b", "uses": 1, "origin_member_id": "mbr_b"},
                {"campaign_id": "cmp_2", "member_id": "mbr_x", "uses": 5, "origin_member_id": "mbr_x"},
            ])
            await uow.commit()
        await _merge(runtime, "mbr_a", "mbr_b", "mrg_1")
        await _merge(runtime, "mbr_b", "mbr_c", "mrg_2")
        async with runtime.db.reading() as connection:
            assert await campaign_store.usage(connection, "mbr_c", ["cmp_1", "cmp_2"]) == {"cmp_1": 2}
            assert await campaign_store.usage(connection, "mbr_b", ["cmp_1"]) == {"cmp_1": 2}
            assert await campaign_store.usage(connection, "mbr_x", ["cmp_1"]) == {}
        async with runtime.unit_of_work() as uow:  # cap 3: the two merged-in uses leave one for c
            assert await campaign_store.add_use(uow, "cmp_1", "mbr_c", 3)
            assert not await campaign_store.add_use(uow, "cmp_1", "mbr_c", 3)
            assert not await campaign_store.add_use(uow, "cmp_1", "mbr_c", 2)  # cap reached by merged-in alone
            assert await campaign_store.add_use(uow, "cmp_1", "mbr_c", None)  # no cap: always
            await uow.commit()
        async with runtime.db.reading() as connection:
            uses = dict((await connection.execute(sa.select(campaign_usage.c.member_id, campaign_usage.c.uses)
                                                  .where(campaign_usage.c.campaign_id == "cmp_1"))).all())
        assert uses == {"mbr_a": 1, "mbr_b": 1, "mbr_c": 2}  # new uses land on the member's current id
