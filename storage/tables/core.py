"""The core tables: campaigns and places, roles, invites, outbox, schedules, quotas, audit."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

from storage.tables import metadata
from storage.types import UTCDateTime

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("hashtag", String(100), nullable=False, server_default=""),
    Column("timezone", String(64), nullable=False),
    Column("locale", String(16), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

places = Table(
    "places",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False, server_default=""),
    Column("locale", String(16), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("announcement_channel", String(64), nullable=False),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("inactive_reason", String(200), nullable=False, server_default=""),
    # The bot is still there but may not post in `posting_problem_chat` (a permission was
    # taken away) since `posting_problem_since`, for the reason the platform gave.
    Column("posting_problem", String(200), nullable=False, server_default=""),
    Column("posting_problem_chat", String(64), nullable=False, server_default=""),
    Column("posting_problem_since", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("platform", "external_id"),
    Index("ix_places_campaign", "campaign_id", "active"),
)

roles = Table(
    "roles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("user_key", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("granted_by", String(100), nullable=False),
    Column("granted_at", UTCDateTime(), nullable=False),
    UniqueConstraint("campaign_id", "user_key"),
)

invites = Table(
    "invites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("code", String(32), nullable=False, unique=True),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("uses", Integer, nullable=False, server_default="0"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("platform", String(16), nullable=False),
    Column("place_id", ForeignKey("places.id", ondelete="SET NULL"), nullable=True),
    Column("chat_id", String(64), nullable=False),
    Column("chat_kind", String(16), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("user_key", String(100), nullable=True),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("not_after", UTCDateTime(), nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("platform_message_id", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
    Index("ix_outbox_due", "platform", "status", "next_attempt_at"),
    # Cancelling a chat's pending rows (recipient gone) and a user's (privacy: forget me).
    Index("ix_outbox_chat", "platform", "chat_id", "status"),
    Index("ix_outbox_user", "user_key"),
)

schedules = Table(
    "schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=True),
    Column("place_id", ForeignKey("places.id", ondelete="CASCADE"), nullable=True),
    Column("timezone", String(64), nullable=False),
    Column("rule", JSON, nullable=False),
    Column("catchup", String(16), nullable=False),
    Column("grace_seconds", Integer, nullable=False, server_default="600"),
    Column("payload", JSON, nullable=False),
    Column("next_due_at", UTCDateTime(), nullable=True),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # Set when a handler failed on it: the ticker skips it until an edit or an operator
    # resumes it (see bot.core.scheduling.parking).
    Column("parked_at", UTCDateTime(), nullable=True),
    Column("parked_error", Text, nullable=False, server_default=""),
    Index("ix_schedules_due", "active", "next_due_at"),
)

occurrences = Table(
    "occurrences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("schedule_id", ForeignKey("schedules.id", ondelete="CASCADE"), nullable=False),
    Column("local_key", String(64), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("schedule_id", "local_key"),
)

quotas = Table(
    "quotas",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("window_start", UTCDateTime(), primary_key=True),
    Column("used", Integer, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="SET NULL"), nullable=True),
    Column("place_id", ForeignKey("places.id", ondelete="SET NULL"), nullable=True),
    Column("actor", String(100), nullable=False),
    Column("action", String(64), nullable=False),
    Column("detail", JSON, nullable=False),
)

chat_tokens = Table(
    "chat_tokens",
    metadata,
    Column("token", String(80), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("user_key", String(100), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index("ix_chat_tokens_expires", "expires_at"),
)
