"""Run ASGI apps with uvicorn, several in one process, with one place that
handles Ctrl-C / SIGTERM for all of them."""
from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Coroutine, Generator
from typing import Any

import uvicorn
import uvloop

# How long a pooled client connection may sit idle before the client drops it, and how long
# our servers keep an idle one open. The server must wait longer than any of our clients
# (the gateway's pool, the subgraphs' service client): a server that closes first races the
# client's next request on that connection, which then fails with a reset (uvicorn's default
# is 5 s, which the gateway's checkouts hit as SUBGRAPH_UNAVAILABLE after a burst).
CLIENT_KEEP_ALIVE_SECONDS = 60
SERVER_KEEP_ALIVE_SECONDS = 75


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # ServerGroup owns the signals: uvicorn's own handling covers one server per process.
        yield


class ServerGroup:
    def __init__(self) -> None:
        self.servers: list[_Server] = []

    def add(self, app: Any, host: str, port: int, log_level: str = "warning", lifespan: str = "off",
            **options: Any) -> None:
        options.setdefault("timeout_keep_alive", SERVER_KEEP_ALIVE_SECONDS)
        config = uvicorn.Config(
            app, host=host, port=port, log_level=log_level, lifespan=lifespan, ws="websockets-sansio", **options
        )
        self.servers.append(_Server(config))

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True

    async def started(self) -> None:
        while not all(s.started for s in self.servers):
            if any(s.should_exit for s in self.servers):
                raise RuntimeError("a server stopped before it started")
            await asyncio.sleep(0.02)

    async def serve(self, *, handle_signals: bool = True) -> None:
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop)
        try:
            await asyncio.gather(*(server.serve() for server in self.servers))
        finally:
            if handle_signals:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)


def run_server_process(main: Coroutine[Any, Any, None]) -> None:
    """Run a serving process's main coroutine on uvloop (it comes with uvicorn[standard]):
    its event loop and transports cost less CPU per request than asyncio's own."""
    uvloop.run(main)
