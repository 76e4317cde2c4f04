"""Inventory's tables (SQLAlchemy Core). Migrations in ../migrations follow this file."""
import sqlalchemy as sa

from subgraphs.kernel.aliases import alias_table
from subgraphs.kernel.db import UtcDateTime, messaging_tables
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
    sa.Column("on_hand", sa.Integer, nullable=False),
    sa.Column("held", sa.Integer, nullable=False, server_default="0"),
    # A unit is never promised twice: the database refuses what the domain would never do.
    sa.CheckConstraint("held >= 0 AND held <= on_hand", name="ck_stock_held"),
)

# Every change of on-hand and held units, so that each unit is accounted for (domain/stock.py).
stock_movements = sa.Table(
    "stock_movements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("store_id", sa.String(40), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("size", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("on_hand_change", sa.Integer, nullable=False),
    sa.Column("held_change", sa.Integer, nullable=False),
    sa.Column("reference", sa.String(128)),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Index("ix_stock_movements_item", "store_id", "sku", "size"),
)

reservations = sa.Table(
    "reservations",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("store_id", sa.String(40), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("size", sa.String(16), nullable=False),  # "" = one size
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("hold_until", UtcDateTime(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("idempotency_key", sa.String(128), nullable=False, unique=True),
    sa.Column("offer_id", sa.String(40)),
    sa.Column("closed_by", sa.String(160)),
    sa.Column("origin_member_id", sa.String(40), nullable=False),  # who it was made for (kernel/aliases.py)
    sa.Index("ix_reservations_member", "member_id", "status"),
    sa.Index("ix_reservations_expiry", "hold_until", sqlite_where=sa.text("status = 'HELD'"),
             postgresql_where=sa.text("status = 'HELD'")),
)

# Counted views (a refresh within minutes is not a view), kept for the interest window.
product_views = sa.Table(
    "product_views",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("size", sa.String(16), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("origin_member_id", sa.String(40), nullable=False),
    sa.Index("ix_product_views_member", "member_id", "sku", "at"),
    sa.Index("ix_product_views_at", "at"),
)

# What the tills sold (from rewards' PurchaseCompleted): returns put units back at the right
# store and size; "bought recently" is read from here.
sales = sa.Table(
    "sales",
    metadata,
    sa.Column("purchase_external_id", sa.String(128), primary_key=True),
    sa.Column("line_id", sa.String(64), primary_key=True),
    sa.Column("member_id", sa.String(40)),
    sa.Column("store_id", sa.String(40)),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("size", sa.String(16), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("origin_member_id", sa.String(40)),
    sa.Index("ix_sales_member", "member_id", "sku", "at"),
)

# Members' home stores, as profile publishes them (what a ProductViewed event tells the engine).
members = sa.Table(
    "members",
    metadata,
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("home_store_id", sa.String(40)),
    sa.Column("facts_at", UtcDateTime(), nullable=False),
)

erased_members = erased_members_table(metadata)  # who was erased (kernel/privacy.py, inventory/privacy.py)
