"""The records the waves repository returns, and how rows become them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_

from storage.tables.waves import wave_dm_optins, wave_participants


@dataclass(frozen=True, slots=True)
class Wave:
    """A wave as stored. `rule` is its recurrence rule (scheduling JSON) in `timezone`;
    `offsets` are its reminders in minutes before each start, largest first."""

    id: int
    campaign_id: int
    place_id: int | None
    title: str
    brief: str
    networks: tuple[str, ...]
    hashtags: tuple[str, ...]
    link: str
    timezone: str
    rule: dict[str, Any]
    offsets: tuple[int, ...]
    grace_seconds: int
    pledge_target: int | None
    pledge_deadline: datetime | None
    pledge_state: str
    status: str
    created_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class WaveOccurrence:
    id: int
    wave_id: int
    number: int
    starts_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class Participant:
    """Someone who joined; `dm_active` is their DM opt-in (None when they never had one)."""

    id: int
    wave_id: int
    user_key: str
    platform: str
    user_id: str
    display_name: str
    place_id: int | None
    wants_dm: bool
    joined_at: datetime
    dm_active: bool | None


@dataclass(frozen=True, slots=True)
class WavePost:
    occurrence_id: int
    user_key: str
    link: str
    posted_at: datetime


@dataclass(frozen=True, slots=True)
class WaveSchedule:
    """A schedule of a wave, with the schedule's own state."""

    schedule_id: int
    wave_id: int
    occurrence_id: int | None
    role: str
    offset_minutes: int | None
    active: bool
    next_due_at: datetime | None


def wave_of_row(row: Any) -> Wave:
    return Wave(
        id=row.id,
        campaign_id=row.campaign_id,
        place_id=row.place_id,
        title=row.title,
        brief=row.brief,
        networks=tuple(row.networks),
        hashtags=tuple(row.hashtags),
        link=row.link,
        timezone=row.timezone,
        rule=dict(row.rule),
        offsets=tuple(row.offsets),
        grace_seconds=row.grace_seconds,
        pledge_target=row.pledge_target,
        pledge_deadline=row.pledge_deadline,
        pledge_state=row.pledge_state,
        status=row.status,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def occurrence_of_row(row: Any) -> WaveOccurrence:
    return WaveOccurrence(row.id, row.wave_id, row.number, row.starts_at, row.status)


PARTICIPANT_COLUMNS = (*wave_participants.c, wave_dm_optins.c.active.label("dm_active"))
WITH_OPT_IN = wave_participants.outerjoin(
    wave_dm_optins,
    and_(
        wave_dm_optins.c.platform == wave_participants.c.platform,
        wave_dm_optins.c.user_id == wave_participants.c.user_id,
    ),
)


def participant_of_row(row: Any) -> Participant:
    return Participant(
        id=row.id,
        wave_id=row.wave_id,
        user_key=row.user_key,
        platform=row.platform,
        user_id=row.user_id,
        display_name=row.display_name,
        place_id=row.place_id,
        wants_dm=bool(row.wants_dm),
        joined_at=row.joined_at,
        dm_active=None if row.dm_active is None else bool(row.dm_active),
    )
