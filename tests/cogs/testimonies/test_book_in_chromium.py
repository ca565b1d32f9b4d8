"""The printable book opened in a real browser: headless Chromium takes a screenshot and
prints it to PDF. Needs Debian's `chromium` (and `fonts-noto-color-emoji` for emoji in
colour), installed by `.ci/run`; without them these tests are skipped locally, failed in CI.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.core.i18n import Catalogues
from cogs.testimonies import ExportRequest, ExportService, Pseudonyms
from cogs.testimonies.exports import ExportFormat
from storage.database import Database
from storage.repositories.testimonies import NewTestimony
from tests.cogs.testimonies.png import Image, decode, size_of
from tests.external import unavailable
from tests.fakes import FakeClock

WIDTH, HEIGHT = 1200, 1600
RIGHT_TO_LEFT = "זה עזר לי לנצח בתיק ✨\n\nشكراً 🙏"
LONG_LINK = "Everything is here: https://example.com/" + "a" * 400 + " and it wraps."
LONG_STORY = ("It helped me prepare every page of my case for the hearing. " * 30 + "\n\n") * 8


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        unavailable("The book tests need Chromium: apt-get install -y chromium")
    listing = shutil.which("fc-list")
    fonts = (
        subprocess.run([listing], capture_output=True, text=True, check=False) if listing else None
    )
    if fonts is None or "Noto Color Emoji" not in fonts.stdout:
        unavailable("The book tests need an emoji font: apt-get install -y fonts-noto-color-emoji")
    return found


def run_chromium(binary: str, profile: Path, *arguments: str) -> None:
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *arguments,
    ]
    done = subprocess.run(command, capture_output=True, timeout=50, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]


async def write_book(db: Database, path: Path) -> None:
    """A campaign with a right-to-left story, a long link, and a story of many pages."""
    clock = FakeClock()
    async with db.transaction() as tx:
        campaign = await tx.campaigns.create(
            name="Keep 4o 🌍",
            hashtag="",
            timezone="UTC",
            locale="en",
            created_by="telegram:1",
            now=clock.now(),
        )
        stories = [
            ("study", "أطروحتي 📚", RIGHT_TO_LEFT, "سارة"),
            ("study", "A long link", LONG_LINK, ""),
            ("legal", "My court case", LONG_STORY, "Bob"),
        ]
        for number, (category, title, text, name) in enumerate(stories):
            new = NewTestimony(
                campaign.id, None, f"telegram:{number}", name, title, text, category, "named", "en"
            )
            added = await tx.testimonies.add_batch([(new, f"T-BK{number}A", clock.now())])
            await tx.testimonies.change_status(
                added[f"T-BK{number}A"].id,
                expected=("pending",),
                status="approved",
                now=clock.now(),
            )
    service = ExportService(db, clock, Pseudonyms("secret"), Catalogues.load())
    request = ExportRequest(campaign.id, ExportFormat.HTML, "approved", None, False, "test")
    await service.to_file(await service.prepare(request), path)


def is_ink(pixel: tuple[int, int, int]) -> bool:
    return sum(pixel) < 3 * 110


def is_colour(pixel: tuple[int, int, int]) -> bool:
    return max(pixel) - min(pixel) > 80


def rows_with(image: Image, test: object, top: int, bottom: int, left: int = 0) -> list[int]:
    assert callable(test)
    return [
        y
        for y in range(top, bottom)
        if any(test(image.pixel(x, y)) for x in range(left, image.width - 20, 2))
    ]


async def test_the_cover_and_a_right_to_left_story_with_emoji_render(
    sqlite_db: Database, tmp_path: Path
) -> None:
    binary = chromium()
    book, shot = tmp_path / "book.html", tmp_path / "book.png"
    await write_book(sqlite_db, book)

    run_chromium(
        binary,
        tmp_path / "profile",
        f"--screenshot={shot}",
        f"--window-size={WIDTH},{HEIGHT}",
        book.as_uri(),
    )

    data = shot.read_bytes()
    assert size_of(data) == (WIDTH, HEIGHT)
    assert len(data) > 20_000
    image = decode(data)
    colours = {image.pixel(x, y) for y in range(0, HEIGHT, 7) for x in range(0, WIDTH, 7)}
    assert len(colours) > 50, "a blank or single-colour page"
    # The cover: its title (with a globe emoji in colour) in the upper part of the page.
    cover = rows_with(image, is_ink, 0, HEIGHT // 2)
    assert cover, "no text on the cover"
    assert rows_with(image, is_colour, 0, cover[-1]), "the cover's emoji did not render"
    # Below the cover, the first chapter: some lines start right of the middle of the page
    # (the Hebrew and Arabic paragraphs, aligned right), and emoji show in colour.
    chapter = [y for y in rows_with(image, is_ink, cover[-1] + 40, HEIGHT)]
    assert chapter, "no chapter below the cover"
    starts = {
        y: next(x for x in range(0, WIDTH - 20) if is_ink(image.pixel(x, y))) for y in chapter
    }
    body_left = min(starts.values())
    assert any(x > WIDTH // 2 for x in starts.values()), "no right-to-left line aligned right"
    assert rows_with(image, is_colour, chapter[0], HEIGHT), "the story's emoji did not render"
    # The long link wraps inside its story: nothing spills into the right margin.
    right_margin = WIDTH - body_left + 40
    assert not [
        y
        for y in chapter
        if any(is_ink(image.pixel(x, y)) for x in range(right_margin, WIDTH - 20))
    ]


async def test_the_book_prints_to_a_pdf_of_several_pages(
    sqlite_db: Database, tmp_path: Path
) -> None:
    binary = chromium()
    book, pdf = tmp_path / "book.html", tmp_path / "book.pdf"
    await write_book(sqlite_db, book)

    run_chromium(
        binary,
        tmp_path / "profile",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf}",
        book.as_uri(),
    )

    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    # The cover, a page per chapter (each starts a page), and the long story's pages.
    assert pages >= 5, pages
    assert len(data) > 20_000


@pytest.mark.parametrize("width", [390])
async def test_the_book_reads_on_a_phone_without_sideways_scrolling(
    sqlite_db: Database, tmp_path: Path, width: int
) -> None:
    binary = chromium()
    book, shot = tmp_path / "book.html", tmp_path / "phone.png"
    await write_book(sqlite_db, book)

    run_chromium(
        binary,
        tmp_path / "profile",
        f"--screenshot={shot}",
        f"--window-size={width},800",
        book.as_uri(),
    )

    image = decode(shot.read_bytes())
    # A horizontal scrollbar would be a band of grey at the bottom: the page fits instead.
    bottom = [image.pixel(x, image.height - 6) for x in range(0, width - 20, 3)]
    assert len(set(bottom)) == 1
