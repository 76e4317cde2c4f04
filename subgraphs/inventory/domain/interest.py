"""Product interest: which products a member looks at, how often, in a rolling window.
No I/O here.

A view counts once per member, product and size within `repeat_minutes` (a page
refresh is not interest). The count the engine decides on is the member's counted
views of the product (any size) in the window.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(days=7)
REPEAT = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class View:
    member_id: str
    sku: str
    size: str | None
    at: datetime
    channel: str


def counts(previous: datetime | None, now: datetime, repeat: timedelta = REPEAT) -> bool:
    """Does a view now count, after the member's last counted view of this product and size?"""
    return previous is None or now - previous >= repeat


def views_in_window(views: Iterable[View], now: datetime, window: timedelta = WINDOW) -> list[View]:
    return [view for view in views if now - window < view.at <= now]


@dataclass(frozen=True, slots=True)
class Interest:
    sku: str
    views: int
    last_viewed_at: datetime


def interest(views: Iterable[View], now: datetime, window: timedelta = WINDOW) -> list[Interest]:
    """Per product, the member's views in the window and the last one, most recent first."""
    per_sku: dict[str, list[View]] = {}
    for view in views_in_window(views, now, window):
        per_sku.setdefault(view.sku, []).append(view)
    found = [Interest(sku, len(seen), max(v.at for v in seen)) for sku, seen in per_sku.items()]
    return sorted(found, key=lambda i: (i.last_viewed_at, i.sku), reverse=True)
