"""`chorus export testimonies`: the operator writes a campaign's testimonies to a file."""

from __future__ import annotations

import asyncio
import csv
import errno
import io
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.app import build_core
from bot.cli import build_app
from bot.core.actors import Platform
from bot.settings import Settings
from storage.database import Database
from tests.cogs.testimonies.conftest import COMMUNITY, reference_in, story
from tests.dialogue import Member, group, person
from tests.fakes import FakeClock

pytestmark = pytest.mark.usefixtures("restore_logging")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no `.env`; the database and secret are the test's own."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("CHORUS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CHORUS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}")
    monkeypatch.setenv("CHORUS_SECRET", "the-install-secret-for-this-test-only-0123456789")
    return tmp_path


def chorus(*args: str) -> Result:
    return CliRunner().invoke(build_app(), list(args))


async def seed(home: Path, *, campaigns: int = 1) -> list[str]:
    """Campaigns with approved stories, made through dialogues; the references."""
    settings = Settings(_env_file=None)
    references = []
    async with Database.connect(settings.database_url) as database:
        core = build_core(settings, database, FakeClock())
        for number in range(campaigns):
            place = COMMUNITY if number == 0 else group(Platform.TELEGRAM, f"-20{number}")
            alice = Member(core, person(Platform.TELEGRAM, "1", admin=True), place, home)
            bob = Member(core, person(Platform.TELEGRAM, "2"), place, home)
            await alice.says(f'/setup name:"Campaign {number}"')
            for title in ("=cmd|' /C calc'!A0", "Second"):
                reference = reference_in(await bob.says("/testimony", *story(title)))
                await alice.says(f"/testimonies show {reference}")
                await alice.says("/press 1")
                references.append(reference)
    return references


def test_the_operator_exports_a_campaign_to_a_csv_file(home: Path) -> None:
    references = asyncio.run(seed(home))

    result = chorus("export", "testimonies", "--format", "csv", "--out", "stories.csv")

    assert result.exit_code == 0, result.output
    assert "Wrote 2 testimonies to stories.csv" in result.stdout
    rows = list(csv.DictReader(io.StringIO((home / "stories.csv").read_text(encoding="utf-8"))))
    assert sorted(row["reference"] for row in rows) == sorted(references)
    assert "'=cmd|' /C calc'!A0" in {row["title"] for row in rows}
    assert {row["author"][:2] for row in rows} == {"M-"}
    assert not list(home.glob("*.partial"))


def test_an_export_with_identities_warns_and_is_audited(home: Path) -> None:
    asyncio.run(seed(home))

    result = chorus("export", "testimonies", "--format", "json", "--identities", "--out", "x.json")

    assert result.exit_code == 0, result.output
    assert "contains personal data" in result.output
    assert '"author_account": "telegram:2"' in (home / "x.json").read_text(encoding="utf-8")

    async def audited() -> list[tuple[str, str]]:
        url = Settings(_env_file=None).database_url
        async with Database.connect(url) as database, database.read() as tx:
            return [(e.actor, e.action) for e in await tx.audit.recent(limit=1)]

    assert asyncio.run(audited()) == [("cli", "testimonies.export")]


def test_with_several_campaigns_the_operator_chooses_one(home: Path) -> None:
    asyncio.run(seed(home, campaigns=2))

    unsure = chorus("export", "testimonies", "--out", "book.html")
    chosen = chorus(
        "export", "testimonies", "--campaign", "2", "--format", "html", "--out", "b.html"
    )

    assert unsure.exit_code == 2
    assert "Choose a campaign with --campaign ID:" in unsure.output
    assert "2  Campaign 1  (2 testimonies)" in unsure.output
    assert chosen.exit_code == 0, chosen.output
    assert '<h1 dir="auto">Campaign 1</h1>' in (home / "b.html").read_text(encoding="utf-8")


def test_an_existing_file_is_kept_unless_forced(home: Path) -> None:
    asyncio.run(seed(home))
    (home / "keep.csv").write_text("mine", encoding="utf-8")

    refused = chorus("export", "testimonies", "--out", "keep.csv")
    bad_date = chorus("export", "testimonies", "--since", "soon", "--out", "new.csv")
    forced = chorus("export", "testimonies", "--out", "keep.csv", "--force")

    assert refused.exit_code == 1
    assert "add --force" in refused.output
    assert bad_date.exit_code == 2
    assert "--since is a date" in bad_date.output
    assert forced.exit_code == 0
    assert (home / "keep.csv").read_text(encoding="utf-8").startswith('"reference",')


@pytest.mark.parametrize(
    ("out", "says"),
    [
        ("missing/dir/stories.csv", "does not exist"),
        (".", "is a directory"),
        ("/proc/stories.csv", "choose another --out"),
        ("pipe.csv", "not a regular file"),
    ],
)
def test_an_export_that_cannot_be_written_says_why_in_one_line(
    home: Path, out: str, says: str
) -> None:
    asyncio.run(seed(home))
    os.mkfifo(home / "pipe.csv")  # like a device: never to be replaced by the export

    result = chorus("export", "testimonies", "--out", out, "--force")

    assert result.exit_code == 6, result.output
    assert result.stderr.count("\n") == 1
    assert says in result.stderr
    assert "Traceback" not in result.output
    assert (home / "pipe.csv").is_fifo()


def test_a_full_disk_is_named_and_leaves_no_partial_file(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(seed(home))
    real_open = Path.open

    def full_disk(self: Path, mode: str = "r", *args: object, **kwargs: object) -> object:
        """The disk fills up at the first write (an injected ENOSPC)."""
        handle = real_open(self, mode, *args, **kwargs)  # type: ignore[call-overload]
        if "w" not in mode:
            return handle

        def write(_data: object) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        handle.write = write
        return handle

    monkeypatch.setattr(Path, "open", full_disk)
    result = chorus("export", "testimonies", "--out", "stories.csv")

    assert result.exit_code == 6, result.output
    assert "the disk is full" in result.stderr
    assert "Traceback" not in result.output
    assert not list(home.glob("stories.csv*"))
