"""The catalogue: stores and products. No I/O here."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.errors import BadUserInput
from subgraphs.kernel.bounds import MAX_SKU_LENGTH


@dataclass(frozen=True, slots=True)
class Store:
    id: str
    name: str
    city: str


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    category: str
    price: Decimal


def product_facts(product: Product) -> dict[str, object]:
    """What a ProductChanged event tells other subgraphs (the engine checks till prices)."""
    return {"sku": product.sku, "name": product.name, "category": product.category, "price": str(product.price)}


def validate_product(product: Product) -> Product:
    if not product.sku.strip():
        raise BadUserInput("a product needs a SKU")
    if len(product.sku) > MAX_SKU_LENGTH:
        raise BadUserInput(f"a SKU has at most {MAX_SKU_LENGTH} characters")
    if not product.price.is_finite() or product.price < 0:
        raise BadUserInput("a price must be an amount that is not negative")
    return product
