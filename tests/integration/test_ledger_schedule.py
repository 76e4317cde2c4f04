"""The schedule job at scale: members waiting out a tier grace period never crowd
out the members who are due (a next-due time per account, read in order, a page
at a time)."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.auth import Principal, Role
from core.clock import ManualClock
from core.vocabulary import Channel
from subgraphs.ledger import handlers as ledger
from tests.support.stack import Stack, make_settings

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
SERVICE = Principal("service:test", Role.SERVICE)
IN_GRACE = 501  # more than a page of the job (500)


@pytest.fixture(scope="module")
async def timed(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    running = Stack(make_settings(tmp_path_factory.mktemp("schedule")), clock=ManualClock(START))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def earn(stack: Stack, member_id: str, reference: str, points: int, channel: Channel) -> None:
    assert stack.host is not None
    await ledger.post_earning(stack.host.runtime("ledger"), SERVICE, member_id=member_id, reference=reference,
                              channel=channel, occurred_at=stack.clock.now(), description="Purchase",
                              lines=[ledger.EarningLine("1", "SKU-1", 1, points)])


async def test_members_in_grace_never_hold_up_a_maturing_purchase(timed: Stack) -> None:
    assert isinstance(timed.clock, ManualClock) and timed.host is not None
    runtime = timed.host.runtime("ledger")
    for n in range(IN_GRACE):  # Silver today (1,000 points in store, spendable at once) ...
        await earn(timed, f"mbr_grace_{n:04d}", f"grace-{n}", 1000, Channel.POS)
    timed.clock.advance(timedelta(days=366))  # ... and at their review a year on, no longer qualifying
    assert await ledger.run_schedule(runtime) == IN_GRACE  # every one of them enters a 30-day grace
    assert await timed.scalar("ledger", "SELECT count(*) FROM accounts WHERE grace_until IS NOT NULL") == IN_GRACE

    await earn(timed, "mbr_zz_online", "web-maturing", 50, Channel.ECOMMERCE)  # pending for 14 days
    timed.clock.advance(timedelta(days=15))
    await ledger.run_schedule(runtime)
    balance = await timed.scalar("ledger", "SELECT available || '/' || pending FROM accounts "
                                           "WHERE member_id = 'mbr_zz_online'")
    assert balance == "50/0", "the maturing purchase waited behind the members in grace"

    timed.clock.advance(timedelta(days=16))  # grace over for all 501: one level down, in one run
    assert await ledger.run_schedule(runtime) == IN_GRACE
    tiers = await timed.scalar("ledger", "SELECT group_concat(DISTINCT tier_id) FROM accounts "
                                         "WHERE member_id LIKE 'mbr_grace_%'")
    assert tiers == "bronze"
    assert await ledger.run_schedule(runtime) == 0  # nobody is due now: nothing is visited again


async def test_next_due_is_the_first_of_maturing_expiring_and_review(timed: Stack) -> None:
    await earn(timed, "mbr_due", "due-1", 10, Channel.APP)  # matures in 14 days
    now = timed.clock.now()
    due = await timed.scalar("ledger", "SELECT next_due_at FROM accounts WHERE member_id = 'mbr_due'")
    assert str(due).startswith(str((now + timedelta(days=14)).date()))
