"""Posting waves: waves, pledges, reminders, DM opt-ins and results.

A wave belongs to a campaign. Its occurrences (one, or one per recurrence) have their own
rows; the schedules that drive them (start, reminders, pledge deadline, result) are rows of the
core `schedules` table, tied to the wave by `wave_schedules`.
"""

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
    false,
    true,
)

from storage.tables import metadata
from storage.types import UTCDateTime

waves = Table(
    "waves",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    # Where it was created: organisers hear about missed reminders there.
    Column("place_id", ForeignKey("places.id", ondelete="SET NULL"), nullable=True),
    Column("title", String(100), nullable=False),
    Column("brief", Text, nullable=False, server_default=""),
    Column("networks", JSON, nullable=False),
    Column("hashtags", JSON, nullable=False),
    Column("link", String(500), nullable=False, server_default=""),
    Column("timezone", String(64), nullable=False),
    Column("rule", JSON, nullable=False),
    Column("offsets", JSON, nullable=False),
    Column("grace_seconds", Integer, nullable=False),
    Column("pledge_target", Integer, nullable=True),
    Column("pledge_deadline", UTCDateTime(), nullable=True),
    Column("pledge_state", String(16), nullable=False, server_default="none"),
    Column("status", String(16), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_waves_campaign", "campaign_id", "status"),
)

wave_texts = Table(
    "wave_texts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("wave_id", ForeignKey("waves.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("body", Text, nullable=False),
    UniqueConstraint("wave_id", "position"),
)

wave_occurrences = Table(
    "wave_occurrences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("wave_id", ForeignKey("waves.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    UniqueConstraint("wave_id", "number"),
)

wave_participants = Table(
    "wave_participants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("wave_id", ForeignKey("waves.id", ondelete="CASCADE"), nullable=False),
    Column("user_key", String(100), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("display_name", String(100), nullable=False, server_default=""),
    # Where they joined: where they are mentioned when a private message cannot reach them.
    Column("place_id", ForeignKey("places.id", ondelete="SET NULL"), nullable=True),
    Column("wants_dm", Boolean, nullable=False, server_default=false()),
    Column("joined_at", UTCDateTime(), nullable=False),
    UniqueConstraint("wave_id", "user_key"),
    Index("ix_wave_participants_user", "user_key"),
)

wave_dm_optins = Table(
    "wave_dm_optins",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("user_key", String(100), nullable=False),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("reason", String(200), nullable=False, server_default=""),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("platform", "user_id"),
    Index("ix_wave_dm_optins_user", "user_key"),
)

wave_posts = Table(
    "wave_posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("occurrence_id", ForeignKey("wave_occurrences.id", ondelete="CASCADE"), nullable=False),
    Column("user_key", String(100), nullable=False),
    Column("link", String(500), nullable=False, server_default=""),
    Column("posted_at", UTCDateTime(), nullable=False),
    UniqueConstraint("occurrence_id", "user_key"),
    Index("ix_wave_posts_user", "user_key"),
)

wave_schedules = Table(
    "wave_schedules",
    metadata,
    Column("schedule_id", ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True),
    Column("wave_id", ForeignKey("waves.id", ondelete="CASCADE"), nullable=False),
    Column("occurrence_id", ForeignKey("wave_occurrences.id", ondelete="CASCADE"), nullable=True),
    Column("role", String(16), nullable=False),  # start | reminder | pledge | result
    Column("offset_minutes", Integer, nullable=True),  # reminders: minutes before the start
    Index("ix_wave_schedules_wave", "wave_id", "role"),
)
