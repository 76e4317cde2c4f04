"""The embedded stack inside the test process: the four subgraphs (one
SubgraphHost, in-process bus, SQLite under a temp dir) and the gateway, each a
real uvicorn server on a free port."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core.auth import Role, issue_token
from core.clock import Clock
from core.serving import ServerGroup
from core.settings import SUBGRAPHS, Settings
from gateway.app import create_gateway_app
from seed.loader import seed
from subgraphs.kernel.db import create_engine
from subgraphs.kernel.events import Event, subject_for
from subgraphs.kernel.host import SubgraphHost

from . import graphql
from .net import free_ports

ENROLL = """
mutation Enroll($input: EnrollMemberInput!) {
  enrollMember(input: $input) { id givenName email phone }
}
"""

CHECKOUT = """
mutation Checkout($input: CheckoutInput!) {
  checkout(input: $input) {
    externalId pointsEarned duplicate
    evaluation { subtotal total pointsToEarn effects { kind points description } }
    member { id givenName points { available } }
  }
}
"""


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    ports = free_ports(len(SUBGRAPHS) + 4)
    last = len(SUBGRAPHS)
    return Settings(
        data_dir=data_dir,
        gateway_port=ports[0],
        subgraph_ports=dict(zip(SUBGRAPHS, ports[1:last + 1], strict=True)),
        wallet_port=ports[last + 1],
        dev_mail_port=ports[last + 2],  # `loyalty up` in dev starts the dev mailbox: never on a developer's 8025/1025
        dev_mail_smtp_port=ports[last + 3],
        seed_members=0,
        **overrides,
    )


@dataclass
class Stack:
    settings: Settings
    clock: Clock | None = None  # a ManualClock lets tests move time for the scheduled jobs
    campaigns: bool = False  # seed the demo campaigns too (the engine's demo tests)
    host: SubgraphHost | None = None
    servers: ServerGroup | None = None
    _tasks: tuple[asyncio.Task[None], ...] = ()

    @property
    def url(self) -> str:
        return self.settings.gateway_http_url()

    def token(self, role: Role | str, subject: str | None = None, store: str | None = None) -> str:
        return issue_token(self.settings, subject or f"{role}-test", role, store=store, ttl=timedelta(hours=1))

    @property
    def cashier(self) -> str:
        return self.token(Role.CASHIER, store="st_portland")

    async def gql(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None,
                  **kwargs: Any) -> graphql.Response:
        return await graphql.post(self.url, query, variables, token, **kwargs)

    async def enroll(self, given_name: str = "Test", **fields: Any) -> str:
        fields.setdefault("email", f"{given_name.lower()}.{time.monotonic_ns()}@example.org")
        response = await self.gql(ENROLL, {"input": {"channel": "POS", "givenName": given_name, **fields}},
                                  self.cashier)
        return response.ok()["enrollMember"]["id"]

    async def checkout(self, member_id: str, external_id: str, lines: list[dict[str, Any]],
                       token: str | None = None, store_id: str = "st_portland") -> graphql.Response:
        basket = {"channel": "POS", "storeId": store_id, "memberId": member_id, "lines": lines}
        return await self.gql(CHECKOUT, {"input": {"externalId": external_id, "basket": basket}},
                              token or self.cashier)

    async def scalar(self, subgraph: str, sql: str, **params: Any) -> Any:
        """One value straight from a subgraph's database (to prove what was, or was not, written)."""
        engine = create_engine(self.settings.database_url_for(subgraph))
        try:
            async with engine.connect() as connection:
                return await connection.scalar(sa.text(sql), params)
        finally:
            await engine.dispose()

    async def outbox_events(self, subgraph: str, member_id: str) -> list[Event]:
        """The events a subgraph has written to its outbox about a member, oldest first."""
        engine = create_engine(self.settings.database_url_for(subgraph))
        try:
            async with engine.connect() as connection:
                bodies = (await connection.execute(sa.text("SELECT body FROM outbox ORDER BY seq"))).scalars()
                events = [Event.from_json(body) for body in bodies]
        finally:
            await engine.dispose()
        return [e for e in events if e.member_id == member_id]

    async def publish_again(self, events: list[Event]) -> None:
        """Publish events a second time, as a relay does that crashed before marking its rows."""
        assert self.host is not None
        bus = self.host.runtime("ledger").bus  # one in-process bus for all four subgraphs
        for event in events:
            await bus.publish(event)

    def held_live_operations(self) -> dict[str, int]:
        """Live operations the gateway and each subgraph count against principals' quotas."""
        assert self.servers is not None and self.host is not None
        held = {"gateway": self.servers.servers[0].config.app.state.holder.gateway.live_quota.total}
        for runtime, server in zip(self.host.runtimes, self.host.servers.servers, strict=True):
            held[runtime.name] = server.config.app.state.graphql.live_quota.total
        return held

    async def wait_for_live_subscriber(self, member_id: str, timeout: float = 10.0) -> None:
        """Until the ledger holds a live subscription for the member (the gateway's upstream)."""
        if self.host is None:
            await asyncio.sleep(1.0)  # separate processes: nothing to look into
            return
        hub = self.host.runtime("ledger").live(subject_for("ledger", "*"))
        deadline = time.monotonic() + timeout
        while member_id not in hub._subscribers:
            if time.monotonic() > deadline:
                raise TimeoutError("the subscription never reached the ledger")
            await asyncio.sleep(0.02)

    async def start(self) -> None:
        # Without the demo campaigns: the suites' points are exact whatever the day (a weekend bonus),
        # and engine tests start the campaigns they test.
        await seed(self.settings, members=0, campaigns=self.campaigns, log=lambda _: None)
        self.host = SubgraphHost(list(SUBGRAPHS), self.settings, clock=self.clock)
        await self.host.start(jobs=self.clock is None)  # with a manual clock, tests run the jobs
        gateway = ServerGroup()
        gateway.add(create_gateway_app(self.settings, subgraph_urls={n: self.settings.subgraph_url(n)
                                                                     for n in SUBGRAPHS}),
                    self.settings.host, self.settings.gateway_port, lifespan="on")
        subgraph_task = asyncio.create_task(self.host.servers.serve(handle_signals=False))
        await self.host.servers.started()
        gateway_task = asyncio.create_task(gateway.serve(handle_signals=False))
        await gateway.started()
        self.servers = gateway
        self._tasks = (subgraph_task, gateway_task)

    async def stop(self) -> None:
        if self.servers is not None:
            self.servers.stop()
        if self.host is not None:
            self.host.servers.stop()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.host is not None:
            await self.host.stop()
