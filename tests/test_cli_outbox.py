"""`chorus outbox list|retry|drop`, as an operator uses it: real settings, a real SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot import exit_codes
from bot.cli import build_app
from storage.database import Database
from storage.records import NewMessage, OutboxEntry
from tests.core.outbox.helpers import add_group, payload
from tests.fakes import FakeClock
from tests.test_cli import chorus, database_file, home

__all__ = ["home"]  # the fixture, shared with the other CLI tests

pytestmark = pytest.mark.usefixtures("restore_logging")


def url(home: Path) -> str:
    return f"sqlite+aiosqlite:///{database_file(home)}"


async def _rows(home: Path) -> dict[str, int]:
    """Two campaigns' rows: one dead, one failed, one sent, and one of another campaign."""
    clock = FakeClock()
    async with Database.connect(url(home)) as db:
        ours = await add_group(db, clock, "-100")
        theirs = await add_group(db, clock, "-200")
        ids: dict[str, int] = {}
        for key, place in (
            ("testimony:T-1:review", ours),
            ("digest:1:2026-06-01", ours),
            ("milestone:1:1000:1", ours),
            ("milestone:2:1000:1", theirs),
        ):
            message = NewMessage(
                key, "telegram", place.external_id, "group", payload(), clock.now(), place.id
            )
            async with db.transaction() as tx:
                (ids[key],) = await tx.outbox.add_many([message], clock.now())
            clock.advance(minutes=1)
        async with db.transaction() as tx:
            await tx.outbox.claim("telegram", "s", clock.now(), 60, 10)
            await tx.outbox.mark_dead(ids["testimony:T-1:review"], "s", "IndexError: boom")
            await tx.outbox.fail(ids["digest:1:2026-06-01"], "s", "Bad Request: too long")
            await tx.outbox.mark_sent(ids["milestone:1:1000:1"], "s", "m1", clock.now())
            await tx.outbox.mark_dead(ids["milestone:2:1000:1"], "s", "502 Bad Gateway")
    return ids


def rows(home: Path) -> dict[str, int]:
    assert chorus("db", "upgrade").exit_code == 0
    return asyncio.run(_rows(home))


def entry(home: Path, outbox_id: int) -> OutboxEntry:
    async def read() -> OutboxEntry | None:
        async with Database.connect(url(home)) as db, db.read() as tx:
            return await tx.outbox.get(outbox_id)

    found = asyncio.run(read())
    assert found is not None
    return found


def audit(home: Path) -> list[tuple[str, str, dict[str, object]]]:
    async def read() -> list[tuple[str, str, dict[str, object]]]:
        async with Database.connect(url(home)) as db, db.read() as tx:
            return [(e.actor, e.action, e.detail) for e in await tx.audit.recent(None, 10)]

    return asyncio.run(read())


def test_list_shows_the_failed_and_dead_rows_with_their_reasons(home: Path) -> None:
    ids = rows(home)

    listed = chorus("outbox", "list")

    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    dead = next(line for line in lines if "testimony:T-1:review" in line)
    assert dead.split()[:3] == [str(ids["testimony:T-1:review"]), "dead", "1"]
    assert "IndexError: boom" in dead
    failed = next(line for line in lines if "digest:1:2026-06-01" in line)
    assert failed.split()[1] == "failed"
    assert "Bad Request: too long" in failed
    assert "milestone:2:1000:1" in listed.stdout
    assert "milestone:1:1000:1" not in listed.stdout  # sent


def test_list_of_one_campaign_leaves_the_others_out(home: Path) -> None:
    rows(home)

    listed = chorus("outbox", "list", "--campaign", "2")

    assert listed.exit_code == 0, listed.output
    assert "milestone:2:1000:1" in listed.stdout
    assert "testimony:T-1:review" not in listed.stdout


def test_list_says_when_nothing_is_wrong(home: Path) -> None:
    assert chorus("db", "upgrade").exit_code == 0

    listed = chorus("outbox", "list")

    assert (listed.exit_code, listed.stdout) == (0, "No failed or dead outbox rows.\n")


def test_retry_sends_a_dead_row_again_with_fresh_attempts(home: Path) -> None:
    ids = rows(home)
    dead = ids["testimony:T-1:review"]

    retried = chorus("outbox", "retry", str(dead))

    assert retried.exit_code == 0, retried.output
    assert retried.stdout == f"Row {dead} (testimony:T-1:review) will be sent again now.\n"
    row = entry(home, dead)
    assert (row.status, row.attempts, row.lease_owner) == ("pending", 0, None)
    assert audit(home)[0][:2] == ("operator", "outbox.retry")

    again = chorus("outbox", "retry", str(dead))
    assert again.exit_code == exit_codes.NOT_FOUND
    assert again.stderr == f"No failed or dead outbox row {dead} (see `chorus outbox list`).\n"


def test_a_sent_row_cannot_be_retried(home: Path) -> None:
    ids = rows(home)

    retried = chorus("outbox", "retry", str(ids["milestone:1:1000:1"]))

    assert retried.exit_code == exit_codes.NOT_FOUND
    assert entry(home, ids["milestone:1:1000:1"]).status == "sent"


def test_drop_asks_first_and_keeps_the_row_when_told_no(home: Path) -> None:
    ids = rows(home)
    failed = ids["digest:1:2026-06-01"]

    declined = chorus_with_input("n\n", "outbox", "drop", str(failed))

    assert declined.exit_code == exit_codes.DECLINED
    assert f"Drop row {failed} (digest:1:2026-06-01)? It will never be sent." in declined.stdout
    assert entry(home, failed).status == "failed"

    confirmed = chorus_with_input("y\n", "outbox", "drop", str(failed))

    assert confirmed.exit_code == 0, confirmed.output
    assert f"Row {failed} (digest:1:2026-06-01) dropped" in confirmed.stdout
    row = entry(home, failed)
    assert (row.status, row.last_error) == ("cancelled", "dropped by the operator")
    assert audit(home)[0][:2] == ("operator", "outbox.drop")


def test_drop_with_yes_does_not_ask(home: Path) -> None:
    ids = rows(home)
    dead = ids["milestone:2:1000:1"]

    dropped = chorus("outbox", "drop", str(dead), "--yes")

    assert dropped.exit_code == 0, dropped.output
    assert "?" not in dropped.stdout
    assert entry(home, dead).status == "cancelled"


def test_dropping_an_unknown_row_names_it(home: Path) -> None:
    rows(home)

    dropped = chorus("outbox", "drop", "999", "--yes")

    assert dropped.exit_code == exit_codes.NOT_FOUND
    assert dropped.stderr == "No failed or dead outbox row 999 (see `chorus outbox list`).\n"


def test_an_unusable_database_is_one_line(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "a-file").write_text("not a directory")
    monkeypatch.setenv("CHORUS_DATABASE_URL", f"sqlite+aiosqlite:///{home / 'a-file' / 'x.db'}")

    listed = chorus("outbox", "list")

    assert listed.exit_code == exit_codes.DATABASE
    assert listed.stderr.startswith("Database unusable:")
    assert len(listed.stderr.splitlines()) == 1


def chorus_with_input(text: str, *args: str) -> Result:
    return CliRunner().invoke(build_app(), list(args), input=text)
