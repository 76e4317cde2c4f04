"""Integrations' tables (SQLAlchemy Core). Migrations in ../migrations follow this file."""
import sqlalchemy as sa

from subgraphs.kernel.aliases import alias_table
from subgraphs.kernel.db import UtcDateTime, messaging_tables
from subgraphs.kernel.privacy import erased_members_table

metadata = sa.MetaData()
outbox, inbox = messaging_tables(metadata)
member_aliases = alias_table(metadata)  # the kernel's privacy flow reads it (no merge is followed here)
erased_members = erased_members_table(metadata)

webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("subscription", sa.Text, nullable=False),  # as the integrator wrote it
    sa.Column("field", sa.String(100), nullable=False),  # its root field, e.g. tierChanged
    sa.Column("member_filter", sa.String(40), nullable=False),  # "*" or one member id
    # Kept as given: the HMAC key is needed to sign, so it cannot be hashed. Never read back by the API.
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_delivery_at", UtcDateTime(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
)

# One row per (webhook, event): the durable queue. Recorded when the event is consumed from the
# bus, before anything is sent; delivered oldest first per webhook and member.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("webhook_id", sa.String(40), nullable=False),
    sa.Column("event_id", sa.String(40), nullable=False),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("event", sa.LargeBinary, nullable=False),  # the envelope, replayed through the gateway
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
    sa.Column("lease_owner", sa.String(40), nullable=True),  # the worker sending it now ...
    sa.Column("lease_until", UtcDateTime(), nullable=True),  # ... until then (a crashed worker's lease runs out)
    sa.Column("payload", sa.LargeBinary, nullable=True),  # the body, made once: every attempt sends the same bytes
    sa.Column("last_error", sa.String(500), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("done_at", UtcDateTime(), nullable=True),
    sa.UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_event"),
    sa.Index("ix_webhook_deliveries_queue", "webhook_id", "member_id", "state", "seq"),
    sa.Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    sa.Index("ix_webhook_deliveries_member", "member_id"),
    sa.Index("ix_webhook_deliveries_done", "done_at"),
)
