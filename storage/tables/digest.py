"""The daily digest: each place's digest settings, and the log of digests composed."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
)

from storage.tables import metadata
from storage.types import UTCDateTime

# One row per place that ever touched `/digest`. The digest is off until an administrator
# turns it on (keep digests short and opt-in); `channel` empty means the place's
# announcement channel; `schedule_id` is the place's one daily schedule.
digest_settings = Table(
    "digest_settings",
    metadata,
    Column("place_id", ForeignKey("places.id", ondelete="CASCADE"), primary_key=True),
    Column("enabled", Boolean, nullable=False, server_default=false()),
    Column("time", String(5), nullable=False, server_default="18:00"),
    Column("channel", String(64), nullable=False, server_default=""),
    Column("chart", Boolean, nullable=False, server_default=false()),
    Column("quiet", String(8), nullable=False, server_default="short"),
    Column("schedule_id", ForeignKey("schedules.id", ondelete="SET NULL"), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# What a digest was composed from, one row per place and local date, written when it is
# composed for sending (again, if a send is retried). The "since the last digest" window of
# the next one starts at the latest row whose outbox row was actually sent.
digest_log = Table(
    "digest_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("place_id", ForeignKey("places.id", ondelete="CASCADE"), nullable=False),
    Column("local_date", String(10), nullable=False),
    Column("outbox_id", ForeignKey("outbox.id", ondelete="SET NULL"), nullable=True),
    Column("signatures", BigInteger, nullable=True),
    Column("composed_at", UTCDateTime(), nullable=False),
    UniqueConstraint("place_id", "local_date"),
)
