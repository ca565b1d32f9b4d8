"""What the testimonies repository returns: plain records, never rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple


@dataclass(frozen=True, slots=True)
class Testimony:
    """A member's story as stored. A deleted one keeps only its reference and dates."""

    id: int
    reference: str
    campaign_id: int
    place_id: int | None
    author_key: str | None
    display_name: str
    title: str
    story: str
    category: str
    consent: str
    status: str
    featured: bool
    locale: str
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None
    decided_by: str | None


@dataclass(frozen=True, slots=True)
class PostedCopy:
    """A story's post that went out: where it is, and the platform's id of the message."""

    outbox_id: int
    platform: str
    chat_id: str
    place_id: int | None
    message_id: str
    locale: str  # its place's language ("en" when the place is gone)


@dataclass(frozen=True, slots=True)
class NewTestimony:
    campaign_id: int
    place_id: int | None
    author_key: str
    display_name: str
    title: str
    story: str
    category: str
    consent: str
    locale: str


@dataclass(frozen=True, slots=True)
class TestimonySettings:
    """A campaign's testimony settings; a limit of None means the installation's default."""

    campaign_id: int
    review_platform: str | None
    review_chat_id: str | None
    review_place_id: int | None
    post_approved: bool
    categories: tuple[str, ...]
    daily_limit: int | None
    pending_limit: int | None
    organisers_told_at: datetime | None
    # The language of the review place, read with the settings (None: no review place).
    review_locale: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision on a testimony: who (a user key, or `author`), what, when, why."""

    testimony_id: int
    decision: str
    actor: str
    reason: str
    at: datetime


class ExportedTestimony(NamedTuple):
    """The columns an export reads, in the order the export query selects them (a tuple:
    the largest exports make 100,000 of them)."""

    reference: str
    # When it was submitted, as the database formats it: ISO 8601 in UTC, to the second
    # (`2026-06-01T09:05:03Z`), which is what every export prints.
    submitted_at: str
    category: str
    consent: str
    status: str
    featured: bool
    title: str
    story: str
    display_name: str
    author_key: str | None


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Which testimonies an export holds, in which order of categories."""

    campaign_id: int
    statuses: tuple[str, ...]
    consents: tuple[str, ...]
    since: datetime | None = None
    category_order: tuple[str, ...] = ()


def testimony_of(row: Any) -> Testimony:
    return Testimony(
        id=row.id,
        reference=row.reference,
        campaign_id=row.campaign_id,
        place_id=row.place_id,
        author_key=row.author_key,
        display_name=row.display_name,
        title=row.title,
        story=row.story,
        category=row.category,
        consent=row.consent,
        status=row.status,
        featured=bool(row.featured),
        locale=row.locale,
        created_at=row.created_at,
        updated_at=row.updated_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
    )


def settings_of(row: Any) -> TestimonySettings:
    return TestimonySettings(
        campaign_id=row.campaign_id,
        review_platform=row.review_platform,
        review_chat_id=row.review_chat_id,
        review_place_id=row.review_place_id,
        post_approved=bool(row.post_approved),
        categories=tuple(row.categories),
        daily_limit=row.daily_limit,
        pending_limit=row.pending_limit,
        organisers_told_at=row.organisers_told_at,
        review_locale=getattr(row, "review_locale", None),
    )


def decision_of(row: Any) -> Decision:
    return Decision(row.testimony_id, row.decision, row.actor, row.reason, row.at)
