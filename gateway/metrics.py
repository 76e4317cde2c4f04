"""Prometheus metrics of the gateway, in the text exposition format."""
from __future__ import annotations

import bisect
from collections import defaultdict

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Histogram:
    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0
        self.n = 0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds
        self.n += 1

    def lines(self, name: str, labels: str) -> list[str]:
        out, running = [], 0
        sep = "," if labels else ""
        for bound, count in zip((*BUCKETS, float("inf")), self.counts, strict=True):
            running += count
            le = "+Inf" if bound == float("inf") else repr(bound)
            out.append(f'{name}_bucket{{{labels}{sep}le="{le}"}} {running}')
        out.append(f"{name}_sum{{{labels}}} {self.total}")
        out.append(f"{name}_count{{{labels}}} {self.n}")
        return out


class Metrics:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, str], int] = defaultdict(int)  # (operation kind, outcome)
        self.request_latency = Histogram()
        self.fetch_latency: dict[str, Histogram] = defaultdict(Histogram)
        self.plan_hits = 0
        self.plan_misses = 0
        self.active_subscriptions = 0
        self.upstream_subscriptions = lambda: 0  # set by the app: the hub's count

    def request(self, kind: str, outcome: str, seconds: float) -> None:
        self.requests[(kind, outcome)] += 1
        self.request_latency.observe(seconds)

    def observe_fetch(self, graph: str, seconds: float) -> None:
        self.fetch_latency[graph].observe(seconds)

    def plan_cache(self, *, hit: bool) -> None:
        if hit:
            self.plan_hits += 1
        else:
            self.plan_misses += 1

    def render(self) -> str:
        lines = ["# TYPE gateway_requests_total counter"]
        for (kind, outcome), count in sorted(self.requests.items()):
            lines.append(f'gateway_requests_total{{operation="{kind}",outcome="{outcome}"}} {count}')
        lines.append("# TYPE gateway_request_duration_seconds histogram")
        lines += self.request_latency.lines("gateway_request_duration_seconds", "")
        lines.append("# TYPE gateway_subgraph_fetch_duration_seconds histogram")
        for graph, histogram in sorted(self.fetch_latency.items()):
            lines += histogram.lines("gateway_subgraph_fetch_duration_seconds", f'subgraph="{graph}"')
        lines.append("# TYPE gateway_active_subscriptions gauge")
        lines.append(f"gateway_active_subscriptions {self.active_subscriptions}")
        lines.append("# TYPE gateway_upstream_subscriptions gauge")
        lines.append(f"gateway_upstream_subscriptions {self.upstream_subscriptions()}")
        total = self.plan_hits + self.plan_misses
        lines.append("# TYPE gateway_plan_cache_hit_ratio gauge")
        lines.append(f"gateway_plan_cache_hit_ratio {self.plan_hits / total if total else 0.0}")
        lines.append("# TYPE gateway_plan_cache_lookups_total counter")
        lines.append(f'gateway_plan_cache_lookups_total{{result="hit"}} {self.plan_hits}')
        lines.append(f'gateway_plan_cache_lookups_total{{result="miss"}} {self.plan_misses}')
        return "\n".join(lines) + "\n"
