"""The ledger's tables (SQLAlchemy Core). Migrations in ../migrations follow this file."""
import sqlalchemy as sa

from subgraphs.kernel.db import UtcDateTime, messaging_tables

metadata = sa.MetaData()
outbox, inbox = messaging_tables(metadata)

tiers = sa.Table(
    "tiers",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("threshold", sa.Integer, nullable=False, unique=True),
    sa.Column("multiplier", sa.Float, nullable=False),
    sa.Column("benefits", sa.JSON, nullable=False),
)

# The cached view of each member's entries; changed only together with a new entry.
accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("available", sa.Integer, nullable=False),
    sa.Column("pending", sa.Integer, nullable=False),
    sa.Column("lifetime_earned", sa.Integer, nullable=False),
    sa.Column("qualifying_points", sa.Integer, nullable=False),
    sa.Column("tier_id", sa.String(40), sa.ForeignKey("tiers.id"), nullable=False),
    sa.Column("tier_since", UtcDateTime(), nullable=False),
    sa.Column("last_seq", sa.Integer, nullable=False),
)

# Append-only: rows are inserted, never updated or deleted.
entries = sa.Table(
    "entries",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("balance_after", sa.Integer, nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("reference", sa.String(128)),
    sa.Column("description", sa.String(300), nullable=False),
    sa.Column("idempotency_key", sa.String(200), unique=True),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.UniqueConstraint("member_id", "seq", name="uq_entries_member_seq"),
)

# What each purchase line earned: returns take back exactly this, per line.
earning_lines = sa.Table(
    "earning_lines",
    metadata,
    sa.Column("entry_id", sa.String(40), sa.ForeignKey("entries.id"), primary_key=True),
    sa.Column("line_id", sa.String(64), primary_key=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
)
