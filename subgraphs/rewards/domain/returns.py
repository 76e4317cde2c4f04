"""Returns: which purchase lines a return takes units from, and what each gives back in
points and money, cumulatively, so that every unit back adds up to exactly what the line
earned and cost. No I/O here."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from core.errors import BadUserInput, Conflict

from .basket import CENT, MAX_QUANTITY, money
from .evaluation import Evaluation


@dataclass(frozen=True, slots=True)
class ReturnRequest:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ReturnedLine:
    line_id: str
    sku: str
    quantity: int
    points: int  # what the returned units earned, taken back
    amount: Decimal | None  # what the returned units cost (their share of the line's amount); None on
    #                         returns recorded before amounts were kept


def line_reversal(earned: int, quantity: int, returned_before: int, returning: int) -> int:
    """The points a return of `returning` units takes back from a line that earned
    `earned` points for `quantity` units. Cumulative, so returning every unit, in
    any number of returns, takes back exactly what the line earned."""
    if returning <= 0 or returned_before < 0 or returned_before + returning > quantity:
        raise BadUserInput("a return cannot take back more units than the line had")
    return earned * (returned_before + returning) // quantity - earned * returned_before // quantity


def line_refund(amount: Decimal, quantity: int, returned_before: int, returning: int) -> Decimal:
    """What `returning` units of a line that came to `amount` for `quantity` units cost: the
    line's amount pro rata per unit, in whole cents, cumulative like `line_reversal`, so the
    returns of a line never add up to more than its amount and every unit back adds up to
    exactly its amount."""
    if returning <= 0 or returned_before < 0 or returned_before + returning > quantity:
        raise BadUserInput("a return cannot take back more units than the line had")
    cents = int((amount / CENT).to_integral_value(rounding=ROUND_FLOOR))
    refunded = cents * (returned_before + returning) // quantity - cents * returned_before // quantity
    return (Decimal(refunded) * CENT).quantize(CENT)


def allocate_return(purchase: Evaluation, returned_before: Mapping[str, int], requested: Sequence[ReturnRequest]
                    ) -> list[ReturnedLine]:
    """Which purchase lines a return takes units from (a SKU on several lines: in
    order), and the points each gives back. Units already returned cannot be
    returned again (CONFLICT)."""
    if not requested:
        raise BadUserInput("a return needs at least one line", field="lines")
    wanted: dict[str, int] = {}
    for line in requested:
        if line.quantity <= 0 or line.quantity > MAX_QUANTITY:
            raise BadUserInput(f"{line.sku}: return between 1 and {MAX_QUANTITY} units", field="lines")
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    result: list[ReturnedLine] = []
    for sku, quantity in wanted.items():
        lines = [line for line in purchase.lines if line.sku == sku]
        if not lines:
            raise BadUserInput(f"{sku} was not in this purchase", field="lines")
        left = sum(line.quantity - returned_before.get(line.line_id, 0) for line in lines)
        if quantity > left:
            raise Conflict(f"{sku}: {left} of the purchased units can still be returned, not {quantity}")
        for line in lines:
            before = returned_before.get(line.line_id, 0)
            take = min(quantity, line.quantity - before)
            if take <= 0:
                continue
            result.append(ReturnedLine(line.line_id, sku, take, line_reversal(line.points, line.quantity, before, take),
                                       line_refund(line.amount, line.quantity, before, take)))
            quantity -= take
            if not quantity:
                break
    return result


def returned_amount(lines: Sequence[ReturnedLine]) -> Decimal:
    """What a return gives back in money: its lines' amounts."""
    return money(sum((line.amount or Decimal(0) for line in lines), Decimal(0)))


def return_facts(lines: Sequence[ReturnedLine]) -> dict[str, Any]:
    """The money and units of a return, for its event (PurchaseReturned): consumers such as
    profile's traits keep a member's spend net of returns without asking for the purchase."""
    return {
        "amount": str(returned_amount(lines)),
        "lines": [{"line_id": ln.line_id, "sku": ln.sku, "quantity": ln.quantity, "points": ln.points,
                   "amount": str(ln.amount) if ln.amount is not None else None} for ln in lines],
    }
