"""Stock per store, product and size: units on hand, units held for reservations, and
every movement between them. No I/O here.

    available = on_hand - held >= 0          (a unit is never promised twice)
    on_hand   = sum of the movements' on-hand changes
    held      = sum of the movements' held changes

A hold takes one available unit; a release gives it back; a fulfilment (the held unit
leaves with the member) takes it from both. A sale takes free units; a sale to a
member of a unit held for them fulfils the hold instead. The stock feed (`setStock`)
is the count on the shelf: when it counts fewer units than are held, the newest holds
that no longer fit are released (a unit that is not there cannot be held).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from core.errors import BadUserInput, Conflict
from subgraphs.kernel.bounds import MAX_INT, MAX_SIZE_LENGTH

ONE_SIZE = ""  # stored for products without sizes; shown as `size: null`


class MovementKind(StrEnum):
    FEED = "FEED"  # the stock feed's count
    SALE = "SALE"
    RETURN = "RETURN"
    HOLD = "HOLD"
    RELEASE = "RELEASE"  # a hold cancelled, expired, or released by a lower count
    FULFIL = "FULFIL"  # a held unit handed over


@dataclass(frozen=True, slots=True)
class StockLevel:
    store_id: str
    sku: str
    size: str | None
    on_hand: int
    held: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.held

    @property
    def reserved(self) -> int:
        return self.held


@dataclass(frozen=True, slots=True)
class Movement:
    kind: MovementKind
    on_hand: int  # signed change
    held: int  # signed change
    reference: str | None = None  # the reservation or the purchase


def size_key(size: str | None) -> str:
    """Sizes are compared case-insensitively and trimmed: 'm ' and 'M' are one size."""
    if size is None:
        return ONE_SIZE
    cleaned = size.strip().upper()
    if len(cleaned) > MAX_SIZE_LENGTH:
        raise BadUserInput(f"a size has at most {MAX_SIZE_LENGTH} characters")
    return cleaned


def stock_level(store_id: str, sku: str, size: str | None, quantity: int, held: int = 0) -> StockLevel:
    check_quantity(quantity)
    key = size_key(size)
    return StockLevel(store_id, sku, key or None, quantity, held)


def check_quantity(quantity: int) -> int:
    if quantity < 0:
        raise BadUserInput("stock cannot be negative", field="quantity")
    if quantity > MAX_INT:
        raise BadUserInput(f"stock is at most {MAX_INT}", field="quantity")
    return quantity


def feed(level: StockLevel, counted: int) -> tuple[StockLevel, Movement, int]:
    """The shelf count: the new level, its movement, and how many holds must be released
    because fewer units are on hand than were held."""
    check_quantity(counted)
    released = max(level.held - counted, 0)
    return replace(level, on_hand=counted, held=level.held - released), Movement(
        MovementKind.FEED, counted - level.on_hand, -released), released


def hold(level: StockLevel, reference: str) -> tuple[StockLevel, Movement]:
    if level.available < 1:
        raise Conflict(f"no {level.sku} {level.size or ''} left to hold at {level.store_id}".replace("  ", " "),
                       available=level.available)
    return replace(level, held=level.held + 1), Movement(MovementKind.HOLD, 0, 1, reference)


def release(level: StockLevel, reference: str) -> tuple[StockLevel, Movement]:
    if level.held < 1:
        raise Conflict(f"nothing is held of {level.sku} at {level.store_id}")
    return replace(level, held=level.held - 1), Movement(MovementKind.RELEASE, 0, -1, reference)


def fulfil(level: StockLevel, reference: str) -> tuple[StockLevel, Movement]:
    if level.held < 1 or level.on_hand < 1:
        raise Conflict(f"nothing is held of {level.sku} at {level.store_id}")
    return replace(level, on_hand=level.on_hand - 1, held=level.held - 1), Movement(MovementKind.FULFIL, -1, -1,
                                                                                    reference)


def sell(level: StockLevel, quantity: int, reference: str) -> tuple[StockLevel, Movement]:
    """Units sold from free stock. The till sold them, so they are gone; if the count says
    fewer are free (a count that lags), only the free ones are taken (never a held one),
    and the next feed corrects the count."""
    taken = min(quantity, level.available)
    return replace(level, on_hand=level.on_hand - taken), Movement(MovementKind.SALE, -taken, 0, reference)


def take_back(level: StockLevel, quantity: int, reference: str) -> tuple[StockLevel, Movement]:
    """Units returned to the shelf."""
    added = min(quantity, MAX_INT - level.on_hand)
    return replace(level, on_hand=level.on_hand + added), Movement(MovementKind.RETURN, added, 0, reference)
