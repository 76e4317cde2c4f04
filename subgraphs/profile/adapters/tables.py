"""Profile's tables (SQLAlchemy Core). Migrations in ../migrations follow this file."""
import sqlalchemy as sa

from subgraphs.kernel.aliases import alias_table
from subgraphs.kernel.db import UtcDateTime, messaging_tables
from subgraphs.kernel.privacy import erased_members_table

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

# --- privacy (domain/privacy.py) -------------------------------------------------------------

erased_members = erased_members_table(metadata)  # who was erased (kernel/privacy.py)

# One erasure per member: a repeated request finds this row.
erasure_requests = sa.Table(
    "erasure_requests",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("member_id", sa.String(40), nullable=False, unique=True),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("requested_by", sa.String(128), nullable=False),
    sa.Column("completed_at", UtcDateTime()),  # set when every subgraph has confirmed
)

# Which subgraphs erased their part (MemberErased).
erasure_confirmations = sa.Table(
    "erasure_confirmations",
    metadata,
    sa.Column("request_id", sa.String(40), sa.ForeignKey("erasure_requests.id"), primary_key=True),
    sa.Column("subgraph", sa.String(40), primary_key=True),
    sa.Column("confirmed_at", UtcDateTime(), nullable=False),
)

# The staff access log: who on the staff read or changed a member, and when. Reads carry the
# minute they fall in, so that one staff member reading one member is one entry a minute.
# Kept LOYALTY_ACCESS_LOG_RETENTION_DAYS; an erasure keeps it (it holds ids and roles only).
staff_access = sa.Table(
    "staff_access",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("staff_id", sa.String(128), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("read_minute", sa.Integer),
    sa.UniqueConstraint("member_id", "staff_id", "read_minute", name="uq_staff_access_read"),
    sa.Index("ix_staff_access_member", "member_id", "at"),
    sa.Index("ix_staff_access_at", "at"),
)
