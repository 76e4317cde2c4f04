"""The scale-out mode for tests: one process per subgraph and one for the gateway
(`python -m loyalty serve ...`), each subgraph on its own PostgreSQL database,
events over NATS JetStream in a namespace of its own."""
from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from pathlib import Path

import asyncpg

from subgraphs.kernel.bus.nats import NatsJetStreamBus
from subgraphs.kernel.events import Event
from subgraphs.kernel.settings import SUBGRAPHS, Settings

from .net import free_ports, wait_http_ok
from .stack import Stack

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
NATS = "nats://127.0.0.1:4222"


class ProcessStack(Stack):
    def __init__(self, data_dir: Path) -> None:
        self.suffix = secrets.token_hex(4)
        ports = free_ports(5)
        self.env = {
            **os.environ,
            "LOYALTY_DATA_DIR": str(data_dir),
            "LOYALTY_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/loyalty_t{self.suffix}_{{subgraph}}",
            "LOYALTY_BUS_URL": NATS,
            "LOYALTY_BUS_STREAM": f"LOYALTY_T{self.suffix}",
            "LOYALTY_BUS_NAMESPACE": f"loyaltyt{self.suffix}",
            "LOYALTY_SEPARATE_PROCESSES": "true",
            "LOYALTY_GATEWAY_PORT": str(ports[0]),
            "LOYALTY_SUBGRAPH_PORTS": "{" + ", ".join(
                f'"{name}": {port}' for name, port in zip(SUBGRAPHS, ports[1:], strict=True)) + "}",
            "LOYALTY_LOG_LEVEL": "warning",
        }
        settings = Settings(
            database_url=self.env["LOYALTY_DATABASE_URL"],
            gateway_port=ports[0],
            subgraph_ports=dict(zip(SUBGRAPHS, ports[1:], strict=True)),
        )
        super().__init__(settings)
        self.processes: list[asyncio.subprocess.Process] = []

    async def _loyalty(self, *args: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(sys.executable, "-m", "loyalty", *args, env=self.env,
                                                    start_new_session=True)

    async def start(self) -> None:
        connection = await asyncpg.connect(POSTGRES)
        try:
            for name in SUBGRAPHS:
                await connection.execute(f'CREATE DATABASE "loyalty_t{self.suffix}_{name}"')
        finally:
            await connection.close()
        seeding = await self._loyalty("seed", "--members", "0")
        assert await seeding.wait() == 0, "seeding PostgreSQL failed"
        for name in SUBGRAPHS:
            self.processes.append(await self._loyalty("serve", name))
        for name in SUBGRAPHS:
            await wait_http_ok(f"http://127.0.0.1:{self.settings.subgraph_ports[name]}/health")
        self.processes.append(await self._loyalty("serve", "gateway"))
        await wait_http_ok(f"http://127.0.0.1:{self.settings.gateway_port}/ready")

    async def publish_again(self, events: list[Event]) -> None:
        """Publish events a second time on NATS (the stream dedups them; live listeners see them)."""
        bus = NatsJetStreamBus(NATS, stream=self.env["LOYALTY_BUS_STREAM"], namespace=self.env["LOYALTY_BUS_NAMESPACE"])
        await bus.start()
        try:
            for event in events:
                await bus.publish(event)
        finally:
            await bus.close()

    async def stop(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        bus = NatsJetStreamBus(NATS, stream=self.env["LOYALTY_BUS_STREAM"], namespace=self.env["LOYALTY_BUS_NAMESPACE"])
        await bus.start()
        await bus.delete_stream()
        await bus.close()
        connection = await asyncpg.connect(POSTGRES)
        try:
            for name in SUBGRAPHS:
                await connection.execute(f'DROP DATABASE IF EXISTS "loyalty_t{self.suffix}_{name}" WITH (FORCE)')
        finally:
            await connection.close()
