"""A subgraph's Prometheus metrics, served at its `/metrics`.

Each runtime has a registry of its own: in the embedded mode four subgraphs
share one process, and each app shows only its own figures. Handlers and jobs
ask for a metric by name; it is created on first use.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class SubgraphMetrics:
    def __init__(self, subgraph: str) -> None:
        self.subgraph = subgraph
        self.registry = CollectorRegistry(auto_describe=True)
        self._counters: dict[str, Counter] = {}
        self._gauges: dict[str, Gauge] = {}

    def counter(self, name: str, documentation: str, labels: tuple[str, ...] = ()) -> Counter:
        if name not in self._counters:
            self._counters[name] = Counter(f"loyalty_{self.subgraph}_{name}", documentation, labels,
                                           registry=self.registry)
        return self._counters[name]

    def gauge(self, name: str, documentation: str, labels: tuple[str, ...] = ()) -> Gauge:
        if name not in self._gauges:
            self._gauges[name] = Gauge(f"loyalty_{self.subgraph}_{name}", documentation, labels,
                                       registry=self.registry)
        return self._gauges[name]

    def render(self) -> bytes:
        return generate_latest(self.registry)
