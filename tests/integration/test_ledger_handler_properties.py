"""Property-based, through the ledger's handlers and a real database: random
sequences of earnings, redemptions, returns, adjustments, time passing and
replays of earlier requests. After every step the stored book balances, and a
replay changes nothing."""
from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.auth import Principal, Role
from core.clock import ManualClock
from core.errors import LoyaltyError
from core.vocabulary import Channel
from seed.program import TIERS
from subgraphs.kernel.host import SubgraphHost
from subgraphs.kernel.runtime import Runtime
from subgraphs.ledger import handlers
from subgraphs.ledger.domain import NegativeBalancePolicy, Policy
from tests.support.stack import make_settings

SERVICE = Principal("service:test", Role.SERVICE)
SUPERVISOR = Principal("sup-test", Role.SUPERVISOR)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.sampled_from([Channel.POS, Channel.ECOMMERCE]),
                  st.lists(st.integers(0, 400), min_size=1, max_size=3)),
        st.tuples(st.just("redeem"), st.integers(1, 600)),
        st.tuples(st.just("return"), st.integers(0, 20), st.integers(0, 2), st.integers(1, 400)),
        st.tuples(st.just("adjust"), st.integers(-300, 300).filter(bool)),
        st.tuples(st.just("wait"), st.integers(1, 300)),
        st.tuples(st.just("replay"), st.integers(0, 50)),
    ),
    min_size=1,
    max_size=25,
)


class Player:
    def __init__(self, runtime: Runtime, clock: ManualClock, member_id: str) -> None:
        self.runtime = runtime
        self.clock = clock
        self.member = member_id
        self.purchases: list[tuple[str, list[int]]] = []
        self.calls: list = []  # earlier requests that were recorded, to replay
        self.numbers = itertools.count()

    async def call(self, request: tuple) -> bool:
        """True when the posting was recorded; a refused one (insufficient points, a line
        already returned, no account yet) must have changed nothing."""
        kind, args = request
        before = await self.snapshot()
        try:
            if kind == "earn":
                await handlers.post_earning(self.runtime, SERVICE, **args)
            elif kind == "return":
                await handlers.post_return(self.runtime, SERVICE, **args)
            elif kind == "redeem":
                await handlers.debit_points(self.runtime, SERVICE, **args)
            else:
                await handlers.adjust_points(self.runtime, SUPERVISOR, **args)
        except LoyaltyError:
            assert await self.snapshot() == before, "a refused posting changed the book"
            return False
        return True

    async def play(self, step: tuple) -> None:
        n = next(self.numbers)
        if step[0] == "earn":
            _, channel, points = step
            reference = f"{self.member}-p{n}"
            lines = [handlers.EarningLine(str(i + 1), "SKU", 1, p) for i, p in enumerate(points)]
            if sum(points) == 0:
                return
            self.purchases.append((reference, points))
            request = ("earn", {"member_id": self.member, "reference": reference, "channel": channel,
                                "occurred_at": self.clock.now(), "description": "purchase", "lines": lines})
        elif step[0] == "redeem":
            request = ("redeem", {"member_id": self.member, "points": step[1], "idempotency_key": f"{self.member}-r{n}",
                                  "reference": None, "description": "reward"})
        elif step[0] == "return":
            _, which, line, points = step
            if not self.purchases:
                return
            reference, earned = self.purchases[which % len(self.purchases)]
            line_id = str(line % len(earned) + 1)
            request = ("return", {"member_id": self.member, "reference": f"{self.member}-x{n}",
                                  "purchase_reference": reference, "channel": Channel.POS,
                                  "occurred_at": self.clock.now(), "description": "return",
                                  "lines": [(line_id, points)]})
        elif step[0] == "adjust":
            request = ("adjust", {"member_id": self.member, "points": step[1], "reason": "property",
                                  "idempotency_key": f"{self.member}-a{n}"})
        elif step[0] == "wait":
            self.clock.advance(timedelta(days=step[1]))
            await handlers.run_schedule(self.runtime)
            await self.check()
            return
        else:
            if not self.calls:
                return
            before = await self.snapshot()
            await self.call(self.calls[step[1] % len(self.calls)])
            assert await self.snapshot() == before, "a replay changed the book"
            return
        if await self.call(request):
            self.calls.append(request)
        await self.check()

    async def snapshot(self) -> tuple:
        async with self.runtime.db.reading() as c:
            account = (await c.execute(sa.text("SELECT available, pending, debt, shortfall, last_seq FROM accounts "
                                               "WHERE member_id = :m"), {"m": self.member})).first()
            lots = (await c.execute(sa.text("SELECT id, remaining, reversed FROM lots WHERE member_id = :m ORDER BY id"),
                                    {"m": self.member})).all()
        return tuple(account or ()), tuple(map(tuple, lots))

    async def check(self) -> None:
        async with self.runtime.db.reading() as c:
            row = (await c.execute(sa.text("""
                SELECT a.available, a.pending, a.shortfall, a.debt,
                  (SELECT coalesce(sum(points), 0) FROM entries e WHERE e.member_id = a.member_id),
                  (SELECT coalesce(sum(remaining), 0) FROM lots l WHERE l.member_id = a.member_id AND NOT l.matured),
                  (SELECT coalesce(sum(remaining), 0) FROM lots l WHERE l.member_id = a.member_id AND l.matured),
                  (SELECT balance_after FROM entries e WHERE e.member_id = a.member_id AND e.seq = a.last_seq)
                FROM accounts a WHERE a.member_id = :m"""), {"m": self.member})).first()
        if row is None:
            return
        available, pending, shortfall, debt, entries, unmatured, matured, last_balance = row
        assert entries == available + pending  # the balance is the sum of entries
        assert pending == unmatured
        assert available == matured - shortfall
        assert last_balance in (None, entries)
        policy = (await handlers.program(self.runtime)).policy
        if policy.negative_balance is NegativeBalancePolicy.CAP_AT_ZERO:
            assert available >= 0 and shortfall == 0
        assert debt >= 0 and shortfall >= 0


@pytest.mark.parametrize("negative", list(NegativeBalancePolicy))
def test_random_histories_through_the_handlers(tmp_path: Path, negative: NegativeBalancePolicy) -> None:
    loop = asyncio.new_event_loop()
    clock = ManualClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    host = SubgraphHost(["ledger"], make_settings(tmp_path), clock=clock)

    async def setup() -> Runtime:
        await host.start(relays=False, jobs=False)
        runtime = host.runtime("ledger")
        await handlers.save_program(runtime, TIERS, Policy(negative_balance=negative))
        return runtime

    runtime = loop.run_until_complete(setup())
    members = itertools.count()

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(history=steps)
    def play(history: list) -> None:
        player = Player(runtime, clock, f"mbr_prop_{next(members)}")

        async def run() -> None:
            for step in history:
                await player.play(step)

        loop.run_until_complete(run())

    try:
        play()
    finally:
        loop.run_until_complete(host.stop())
        loop.close()
