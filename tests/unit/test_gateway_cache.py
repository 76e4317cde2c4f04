"""gateway/cache.py: caches keyed by query text are bounded by entries and by the text they hold."""
from __future__ import annotations

from gateway.cache import QueryCache


def test_least_recently_used_goes_first() -> None:
    cache: QueryCache[str, int] = QueryCache(2, budget=1_000)
    cache.put("a", 1, "a")
    cache.put("b", 2, "b")
    assert cache.get("a") == 1  # now b is the least recently used
    cache.put("c", 3, "c")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_the_text_held_stays_within_the_budget() -> None:
    cache: QueryCache[str, int] = QueryCache(1000, budget=100, max_query=60)
    for n in range(10):
        cache.put(f"q{n}", n, "x" * 30)
    assert cache.held <= 100 and len(cache) == 3
    assert [cache.get(f"q{n}") for n in (7, 8, 9)] == [7, 8, 9]


def test_a_query_too_long_to_cache_is_not_cached_and_evicts_nothing() -> None:
    cache: QueryCache[str, int] = QueryCache(1000, budget=100, max_query=60)
    cache.put("small", 1, "x" * 10)
    cache.put("huge", 2, "x" * 61)
    assert (cache.get("small"), cache.get("huge")) == (1, None)
    assert cache.held == 10


def test_putting_a_key_again_replaces_its_weight() -> None:
    cache: QueryCache[str, int] = QueryCache(10, budget=100)
    cache.put("a", 1, "x" * 40)
    cache.put("a", 2, "x" * 40)
    assert (cache.get("a"), cache.held, len(cache)) == (2, 40, 1)
