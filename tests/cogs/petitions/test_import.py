"""`chorus signatures import FILE.csv`: history backfilled, checked first, never announced."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import build_app
from storage.database import Database

pytestmark = pytest.mark.usefixtures("restore_logging")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("CHORUS_"):
            monkeypatch.delenv(name)
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'chorus.db'}"
    monkeypatch.setenv("CHORUS_DATABASE_URL", url)
    return url


async def a_campaign(url: str) -> None:
    async with Database.connect(url) as db, db.transaction() as tx:
        await tx.campaigns.create(
            name="Keep 4o",
            hashtag="",
            timezone="UTC",
            locale="en",
            created_by="cli",
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )


async def state(url: str) -> tuple[list[int], list[tuple[int, bool]], int]:
    async with Database.connect(url) as db, db.read() as tx:
        snapshots = await tx.petitions.snapshots_since(1, datetime(2000, 1, 1, tzinfo=UTC))
        milestones = await tx.petitions.milestones(1)
        sent = len(await tx.outbox.all())
    return [s.count for s in snapshots], [(m.threshold, m.announced) for m in milestones], sent


def test_a_csv_history_is_imported_once_with_its_milestones_silent(
    home: str, tmp_path: Path
) -> None:
    asyncio.run(a_campaign(home))
    csv = tmp_path / "history.csv"
    csv.write_text('date,count\n2026-03-01,800\n2026-03-02,"1,200"\n2026-03-03,2 600\n')

    result = CliRunner().invoke(build_app(), ["signatures", "import", str(csv), "--campaign", "1"])
    again = CliRunner().invoke(build_app(), ["signatures", "import", str(csv), "--campaign", "1"])

    assert result.exit_code == 0, result.output
    assert "Imported 3 rows into campaign 1 (3 new); 2 milestones recorded" in result.output
    assert "(0 new)" in again.output
    counts, milestones, outbox = asyncio.run(state(home))
    assert counts == [800, 1_200, 2_600]
    assert milestones == [(1_000, False), (2_500, False)]
    assert outbox == 0


def test_a_bad_file_is_refused_whole_naming_its_lines(home: str, tmp_path: Path) -> None:
    asyncio.run(a_campaign(home))
    csv = tmp_path / "history.csv"
    csv.write_text("2026-03-01,800\nyesterday,900\n2026-03-03,-5\n2999-01-01,10\n2026-03-04\n")

    result = CliRunner().invoke(build_app(), ["signatures", "import", str(csv)])

    assert result.exit_code == 1
    assert "Nothing imported" in result.output
    assert "line 2: 'yesterday' is not a date (YYYY-MM-DD)" in result.output
    assert "line 3: '-5' is not a count from 0 to 1000000000" in result.output
    assert "line 4: 2999-01-01 is in the future" in result.output
    assert "line 5: expected 2 fields (date,count), found 1" in result.output
