"""Petitions: count sources, readings, milestones and live counters."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from storage.tables import metadata
from storage.types import UTCDateTime

# One place a count is read from: a manual count, a JSON document, or an HTML page.
# The poll columns make fetching safe across processes: the ticker writes the window due
# (`due_window`), one poller leases it (`lease_owner`/`lease_until`) and fetches outside any
# transaction, and `polled_window` records the last window settled.
petition_sources = Table(
    "petition_sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(60), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("url", String(2000), nullable=False, server_default=""),
    Column("pointer", String(500), nullable=False, server_default=""),
    Column("pattern", String(500), nullable=False, server_default=""),
    Column("link", String(2000), nullable=False, server_default=""),
    Column("schedule_id", ForeignKey("schedules.id", ondelete="SET NULL"), nullable=True),
    Column("healthy", Boolean, nullable=False, server_default=true()),
    Column("alerted", Boolean, nullable=False, server_default=false()),
    Column("last_count", BigInteger, nullable=True),
    Column("last_reading_at", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("last_error_at", UTCDateTime(), nullable=True),
    Column("etag", String(200), nullable=False, server_default=""),
    Column("last_modified", String(100), nullable=False, server_default=""),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("retry_at", UTCDateTime(), nullable=True),
    Column("due_window", String(64), nullable=True),
    Column("polled_window", String(64), nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("campaign_id", "name"),
)

# Every accepted reading. (source, window) is unique: a poll window is read once however
# many processes poll; manual counts and imports have window keys of their own.
petition_snapshots = Table(
    "petition_snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", ForeignKey("petition_sources.id", ondelete="CASCADE"), nullable=False),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("window_key", String(64), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("taken_at", UTCDateTime(), nullable=False),
    UniqueConstraint("source_id", "window_key"),
    Index("ix_petition_snapshots_campaign", "campaign_id", "taken_at"),
)

# Per campaign: the milestone rule ("ladder", "every" or "list") and how counts are shown.
petition_settings = Table(
    "petition_settings",
    metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("rule", String(16), nullable=False),
    Column("step", BigInteger, nullable=False, server_default="0"),
    Column("thresholds", JSON, nullable=False),
    Column("display", String(16), nullable=False, server_default="sum"),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# A threshold is passed once per campaign: the unique key is what makes a count that falls
# and rises again, a retried transaction or a second process announce nothing twice.
# `snapshot_id` is the reading that passed it: undoing a count typed by hand deletes the
# milestones it passed (and retracts their announcements), so they can be passed again.
petition_milestones = Table(
    "petition_milestones",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("threshold", BigInteger, nullable=False),
    Column("reached_at", UTCDateTime(), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("announced", Boolean, nullable=False),
    Column("snapshot_id", Integer, nullable=True),
    UniqueConstraint("campaign_id", "threshold"),
)

# One message per place that the bot keeps editing with the count. Its first version goes
# out through the outbox (`outbox_id`); edits are paced by `edited_at`.
petition_live_counters = Table(
    "petition_live_counters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("place_id", ForeignKey("places.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("chat_id", String(64), nullable=False),
    Column("outbox_id", ForeignKey("outbox.id", ondelete="SET NULL"), nullable=True),
    Column("message_id", String(64), nullable=True),
    Column("generation", Integer, nullable=False, server_default="0"),
    Column("shown_count", BigInteger, nullable=True),
    Column("pinned", Boolean, nullable=False, server_default=false()),
    Column("edited_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)
