"""The `chorus` command line, as an operator uses it: real settings, a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner, Result

from bot.cli import build_app
from bot.settings import Settings
from storage.backup import verify_sqlite_file
from storage.migrations_runner import head_revision
from tests.test_backup import add_campaigns, dump

TELEGRAM_MALFORMED = "12345:only-twenty-chars-x"
DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"
INSTALL_SECRET = "pseudonym-key-do-not-share-with-anyone-0123456789"


pytestmark = pytest.mark.usefixtures("restore_logging")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no `.env`, no CHORUS_ variables but the database URL."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("CHORUS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CHORUS_DATABASE_URL", f"sqlite+aiosqlite:///{database_file(tmp_path)}")
    # Wide enough that Rich never wraps a temporary path inside a table cell.
    monkeypatch.setenv("COLUMNS", "300")
    return tmp_path


def database_file(home: Path) -> Path:
    return home / "data" / "chorus.db"


def chorus(*args: str) -> Result:
    return CliRunner().invoke(build_app(), list(args))


def test_every_command_has_one_line_of_help() -> None:
    def walk(command: object, prefix: str) -> Iterator[tuple[str, str]]:
        for name, sub in getattr(command, "commands", {}).items():
            yield f"{prefix} {name}", (sub.help or "")
            yield from walk(sub, f"{prefix} {name}")

    found = dict(walk(get_command(build_app()), "chorus"))
    assert set(found) >= {
        "chorus run",
        "chorus console",
        "chorus db",
        "chorus db upgrade",
        "chorus db current",
        "chorus backup",
        "chorus doctor",
    }
    for name, help_text in found.items():
        assert help_text.strip(), f"{name} has no help"
        assert "\n" not in help_text.strip(), f"{name} has more than one line of help"


def test_upgrade_then_current_says_up_to_date(home: Path) -> None:
    upgraded = chorus("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert f"empty database → {head_revision()}" in upgraded.stdout

    current = chorus("db", "current")
    assert current.exit_code == 0, current.output
    assert f"current: {head_revision()}" in current.stdout
    assert "Up to date." in current.stdout

    again = chorus("db", "upgrade")
    assert "already at the newest revision" in again.stdout


def test_current_on_no_database_is_not_up_to_date_and_creates_nothing(home: Path) -> None:
    result = chorus("db", "current")
    assert result.exit_code == 1
    assert "current: none" in result.stdout
    assert "chorus db upgrade" in result.stdout
    assert not database_file(home).exists()


def test_a_schema_newer_than_the_code_is_refused(home: Path) -> None:
    assert chorus("db", "upgrade").exit_code == 0
    with contextlib.closing(sqlite3.connect(database_file(home))) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    result = chorus("db", "upgrade")
    assert result.exit_code == 5
    assert "9999_from_the_future" in result.stderr
    assert "written by a newer Chorus" in result.stderr
    assert "upgrade Chorus" in result.stderr
    assert "Traceback" not in result.output


def test_a_schema_newer_than_the_code_is_never_told_to_upgrade_the_database(home: Path) -> None:
    assert chorus("db", "upgrade").exit_code == 0
    with contextlib.closing(sqlite3.connect(database_file(home))) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")

    checked = chorus("doctor")
    current = chorus("db", "current")

    assert checked.exit_code == 1
    assert "written by a newer Chorus" in checked.stdout
    assert "chorus db upgrade" not in checked.stdout
    assert current.exit_code == 5
    assert "written by a newer Chorus" in current.stderr
    assert "chorus db upgrade" not in current.output


def test_backup_copies_every_table_and_row(home: Path) -> None:
    asyncio.run(add_campaigns(database_file(home), "keep4o", "libraries"))
    result = chorus("backup", "copy.db")
    assert result.exit_code == 0, result.output
    assert "integrity check passed" in result.stdout
    verify_sqlite_file(home / "copy.db")
    assert dump(home / "copy.db") == dump(database_file(home))


def test_backup_refuses_to_overwrite_without_force(home: Path) -> None:
    asyncio.run(add_campaigns(database_file(home), "keep4o"))
    (home / "copy.db").write_bytes(b"last week's backup")

    refused = chorus("backup", "copy.db")
    assert refused.exit_code == 1
    assert "--force" in refused.stderr
    assert (home / "copy.db").read_bytes() == b"last week's backup"

    forced = chorus("backup", "copy.db", "--force")
    assert forced.exit_code == 0, forced.output
    assert dump(home / "copy.db") == dump(database_file(home))


def test_backup_on_postgresql_prints_pg_dump_without_the_password(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHORUS_DATABASE_URL", "postgresql+asyncpg://chorus:hunter2@db:5432/chorus")
    result = chorus("backup", "chorus.dump")
    assert result.exit_code == 0, result.output
    assert "pg_dump" in result.stdout
    assert "--username=chorus" in result.stdout
    assert "hunter2" not in result.output


def test_doctor_masks_secrets_and_explains_a_malformed_token(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHORUS_TELEGRAM_TOKEN", TELEGRAM_MALFORMED)
    monkeypatch.setenv("CHORUS_DISCORD_TOKEN", DISCORD)
    monkeypatch.setenv("CHORUS_SECRET", INSTALL_SECRET)
    assert chorus("db", "upgrade").exit_code == 0

    result = chorus("doctor")

    assert result.exit_code == 1
    for secret in (TELEGRAM_MALFORMED, DISCORD, INSTALL_SECRET):
        assert secret not in result.output
    assert "CHORUS_TELEGRAM_TOKEN" in result.stdout
    assert "a Telegram token looks like" in result.stdout
    assert "set (…89AB)" in result.stdout  # enough to tell which Discord token is configured
    assert "at the newest revision" in result.stdout


def test_doctor_passes_on_a_fresh_install(home: Path) -> None:
    result = chorus("doctor")
    assert result.exit_code == 0, result.output
    assert "no database at" in result.stdout
    assert not database_file(home).exists()


def test_doctor_hides_the_database_password(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Port 1 on loopback refuses at once: the check fails, and says why without the password.
    url = "postgresql+asyncpg://chorus:hunter2@127.0.0.1:1/chorus"
    monkeypatch.setenv("CHORUS_DATABASE_URL", url)
    result = chorus("doctor")
    assert result.exit_code == 1
    assert "hunter2" not in result.output
    assert "127.0.0.1:1/chorus" in result.stdout


@pytest.mark.parametrize(
    "command",
    [["run"], ["console"], ["db", "upgrade"], ["db", "current"], ["backup", "x.db"], ["doctor"]],
)
def test_a_bad_setting_is_named_without_a_traceback(
    home: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("CHORUS_LOG_LEVEL", "LOUD")
    monkeypatch.setenv("CHORUS_INVITE_DAYS", "900")
    result = chorus(*command)
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert any("CHORUS_LOG_LEVEL" in line for line in lines)
    assert any("CHORUS_INVITE_DAYS" in line for line in lines)
    assert "Traceback" not in result.output


def test_a_file_where_the_data_directory_should_be_is_named(home: Path) -> None:
    (home / "data").write_text("not a directory")
    upgraded = chorus("db", "upgrade")
    assert upgraded.exit_code == 4
    assert str(home / "data") in upgraded.stderr
    assert "Traceback" not in upgraded.output

    checked = chorus("doctor")
    assert checked.exit_code == 1
    assert f"{home / 'data'} exists but is not a directory" in checked.stdout


@pytest.mark.parametrize(("command", "force_console"), [("run", False), ("console", True)])
def test_run_and_console_serve_and_exit_with_its_code(
    home: Path, monkeypatch: pytest.MonkeyPatch, command: str, force_console: bool
) -> None:
    calls: list[tuple[Settings, bool]] = []

    async def serve(settings: Settings, *, force_console: bool) -> int:
        calls.append((settings, force_console))
        return 3

    monkeypatch.setattr("bot.app.serve", serve)
    result = chorus(command)
    assert result.exit_code == 3
    assert [flag for _, flag in calls] == [force_console]
    assert calls[0][0].database_url.endswith("chorus.db")


def test_the_operator_commands_do_not_load_the_platform_libraries() -> None:
    # A fresh interpreter: this test process may have imported them for other tests.
    probe = (
        "import sys, bot.cli, bot.doctor, storage.backup;"
        "loaded = {'discord', 'telegram', 'bot.app'} & set(sys.modules);"
        "sys.exit(', '.join(sorted(loaded)) or None)"
    )
    finished = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr


def test_the_exit_codes_are_listed_in_the_help() -> None:
    result = chorus("--help")
    assert result.exit_code == 0
    for code in (
        "0 done",
        "3 bad setting",
        "4 database unusable",
        "6 file unreadable or unwritable",
        "9 no such row or schedule",
    ):
        assert code in " ".join(result.stdout.split())


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://chorus@db/chorus", "Chorus runs on SQLite or PostgreSQL"),
        ("postgresql://chorus@db/chorus", "write postgresql+asyncpg://chorus@db/chorus"),
        ("sqlite:///x.db", "write sqlite+aiosqlite:///x.db"),
        ("not a url", "is not a database URL"),
    ],
)
@pytest.mark.parametrize("command", [["db", "upgrade"], ["db", "current"], ["doctor"], ["run"]])
def test_a_database_url_chorus_cannot_use_says_what_to_write(
    home: Path, monkeypatch: pytest.MonkeyPatch, url: str, says: str, command: list[str]
) -> None:
    monkeypatch.setenv("CHORUS_DATABASE_URL", url)
    result = chorus(*command)
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert "CHORUS_DATABASE_URL" in result.stderr
    assert says in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["db", "upgrade"],
        ["db", "current"],
        ["run"],
        ["console"],
        ["export", "testimonies", "--out", "stories.csv"],
    ],
)
def test_a_postgresql_server_that_refuses_is_one_line(
    home: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("CHORUS_DATABASE_URL", "postgresql+asyncpg://chorus:hunter2@127.0.0.1:1/x")
    result = chorus(*command)
    assert result.exit_code == 4, result.output
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert "cannot reach the database server at 127.0.0.1:1" in result.stderr
    assert "hunter2" not in result.output


def test_an_env_file_that_is_not_utf8_is_named_with_its_line(home: Path) -> None:
    (home / ".env").write_bytes(b"CHORUS_LOG_LEVEL=INFO\nCHORUS_OWNER_IDS=caf\xe9\n")
    result = chorus("doctor")
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        "Cannot read the settings: .env is not UTF-8 text (byte 0xe9 on line 2); save it as UTF-8"
    )


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("CHORUS_DEFAULT_TIMEZONE", "Mars/Phobos", "is not an IANA time zone"),
        ("CHORUS_DEFAULT_TIMEZONE", "europe/paris", "did you mean Europe/Paris"),
        ("CHORUS_DEFAULT_LOCALE", "xx-evil", "is not a locale code"),
        ("CHORUS_SECRET", "x", "CHORUS_SECRET is too weak"),
        ("CHORUS_SECRET", "a" * 40, "at least 32 random characters"),
    ],
)
@pytest.mark.parametrize("command", [["run"], ["doctor"], ["db", "upgrade"]])
def test_a_setting_that_would_fail_later_is_refused_at_start(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    says: str,
    command: list[str],
) -> None:
    monkeypatch.setenv(variable, value)
    result = chorus(*command)
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert says in result.stderr
    assert not database_file(home).exists()


def test_a_strong_secret_is_accepted(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHORUS_SECRET", "Zx8_kP2-qLm9vR4tWn7yB3cF6hJ1sD5gA0eU")
    result = chorus("doctor")
    assert result.exit_code == 0, result.output
    assert "CHORUS_SECRET is set" in result.stdout


def test_an_unexpected_error_is_one_line_with_its_own_code(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(_settings: Settings) -> list[object]:
        raise RuntimeError("a bug in a check")

    monkeypatch.setattr("bot.doctor.run_checks", broken)
    result = chorus("doctor")
    assert result.exit_code == 70
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert "RuntimeError: a bug in a check" in result.stderr
    assert "CHORUS_LOG_LEVEL=DEBUG" in result.stderr
