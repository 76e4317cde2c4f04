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

from core.settings import SUBGRAPHS, Settings
from subgraphs.kernel.bus.nats import NatsJetStreamBus
from subgraphs.kernel.events import Event

from .net import free_ports, wait_http_ok
from .stack import Stack

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
NATS = "nats://127.0.0.1:4222"


class ProcessStack(Stack):
    def __init__(self, data_dir: Path, *, campaigns: bool = False) -> None:
        self.suffix = secrets.token_hex(4)
        ports = free_ports(len(SUBGRAPHS) + 3)  # the gateway, the subgraphs, the dev mailbox's two
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
                f'"{name}": {port}' for name, port in zip(SUBGRAPHS, ports[1:-2], strict=True)) + "}",
            "LOYALTY_DEV_MAIL_PORT": str(ports[-2]),  # `loyalty up` starts the dev mailbox (dev)
            "LOYALTY_DEV_MAIL_SMTP_PORT": str(ports[-1]),
            "LOYALTY_LOG_LEVEL": "warning",
        }
        settings = Settings(
            database_url=self.env["LOYALTY_DATABASE_URL"],
            gateway_port=ports[0],
            subgraph_ports=dict(zip(SUBGRAPHS, ports[1:-2], strict=True)),
        )
        super().__init__(settings, campaigns=campaigns)
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
        seeding = await self._loyalty("seed", "--members", "0", *(() if self.campaigns else ("--no-campaigns",)))
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


class SupervisedStack(ProcessStack):
    """The stack as `loyalty up` runs it (no wallet), so tests can kill a part and watch it
    come back: scale-out (one process per subgraph, PostgreSQL, NATS) or embedded (one
    process for the four subgraphs on SQLite files, the gateway in another)."""

    def __init__(self, data_dir: Path, *, scaleout: bool = True) -> None:
        super().__init__(data_dir)
        self.scaleout = scaleout
        self.env["LOYALTY_SEED_MEMBERS"] = "0"
        if not scaleout:
            for name in ("LOYALTY_DATABASE_URL", "LOYALTY_BUS_URL", "LOYALTY_SEPARATE_PROCESSES"):
                del self.env[name]
            self.settings = self.settings.model_copy(update={
                "database_url": Settings().database_url, "data_dir": data_dir})
        self.log_path = data_dir / "loyalty-up.log"
        self.up: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.up = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "loyalty", "up", "--no-wallet", env=self.env, start_new_session=True,
                stdout=log, stderr=asyncio.subprocess.STDOUT)
        await wait_http_ok(f"http://127.0.0.1:{self.settings.gateway_port}/ready", timeout=180)
        # `loyalty up` is supervising (not still starting) once it has printed its banner.
        for _ in range(300):
            if "The loyalty platform is running" in self.output():
                return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"loyalty up never said it was running:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def part_pid(self, part: str) -> int:
        """The process `loyalty up` runs a part in (`python -m loyalty serve <part>`)."""
        assert self.up is not None
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if parent == self.up.pid and command[-3:-1] == [b"serve", part.encode()]:
                return int(entry.name)
        raise LookupError(f"no running {part} under loyalty up ({self.up.pid})")

    async def stop(self) -> None:
        if self.up is not None and self.up.returncode is None:
            os.killpg(self.up.pid, signal.SIGINT)
            try:
                await asyncio.wait_for(self.up.wait(), 40)
            except TimeoutError:
                os.killpg(self.up.pid, signal.SIGKILL)
                await self.up.wait()
        if self.scaleout:
            await super().stop()
