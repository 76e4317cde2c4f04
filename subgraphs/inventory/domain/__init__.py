"""Inventory's rules, one concept a module, no I/O:

- `catalogue`: stores and products.
- `stock`: units on hand and held per store, product and size, and their movements.
- `reservations`: one unit held for a member at a store until a time.
- `interest`: which products a member looks at, in a rolling window.
"""
from . import catalogue, interest, reservations, stock

__all__ = ["catalogue", "interest", "reservations", "stock"]
