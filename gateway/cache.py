"""The gateway's caches keyed by query text (documents, plans, measures): least
recently used, bounded by entries *and* by the query text they hold.

An entry count alone does not bound memory: a request body may be up to
LOYALTY_GATEWAY_MAX_BODY_BYTES, and a parsed document keeps its text twice
(the key, and the source its tokens point into, comments included), so a
thousand distinct one-megabyte queries held 2 GB. Here the text held is capped
(QUERY_TEXT_BUDGET per cache), and a query longer than MAX_CACHED_QUERY is
served without being cached at all (parsed and planned each time: slower, but
it cannot push the everyday operations out)."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

MAX_CACHED_QUERY = 16_384  # characters of query text
QUERY_TEXT_BUDGET = 2_000_000  # characters of query text per cache (about 1,000 queries of 2 KB)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class QueryCache(Generic[K, V]):
    def __init__(self, size: int, *, budget: int = QUERY_TEXT_BUDGET, max_query: int = MAX_CACHED_QUERY) -> None:
        self.size = size
        self.budget = budget
        self.max_query = max_query
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._held = 0  # characters of query text held

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: K, value: V, query: str) -> None:
        """Remember `value` for `key` (whose query text is `query`), unless the query is too long."""
        weight = len(query)
        if weight > self.max_query:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._held -= old[1]
        self._entries[key] = (value, weight)
        self._held += weight
        while len(self._entries) > self.size or self._held > self.budget:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._held -= dropped

    @property
    def held(self) -> int:
        return self._held

    def __len__(self) -> int:
        return len(self._entries)
