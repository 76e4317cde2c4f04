"""A bounded mailbox for one live subscriber, with one last word that always fits.

Fan-out code (the subgraphs' live hub, the gateway's shared upstreams) must never
block on a slow reader, so items beyond `size` are refused (`put` says so). But
the end of a subscription, or the reason it failed, must always arrive, or the
reader waits forever and holds its task and everything it references:
`finish` keeps that last word apart from the bounded items and hands it out
after them.
"""
from __future__ import annotations

import asyncio
from collections import deque


class Mailbox:
    def __init__(self, size: int) -> None:
        self._items: deque[object] = deque()
        self._size = size
        self._last: object | None = None
        self._ready = asyncio.Event()

    def put(self, item: object) -> bool:
        """False when full or finished: the item was not taken."""
        if self._last is not None or len(self._items) >= self._size:
            return False
        self._items.append(item)
        self._ready.set()
        return True

    def finish(self, last: object) -> None:
        """The final item, delivered after everything already queued; the first call wins."""
        if self._last is None:
            self._last = last
            self._ready.set()

    async def get(self) -> object:
        """The next item; once the queue is drained, the last word (again and again)."""
        while not self._items and self._last is None:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft() if self._items else self._last

    @property
    def finished(self) -> bool:
        return self._last is not None

    def __len__(self) -> int:
        return len(self._items)
