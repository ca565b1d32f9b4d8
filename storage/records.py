"""Plain records the repositories return. Cogs see these, never rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
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
    # Set while the bot may not post in `posting_problem_chat` (a permission was taken away).
    posting_problem: str = ""
    posting_problem_chat: str = ""
    posting_problem_since: datetime | None = None


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


@dataclass(frozen=True, slots=True)
class Schedule:
    """A recurring or one-off job: `rule` (JSON) in the IANA zone `timezone`.

    `next_due_at` is the next instant the ticker must look at, or None when the rule is finished.
    `catchup` says what happens to occurrences found late: 'missed', 'late_once' or 'run'.
    `updated_at` is when the definition last changed; the ticker's advancing does not count.
    `parked_at` is set when its handler failed (`parked_error` says how): the ticker leaves it
    alone until an edit or an operator resumes it.
    """

    id: int
    kind: str
    campaign_id: int | None
    place_id: int | None
    timezone: str
    rule: dict[str, Any]
    catchup: str
    grace_seconds: int
    payload: dict[str, Any]
    next_due_at: datetime | None
    active: bool
    created_at: datetime
    updated_at: datetime
    parked_at: datetime | None = None
    parked_error: str = ""


@dataclass(frozen=True, slots=True)
class NewOccurrence:
    """An occurrence to record; (`schedule_id`, `local_key`) is unique, so writing it twice is a
    no-op."""

    schedule_id: int
    local_key: str
    due_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One materialised firing of a schedule, keyed by its local wall-clock date-time."""

    id: int
    schedule_id: int
    local_key: str
    due_at: datetime
    status: str
    created_at: datetime


class OutboxStatus(StrEnum):
    """Where an outbox row is in its life.

    `pending` waits for `next_attempt_at`; `sending` is leased to one sender until
    `lease_until`; every other status is final.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # the platform refused the payload (400): never retried unchanged
    GONE = "gone"  # the recipient is unreachable (403/404, blocked, kicked)
    EXPIRED = "expired"  # its not-after time passed before it could be sent
    CANCELLED = "cancelled"  # withdrawn: its chat went away, or its user asked to be forgotten
    DEAD = "dead"  # too many transient failures in a row


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """An outbox row leased to one sender until `lease_until`."""

    id: int
    dedupe_key: str
    chat_id: str
    chat_kind: str
    payload: dict[str, Any]
    attempts: int
    not_after: datetime | None
    place_id: int | None
    user_key: str | None
    lease_until: datetime


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An outbox row as stored, for inspection (tests, benchmarks, operators)."""

    id: int
    dedupe_key: str
    platform: str
    place_id: int | None
    chat_id: str
    chat_kind: str
    payload: dict[str, Any]
    user_key: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    not_after: datetime | None
    lease_owner: str | None
    lease_until: datetime | None
    last_error: str
    platform_message_id: str | None
    created_at: datetime
    sent_at: datetime | None
