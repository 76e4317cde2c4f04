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
    # The marketing consents (an engine's message goes only where the member allows it).
    sa.Column("email_marketing", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("sms_marketing", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("push_marketing", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("birthday", sa.Date),
    sa.Column("home_store_id", sa.String(40)),
    sa.Column("enrolled_at", UtcDateTime()),
    sa.Column("facts_at", UtcDateTime()),  # when profile's facts above were true
    sa.Column("consents_at", UtcDateTime()),  # when the consents above were true
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

# --- the engine: campaigns, coupons, the rewards catalogue -------------------------------------
# (domain/campaigns.py, coupons.py; README "The engine")

# Every campaign, as its latest version: the definition as JSON (domain/campaigns.py reads
# it back and compiles its condition), with the columns the engine selects on.
campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("trigger", sa.String(32), nullable=False),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_campaigns_trigger_status", "trigger", "status"),
)

# Every version ever saved, with who saved it: what ran when is never lost.
campaign_versions = sa.Table(
    "campaign_versions",
    metadata,
    sa.Column("campaign_id", sa.String(40), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("saved_at", UtcDateTime(), nullable=False),
    sa.Column("saved_by", sa.String(100), nullable=False),
)

# Budgets apart from definitions: a checkout consumes one with a conditional UPDATE
# (used + n <= limit), so concurrent checkouts never overspend it.
campaign_budgets = sa.Table(
    "campaign_budgets",
    metadata,
    sa.Column("campaign_id", sa.String(40), primary_key=True),
    sa.Column("unit", sa.String(16), nullable=False),
    sa.Column("budget_limit", sa.Integer, nullable=False),
    sa.Column("used", sa.Integer, nullable=False),
    sa.CheckConstraint("used >= 0 AND used <= budget_limit", name="ck_campaign_budgets_used"),
)

# How often each member benefited from a campaign (its per-member cap).
campaign_usage = sa.Table(
    "campaign_usage",
    metadata,
    sa.Column("campaign_id", sa.String(40), primary_key=True),
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("uses", sa.Integer, nullable=False),
    sa.Column("origin_member_id", sa.String(40), nullable=False),  # kernel/aliases.py
)

# A/B tests: checkouts whose member was in the variant and checked against the condition
# (exposures), and those where it held and the variant's effects applied (conversions).
campaign_variant_stats = sa.Table(
    "campaign_variant_stats",
    metadata,
    sa.Column("campaign_id", sa.String(40), primary_key=True),
    sa.Column("variant", sa.String(100), primary_key=True),
    sa.Column("exposures", sa.Integer, nullable=False),
    sa.Column("conversions", sa.Integer, nullable=False),
)

# The engine's copy of profile's segment memberships (SegmentEntered / SegmentExited).
member_segments = sa.Table(
    "member_segments",
    metadata,
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("segment_id", sa.String(40), primary_key=True),
    sa.Column("as_of", UtcDateTime(), nullable=False),
    sa.Column("inside", sa.Boolean, nullable=False),  # False: left (kept, so an older "entered" cannot revive it)
)

# The engine's copy of profile's lapse-risk scores (LapseRiskScored): the `lapse_risk` trigger and
# the next best offer read it. Kept only while the member consents to profiling; a newer score wins.
member_lapse_risk = sa.Table(
    "member_lapse_risk",
    metadata,
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("horizon_days", sa.Integer, nullable=False),  # the score is P(no purchase within these days)
    sa.Column("as_of", UtcDateTime(), nullable=False),
)

# The engine's copy of the ledger's tiers per member (TierChanged): the multiplier it applies.
member_tiers = sa.Table(
    "member_tiers",
    metadata,
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("tier_id", sa.String(40), nullable=False),
    sa.Column("tier_name", sa.String(100), nullable=False),
    sa.Column("multiplier", sa.Numeric(8, 2), nullable=False),
    sa.Column("as_of", UtcDateTime(), nullable=False),
)

coupons = sa.Table(
    "coupons",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("amount", sa.Numeric(12, 2)),
    sa.Column("percent", sa.Numeric(5, 2)),
    sa.Column("member_id", sa.String(40), index=True),
    sa.Column("origin_member_id", sa.String(40)),  # kernel/aliases.py
    sa.Column("campaign_id", sa.String(40)),
    sa.Column("reward_id", sa.String(40)),
    sa.Column("exclusive", sa.Boolean, nullable=False),
    sa.Column("issued_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime()),
    sa.Column("redeemed_at", UtcDateTime()),
    sa.Column("redeemed_by", sa.String(128)),
    # What issued it, once: "<purchase externalId>:<campaign>" or "redeem:<key>".
    sa.Column("issued_for", sa.String(200), nullable=False, unique=True),
)

rewards_catalogue = sa.Table(
    "rewards_catalogue",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("description", sa.String(500), nullable=False),
    sa.Column("points_cost", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("stock", sa.Integer),  # None: unlimited
    sa.Column("coupon_amount", sa.Numeric(12, 2)),
    sa.Column("coupon_percent", sa.Numeric(5, 2)),
    sa.Column("valid_days", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint("stock IS NULL OR stock >= 0", name="ck_rewards_catalogue_stock"),
)

# The redeemReward saga, one row per idempotency key: DEBITING -> DONE, or -> REFUNDED when
# the coupon could not be issued after the points were taken (they are given back).
redemptions = sa.Table(
    "redemptions",
    metadata,
    sa.Column("idempotency_key", sa.String(128), primary_key=True),
    sa.Column("member_id", sa.String(40), nullable=False, index=True),
    sa.Column("origin_member_id", sa.String(40), nullable=False),
    sa.Column("reward_id", sa.String(40), nullable=False),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("coupon_code", sa.String(16)),
    sa.Column("error", sa.String(300)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

# Offers a triggered campaign made to one member (domain/offers.py): at most one open offer per
# campaign and member; `issued_for` ("<event id>:<campaign>") makes a redelivered event issue none.
offers = sa.Table(
    "offers",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("origin_member_id", sa.String(40), nullable=False),  # kernel/aliases.py
    sa.Column("campaign_id", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("message", sa.String(300), nullable=False),
    sa.Column("reason", sa.String(300), nullable=False),
    sa.Column("issued_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("sku", sa.String(64)),
    sa.Column("size", sa.String(16)),
    sa.Column("store_id", sa.String(40)),
    sa.Column("hold_hours", sa.Integer, nullable=False),
    sa.Column("basket_effects", sa.JSON, nullable=False),
    sa.Column("coupon_amount", sa.Numeric(12, 2)),
    sa.Column("coupon_percent", sa.Numeric(5, 2)),
    sa.Column("expected_value", sa.Float),
    sa.Column("reservation_id", sa.String(40)),
    sa.Column("coupon_code", sa.String(16)),
    sa.Column("decided_at", UtcDateTime()),
    sa.Column("issued_for", sa.String(200), nullable=False, unique=True),
    sa.Index("ix_offers_member", "member_id", "campaign_id", "status"),
)

# --- messages to members (domain/messages.py; README "Messages") -------------------------------

# How to reach a member, from profile's events (MemberEnrolled, MemberUpdated): the name a message
# greets them by, their email and phone. Only a newer fact replaces an older one; erasure deletes
# the row (rewards/privacy.py).
member_contacts = sa.Table(
    "member_contacts",
    metadata,
    sa.Column("member_id", sa.String(40), primary_key=True),
    sa.Column("given_name", sa.String(100)),
    sa.Column("email", sa.String(254)),
    sa.Column("phone", sa.String(32)),
    sa.Column("as_of", UtcDateTime(), nullable=False),
)

# The message log: one row per message and channel, from queued to its outcome (sent, deferred,
# skipped, capped, expired, failed with its reason). The delivery job drains it; `lease_until`
# keeps a message to one sender at a time. Nothing rendered is kept: the facts a template reads,
# and for a sign-in code the address it goes to (the code itself is emptied once sent).
messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("member_id", sa.String(40), nullable=False),
    sa.Column("origin_member_id", sa.String(40), nullable=False),  # kernel/aliases.py
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("reference", sa.String(128), nullable=False),  # the offer id, the coupon code, the code request
    sa.Column("facts", sa.JSON, nullable=False),
    sa.Column("address", sa.String(254)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("reason", sa.String(300)),  # why it was deferred, skipped, capped or failed; the last transient error
    sa.Column("lease_until", UtcDateTime()),
    sa.Column("decided_at", UtcDateTime()),
    sa.Column("sent_at", UtcDateTime()),
    sa.UniqueConstraint("kind", "reference", "channel", name="uq_messages_once"),  # an event redelivered: one message
    sa.Index("ix_messages_due", "next_attempt_at",
             sqlite_where=sa.text("status IN ('QUEUED', 'DEFERRED', 'RETRYING')"),
             postgresql_where=sa.text("status IN ('QUEUED', 'DEFERRED', 'RETRYING')")),
    sa.Index("ix_messages_member", "member_id", "channel", "sent_at"),
)
