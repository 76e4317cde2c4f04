"""`loyalty up`: the whole stack as child processes, started in order, kept running,
stopped together.

Each part runs as `python -m loyalty serve <part>` in its own process group,
so Ctrl-C reaches the supervisor only, which then stops every part cleanly
(SIGTERM to each group, SIGKILL after a grace period). A part that exits on its
own is restarted with backoff while the others keep serving (one part down
must not take the platform down); a part that keeps crashing is left down, and
the supervisor says so loudly. Production runs each part under its own
supervisor instead (README: "Running in production").
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from core.settings import SUBGRAPHS, Settings

STOP_GRACE_SECONDS = 10.0
PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 0.5


@dataclass
class RestartPolicy:
    """When to start a part again after it exited: backoff doubling from `first_delay`
    to `max_delay`; after `max_per_minute` restarts within a minute, never (the part
    keeps crashing: restarting it again would only hide that)."""

    first_delay: float = 1.0
    max_delay: float = 30.0
    max_per_minute: int = 5
    _restarts: deque[float] = field(default_factory=deque)
    _streak: int = 0

    def next_delay(self, now: float) -> float | None:
        while self._restarts and now - self._restarts[0] > 60.0:
            self._restarts.popleft()
        if len(self._restarts) >= self.max_per_minute:
            return None
        delay = min(self.first_delay * 2 ** self._streak, self.max_delay)
        self._restarts.append(now + delay)
        self._streak += 1
        return delay

    def ran_fine(self) -> None:
        """The part came back and is serving: the next crash starts the backoff over."""
        self._streak = 0


@dataclass
class Part:
    name: str
    args: list[str]
    ready_url: str
    ready_timeout: float
    process: subprocess.Popen[bytes] | None = None
    restarts: RestartPolicy = field(default_factory=RestartPolicy)
    restart_at: float | None = None  # when a crashed part starts again
    recovering: bool = False  # restarted, not answering its ready URL yet
    given_up: bool = False  # crashed too often: left down


def plan_parts(settings: Settings, *, wallet: bool) -> list[list[Part]]:
    """Parts in start order; each group starts once the previous one is ready. In dev, without an
    SMTP server of your own, the dev mailbox comes first (`dev_mailbox_settings` points the
    subgraphs at it)."""
    host = settings.host
    mailbox = ([[Part("mailbox", ["serve", "mailbox"], f"http://{host}:{settings.dev_mail_port}/health", 30)]]
               if runs_dev_mailbox(settings) else [])
    if settings.separate_processes:
        subgraphs = [Part(name, ["serve", name], f"http://{host}:{settings.subgraph_ports[name]}/health", 60)
                     for name in SUBGRAPHS]
    else:
        subgraphs = [Part("subgraphs", ["serve", "subgraphs"],
                          f"http://{host}:{settings.subgraph_ports[SUBGRAPHS[-1]]}/health", 60)]
    gateway = [Part("gateway", ["serve", "gateway"], f"http://{host}:{settings.gateway_port}/ready", 90)]
    groups = [*mailbox, subgraphs, gateway]
    if wallet:
        groups.append([Part("wallet", ["serve", "wallet"], f"http://{host}:{settings.wallet_port}/ping", 600)])
    return groups


def runs_dev_mailbox(settings: Settings) -> bool:
    return settings.is_dev and not settings.smtp_host


def dev_mailbox_environment(settings: Settings) -> dict[str, str]:
    """What the parts `loyalty up` starts need to mail through the dev mailbox (they inherit it)."""
    if not runs_dev_mailbox(settings):
        return {}
    return {"LOYALTY_SMTP_HOST": settings.host, "LOYALTY_SMTP_PORT": str(settings.dev_mail_smtp_port)}


class Supervisor:
    def __init__(self, log: Callable[[str], None] = print) -> None:
        self.parts: list[Part] = []
        self.log = log
        self._stopping = False

    def start(self, part: Part) -> None:
        self._spawn(part)
        self.parts.append(part)

    def _spawn(self, part: Part) -> None:
        part.process = subprocess.Popen([sys.executable, "-m", "loyalty", *part.args], start_new_session=True,
                                        preexec_fn=_stop_with_parent)

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
        """Keep every part running until the user stops the stack (Ctrl-C, SIGTERM): a
        part that exits is restarted with backoff, the others keep serving. Returns 1
        when every part has been given up."""
        with httpx.Client(timeout=1.0) as client:
            while True:
                now = time.monotonic()
                for part in self.parts:
                    self._tend(part, now, client)
                if all(part.given_up for part in self.parts):
                    self.log("every part has stopped for good; exiting")
                    return 1
                time.sleep(WATCH_SECONDS)

    def _tend(self, part: Part, now: float, client: httpx.Client) -> None:
        assert part.process is not None
        if part.given_up:
            return
        if part.restart_at is not None:
            if now >= part.restart_at:
                part.restart_at = None
                part.recovering = True
                self._spawn(part)
                self.log(f"{part.name}: starting again")
            return
        code = part.process.poll()
        if code is None:
            if part.recovering and _answers(client, part.ready_url):
                part.recovering = False
                part.restarts.ran_fine()
                self.log(f"{part.name} is back")
            return
        _signal_group(part.process, signal.SIGKILL)  # what it started (the wallet's bun, workers) goes too
        delay = part.restarts.next_delay(now)
        if delay is None:
            part.given_up = True
            self.log(f"!!! {part.name} exited with code {code} and keeps crashing "
                     f"({part.restarts.max_per_minute} restarts within a minute): it stays DOWN. "
                     "The other parts keep serving; fix it, then restart `loyalty up`.")
            return
        part.restart_at = now + delay
        self.log(f"{part.name} exited with code {code}; the other parts keep serving; "
                 f"restarting it in {delay:.0f} s")

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


def _answers(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.HTTPError:
        return False


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
