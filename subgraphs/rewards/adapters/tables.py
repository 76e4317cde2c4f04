"""The rewards engine's tables (SQLAlchemy Core). Migrations in ../migrations follow this file."""
import sqlalchemy as sa

from subgraphs.kernel.aliases import alias_table
from subgraphs.kernel.db import UtcDateTime, messaging_tables
from subgraphs.kernel.privacy import erased_members_table

metadata = sa.MetaData()
outbox, inbox = messaging_tables(metadata)
member_aliases = alias_table(metadata)  # merged members: absorbed id -> survivor (kernel/aliases.py)


def _retry_columns() -> list[sa.Column]:
    """How far the saga got posting a row to the ledger: attempts, when to try next,
    the last refusal, and when it stopped trying (parked, for a person to look at)."""
    return [
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UtcDateTime()),
        sa.Column("last_error", sa.String(300)),
        sa.Column("parked_at", UtcDateTime()),
    ]


# What the engine knows about members, kept current from profile's events
# (event-carried state transfer: deciding never waits on another subgraph).
# Events may arrive late, twice or out of order (NATS redelivers): each group of
# columns keeps the time of the fact it came from, and only a newer fact replaces
# it. A consent change can arrive before the enrolment it follows, so a row may
# hold consents and no facts yet (status NULL: the member is fetched from profile).
members = sa.Table(
    "members",
    metadata,
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("status", sa.String(16)),
    sa.Column("profiling", sa.Boolean, nullable=False),
    sa.Column("birthday", sa.Date),
    sa.Column("home_store_id", sa.String(40)),
    sa.Column("enrolled_at", UtcDateTime()),
    sa.Column("facts_at", UtcDateTime()),  # when profile's facts above were true
    sa.Column("consents_at", UtcDateTime()),  # when `profiling` was true
)

# The product catalogue as inventory publishes it (ProductChanged): the engine checks
# till prices against it and, later, reads categories in campaign conditions.
catalogue = sa.Table(
    "catalogue",
    metadata,
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("category", sa.String(100), nullable=False),
    sa.Column("price", sa.Numeric(12, 2), nullable=False),
    sa.Column("as_of", UtcDateTime(), nullable=False),
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
    sa.Column("origin_member_id", sa.String(40), nullable=False),  # who it was made by (kernel/aliases.py)
    *_retry_columns(),
    sa.Index("ix_purchases_unposted", "next_attempt_at", sqlite_where=sa.text("status = 'RECORDED'"),
             postgresql_where=sa.text("status = 'RECORDED'")),
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
    sa.Column("origin_member_id", sa.String(40), nullable=False),
    *_retry_columns(),
    sa.Index("ix_returns_unposted", "next_attempt_at", sqlite_where=sa.text("status = 'RECORDED'"),
             postgresql_where=sa.text("status = 'RECORDED'")),
)

erased_members = erased_members_table(metadata)  # who was erased (kernel/privacy.py, rewards/privacy.py)
