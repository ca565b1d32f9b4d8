"""Backfilling a campaign's count history from a CSV file of (date, count) rows.

The whole file is checked before anything is written: a bad row is reported with its line
number and nothing is imported. Rows go into one source (a manual one, created on first
use) in one transaction, each under the window key `import:<instant>`, so importing the
same file twice adds nothing. Thresholds the history passes are recorded with the date they
were reached, silently: they mark the chart and are never announced (they are old news).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from cogs.petitions.readings import rule_of
from cogs.petitions.sources import SourceError, parse_count_text
from storage.database import Database
from storage.errors import Conflict
from storage.repositories.petitions import MANUAL, Source
from storage.unit import Tx

BATCH = 500
MAX_ERRORS = 10


@dataclass(frozen=True, slots=True)
class Row:
    at: datetime
    count: int


@dataclass(frozen=True, slots=True)
class ImportResult:
    rows: int
    added: int
    milestones: int


class HistoryError(Exception):
    """The file cannot be imported; `problems` are lines like "line 4: …"."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def read_rows(text: str, now: datetime) -> list[Row]:
    """Every (date, count) row, oldest first; HistoryError naming the bad lines."""
    rows: list[Row] = []
    problems: list[str] = []
    for number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not fields or all(not f.strip() for f in fields):
            continue
        if number == 1 and not fields[0].strip()[:1].isdigit():
            continue  # a header line
        try:
            rows.append(_row(fields, now))
        except ValueError as error:
            problems.append(f"line {number}: {error}")
            if len(problems) >= MAX_ERRORS:
                problems.append("(stopped after 10 problems)")
                break
    if problems:
        raise HistoryError(problems)
    if not rows:
        raise HistoryError(["no rows: expected lines like 2026-05-01,12345"])
    rows.sort(key=lambda row: row.at)
    return rows


def _row(fields: list[str], now: datetime) -> Row:
    if len(fields) != 2:
        raise ValueError(f"expected 2 fields (date,count), found {len(fields)}")
    raw_date, raw_count = fields[0].strip(), fields[1].strip()
    try:
        if len(raw_date) == 10:
            at = datetime.combine(date.fromisoformat(raw_date), time(12, 0), tzinfo=UTC)
        else:
            at = datetime.fromisoformat(raw_date)
            at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    except ValueError:
        raise ValueError(f"{raw_date!r} is not a date (YYYY-MM-DD)") from None
    if at > now:
        raise ValueError(f"{raw_date} is in the future")
    try:
        count = parse_count_text(raw_count)
    except SourceError:
        raise ValueError(f"{raw_count!r} is not a count from 0 to 1000000000") from None
    return Row(at, count)


async def import_history(
    database: Database,
    campaign_id: int,
    rows: list[Row],
    *,
    source_name: str,
    now: datetime,
    progress: Callable[[int], None] = lambda _done: None,
) -> ImportResult:
    """Write `rows` as readings of the campaign's source `source_name` (all or nothing)."""
    async with database.transaction() as tx:
        if await tx.campaigns.get(campaign_id) is None:
            raise HistoryError([f"there is no campaign {campaign_id}"])
        settings = await tx.petitions.lock(campaign_id, now)
        source = await _source(tx, campaign_id, source_name, now)
        added = 0
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            added += await tx.petitions.add_snapshots(
                source.id,
                campaign_id,
                [(f"import:{row.at.isoformat()}", row.count, row.at) for row in batch],
            )
            progress(start + len(batch))
        latest = rows[-1]
        if source.last_reading_at is None or latest.at > source.last_reading_at:
            await tx.petitions.record_reading(source.id, count=latest.count, at=latest.at)
        milestones = 0
        rule = rule_of(settings)
        for previous, row in _pairs(rows):
            passed = rule.between(previous, row.count)
            milestones += len(
                await tx.petitions.add_milestones(
                    campaign_id, passed, count=row.count, at=row.at, announced=False
                )
            )
    return ImportResult(len(rows), added, milestones)


def _pairs(rows: list[Row]) -> Iterable[tuple[int, Row]]:
    highest = 0
    for row in rows:
        if row.count > highest:
            yield highest, row
            highest = row.count


async def _source(tx: Tx, campaign_id: int, name: str, now: datetime) -> Source:
    for source in await tx.petitions.sources(campaign_id):
        if source.name.lower() == name.lower():
            return source
    try:
        return await tx.petitions.add_source(
            campaign_id=campaign_id,
            name=name,
            kind=MANUAL,
            url="",
            pointer="",
            pattern="",
            link="",
            created_by="cli",
            now=now,
        )
    except Conflict:
        raise HistoryError([f"source {name!r} cannot be created"]) from None
