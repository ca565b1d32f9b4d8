"""`chorus schedules list|resume` and the doctor's warning, as an operator sees them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot import exit_codes
from storage.database import Database
from tests.fakes import utc
from tests.test_cli import chorus, database_file, home

__all__ = ["home"]  # the fixture, shared with the other CLI tests

pytestmark = pytest.mark.usefixtures("restore_logging")

NOW = utc("2026-06-01 12:00")


async def parked_schedule(path: Path) -> int:
    """A campaign's digest schedule, parked by the ticker after an error; its id."""
    async with Database.connect(f"sqlite+aiosqlite:///{path}") as database:
        async with database.transaction() as tx:
            campaign = await tx.campaigns.create(
                name="Clean Air",
                hashtag="#air",
                timezone="UTC",
                locale="en",
                created_by="x",
                now=NOW,
            )
            schedule = await tx.schedules.create(
                kind="digest",
                timezone="UTC",
                rule={"type": "daily", "time": "18:00"},
                catchup="late_once",
                grace_seconds=600,
                payload={},
                next_due_at=utc("2026-06-01 18:00"),
                now=NOW,
                campaign_id=campaign.id,
            )
            await tx.schedules.park(schedule.id, "incident 1a2b: KeyError: 'place_id'", NOW)
        return schedule.id


def test_list_shows_a_parked_schedule_with_its_error_and_resume_clears_it(home: Path) -> None:
    schedule_id = asyncio.run(parked_schedule(database_file(home)))

    listed = chorus("schedules", "list")
    assert listed.exit_code == 0, listed.output
    assert "digest" in listed.stdout
    assert "KeyError: 'place_id'" in listed.stdout
    assert "2026-06-01 12:00" in listed.stdout

    resumed = chorus("schedules", "resume", str(schedule_id))
    assert resumed.exit_code == 0, resumed.output
    assert f"Schedule {schedule_id} (digest) resumed" in resumed.stdout

    assert "No schedule is parked." in chorus("schedules", "list").stdout
    again = chorus("schedules", "resume", str(schedule_id))
    assert again.exit_code == exit_codes.NOT_FOUND
    assert f"Schedule {schedule_id} is not parked" in again.stderr


def test_list_by_campaign_and_resume_of_an_unknown_schedule(home: Path) -> None:
    asyncio.run(parked_schedule(database_file(home)))

    assert "No schedule is parked." in chorus("schedules", "list", "--campaign", "2").stdout
    assert "digest" in chorus("schedules", "list", "--campaign", "1").stdout
    unknown = chorus("schedules", "resume", "99")
    assert unknown.exit_code == exit_codes.NOT_FOUND
    assert "Schedule 99 is not parked" in unknown.stderr


def test_doctor_warns_about_parked_schedules(home: Path) -> None:
    schedule_id = asyncio.run(parked_schedule(database_file(home)))

    checked = chorus("doctor")

    assert checked.exit_code == 0, checked.output  # a warning, not a failure
    assert f"1 parked after an error ({schedule_id})" in checked.stdout
    assert "chorus schedules list" in checked.stdout
