"""`chorus signatures import FILE.csv`: history backfilled, checked first, never announced."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import exit_codes
from bot.app import Core
from bot.cli import build_app
from bot.core.options import TextOption
from cogs.petitions.importing import MAX_FILE_BYTES
from cogs.petitions.sources import MAX_SOURCE_NAME
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

    assert result.exit_code == exit_codes.INPUT
    assert "Nothing imported" in result.output
    assert "line 2: 'yesterday' is not a date (YYYY-MM-DD)" in result.output
    assert "line 3: '-5' is not a count from 0 to 1,000,000,000" in result.output
    assert "line 4: 2999-01-01 is in the future" in result.output
    assert "line 5: expected 2 fields (date,count), found 1" in result.output


def import_file(csv: Path, *options: str) -> tuple[int, list[str]]:
    """Run the import; its exit code and the lines it printed."""
    result = CliRunner().invoke(build_app(), ["signatures", "import", str(csv), *options])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output.strip().splitlines()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            "2026-03-01,800\n2026-03-02," + "9" * 200_000 + "\n",
            "line 2: too long (200,011 characters; at most 1,000)",
        ),
        (
            '2026-03-01,800\n2026-03-02,"' + "9" * 200_000 + '"\n',
            "line 2: too long (200,013 characters; at most 1,000)",
        ),
        (
            "2026-03-01,800\n9999-12-31T23:59:59-05:00,900\n",
            "line 2: 9999-12-31T23:59:59-05:00 is out of range: dates go from 1970-01-01 to now",
        ),
        (
            "0001-01-01T00:00:00+05:00,800\n",
            "line 1: 0001-01-01T00:00:00+05:00 is out of range: dates go from 1970-01-01 to now",
        ),
        (
            "1969-12-31,800\n",
            "line 1: 1969-12-31 is out of range: dates go from 1970-01-01 to now",
        ),
        (
            "2026-03-01," + "9" * 500 + "\n",
            "line 1: '99999999999999999999…' is not a count from 0 to 1,000,000,000",
        ),
        ("2026-03-01,1e30\n", "line 1: '1e30' is not a count from 0 to 1,000,000,000"),
        ("2026-03-01,12.7\n", "line 1: '12.7' is not a count from 0 to 1,000,000,000"),
        (
            "2026-03-01,800\n" + "x" * 900 + ",1\n",
            "line 2: '" + "x" * 40 + "…' is not a date (YYYY-MM-DD)",
        ),
        ("2026-03-01,800\x00\n", "line 1: '800\\x00' is not a count from 0 to 1,000,000,000"),
    ],
)
def test_a_file_past_the_edges_is_refused_in_one_line_and_nothing_is_imported(
    home: str, tmp_path: Path, content: str, problem: str
) -> None:
    asyncio.run(a_campaign(home))
    csv = tmp_path / "history.csv"
    csv.write_text(content)

    code, lines = import_file(csv)

    assert (code, lines) == (exit_codes.INPUT, [f"Nothing imported from {csv}: {problem}."])
    assert asyncio.run(state(home)) == ([], [], 0)


def test_a_file_that_cannot_be_read_or_is_not_text_is_named(home: str, tmp_path: Path) -> None:
    asyncio.run(a_campaign(home))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("2026-03-01,800\nd\xe9but,1\n".encode("latin-1"))
    large = tmp_path / "large.csv"
    large.write_text("2026-03-01,800\n" * (MAX_FILE_BYTES // 15 + 1))

    assert import_file(tmp_path / "missing.csv") == (
        exit_codes.FILE,
        [f"Cannot read {tmp_path / 'missing.csv'}: there is no such file."],
    )
    assert import_file(tmp_path) == (
        exit_codes.FILE,
        [f"Cannot read {tmp_path}: it is a directory, not a file."],
    )
    assert import_file(latin) == (
        exit_codes.INPUT,
        [f"Nothing imported from {latin}: line 2 is not UTF-8 text; save the file as UTF-8."],
    )
    assert import_file(large) == (
        exit_codes.INPUT,
        [f"Nothing imported from {large}: the file is larger than 5,000,000 bytes."],
    )
    assert asyncio.run(state(home)) == ([], [], 0)


def test_the_source_name_has_the_limits_it_has_in_chat(
    home: str, tmp_path: Path, core: Core
) -> None:
    asyncio.run(a_campaign(home))
    csv = tmp_path / "history.csv"
    csv.write_text("2026-03-01,800\n")

    too_long = import_file(csv, "--source", "s" * 10_000)
    blank = import_file(csv, "--source", "\u200b \u202e")
    no_campaign = import_file(csv, "--campaign", "7")
    past_any_id = import_file(csv, "--campaign", str(10**30))
    clean = import_file(csv, "--source", "\u202epaper\u200b ")

    assert too_long == (
        exit_codes.USAGE,
        ["--source can be at most 60 characters; this one has 10,000. Nothing imported."],
    )
    assert blank == (exit_codes.USAGE, ["--source needs a name. Nothing imported."])
    assert no_campaign == (exit_codes.USAGE, ["There is no campaign 7. Nothing imported."])
    assert past_any_id == (
        exit_codes.USAGE,
        [f"There is no campaign {10**30}. Nothing imported."],
    )
    assert clean[0] == 0
    assert asyncio.run(source_names(home)) == ["paper"]
    # The chat commands that name a source allow exactly as many characters.
    limits = {
        (command.path, option.name): option.max_length
        for command in core.registry.commands()
        for option in command.options
        if command.path.startswith("signatures")
        and option.name in ("source", "name")
        and isinstance(option, TextOption)
    }
    assert limits == {
        ("signatures set", "source"): MAX_SOURCE_NAME,
        ("signatures source", "name"): MAX_SOURCE_NAME,
    }


async def source_names(url: str) -> list[str]:
    async with Database.connect(url) as db, db.read() as tx:
        return [source.name for source in await tx.petitions.sources(1)]
