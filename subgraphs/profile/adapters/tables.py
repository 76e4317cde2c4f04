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

# --- traits and segments -------------------------------------------------------------------------
# Purchases as the engine's events tell them (PurchaseCompleted, PurchaseReturned), one row per
# purchase externalId. A return may arrive first: then occurred_at, amount and units are NULL
# until the purchase does. The index serves a member's windows (their own rows, never a scan).
member_purchases = sa.Table(
    "member_purchases",
    metadata,
    sa.Column("external_id", sa.String(128), primary_key=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("occurred_at", UtcDateTime()),
    sa.Column("amount", sa.Numeric(12, 2)),  # the purchase's total
    sa.Column("units", sa.Integer),
    sa.Column("returned_amount", sa.Numeric(12, 2), nullable=False),
    sa.Column("returned_units", sa.Integer, nullable=False),
    sa.Index("ix_member_purchases_member_occurred", "member_id", "occurred_at"),
)

# Each return once, by its own externalId (a new envelope of the same return adds nothing).
member_purchase_returns = sa.Table(
    "member_purchase_returns",
    metadata,
    sa.Column("external_id", sa.String(128), primary_key=True),
    sa.Column("purchase_external_id", sa.String(128), nullable=False),
    sa.Column("amount", sa.Numeric(12, 2), nullable=False),
    sa.Column("units", sa.Integer, nullable=False),
)

# Which merge moved which purchase from whom (handlers.traits.reassign_member_facts), so that
# an unmerge moves exactly those back, even after later merges carried them further.
member_purchase_moves = sa.Table(
    "member_purchase_moves",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("purchase_external_id", sa.String(128), nullable=False, index=True),
    sa.Column("merge_id", sa.String(40), nullable=False, index=True),
    sa.Column("from_member_id", sa.String(40), nullable=False),
    sa.Column("to_member_id", sa.String(40), nullable=False),
    sa.UniqueConstraint("purchase_external_id", "merge_id", name="uq_member_purchase_moves_purchase_merge"),
)

# A member's running totals, updated in the same transaction as their purchase rows. The
# daily segment pass reads members by last_purchase_at (those whose windows can still change).
member_traits = sa.Table(
    "member_traits",
    metadata,
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("last_purchase_at", UtcDateTime()),
    sa.Column("purchases", sa.Integer, nullable=False),
    sa.Column("spend", sa.Numeric(14, 2), nullable=False),
    sa.Index("ix_member_traits_last_purchase", "last_purchase_at", "member_id"),
)

# The churn model's output, read as MemberTraits.lapseRisk: the `lapse-scores` job (handlers/churn.py)
# writes it through handlers.traits.record_lapse_scores. No row, no score: lapseRisk is null.
lapse_scores = sa.Table(
    "lapse_scores",
    metadata,
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("model", sa.String(64), nullable=False),  # which model and version scored it
    sa.Column("scored_at", UtcDateTime(), nullable=False),
)

# The ledger's word on each member's tier (TierChanged), for the churn model's tier feature:
# only a newer word replaces an older one.
member_tiers = sa.Table(
    "member_tiers",
    metadata,
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("tier_id", sa.String(40), nullable=False),
    sa.Column("threshold", sa.Integer, nullable=False),  # the tier's qualifying points
    sa.Column("as_of", UtcDateTime(), nullable=False),
)

# Segments: `version` goes up when the condition changes; the evaluation job brings every
# member up to it (evaluated_version, a member-id cursor between runs). member_count moves
# with segment_members, in the same transaction.
segments = sa.Table(
    "segments",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("condition", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("member_count", sa.Integer, nullable=False),
    sa.Column("evaluated_version", sa.Integer),
    sa.Column("evaluation_cursor", sa.String(40)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

segment_members = sa.Table(
    "segment_members",
    metadata,
    sa.Column("segment_id", sa.String(40), sa.ForeignKey("segments.id"), primary_key=True),
    sa.Column("member_id", sa.String(40), primary_key=True, index=True),
    sa.Column("entered_at", UtcDateTime(), nullable=False),
)

# Where the daily pass (time passing moves recency and the windows) has got to today.
segment_passes = sa.Table(
    "segment_passes",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("phase", sa.String(16), nullable=False),
    sa.Column("after_at", UtcDateTime()),
    sa.Column("after_id", sa.String(40)),
)

# The daily pass also visits members enrolled in the last year (enrolledDays).
sa.Index("ix_members_enrolled_at", members.c.enrolled_at, members.c.id)

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

# --- staff (the till's sign-in: domain/staff.py) -------------------------------------------------
# A PIN is only ever kept as its Argon2id hash.
staff_accounts = sa.Table(
    "staff_accounts",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("store_id", sa.String(40)),
    sa.Column("pin_hash", sa.String(255), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("last_signed_in_at", UtcDateTime()),
)

# The guessing count per staff id tried, known or not (an unknown id is counted like a known one).
# Rows left alone past domain.staff.FORGET_AFTER are deleted by the next sign-in (by last_attempt_at).
staff_sign_in_attempts = sa.Table(
    "staff_sign_in_attempts",
    metadata,
    sa.Column("staff_id", sa.String(40), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("lockouts", sa.Integer, nullable=False),
    sa.Column("last_attempt_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("locked_until", UtcDateTime()),
)

# One-time sign-in codes by email (domain/sign_in_codes.py): one row per address asked for, keyed
# by the address's keyed hash (never the address), with the code's keyed hash and its counters;
# a row whether or not a member holds the address, so that nobody can tell.
sign_in_codes = sa.Table(
    "sign_in_codes",
    metadata,
    sa.Column("email_key", sa.String(64), primary_key=True),
    sa.Column("member_id", sa.String(40), index=True),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("issued_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("requests", sa.Integer, nullable=False),
    sa.Column("window_started_at", UtcDateTime(), nullable=False),
)
