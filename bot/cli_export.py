"""`chorus export testimonies`: a campaign's testimonies to a file, as the operator.

The same exports as `/testimonies export` in chat, with no size limit: rows stream from the
database to the file, with a progress bar when a person is watching. The operator may export
with identities (`--identities`); like every export, it is written to the audit log first.
"""

from __future__ import annotations

import asyncio
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.cli import EXIT_FAILED, EXIT_UNUSABLE, _load_settings, _progress
from bot.cli_failures import FileProblem, fatal_errors, write_problem
from bot.core.clock import SystemClock
from bot.core.i18n import Catalogues
from bot.settings import Settings, install_secret
from cogs.testimonies import ExportRequest, ExportService, Pseudonyms
from cogs.testimonies.exports import ExportFormat
from cogs.testimonies.options import start_of
from storage.database import Database


class Status(StrEnum):
    APPROVED = "approved"
    ALL = "all"


def build_export_app() -> typer.Typer:
    """The `chorus export` commands."""
    app = typer.Typer(help="Write a campaign's data to a file.", no_args_is_help=True)
    app.command("testimonies")(export_testimonies)
    return app


def export_testimonies(
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    form: Annotated[
        ExportFormat, typer.Option("--format", help="csv, json, md, or html (a printable book).")
    ] = ExportFormat.CSV,
    status: Annotated[
        Status, typer.Option("--status", help="approved, or all but withdrawn and deleted.")
    ] = Status.APPROVED,
    since: Annotated[
        str, typer.Option("--since", help="Only testimonies shared since YYYY-MM-DD.")
    ] = "",
    campaign: Annotated[
        int | None, typer.Option("--campaign", help="The campaign's id (needed when several).")
    ] = None,
    identities: Annotated[
        bool, typer.Option("--identities", help="Name each author's account: personal data.")
    ] = False,
    bom: Annotated[
        bool, typer.Option("--bom", help="Start a CSV with a byte-order mark (spreadsheets).")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
) -> None:
    """Export a campaign's testimonies: anonymised and approved ones unless told otherwise."""
    if since:
        try:
            date.fromisoformat(since)
        except ValueError:
            typer.echo(f"--since is a date like 2026-06-01, not {since!r}.", err=True)
            raise typer.Exit(EXIT_UNUSABLE) from None
    with fatal_errors():
        check_writable(out)
        if out.exists() and not force:
            typer.echo(f"{out} exists; add --force to replace it.", err=True)
            raise typer.Exit(EXIT_FAILED)
        settings = _load_settings()
        count, size = asyncio.run(
            _export(settings, out, form, status.value, since, campaign, identities, bom)
        )
    typer.echo(f"Wrote {count} testimonies to {out} ({size / 1_000_000:.1f} MB).")
    if identities:
        typer.echo(
            "This file contains personal data (every author's account): keep it private.",
            err=True,
        )


def check_writable(out: Path) -> None:
    """Refuse, before any work, a target that can never become the export file."""
    if out.is_dir():
        raise FileProblem(
            f"Cannot write {out}: it is a directory; give a file name such as"
            f" {out / 'testimonies.csv'}"
        )
    if out.exists() and not out.is_file():
        # A device or a pipe: the export is written beside it and renamed over it.
        raise FileProblem(f"Cannot write {out}: it is not a regular file; choose a file name")
    if not out.parent.is_dir():
        raise FileProblem(
            f"Cannot write {out}: the directory {out.parent} does not exist; create it or"
            " choose another --out"
        )


async def _export(
    settings: Settings,
    out: Path,
    form: ExportFormat,
    status: str,
    since: str,
    campaign_id: int | None,
    identities: bool,
    bom: bool,
) -> tuple[int, int]:
    async with Database.connect(settings.database_url) as database:
        async with database.read() as tx:
            known = await tx.testimony_exports.campaigns()
            chosen = _choose(known, campaign_id)
            campaign = await tx.campaigns.get(chosen)
        # Listed by `campaigns()` in this same read; campaigns are never deleted.
        assert campaign is not None
        service = ExportService(
            database, SystemClock(), Pseudonyms(install_secret(settings)), Catalogues.load()
        )
        request = ExportRequest(
            campaign_id=campaign.id,
            form=form,
            status=status,
            since=start_of(since, campaign.timezone),
            identities=identities,
            actor="cli",
            bom=bom,
        )
        export = await service.prepare(request)
        with _progress() as bar:
            task = bar.add_task(f"Exporting {export.count} testimonies", total=export.count)
            try:
                size = await service.to_file(export, out, lambda rows: bar.advance(task, rows))
            except OSError as error:
                raise write_problem(out, error) from error
        return export.count, size


def _choose(known: list[tuple[int, str, int]], wanted: int | None) -> int:
    """The campaign to export: the one asked for, or the only one there is."""
    ids = [campaign_id for campaign_id, _name, _count in known]
    if wanted is not None and wanted in ids:
        return wanted
    if wanted is None and len(ids) == 1:
        return ids[0]
    if not known:
        typer.echo("There is no campaign yet.", err=True)
    else:
        typer.echo("Choose a campaign with --campaign ID:", err=True)
        for campaign_id, name, count in known:
            typer.echo(f"  {campaign_id}  {name}  ({count} testimonies)", err=True)
    raise typer.Exit(EXIT_UNUSABLE)
