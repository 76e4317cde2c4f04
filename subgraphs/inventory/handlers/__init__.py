"""Inventory's use cases, one concept a module (as in `domain/`):

- `catalogue`: stores, products, search, the stock feed.
- `reservations`: hold, cancel, fulfil, expire; the live `reservationUpdated`.
- `interest`: product views, `recentlyViewed`, `ProductViewed` events.
- `events`: sales and returns at the tills, home stores, merges.
"""
from . import catalogue, events, interest, reservations

__all__ = ["catalogue", "events", "interest", "reservations"]
