"""The ledger's tables (SQLAlchemy Core). Migrations in ../migrations follow this file."""
import sqlalchemy as sa

from subgraphs.kernel.aliases import alias_table
from subgraphs.kernel.db import UtcDateTime, messaging_tables
from subgraphs.kernel.privacy import erased_members_table

metadata = sa.MetaData()
outbox, inbox = messaging_tables(metadata)
member_aliases = alias_table(metadata)  # merged members: absorbed id -> survivor (kernel/aliases.py)

tiers = sa.Table(
    "tiers",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("threshold", sa.Integer, nullable=False, unique=True),
    sa.Column("multiplier", sa.Float, nullable=False),
    sa.Column("benefits", sa.JSON, nullable=False),
)

# The program's points policy (expiry, return windows, tiers' review, negative balances): one row.
program = sa.Table(
    "program",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("policy", sa.JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

# The cached view of each member's entries and lots; changed only through domain.Wallet.
accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("available", sa.Integer, nullable=False),
    sa.Column("pending", sa.Integer, nullable=False),
    sa.Column("lifetime_earned", sa.Integer, nullable=False),
    sa.Column("tier_id", sa.String(40), sa.ForeignKey("tiers.id"), nullable=False),
    sa.Column("tier_since", UtcDateTime(), nullable=False),
    sa.Column("review_at", UtcDateTime(), nullable=False),
    sa.Column("grace_until", UtcDateTime()),
    sa.Column("shortfall", sa.Integer, nullable=False, server_default="0"),
    sa.Column("debt", sa.Integer, nullable=False, server_default="0"),
    sa.Column("milestone", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_seq", sa.Integer, nullable=False),
    sa.Column("next_due_at", UtcDateTime()),  # the schedule job's next visit (domain: Wallet.next_due)
    sa.Index("ix_accounts_review_at", "review_at"),
    sa.Index("ix_accounts_next_due", "next_due_at", "member_id"),
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
    sa.Index("ix_entries_member_recorded", "member_id", "recorded_at", "seq"),  # activity pages, merged or not
)

# Points as they were earned: spent and expired first-expiring-first, pending until matured.
lots = sa.Table(
    "lots",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("entry_id", sa.String(40), sa.ForeignKey("entries.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("reference", sa.String(128)),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("remaining", sa.Integer, nullable=False),
    sa.Column("reversed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("earned_at", UtcDateTime(), nullable=False),
    sa.Column("matures_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("matured", sa.Boolean, nullable=False),
    sa.Column("merge_id", sa.String(40)),  # came with this merge from another member's book
    sa.CheckConstraint("remaining >= 0 AND remaining <= points - reversed", name="ck_lots_remaining"),
    sa.Index("ix_lots_member", "member_id", "earned_at"),
    sa.Index("ix_lots_pending", "matures_at", sqlite_where=sa.text("NOT matured"),
             postgresql_where=sa.text("NOT matured")),
    sa.Index("ix_lots_open", "expires_at", sqlite_where=sa.text("remaining > 0"),
             postgresql_where=sa.text("remaining > 0")),
)

# Every posting's idempotency key, whether or not it wrote an entry: a repeat returns the first result.
postings = sa.Table(
    "postings",
    metadata,
    sa.Column("idempotency_key", sa.String(200), primary_key=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("request", sa.String(64), nullable=False),  # what was asked, to tell a repeat from a misuse
    sa.Column("entry_id", sa.String(40)),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
)

# What each returned line took back, so a line is never returned twice over.
line_reversals = sa.Table(
    "line_reversals",
    metadata,
    sa.Column("return_reference", sa.String(128), primary_key=True),
    sa.Column("purchase_reference", sa.String(128), nullable=False, index=True),
    sa.Column("line_id", sa.String(64), primary_key=True),
    sa.Column("points", sa.Integer, nullable=False),
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

# What each merge moved between two books (domain.AccountMerge), to give it back exactly.
account_merges = sa.Table(
    "account_merges",
    metadata,
    sa.Column("merge_id", sa.String(40), primary_key=True),
    sa.Column("survivor_id", sa.String(40), nullable=False),
    sa.Column("absorbed_id", sa.String(40), nullable=False),
    sa.Column("merged_at", UtcDateTime(), nullable=False),
    sa.Column("record", sa.JSON, nullable=False),
    sa.Column("reversed_at", UtcDateTime()),
)

erased_members = erased_members_table(metadata)  # who was erased (kernel/privacy.py, ledger/privacy.py)
