"""`loyalty up`: the whole stack as child processes, started in order, stopped together.

Each part runs as `python -m loyalty serve <part>` in its own process group,
so Ctrl-C reaches the supervisor only, which then stops every part cleanly
(SIGTERM to each group, SIGKILL after a grace period).
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from subgraphs.kernel.settings import SUBGRAPHS, Settings

STOP_GRACE_SECONDS = 10.0
PR_SET_PDEATHSIG = 1


@dataclass
class Part:
    name: str
    args: list[str]
    ready_url: str
    ready_timeout: float
    process: subprocess.Popen[bytes] | None = None


def plan_parts(settings: Settings, *, wallet: bool) -> list[list[Part]]:
    """Parts in start order; each group starts once the previous one is ready."""
    host = settings.host
    if settings.separate_processes:
        subgraphs = [Part(name, ["serve", name], f"http://{host}:{settings.subgraph_ports[name]}/health", 60)
                     for name in SUBGRAPHS]
    else:
        subgraphs = [Part("subgraphs", ["serve", "subgraphs"],
                          f"http://{host}:{settings.subgraph_ports['inventory']}/health", 60)]
    groups = [subgraphs, [Part("gateway", ["serve", "gateway"], f"http://{host}:{settings.gateway_port}/ready", 90)]]
    if wallet:
        groups.append([Part("wallet", ["serve", "wallet"], f"http://{host}:{settings.wallet_port}/ping", 600)])
    return groups


class Supervisor:
    def __init__(self, log: Callable[[str], None] = print) -> None:
        self.parts: list[Part] = []
        self.log = log
        self._stopping = False

    def start(self, part: Part) -> None:
        part.process = subprocess.Popen([sys.executable, "-m", "loyalty", *part.args], start_new_session=True,
                                        preexec_fn=_stop_with_parent)
        self.parts.append(part)

    def wait_ready(self, group: list[Part]) -> None:
        pending = list(group)
        deadline = time.monotonic() + max(p.ready_timeout for p in group)
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for part in list(pending):
                    self._check_alive(part)
                    try:
                        if client.get(part.ready_url).status_code == 200:
                            pending.remove(part)
                            self.log(f"  {part.name} is up")
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    raise RuntimeError(f"{', '.join(p.name for p in pending)} did not become ready in time")
                time.sleep(0.3)

    def _check_alive(self, part: Part) -> None:
        assert part.process is not None
        code = part.process.poll()
        if code is not None:
            raise RuntimeError(f"{part.name} exited with code {code}")

    def watch(self) -> int:
        """Block until a part exits (an error) or the user stops the stack."""
        while True:
            for part in self.parts:
                assert part.process is not None
                code = part.process.poll()
                if code is not None:
                    self.log(f"{part.name} exited with code {code}; stopping everything")
                    return code or 1
            time.sleep(0.5)

    def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        for part in reversed(self.parts):
            if part.process and part.process.poll() is None:
                _signal_group(part.process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for part in reversed(self.parts):
            if part.process is None:
                continue
            try:
                part.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(part.process, signal.SIGKILL)
                part.process.wait()
            _signal_group(part.process, signal.SIGKILL)  # helpers the part started (bun, workers)


def _stop_with_parent() -> None:
    """In the child, before exec: Linux sends SIGTERM when the supervisor dies, even by
    SIGKILL, so no part outlives `loyalty up`."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: stop() still cleans up on every normal exit


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
