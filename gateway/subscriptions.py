"""Client subscriptions share upstreams: one upstream subscription (and one
enrichment per event) per distinct operation, variables and identity, fanned
out to every client that asked the same. When the last client leaves, the
upstream closes; when the upstream ends or fails, every client hears how.

An upstream that has ended leaves the hub *before* its clients are told, so a
client arriving at that moment starts a fresh upstream instead of waiting on
a dead one."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson

from core.errors import ErrorCode
from core.mailbox import Mailbox

from .operation import RequestError, error

log = logging.getLogger(__name__)

CLIENT_QUEUE_SIZE = 256
_END = object()

Key = tuple[str, str | None, bytes, str | None]
Upstream = Callable[[], AsyncIterator[dict[str, Any]]]


class _Shared:
    """One upstream subscription and the clients it feeds."""

    def __init__(self, key: Key, upstream: Upstream, forget: Callable[[_Shared], None]) -> None:
        self.key = key
        self.clients: set[Mailbox] = set()
        self.closed = False
        self._upstream = upstream
        self._forget = forget
        self._task: asyncio.Task[None] | None = None

    def attach(self) -> Mailbox:
        mailbox = Mailbox(CLIENT_QUEUE_SIZE)
        self.clients.add(mailbox)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"upstream:{self.key[1] or 'subscription'}")
        return mailbox

    def detach(self, mailbox: Mailbox) -> None:
        self.clients.discard(mailbox)
        if not self.clients:
            self._close()

    def _close(self) -> None:
        """Nobody listens any more: leave the hub and stop the upstream."""
        self.closed = True
        self._forget(self)
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def _tell(self, item: object) -> None:
        for mailbox in tuple(self.clients):
            if not mailbox.put(item):  # a client that cannot keep up is let go, with a reason
                self.clients.discard(mailbox)
                mailbox.finish(RequestError([error("this subscriber fell too far behind and was closed",
                                                  ErrorCode.INTERNAL)]))
        if not self.clients:
            self._close()

    async def _run(self) -> None:
        ending: object = _END
        try:
            async for result in self._upstream():
                self._tell(result)
        except RequestError as e:
            ending = e
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - every client hears that its subscription ended
            log.exception("shared subscription failed")
            ending = RequestError([error("the subscription failed", ErrorCode.INTERNAL)])
        finally:
            # Closed and out of the hub first: a newcomer from now on starts its own upstream.
            self.closed = True
            self._forget(self)
            for mailbox in tuple(self.clients):
                mailbox.finish(ending)


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
        if shared is None or shared.closed:
            shared = self._shared[key] = _Shared(key, upstream, self._forget)
        mailbox = shared.attach()
        try:
            while True:
                item = await mailbox.get()
                if item is _END:
                    return
                if isinstance(item, RequestError):
                    raise item
                yield item  # type: ignore[misc]
        finally:
            shared.detach(mailbox)

    def _forget(self, shared: _Shared) -> None:
        if self._shared.get(shared.key) is shared:
            del self._shared[shared.key]
