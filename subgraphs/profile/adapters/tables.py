"""Profile's tables (SQLAlchemy Core). Migrations in ../migrations follow this file."""
import sqlalchemy as sa

from subgraphs.kernel.aliases import alias_table
from subgraphs.kernel.db import UtcDateTime, messaging_tables

metadata = sa.MetaData()
outbox, inbox = messaging_tables(metadata)
member_aliases = alias_table(metadata)  # merged members: absorbed id -> survivor (kernel/aliases.py)

members = sa.Table(
    "members",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("given_name", sa.String(100)),
    sa.Column("family_name", sa.String(100)),
    sa.Column("email", sa.String(128)),
    sa.Column("phone", sa.String(32)),
    sa.Column("birthday", sa.Date),
    sa.Column("home_store_id", sa.String(40)),
    sa.Column("enrolled_at", UtcDateTime(), nullable=False),
    sa.Column("email_marketing", sa.Boolean, nullable=False),
    sa.Column("sms_marketing", sa.Boolean, nullable=False),
    sa.Column("push_marketing", sa.Boolean, nullable=False),
    sa.Column("profiling", sa.Boolean, nullable=False),
    sa.Column("consents_updated_at", UtcDateTime()),
    # Where and when each profile field got its value: {"given_name": {"source": "POS", "at": ...}}.
    sa.Column("field_sources", sa.JSON),
    sa.Column("absorbed_count", sa.Integer, nullable=False, server_default="0"),  # members absorbed, theirs too
)

# One identifier belongs to one member: the primary key is the identifier itself.
identities = sa.Table(
    "identities",
    metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("value", sa.String(128), primary_key=True),
    sa.Column("member_id", sa.String(40), sa.ForeignKey("members.id"), nullable=False, index=True),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("linked_at", UtcDateTime(), nullable=False),
)

# Consents as a ledger: every change of a purpose, never overwritten (members.* keep the latest).
consent_changes = sa.Table(
    "consent_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("purpose", sa.String(20), nullable=False),
    sa.Column("granted", sa.Boolean, nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Index("ix_consent_changes_member", "member_id", "at"),
)

# Every merge, with what both records were (domain/merges.py: MergeRecord), to undo it exactly.
merges = sa.Table(
    "merges",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("survivor_id", sa.String(40), nullable=False, index=True),
    sa.Column("absorbed_id", sa.String(40), nullable=False, index=True),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("record", sa.JSON, nullable=False),
    sa.Column("reversed_at", UtcDateTime()),
    sa.Column("reversed_by", sa.String(100)),
)
