"""Parking a schedule that fails, so that one bad schedule never stops the others.

When a schedule cannot be read, or its kind's handler raises on it, the ticker parks it: the
schedule keeps its `next_due_at` but is no longer selected, its error is kept on the row, and
the campaign's organisers are told once, privately (one outbox row each, keyed by the
parking). It resumes

- on any edit of the schedule (`ScheduleRepository.update`, which every cog's edit path goes
  through: a wave's time or text, a digest's time or zone), since an edit is what fixes it;
- or when the operator runs `chorus schedules resume ID` (`chorus schedules list` shows them).

Resuming does not replay what came due while it was parked blindly: the schedule's catch-up
policy decides, as after any downtime (a digest is sent once late, a missed reminder is
reported, a poll runs once).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from bot.core.notes import private_note
from bot.core.replies import Reply
from bot.core.richtext import Code, Text, doc, msg
from storage.records import NewMessage, Schedule
from storage.unit import Tx

log = logging.getLogger(__name__)

# A notice older than this is stale (the schedule has likely been fixed or resumed since).
NOTICE_FOR = timedelta(days=2)


def incident_id() -> str:
    """A short id that ties what organisers are told to the traceback in the log."""
    return secrets.token_hex(4)


async def park(tx: Tx, schedule: Schedule, incident: str, error: str, now: datetime) -> bool:
    """Set `schedule` aside with `error` and tell its campaign's organisers once. False (and
    nobody told) if it was already parked or is no longer active."""
    if not await tx.schedules.park(schedule.id, f"incident {incident}: {error}", now):
        return False
    log.error(
        "schedule %s (%s) parked after incident %s: %s", schedule.id, schedule.kind, incident, error
    )
    if schedule.campaign_id is None:
        return True
    grants = await tx.roles.of_campaign(schedule.campaign_id)
    campaign = await tx.campaigns.get(schedule.campaign_id)
    organisers = sorted(grant.user_key for grant in grants if grant.role == "organiser")
    notices = notice_messages(
        organisers,
        schedule,
        incident=incident,
        locale=campaign.locale if campaign else "en",
        now=now,
    )
    if notices:
        await tx.outbox.add_many(notices, now)
    return True


def notice_messages(
    organisers: list[str], schedule: Schedule, *, incident: str, locale: str, now: datetime
) -> list[NewMessage]:
    """A private note to each organiser that `schedule` is parked, and how to resume it. The
    key names the parking (schedule and instant), so that each parking is told once."""
    reply = Reply(
        doc(
            msg(
                "schedules.parked",
                kind=Code(schedule.kind),
                id=Text(str(schedule.id)),
                incident=Code(incident),
            ),
            msg("schedules.parked.hint", id=Text(str(schedule.id))),
        ),
        private=True,
    )
    key = f"schedule-parked:{schedule.id}:{now.isoformat(timespec='seconds')}"
    notes = (
        private_note(k, key=key, reply=reply, locale=locale, now=now, not_after=now + NOTICE_FOR)
        for k in organisers
    )
    return [note for note in notes if note is not None]
