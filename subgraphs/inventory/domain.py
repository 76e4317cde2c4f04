"""Inventory's domain: stores, products and stock per store and size. No I/O here."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.errors import BadUserInput
from subgraphs.kernel.bounds import MAX_INT

ONE_SIZE = ""  # stored for products without sizes; shown as `size: null`


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


@dataclass(frozen=True, slots=True)
class StockLevel:
    store_id: str
    sku: str
    size: str | None
    available: int
    reserved: int


def size_key(size: str | None) -> str:
    """Sizes are compared case-insensitively and trimmed: 'm ' and 'M' are one size."""
    if size is None:
        return ONE_SIZE
    cleaned = size.strip().upper()
    if len(cleaned) > 16:
        raise BadUserInput("a size has at most 16 characters")
    return cleaned


def stock_level(store_id: str, sku: str, size: str | None, quantity: int, reserved: int = 0) -> StockLevel:
    if quantity < 0:
        raise BadUserInput("stock cannot be negative")
    if quantity > MAX_INT:
        raise BadUserInput(f"stock is at most {MAX_INT}")
    key = size_key(size)
    return StockLevel(store_id, sku, key or None, quantity, reserved)


def product_facts(product: Product) -> dict[str, object]:
    """What a ProductChanged event tells other subgraphs (the engine checks till prices)."""
    return {"sku": product.sku, "name": product.name, "category": product.category, "price": str(product.price)}


def validate_product(product: Product) -> Product:
    if not product.sku.strip():
        raise BadUserInput("a product needs a SKU")
    if not product.price.is_finite() or product.price < 0:
        raise BadUserInput("a price must be an amount that is not negative")
    return product
