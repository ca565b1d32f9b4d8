"""Testimonies: members' stories, their consent, and moderators' decisions."""

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
    false,
)

from storage.tables import metadata
from storage.types import UTCDateTime

testimonies = Table(
    "testimonies",
    metadata,
    Column("id", Integer, primary_key=True),
    # What members and moderators quote (`T-7Q2K`); unique across the installation.
    Column("reference", String(12), nullable=False, unique=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("place_id", ForeignKey("places.id", ondelete="SET NULL"), nullable=True),
    # `platform:id` of the author; NULL once they asked to be forgotten (a tombstone stays).
    Column("author_key", String(100), nullable=True),
    Column("display_name", String(100), nullable=False, server_default=""),
    Column("title", String(120), nullable=False),
    Column("story", Text, nullable=False),
    Column("category", String(32), nullable=False),
    Column("consent", String(16), nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("featured", Boolean, nullable=False, server_default=false()),
    Column("locale", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    Column("decided_by", String(100), nullable=True),
    # The queue, exports by status and date, and quotas per author.
    Index("ix_testimonies_campaign", "campaign_id", "status", "created_at"),
    Index("ix_testimonies_author", "author_key", "created_at"),
    # Covers an export's counts (by category, of some statuses and consents).
    Index("ix_testimonies_export", "campaign_id", "status", "consent", "category"),
)

testimony_settings = Table(
    "testimony_settings",
    metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    # The moderators-only chat that receives review alerts; unset until a moderator marks one.
    Column("review_platform", String(16), nullable=True),
    Column("review_chat_id", String(64), nullable=True),
    Column("review_place_id", ForeignKey("places.id", ondelete="SET NULL"), nullable=True),
    Column("post_approved", Boolean, nullable=False, server_default=false()),
    Column("categories", JSON, nullable=False),
    # NULL: the installation's default (CHORUS_TESTIMONY_DAILY_LIMIT / _PENDING_LIMIT).
    Column("daily_limit", Integer, nullable=True),
    Column("pending_limit", Integer, nullable=True),
    # When the organisers were told that no review place is set (they are told once).
    Column("organisers_told_at", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)

testimony_decisions = Table(
    "testimony_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("testimony_id", ForeignKey("testimonies.id", ondelete="CASCADE"), nullable=False),
    Column("decision", String(16), nullable=False),
    # A moderator's `platform:id`, or `author` for the author's own withdrawal or deletion.
    Column("actor", String(100), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_testimony_decisions_testimony", "testimony_id"),
)
