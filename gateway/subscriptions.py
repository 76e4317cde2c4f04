"""Client subscriptions share upstreams: one upstream subscription (and one
enrichment per event) per distinct operation, variables and identity, fanned
out to every client that asked the same. When the last client leaves, the
upstream closes; when the upstream ends or fails, every client hears how."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson

from subgraphs.kernel.errors import ErrorCode

from .operation import RequestError, error

log = logging.getLogger(__name__)

CLIENT_QUEUE_SIZE = 256
_END = object()

Key = tuple[str, str | None, bytes, str | None]
Upstream = Callable[[], AsyncIterator[dict[str, Any]]]


class _Shared:
    def __init__(self, key: Key, upstream: Upstream, on_empty: Callable[[Key], None]) -> None:
        self.key = key
        self.clients: set[asyncio.Queue[object]] = set()
        self._upstream = upstream
        self._on_empty = on_empty
        self._task: asyncio.Task[None] | None = None

    def attach(self) -> asyncio.Queue[object]:
        queue: asyncio.Queue[object] = asyncio.Queue(CLIENT_QUEUE_SIZE)
        self.clients.add(queue)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"upstream:{self.key[1] or 'subscription'}")
        return queue

    def detach(self, queue: asyncio.Queue[object]) -> None:
        self.clients.discard(queue)
        if not self.clients:
            self._on_empty(self.key)
            if self._task is not None and not self._task.done():
                self._task.cancel()

    def _tell(self, item: object) -> None:
        for queue in tuple(self.clients):
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:  # a client that cannot keep up is let go, with a reason
                self.clients.discard(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.get_nowait()
                    queue.put_nowait(RequestError([error("this subscriber fell too far behind and was closed",
                                                         ErrorCode.INTERNAL)]))

    async def _run(self) -> None:
        try:
            async for result in self._upstream():
                self._tell(result)
        except RequestError as e:
            self._tell(e)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - every client hears that its subscription ended
            log.exception("shared subscription failed")
            self._tell(RequestError([error("the subscription failed", ErrorCode.INTERNAL)]))
        finally:
            self._on_empty(self.key)
            for queue in tuple(self.clients):
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(_END)


class SubscriptionHub:
    def __init__(self) -> None:
        self._shared: dict[Key, _Shared] = {}

    @property
    def upstreams(self) -> int:
        return len(self._shared)

    @staticmethod
    def key(query: str, operation_name: str | None, variables: dict[str, Any], authorization: str | None) -> Key:
        return (query, operation_name, orjson.dumps(variables, option=orjson.OPT_SORT_KEYS), authorization)

    async def subscribe(self, key: Key, upstream: Upstream) -> AsyncIterator[dict[str, Any]]:
        shared = self._shared.get(key)
        if shared is None:
            shared = self._shared[key] = _Shared(key, upstream, self._forget)
        queue = shared.attach()
        try:
            while True:
                item = await queue.get()
                if item is _END:
                    return
                if isinstance(item, RequestError):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            shared.detach(queue)

    def _forget(self, key: Key) -> None:
        shared = self._shared.get(key)
        if shared is not None and (not shared.clients or (shared._task is not None and shared._task.done())):
            del self._shared[key]
