"""The embedded default as `loyalty up` runs it, for the benchmarks: the demo program seeded
into a fresh data directory (SQLite), the four subgraphs in one process (`loyalty serve
subgraphs`, in-process bus) and the gateway in another, on free ports."""
from __future__ import annotations

import asyncio
import contextlib
import datetime
import os
import platform
import shlex
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import orjson

from core.auth import Role, issue_token
from core.settings import SUBGRAPHS, Settings
from seed.loader import seed
from tests.support.net import free_ports

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Embedded:
    settings: Settings
    url: str
    pids: tuple[int, ...] = ()  # the subgraphs' process and the gateway's

    def cpu_seconds(self) -> float:
        """CPU time the stack's processes have used so far (user + system): what a request
        costs, whatever else shares the machine."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def token(self, role: Role, subject: str | None = None, store: str | None = None) -> str:
        return issue_token(self.settings, subject or f"bench-{role}", role, store=store, ttl=timedelta(hours=2))


@contextlib.asynccontextmanager
async def _process(args: list[str], env: dict[str, str], ready: str, profile: Path | None = None
                   ) -> AsyncIterator[int]:
    """`profile`: run it under cProfile, written there when it stops (SIGTERM stops it cleanly)."""
    profiling = ["-m", "cProfile", "-o", str(profile)] if profile else []
    proc = await asyncio.create_subprocess_exec(sys.executable, *profiling, "-m", "loyalty", *args, cwd=ROOT,
                                                env=env, start_new_session=True)
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(600):
                if proc.returncode is not None:
                    raise RuntimeError(f"loyalty {' '.join(args)} exited with {proc.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(ready)).status_code == 200:
                        break
                await asyncio.sleep(0.2)
            else:
                raise TimeoutError(f"loyalty {' '.join(args)} never got ready")
        yield proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()


@contextlib.asynccontextmanager
async def embedded_stack(workdir: Path, *, campaigns: bool,
                         prepare: Callable[[Settings], Awaitable[None]] | None = None,
                         profile: Path | None = None) -> AsyncIterator[Embedded]:
    """`prepare` writes in-process before the servers start (they then hold the databases);
    `profile`: a directory for cProfile files of the subgraphs' and the gateway's processes."""
    ports = free_ports(len(SUBGRAPHS) + 2)  # the gateway, the subgraphs, the wallet's (unused)
    settings = Settings(data_dir=workdir, gateway_port=ports[0], wallet_port=ports[-1], seed_members=0,
                        subgraph_ports=dict(zip(SUBGRAPHS, ports[1:-1], strict=True)))
    await seed(settings, members=0, campaigns=campaigns, log=lambda _: None)
    if prepare is not None:
        await prepare(settings)
    env = {**os.environ, "LOYALTY_DATA_DIR": str(workdir), "LOYALTY_GATEWAY_PORT": str(ports[0]),
           "LOYALTY_WALLET_PORT": str(ports[-1]), "LOYALTY_SUBGRAPH_PORTS": orjson.dumps(settings.subgraph_ports).decode(),
           "LOYALTY_LOG_LEVEL": "warning"}
    subgraphs_ready = f"http://127.0.0.1:{settings.subgraph_ports['inventory']}/health"
    async with _process(["serve", "subgraphs"], env, subgraphs_ready,
                        profile / "subgraphs.prof" if profile else None) as subgraphs, \
            _process(["serve", "gateway"], env, f"http://127.0.0.1:{ports[0]}/ready",
                     profile / "gateway.prof" if profile else None) as gateway:
        yield Embedded(settings, settings.gateway_http_url(), (subgraphs, gateway))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def record(name: str, module: str, notes: list[str], lines: list[str]) -> None:
    """Add an entry to bench/RESULTS.md, newest first, with the command, the date and the machine."""
    command = shlex.join([".venv/bin/python", "-m", module, *sys.argv[1:]])
    entry = [
        f"\n## {datetime.date.today()}: {name}",
        "",
        f"- Command: `{command}`",
        f"- Machine: {os.cpu_count()} cores, Python {platform.python_version()}, SQLite "
        f"{__import__('sqlite3').sqlite_version}; the stack and the load generator share the machine"
        f" (load average {os.getloadavg()[0]:.1f} at the end).",
        *(f"- {note}" for note in notes),
        "",
        *lines,
    ]
    results_file = ROOT / "bench" / "RESULTS.md"
    text = results_file.read_text()
    head, _, rest = text.partition("\n## ")
    results_file.write_text(head + "\n".join(entry) + "\n" + ("\n## " + rest if rest else ""))
