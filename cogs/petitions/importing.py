"""Backfilling a campaign's count history from a CSV file of (date, count) rows.

The whole file is checked before anything is written: a bad row is reported with its line
number and nothing is imported. Everything has its range: the file at most `MAX_FILE_BYTES`
of UTF-8, a line at most `MAX_LINE` characters, dates from 1970 to now, counts from 0 to
`MAX_COUNT`, the source's name as long as chat allows (`MAX_SOURCE_NAME`).

Rows go into one source (a manual one, created on first use) in one transaction, each under
the window key `import:<instant>`, so importing the same file twice adds nothing. Thresholds
the history passes are recorded with the date they were reached, silently: they mark the
chart and are never announced (they are old news).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from bot.core.options import clean_text
from cogs.petitions.readings import rule_of
from cogs.petitions.sources import (
    MAX_COUNT,
    MAX_SOURCE_NAME,
    SourceError,
    parse_count_text,
    shorten,
)
from storage.database import Database
from storage.errors import Conflict
from storage.repositories.petitions import MANUAL, Source
from storage.unit import Tx

BATCH = 500
MAX_ERRORS = 10
MAX_FILE_BYTES = 5_000_000
MAX_LINE = 1_000
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
# Campaign ids are 32-bit integers in the database.
LARGEST_ID = 2**31 - 1


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


class ImportOptionError(Exception):
    """An option of the import names nothing usable (the campaign, the source's name)."""


def source_name(raw: str) -> str:
    """The name given for the source, cleaned and checked as chat checks it."""
    name = clean_text(raw)
    if not name:
        raise ImportOptionError("--source needs a name")
    if len(name) > MAX_SOURCE_NAME:
        raise ImportOptionError(
            f"--source can be at most {MAX_SOURCE_NAME} characters; this one has {len(name):,}"
        )
    return name


def check_campaign(campaign_id: int) -> None:
    """A campaign id the database could hold (whether it exists is checked when importing)."""
    if not 1 <= campaign_id <= LARGEST_ID:
        raise ImportOptionError(f"There is no campaign {campaign_id}")


def decode_history(data: bytes) -> str:
    """The file's text: at most MAX_FILE_BYTES of UTF-8 (a byte-order mark is fine)."""
    if len(data) > MAX_FILE_BYTES:
        raise HistoryError([f"the file is larger than {MAX_FILE_BYTES:,} bytes"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise HistoryError([f"line {line} is not UTF-8 text; save the file as UTF-8"]) from None


def read_rows(text: str, now: datetime) -> list[Row]:
    """Every (date, count) row, oldest first; HistoryError naming the bad lines."""
    rows: list[Row] = []
    problems: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        try:
            row = _line(line.removesuffix("\r"), number, now)
        except (ValueError, csv.Error) as error:
            problems.append(f"line {number}: {error}")
            if len(problems) >= MAX_ERRORS:
                problems.append(f"(stopped after {MAX_ERRORS} problems)")
                break
        else:
            if row is not None:
                rows.append(row)
    if problems:
        raise HistoryError(problems)
    if not rows:
        raise HistoryError(["no rows: expected lines like 2026-05-01,12345"])
    rows.sort(key=lambda row: row.at)
    return rows


def _line(line: str, number: int, now: datetime) -> Row | None:
    """The row on one line of the file; None for a blank line or the header."""
    if len(line) > MAX_LINE:
        # Checked before the csv module sees it: past 128 KiB it stops with an error of its
        # own, and it would quote a field of any length back.
        raise ValueError(f"too long ({len(line):,} characters; at most {MAX_LINE:,})")
    fields = next(csv.reader([line]), [])
    if not fields or all(not field.strip() for field in fields):
        return None
    if number == 1 and not fields[0].strip()[:1].isdigit():
        return None  # a header line
    return _row(fields, now)


def _row(fields: list[str], now: datetime) -> Row:
    if len(fields) != 2:
        raise ValueError(f"expected 2 fields (date,count), found {len(fields)}")
    raw_date, raw_count = fields[0].strip(), fields[1].strip()
    at = _instant(raw_date, now)
    try:
        count = parse_count_text(raw_count)
    except SourceError:
        raise ValueError(f"{shorten(raw_count)!r} is not a count from 0 to {MAX_COUNT:,}") from None
    return Row(at, count)


def _instant(raw: str, now: datetime) -> datetime:
    """A date (read as noon UTC) or a date and time (UTC unless it names its offset)."""
    out_of_range = f"{shorten(raw, 40)} is out of range: dates go from {EARLIEST:%Y-%m-%d} to now"
    try:
        if len(raw) == 10:
            at = datetime.combine(date.fromisoformat(raw), time(12, 0), tzinfo=UTC)
        else:
            at = datetime.fromisoformat(raw)
            at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    except ValueError:
        raise ValueError(f"{shorten(raw, 40)!r} is not a date (YYYY-MM-DD)") from None
    except OverflowError:  # 9999-12-31T23:59-05:00 is past the last instant Python has
        raise ValueError(out_of_range) from None
    if at < EARLIEST:
        raise ValueError(out_of_range)
    if at > now:
        raise ValueError(f"{raw} is in the future")
    return at


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
            raise ImportOptionError(f"There is no campaign {campaign_id}")
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
