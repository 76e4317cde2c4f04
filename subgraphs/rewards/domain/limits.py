"""Till prices are trusted (catalogues lag), within limits: past them a checkout needs a
supervisor. No I/O here."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .evaluation import Evaluation


@dataclass(frozen=True, slots=True)
class CheckoutLimits:
    """Prices come from the till and are trusted (catalogues lag), within these
    bounds; above them a checkout needs a supervisor."""

    max_line_amount: Decimal
    max_basket_amount: Decimal
    max_line_points: int
    max_basket_points: int
    max_price_factor: Decimal  # a unit price above this many times the catalogue price


def limit_breaches(evaluation: Evaluation, limits: CheckoutLimits, catalogue_prices: Mapping[str, Decimal]
                   ) -> list[str]:
    """What in an evaluated basket goes past the limits, in words for the cashier; empty when nothing."""
    breaches: list[str] = []
    for line in evaluation.lines:
        if line.amount > limits.max_line_amount:
            breaches.append(f"line {line.line_id} ({line.sku}) comes to {line.amount}, "
                            f"above the line limit of {limits.max_line_amount}")
        if line.points > limits.max_line_points:
            breaches.append(f"line {line.line_id} ({line.sku}) earns {line.points} points, "
                            f"above the line limit of {limits.max_line_points}")
        listed = catalogue_prices.get(line.sku)
        if listed is not None and line.unit_price > listed * limits.max_price_factor:
            breaches.append(f"line {line.line_id} ({line.sku}) is priced {line.unit_price}, more than "
                            f"{limits.max_price_factor} times the catalogue price of {listed}")
    if evaluation.subtotal > limits.max_basket_amount:
        breaches.append(f"the basket comes to {evaluation.subtotal}, above the limit of {limits.max_basket_amount}")
    if evaluation.points_to_earn > limits.max_basket_points:
        breaches.append(f"the basket earns {evaluation.points_to_earn} points, "
                        f"above the limit of {limits.max_basket_points}")
    return breaches
