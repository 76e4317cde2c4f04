"""The checkout saga when the ledger cannot take a posting: another process holding
the ledger's SQLite lock (the embedded mode must fail fast, not freeze), a posting
the ledger refuses for good (it must not block the others, and is parked with its
reason), and a second writer process refused while the stack runs."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from core.auth import Principal, Role
from core.clock import ManualClock
from core.errors import ErrorCode, LoyaltyError, Unavailable
from core.settings import Settings
from core.vocabulary import Channel
from seed.loader import InProcessLedger
from seed.program import POINTS_POLICY, TIERS
from subgraphs.kernel.client import ServiceClient
from subgraphs.kernel.db import create_engine
from subgraphs.kernel.events import Event
from subgraphs.kernel.runtime import Runtime
from subgraphs.ledger import handlers as ledger_handlers
from subgraphs.rewards import handlers as rewards
from subgraphs.rewards.adapters import repository
from subgraphs.rewards.adapters.ledger import GraphQLLedger
from subgraphs.rewards.adapters.tables import purchases
from subgraphs.rewards.domain import Basket, BasketLine, LineResult
from tests.support.runtimes import BACKENDS, runtime_on
from tests.support.stack import Stack, make_settings

START = datetime(2026, 6, 1, 10, tzinfo=UTC)
SOCKS = {"sku": "SOK-CREW-3PK", "quantity": 1, "unitPrice": "24.00"}
SOCKS_PRICE = Decimal("24.00")
BUSY = "SUBGRAPH_UNAVAILABLE: the database is busy: another process holds its write lock; try again shortly"
BALANCE = "query($id: ID!) { member(id: $id) { points { available } } }"


@pytest.fixture(scope="module")
async def saga(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    settings = make_settings(tmp_path_factory.mktemp("saga"), posting_max_attempts=3, sqlite_busy_seconds=1.0)
    running = Stack(settings, clock=ManualClock(START))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@contextmanager
def ledger_locked_by_another_process(stack: Stack) -> Iterator[None]:
    """A second process holds the ledger database's write lock (as a `sqlite3` shell
    or a backup tool would) until the block ends."""
    path = stack.settings.database_url_for("ledger").split("///", 1)[1]
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         f"c = sqlite3.connect({path!r}); c.execute('BEGIN IMMEDIATE'); print('locked', flush=True)\n"
         "time.sleep(120)"],
        stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()


async def balance(stack: Stack, member_id: str) -> int:
    return (await stack.gql(BALANCE, {"id": member_id}, stack.cashier)).ok()["member"]["points"]["available"]


async def purchase_row(stack: Stack, external_id: str) -> tuple:
    engine = create_engine(stack.settings.database_url_for("rewards"))
    try:
        async with engine.connect() as connection:
            return tuple((await connection.execute(sa.text(
                "SELECT status, attempts, parked_at IS NOT NULL, last_error FROM purchases WHERE external_id = :e"),
                {"e": external_id})).one())
    finally:
        await engine.dispose()


async def resume(stack: Stack, after: timedelta = timedelta(hours=2)) -> int:
    assert isinstance(stack.clock, ManualClock) and stack.host is not None
    stack.clock.advance(after)  # past any backoff
    return await rewards.resume_postings(stack.host.runtime("rewards"))


async def test_a_locked_ledger_fails_the_posting_fast_and_the_rest_of_the_process_keeps_serving(saga: Stack
                                                                                                ) -> None:
    member = await saga.enroll("Locked")
    with ledger_locked_by_another_process(saga):
        started = time.perf_counter()
        checkout = asyncio.create_task(saga.checkout(member, "saga-locked-1", [SOCKS]))
        await asyncio.sleep(0.2)  # the checkout is waiting for the ledger's lock now
        stores = await saga.gql("{ stores { id } }")
        read_done = time.perf_counter()
        assert not checkout.done(), "the unrelated read should not have to wait for the checkout"
        response = await checkout
        print(f"\ninventory read answered in {1000 * (read_done - started - 0.2):.0f} ms while the ledger was "
              f"locked; the checkout gave up after {time.perf_counter() - started:.2f} s")
    assert stores.ok()["stores"]
    assert response.codes == ["SUBGRAPH_UNAVAILABLE"]
    assert response.errors[0]["extensions"]["recorded"] is True
    assert "points will be posted when the ledger is back" in response.errors[0]["message"]
    assert await purchase_row(saga, "saga-locked-1") == ("RECORDED", 1, False, BUSY)
    assert await balance(saga, member) == 0

    assert await resume(saga) == 1  # the lock is gone: the job posts it
    assert await balance(saga, member) == 24
    assert (await purchase_row(saga, "saga-locked-1"))[0] == "POSTED"


async def test_a_posting_the_ledger_refuses_is_parked_and_never_blocks_the_others(saga: Stack) -> None:
    blocked, waiting = await saga.enroll("Blocked"), await saga.enroll("Waiting")
    assert saga.host is not None
    rewards_runtime = saga.host.runtime("rewards")
    # The ledger already holds a posting under this reference for someone else (say the
    # engine's database was restored from a backup): it refuses the purchase's posting.
    await GraphQLLedger(rewards_runtime.services).post_earning(
        member_id=waiting, reference="saga-refused-1", channel=Channel.POS, occurred_at=saga.clock.now(),
        description="Imported", lines=[LineResult("1", "SOK-CREW-3PK", 1, SOCKS_PRICE, None, SOCKS_PRICE, 5)])
    refused = await saga.checkout(blocked, "saga-refused-1", [SOCKS])
    assert refused.codes == ["CONFLICT"]
    assert refused.errors[0]["extensions"]["recorded"] is True
    with ledger_locked_by_another_process(saga):  # a later purchase waits for the ledger too
        assert (await saga.checkout(waiting, "saga-waiting-1", [SOCKS])).codes == ["SUBGRAPH_UNAVAILABLE"]

    assert await resume(saga) == 1  # the refused one (older) fails again; the later one is posted
    assert await balance(saga, waiting) == 5 + 24
    assert await purchase_row(saga, "saga-refused-1") == (
        "RECORDED", 2, False, "CONFLICT: this idempotency key was already used for a different posting")

    assert await resume(saga) == 0  # third failure: parked (posting_max_attempts=3)
    status, attempts, parked, _ = await purchase_row(saga, "saga-refused-1")
    assert (status, attempts, parked) == ("RECORDED", 3, True)
    assert await resume(saga) == 0
    assert (await purchase_row(saga, "saga-refused-1"))[1] == 3  # parked: not tried again
    assert await balance(saga, blocked) == 0

    metrics = await scrape(saga, "rewards")
    assert 'loyalty_rewards_postings_parked_total{kind="purchase"} 1.0' in metrics
    assert 'loyalty_rewards_postings_unposted{kind="purchase",state="parked"} 1.0' in metrics
    assert 'loyalty_rewards_posting_failures_total{code="CONFLICT",kind="purchase"} 3.0' in metrics


async def scrape(stack: Stack, subgraph: str) -> str:
    url = stack.settings.subgraph_url(subgraph).removesuffix("/graphql") + "/metrics"
    async with httpx.AsyncClient() as client:
        return (await client.get(url)).text


def test_a_second_writer_process_is_refused_while_the_stack_runs(saga: Stack) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "loyalty", "seed", "--members", "0"],
        env={**os.environ, "LOYALTY_DATA_DIR": str(saga.settings.data_dir)},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "is in use by another process (is the stack running?" in result.stderr


# --- the same saga on both databases (handlers in process, the ledger adapter swapped by the
#     composition root as the seed does; "down" is a real refused connection) ---------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_retries_and_parking_on_each_database(backend: str, tmp_path: Path) -> None:
    clock = ManualClock(START)
    async with runtime_on("ledger", backend, tmp_path, clock=clock) as ledger_rt, \
            runtime_on("rewards", backend, tmp_path, clock=clock, posting_max_attempts=3) as rewards_rt:
        await ledger_handlers.save_program(ledger_rt, TIERS, POINTS_POLICY)
        reachable = InProcessLedger(ledger_rt)
        down = GraphQLLedger(ServiceClient(Settings(subgraph_urls={"ledger": "http://127.0.0.1:9/graphql"},
                                                    subgraph_timeout_seconds=2), caller="rewards"))
        for member in ("mbr_a", "mbr_b"):
            await rewards.on_member_enrolled(rewards_rt, enrolled_event(member))
        await reachable.post_earning(member_id="mbr_b", reference="ref-taken", channel=Channel.POS,
                                     occurred_at=clock.now(), description="Imported",
                                     lines=[LineResult("1", "SOK-CREW-3PK", 1, SOCKS_PRICE, None, SOCKS_PRICE, 5)])
        rewards_rt.adapters["ledger"] = reachable
        with pytest.raises(LoyaltyError) as refused:
            await checkout_socks(rewards_rt, "ref-taken", "mbr_a")
        assert refused.value.code is ErrorCode.CONFLICT and refused.value.details["recorded"] is True
        rewards_rt.adapters["ledger"] = down
        with pytest.raises(Unavailable):
            await checkout_socks(rewards_rt, "ref-later", "mbr_a")
        rewards_rt.adapters["ledger"] = reachable

        clock.advance(timedelta(hours=2))
        assert await rewards.resume_postings(rewards_rt) == 1  # the later one; the refused one fails again
        assert await account_available(ledger_rt, "mbr_a") == 24
        clock.advance(timedelta(hours=2))
        assert await rewards.resume_postings(rewards_rt) == 0
        async with rewards_rt.db.reading() as connection:
            assert await repository.unposted_counts(connection) == {
                ("purchase", "waiting"): 0, ("purchase", "parked"): 1, ("return", "waiting"): 0,
                ("return", "parked"): 0}
            row = (await connection.execute(sa.select(purchases.c.attempts, purchases.c.last_error)
                                            .where(purchases.c.external_id == "ref-taken"))).one()
        assert row.attempts == 3
        assert row.last_error == "CONFLICT: this idempotency key was already used for a different posting"


def enrolled_event(member_id: str) -> Event:
    return Event("MemberEnrolled", "profile", member_id, occurred_at=START, payload={
        "member_id": member_id, "status": "ACTIVE", "birthday": None, "home_store_id": "st_portland",
        "enrolled_at": START.isoformat(), "identities": [],
        "consents": {"email_marketing": False, "sms_marketing": False, "push_marketing": False, "profiling": True}})


async def checkout_socks(runtime: Runtime, external_id: str, member_id: str) -> None:
    await rewards.checkout(
        runtime, Principal("service:test", Role.SERVICE), external_id=external_id, occurred_at=None,
        basket=Basket(Channel.POS, (BasketLine("SOK-CREW-3PK", 1, SOCKS_PRICE),), store_id="st_portland"),
        ref=rewards.MemberRef(member_id=member_id))


async def account_available(ledger_rt: Runtime, member_id: str) -> int:
    [account] = await ledger_handlers.accounts_by_member(ledger_rt, [member_id])
    return account.available if account else 0
