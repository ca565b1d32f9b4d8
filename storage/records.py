"""Plain records the repositories return. Cogs see these, never rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    name: str
    hashtag: str
    timezone: str
    locale: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Place:
    """A Discord server, Telegram group or the console, joined to one campaign."""

    id: int
    platform: str
    external_id: str
    campaign_id: int
    title: str
    locale: str
    timezone: str
    announcement_channel: str
    active: bool
    inactive_reason: str


@dataclass(frozen=True, slots=True)
class RoleGrant:
    campaign_id: int
    user_key: str
    role: str
    granted_by: str
    granted_at: datetime


@dataclass(frozen=True, slots=True)
class Invite:
    id: int
    campaign_id: int
    code: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    uses: int

    def usable_at(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    campaign_id: int | None
    place_id: int | None
    actor: str
    action: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class NewMessage:
    """An outbox row to write: `dedupe_key` makes writing it twice a no-op."""

    dedupe_key: str
    platform: str
    chat_id: str
    chat_kind: str
    payload: dict[str, Any]
    next_attempt_at: datetime
    place_id: int | None = None
    user_key: str | None = None
    not_after: datetime | None = None
