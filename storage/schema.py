"""Every table Chorus has. Alembic migrations create them; repositories query them; nothing
else does. Each feature declares its tables in a module of `storage.tables`."""

from __future__ import annotations

from storage.tables import digest, metadata, petitions, testimonies, waves
from storage.tables.core import (
    audit_log,
    campaigns,
    chat_tokens,
    invites,
    occurrences,
    outbox,
    places,
    quotas,
    roles,
    schedules,
)

# Each feature module adds its tables to `metadata` as it loads.
FEATURE_TABLES = (petitions, testimonies, waves, digest)

__all__ = [
    "audit_log",
    "campaigns",
    "chat_tokens",
    "invites",
    "metadata",
    "occurrences",
    "outbox",
    "places",
    "quotas",
    "roles",
    "schedules",
]
