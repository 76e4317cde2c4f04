"""The rewards engine's tables (SQLAlchemy Core). Migrations in ../migrations follow this file."""
import sqlalchemy as sa

from subgraphs.kernel.db import UtcDateTime, messaging_tables

metadata = sa.MetaData()
outbox, inbox = messaging_tables(metadata)

# What the engine knows about members, kept current from profile's events
# (event-carried state transfer: deciding never waits on another subgraph).
members = sa.Table(
    "members",
    metadata,
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("profiling", sa.Boolean, nullable=False),
    sa.Column("birthday", sa.Date),
    sa.Column("home_store_id", sa.String(40)),
    sa.Column("enrolled_at", UtcDateTime(), nullable=False),
)

member_identifiers = sa.Table(
    "member_identifiers",
    metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("value", sa.String(128), primary_key=True),
    sa.Column("member_id", sa.String(40), nullable=False, index=True),
)

# One row per checkout, keyed by the channel's externalId: the idempotency record
# and the state of the checkout saga (RECORDED -> POSTED to the ledger).
purchases = sa.Table(
    "purchases",
    metadata,
    sa.Column("external_id", sa.String(128), primary_key=True),
    sa.Column("member_id", sa.String(40), nullable=False, index=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("store_id", sa.String(40)),
    sa.Column("occurred_at", UtcDateTime(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("evaluation", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("ledger_entry_id", sa.String(40)),
    sa.Column("posted_at", UtcDateTime()),
)

# One row per return, keyed by its externalId; lines say what each returned line took back.
returns = sa.Table(
    "returns",
    metadata,
    sa.Column("external_id", sa.String(128), primary_key=True),
    sa.Column("purchase_external_id", sa.String(128), sa.ForeignKey("purchases.external_id"), nullable=False,
              index=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("request", sa.JSON, nullable=False),  # what was asked: a repeat must ask the same
    sa.Column("lines", sa.JSON, nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("posted_at", UtcDateTime()),
)
