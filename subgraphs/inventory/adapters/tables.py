"""Inventory's tables (SQLAlchemy Core). Migrations in ../migrations follow this file."""
import sqlalchemy as sa

from subgraphs.kernel.aliases import alias_table
from subgraphs.kernel.db import messaging_tables
from subgraphs.kernel.privacy import erased_members_table

metadata = sa.MetaData()
outbox, inbox = messaging_tables(metadata)
member_aliases = alias_table(metadata)  # merged members: absorbed id -> survivor (kernel/aliases.py)

stores = sa.Table(
    "stores",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("city", sa.String(100), nullable=False),
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("category", sa.String(100), nullable=False),
    sa.Column("price", sa.Numeric(12, 2), nullable=False),
)

stock = sa.Table(
    "stock",
    metadata,
    sa.Column("store_id", sa.String(40), sa.ForeignKey("stores.id"), primary_key=True),
    sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku"), primary_key=True),
    sa.Column("size", sa.String(16), primary_key=True),  # "" = one size
    sa.Column("available", sa.Integer, nullable=False),
    sa.Column("reserved", sa.Integer, nullable=False, server_default="0"),
    sa.CheckConstraint("available >= 0", name="ck_stock_available"),
    sa.CheckConstraint("reserved >= 0", name="ck_stock_reserved"),
)

erased_members = erased_members_table(metadata)  # who was erased (kernel/privacy.py, inventory/privacy.py)
