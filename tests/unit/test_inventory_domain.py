from decimal import Decimal

import pytest

from core.errors import BadUserInput
from subgraphs.inventory.domain import (
    ONE_SIZE,
    Product,
    StockLevel,
    product_facts,
    size_key,
    stock_level,
    validate_product,
)
from subgraphs.kernel.bounds import MAX_INT


@pytest.mark.parametrize(
    ("size", "key"),
    [(None, ONE_SIZE), ("", ""), ("   ", ""), ("m ", "M"), ("M", "M"), (" xl", "XL"), ("32/34", "32/34")],
)
def test_size_key(size, key):
    assert size_key(size) == key


def test_size_key_length_limit():
    assert size_key(" " + "x" * 16 + " ") == "X" * 16
    with pytest.raises(BadUserInput, match="at most 16"):
        size_key("x" * 17)


def test_stock_level_normalises_the_size():
    assert stock_level("st_1", "TEE-1", " m", 5) == StockLevel("st_1", "TEE-1", "M", 5, 0)
    assert stock_level("st_1", "TEE-1", "m", 5, reserved=2).reserved == 2


@pytest.mark.parametrize("size", [None, "", "  "])
def test_stock_level_without_a_size_has_size_none(size):
    assert stock_level("st_1", "MUG-1", size, 0).size is None


def test_negative_stock_is_refused():
    with pytest.raises(BadUserInput, match="negative"):
        stock_level("st_1", "TEE-1", "M", -1)


def test_validate_product_accepts_a_valid_product():
    product = Product("TEE-1", "Tee", "Tops", Decimal("24.00"))
    assert validate_product(product) is product
    free = Product("BAG-1", "Bag", "Accessories", Decimal("0"))
    assert validate_product(free) is free


@pytest.mark.parametrize(
    ("product", "message"),
    [
        (Product("", "Tee", "Tops", Decimal("1")), "needs a SKU"),
        (Product("  ", "Tee", "Tops", Decimal("1")), "needs a SKU"),
        (Product("TEE-1", "Tee", "Tops", Decimal("-0.01")), "not negative"),
    ],
)
def test_validate_product_refuses(product, message):
    with pytest.raises(BadUserInput, match=message):
        validate_product(product)


@pytest.mark.parametrize("price", ["NaN", "Infinity"])
def test_validate_product_refuses_a_non_finite_price(price):
    with pytest.raises(BadUserInput):
        validate_product(Product("TEE-1", "Tee", "Tops", Decimal(price)))


def test_product_facts_are_what_a_product_changed_event_carries():
    product = Product("JKT-1", "Aurora Jacket", "Running jackets", Decimal("189.00"))
    assert product_facts(product) == {"sku": "JKT-1", "name": "Aurora Jacket", "category": "Running jackets",
                                      "price": "189.00"}


def test_stock_is_bounded_by_what_a_database_integer_holds():
    assert stock_level("st_1", "A", None, MAX_INT).available == MAX_INT
    with pytest.raises(BadUserInput, match=f"stock is at most {MAX_INT}"):
        stock_level("st_1", "A", None, MAX_INT + 1)
