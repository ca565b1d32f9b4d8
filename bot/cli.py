"""The `chorus` command line: run the bot, manage its database, back it up, check the setup.

Every command reads the settings first. A setting that does not validate, a database that
cannot be used or a file that cannot be written ends the command with a one-line reason per
problem and the exit code of its kind (`bot.exit_codes`), never a traceback. The platform
libraries are imported only by `run` and `console`, so the operator commands stay fast and work
even when a platform library is broken.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table
from rich.text import Text

from bot import doctor, exit_codes
from bot.cli_failures import env_file_problem, fatal_errors, settings_error_lines
from bot.cli_outbox import build_outbox_app
from bot.cli_schedules import build_schedules_app
from bot.cli_signatures import build_signatures_app
from bot.logs import setup_logging
from bot.settings import Settings, token_problem
from storage.backup import BackupError, backup_sqlite, pg_dump_command
from storage.database import Database, sqlite_path
from storage.errors import SchemaTooNew
from storage.migrations_runner import head_revision, is_known, schema_too_new
from storage.urls import parse_database_url

__all__ = ["build_app", "fatal_errors", "main", "settings_error_lines"]

EXIT_FAILED = exit_codes.FAILED
# A wrong value on the command line (kept under this name for the commands that import it).
EXIT_UNUSABLE = exit_codes.USAGE
EXIT_INTERRUPTED = exit_codes.INTERRUPTED
STATUS_STYLES = {
    doctor.Status.OK: "green",
    doctor.Status.WARN: "yellow",
    doctor.Status.FAIL: "bold red",
}


def build_app() -> typer.Typer:
    """The `chorus` command tree (built on demand: no module-level state)."""
    app = typer.Typer(
        help=f"Chorus: one campaign, many communities.\n\n{exit_codes.SUMMARY}",
        no_args_is_help=True,
        add_completion=False,
        # Every failure is already one clear line (`fatal_errors`); no rich traceback.
        pretty_exceptions_enable=False,
    )
    app.command()(run)
    app.command()(console)
    database = typer.Typer(help="Inspect and upgrade the database schema.", no_args_is_help=True)
    database.command("upgrade")(db_upgrade)
    database.command("current")(db_current)
    app.add_typer(database, name="db")
    app.command()(backup)
    app.command("doctor")(check_setup)
    app.command()(sync)
    app.add_typer(build_signatures_app(), name="signatures")
    app.add_typer(build_outbox_app(), name="outbox")
    app.add_typer(build_schedules_app(), name="schedules")
    from bot.cli_export import build_export_app  # it imports this module's helpers

    app.add_typer(build_export_app(), name="export")
    return app


def main() -> None:
    """Entry point of the `chorus` console script and of `python -m bot`."""
    build_app()()


# Commands -------------------------------------------------------------------------------


def run() -> None:
    """Run the bot on every platform that has a token (the console when none has)."""
    raise typer.Exit(_serve(force_console=False))


def console() -> None:
    """Run the bot with the console platform, in this terminal."""
    raise typer.Exit(_serve(force_console=True))


def sync(
    guild: Annotated[
        str,
        typer.Option(
            "--guild",
            help="Publish to this Discord server only (instant); default CHORUS_DISCORD_DEV_GUILD.",
        ),
    ] = "",
    everywhere: Annotated[
        bool, typer.Option("--global", help="Publish to every server (ignores the dev server).")
    ] = False,
) -> None:
    """Publish the slash commands to Discord (after an install or an upgrade)."""
    with fatal_errors():
        settings = _load_settings()
        token = settings.platform_tokens().get("discord")
        if not token:
            typer.echo("Set CHORUS_DISCORD_TOKEN first.", err=True)
            raise typer.Exit(exit_codes.SETTINGS)
        if problem := token_problem("discord", token):
            typer.echo(f"Discord token refused: {problem}", err=True)
            raise typer.Exit(exit_codes.SETTINGS)
        target = None if everywhere else (guild or settings.discord_dev_guild or None)
        names = asyncio.run(_sync(settings, token, target))
    where = f"server {target}" if target else "every server (may take up to an hour to show)"
    typer.echo(f"Published {len(names)} commands to {where}: {', '.join(sorted(names))}.")


async def _sync(settings: Settings, token: str, guild: str | None) -> list[str]:
    # Imported here so that the other commands never load discord.py.
    from bot.adapters.discord.sync import sync_commands
    from bot.app import build_core
    from bot.core.clock import SystemClock

    async with Database.connect(settings.database_url) as database:
        core = build_core(settings, database, SystemClock())
        return await sync_commands(token, guild, registry=core.registry, catalogues=core.catalogues)


def db_upgrade() -> None:
    """Apply pending migrations and print the revision before and after."""
    with fatal_errors():
        settings = _load_settings()
        before, after = asyncio.run(_upgrade(settings.database_url))
    if before == after:
        typer.echo(f"Schema already at the newest revision ({after}).")
    else:
        typer.echo(f"Schema upgraded: {before or 'empty database'} → {after}.")


def db_current() -> None:
    """Print the current and newest schema revision; exit 1 when they differ."""
    with fatal_errors():
        settings = _load_settings()
        path = sqlite_path(settings.database_url)
        if path is not None and not path.is_file():
            # Opening the database would create it; this command only looks.
            current, head = None, head_revision()
            typer.echo(f"No database at {path.resolve()} yet.")
        else:
            current, head = asyncio.run(_revisions(settings.database_url))
            if current is not None and not is_known(current):
                raise SchemaTooNew(schema_too_new(current))
    typer.echo(f"current: {current or 'none'}")
    typer.echo(f"head:    {head}")
    if current != head:
        typer.echo("Not up to date: run `chorus db upgrade`.")
        raise typer.Exit(EXIT_FAILED)
    typer.echo("Up to date.")


def backup(
    path: Annotated[Path, typer.Argument(help="Where to write the backup file.")],
    force: Annotated[bool, typer.Option("--force", help="Replace PATH if it exists.")] = False,
) -> None:
    """Copy the live database to PATH (SQLite), or print the pg_dump command (PostgreSQL)."""
    with fatal_errors():
        settings = _load_settings()
        url = parse_database_url(settings.database_url)
        if url.backend == "postgresql":
            typer.echo(pg_dump_command(settings.database_url, path))
            typer.echo("pg_dump reads the password from PGPASSWORD or ~/.pgpass.")
            return
        source = sqlite_path(settings.database_url)
        if source is None:
            typer.echo("Only a SQLite file or a PostgreSQL database can be backed up.", err=True)
            raise typer.Exit(exit_codes.DATABASE)
        with _progress() as bar:
            task = bar.add_task("Backing up", total=None)
            try:
                result = backup_sqlite(
                    source,
                    path,
                    force=force,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
            except BackupError as error:
                bar.stop()
                typer.echo(f"Backup failed: {error}", err=True)
                raise typer.Exit(EXIT_FAILED) from None
    megabytes = result.size_bytes / 1_000_000
    typer.echo(f"Backup written to {result.target} ({megabytes:.1f} MB), integrity check passed.")


def check_setup() -> None:
    """Show the settings (secrets masked) and check the setup; exit 1 if a check fails."""
    with fatal_errors():
        settings = _load_settings()
        checks = asyncio.run(doctor.run_checks(settings))
    out = Console(highlight=False)
    settings_table = Table("setting", "value", "", title="Settings")
    for row in doctor.setting_rows(settings):
        settings_table.add_row(
            row.variable, Text(row.shown), Text("default", style="dim") if row.is_default else ""
        )
    checks_table = Table("check", "status", "detail", title="Checks")
    for check in checks:
        status = Text(check.status.value, style=STATUS_STYLES[check.status])
        checks_table.add_row(check.name, status, Text(check.detail))
    out.print(settings_table)
    out.print(checks_table)
    if doctor.failed(checks):
        raise typer.Exit(EXIT_FAILED)


# Helpers --------------------------------------------------------------------------------


def _serve(*, force_console: bool) -> int:
    with fatal_errors():
        settings = _load_settings(operator=False)
        # Imported here so that the other commands never load discord.py or PTB.
        from bot.app import serve

        try:
            return asyncio.run(serve(settings, force_console=force_console))
        except KeyboardInterrupt:
            # Ctrl-C before the bot installed its own signal handlers: nothing to clean up.
            return EXIT_INTERRUPTED


def _load_settings(*, operator: bool = True) -> Settings:
    """The settings, with logging set up to redact their secrets from here on.

    An `operator` command prints its own results, so its logging shows only warnings and
    errors, unless CHORUS_LOG_LEVEL asks for DEBUG (Alembic alone says a lot at INFO).
    """
    try:
        settings = Settings()
    except UnicodeDecodeError as error:
        env_file = Path(str(Settings.model_config.get("env_file") or ".env"))
        raise env_file_problem(env_file, error) from error
    secrets = settings.secret_values()
    password = parse_database_url(settings.database_url).password
    if password:
        secrets.append(password)
    level = settings.log_level
    if operator and level == "INFO":
        level = "WARNING"
    setup_logging(level, secrets)
    return settings


async def _upgrade(url: str) -> tuple[str | None, str | None]:
    async with Database.connect(url, migrate=False) as database:
        before, _ = await database.revisions()
        await database.upgrade()
        after, _ = await database.revisions()
    return before, after


async def _revisions(url: str) -> tuple[str | None, str]:
    async with Database.connect(url, migrate=False) as database:
        return await database.revisions()


def _progress() -> Progress:
    errors = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        console=errors,
        transient=True,
        # A bar is for a person watching; in a log or a pipe it would only add blank lines.
        disable=not errors.is_terminal,
    )
