"""Exports in chat: what leaves (and what never does), and how hostile text comes out."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Core
from cogs.testimonies.exports.csv_file import neutralise, write_csv
from cogs.testimonies.exports.rows import ExportMeta, ExportRow
from cogs.testimonies.model import Pseudonyms
from storage.database import Database
from tests.cogs.testimonies.conftest import Cast, reference_in, story

HOSTILE_TITLE = '=HYPERLINK("evil","click")'
HOSTILE_STORY = (
    '+1 555 0100 is what I called, =HYPERLINK("http://evil.example","click").\n'
    "# Not a heading <script>alert(1)</script> [x](javascript:alert(1)) </details> &amp;\n"
    "-2+3 and @SUM(A1) and “quotes”, commas, and a long story."
)


async def approve(cast: Cast, *answers: str, by: str = "bob") -> str:
    member = getattr(cast, by)
    reference = reference_in(await member.says("/testimony", *answers))
    await cast.mona.says(f"/testimonies show {reference}")
    assert "is approved" in await cast.mona.says("/press 1")
    return reference


async def export(cast: Cast, tmp_path: Path, options: str, who: str = "mona") -> str:
    answer = await getattr(cast, who).says(f"/testimonies export {options}")
    assert "Here is the export" in answer, answer
    [path] = list((tmp_path / "files").glob("testimonies-keep-4o-*"))
    text = path.read_text(encoding="utf-8")
    path.unlink()
    return text


async def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    cast: Cast, tmp_path: Path
) -> None:
    await cast.alice.says("/testimonies settings pending_limit:5 daily_limit:5")
    await approve(cast, HOSTILE_TITLE, HOSTILE_STORY, "legal", "@everyone", "named")
    await approve(cast, "-2+3", "A story that is harmless but long enough.", "work", "", "named")

    text = await export(cast, tmp_path, "format:csv bom:yes")

    assert text.startswith('\ufeff"reference","submitted_at","category","consent","status",')
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    by_title = {row["title"]: row for row in rows}
    assert set(by_title) == {"'" + HOSTILE_TITLE, "'-2+3"}
    hostile = by_title["'" + HOSTILE_TITLE]
    assert hostile["story"] == "'" + HOSTILE_STORY  # quoted by RFC 4180, newlines kept
    assert hostile["name"] == "'@everyone"
    assert by_title["'-2+3"]["name"] == "user 2"
    assert [neutralise(cell) for cell in ("\tfoo", "\r=1", "ok", "")] == [
        "'\tfoo",
        "'\r=1",
        "ok",
        "",
    ]


async def test_csv_lines_are_what_the_csv_module_writes_quoting_every_field(
    core: Core,
) -> None:
    hostile = ExportRow(
        "T-ABCD",
        "2026-06-01T09:05:03Z",
        "legal",
        "named",
        "approved",
        True,
        '=1+1 "quoted", %s %(x)d',
        '100% true, "really"\r\nnew line\n\tand a tab, ساعدني 👍🏽',
        "@everyone",
        "M-0123456789ab",
    )
    meta = ExportMeta(
        "C",
        datetime(2026, 6, 1, 9, 5, 3, tzinfo=UTC),
        False,
        "all",
        None,
        {},
        (),
        core.catalogues.translator("en"),
    )

    async def batches() -> AsyncIterator[list[ExportRow]]:
        yield [hostile]

    text = "".join([chunk async for chunk in write_csv(batches(), meta)])

    expected = io.StringIO()
    writer = csv.writer(expected, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(
        [
            "reference",
            "submitted_at",
            "category",
            "consent",
            "status",
            "featured",
            "title",
            "story",
            "name",
            "author",
        ]
    )
    writer.writerow(
        [
            "T-ABCD",
            "2026-06-01T09:05:03Z",
            "legal",
            "named",
            "approved",
            "yes",
            "'" + hostile.title,
            hostile.story,
            "'@everyone",
            "M-0123456789ab",
        ]
    )
    assert text == expected.getvalue()
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["story"] == hostile.story


async def test_anonymised_exports_name_authors_by_stable_pseudonyms_only(
    cast: Cast, tmp_path: Path
) -> None:
    await approve(cast, *story("First", consent="anonymous"))
    await approve(cast, *story("Second", consent="anonymous"))

    first = await export(cast, tmp_path, "format:json")
    second = await export(cast, tmp_path, "format:json")

    document = json.loads(first)
    authors = {item["author_pseudonym"] for item in document["testimonies"]}
    assert len(authors) == 1
    assert next(iter(authors)).startswith("M-")
    assert authors == {item["author_pseudonym"] for item in json.loads(second)["testimonies"]}
    for forbidden in ("telegram:2", '"2"', "user 2", "Bob B."):
        assert forbidden not in first
    assert [item["name"] for item in document["testimonies"]] == [None, None]
    # Submitted at 14:00 in Paris: stated in UTC, to the second, on every database.
    assert {item["submitted_at"] for item in document["testimonies"]} == {"2026-06-01T12:00:00Z"}
    assert document["personal_data"] is False
    assert Pseudonyms("one").of("telegram:2") != Pseudonyms("two").of("telegram:2")


async def test_moderators_only_stories_leave_only_in_an_organisers_export_with_identities(
    cast: Cast, tmp_path: Path, db: Database
) -> None:
    await approve(cast, *story("Public", consent="anonymous"))
    await approve(cast, *story("Private", consent="moderators"), by="carla")

    public = await export(cast, tmp_path, "format:csv")
    refused = await cast.mona.says("/testimonies identities format:json")
    answer = await cast.alice.says("/testimonies identities format:json", "yes")

    assert "Public" in public
    assert "Private" not in public
    assert "Only the campaign's organisers can do that." in refused
    assert "It names every author: personal data" in answer
    assert "Contains personal data: the account of every author." in answer
    [path] = list((tmp_path / "files").glob("testimonies-keep-4o-*-identities.json"))
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["personal_data"] is True
    accounts = {(t["title"], t["author_account"]) for t in document["testimonies"]}
    assert accounts == {("Public", "telegram:2"), ("Private", "telegram:4")}
    async with db.read() as tx:
        [entry] = [e for e in await tx.audit.recent() if e.detail.get("identities")]
    assert (entry.action, entry.actor, entry.detail["count"]) == (
        "testimonies.export",
        "telegram:1",
        2,
    )


async def test_status_and_since_choose_what_is_exported(
    cast: Cast, tmp_path: Path, core: Core
) -> None:
    await approve(cast, *story("Early"))
    core.clock.advance(days=3)  # type: ignore[attr-defined]
    await cast.carla.says("/testimony", *story("Waiting"))

    approved = await export(cast, tmp_path, "format:csv")
    everything = await export(cast, tmp_path, "format:csv status:all")
    recent = await export(cast, tmp_path, "format:csv status:all since:2026-06-03")

    assert ("Early" in approved, "Waiting" in approved) == (True, False)
    assert ("Early" in everything, "Waiting" in everything) == (True, True)
    assert ("Early" in recent, "Waiting" in recent) == (False, True)
    assert "“since” is a date like 2026-06-01." in await cast.mona.says(
        "/testimonies export since:yesterday"
    )


async def test_markdown_and_the_book_show_hostile_text_as_typed(cast: Cast, tmp_path: Path) -> None:
    await approve(
        cast, "# Heading? [x](javascript:alert(1))", HOSTILE_STORY, "legal", "", "anonymous"
    )

    markdown = await export(cast, tmp_path, "format:md")
    book = await export(cast, tmp_path, "format:html")

    assert "### \\# Heading? \\[x\\](javascript:alert(1))" in markdown
    assert "> \\# Not a heading \\<script\\>alert(1)\\</script\\>" in markdown
    assert "> \\-2+3 and \\@SUM" not in markdown  # `@` is plain text in Markdown
    assert "> \\-2+3 and @SUM(A1)" in markdown
    assert "— Anonymous member · `T-" in markdown
    assert " · 2026-06-01\n" in markdown
    assert '<time datetime="2026-06-01T12:00:00Z">2026-06-01</time>' in book
    assert "## Legal matters (1)" in markdown
    assert "<script>" not in book
    assert html.escape("<script>alert(1)</script>") in book
    assert '<div class="text" dir="auto">' in book
    assert "default-src 'none'" in book
    assert '<section class="chapter"><h2>Legal matters</h2>' in book


async def test_an_export_too_large_for_chat_points_to_the_cli(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cogs.testimonies.moderation.CHAT_FILE_LIMIT", 200)
    await approve(cast, *story())

    answer = await cast.mona.says("/testimonies export format:html")

    assert "too big to send in chat" in answer
    assert "chorus export testimonies --format … --out FILE" in answer


async def test_members_cannot_export(cast: Cast) -> None:
    answer = await cast.bob.says("/testimonies export")

    assert "Only the campaign's moderators and organisers can do that." in answer
