"""/signatures for anyone: the total, its trend, the next milestone, and a chart."""

from __future__ import annotations

import io
import re
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from bot.core.actors import Platform
from cogs.petitions.chart import ChartText, Mark, render_chart
from cogs.petitions.trend import Point, Reading, change_over, eta, rate_per_second, series
from tests.cogs.petitions.conftest import Meet, start_campaign
from tests.dialogue import group, person
from tests.fakes import FakeClock


def check_png(data: bytes) -> Image.Image:
    """A real PNG of 1000 × 500 pixels with something drawn on it."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1000, 500)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None
    assert len(colours) > 50  # not blank: text, lines, fill
    return image


async def test_anyone_sees_the_count_its_trend_and_a_chart(
    meet: Meet, clock: FakeClock, tmp_path: Path
) -> None:
    alice = await start_campaign(meet)
    for day, count in enumerate((400, 700, 950, 1_200, 1_500, 1_800, 2_050, 2_300)):
        await alice.says(f"/signatures set {count}")
        if day < 7:
            clock.advance(days=1)
    member = meet(person(Platform.TELEGRAM, "5"), group(Platform.TELEGRAM, "-1001"))

    shown = await member.says("/signatures")

    assert "Petition of Keep 4o" in shown
    assert "Signatures: 2,300" in shown
    assert "Last 24 hours: +250" in shown
    assert "Last 7 days: +1,900" in shown
    # About 271 a day over the week: 2,500 comes in under a day.
    assert re.search(r"Next milestone: 2,500, expected around .* 2026", shown), shown
    saved = re.search(r"File saved: (\S+)", shown)
    assert saved, shown
    check_png(Path(saved.group(1)).read_bytes())  # noqa: ASYNC240 - a test reading its file


async def test_without_enough_history_the_estimate_says_so(meet: Meet) -> None:
    alice = await start_campaign(meet)
    assert "There is no count yet." in await alice.says("/signatures")

    await alice.says("/signatures set 300")
    shown = await alice.says("/signatures")

    assert "Last 24 hours: not enough data yet" in shown
    assert "Next milestone: 1,000 (not enough data yet to say when)" in shown


async def test_several_petitions_can_be_shown_apart(meet: Meet) -> None:
    alice = await start_campaign(meet)
    await alice.says("/signatures source add kind:manual name:paper")
    await alice.says("/signatures source add kind:manual name:online")
    await alice.says("/signatures set 300 source:paper")
    await alice.says("/signatures set 500 source:online")

    assert "Signatures: 800" in await alice.says("/signatures")
    assert (
        "each petition is now shown apart"
        in (await alice.says("/signatures display apart")).lower()
    )
    shown = await alice.says("/signatures")
    assert "paper: 300" in shown
    assert "online: 500" in shown


def test_the_chart_marks_milestones_and_is_readable_on_any_theme() -> None:
    end = datetime(2026, 6, 30, tzinfo=UTC)
    start = end - timedelta(days=30)
    points = [Point(start + timedelta(hours=12 * i), 500 + 40 * i) for i in range(60)]
    text = ChartText(
        "Keep 4o", "Not enough data yet", lambda v: f"{v:,.0f}", lambda d: d.strftime("%d %b")
    )

    data = render_chart(points, [Mark(1_000, start + timedelta(days=6))], start, end, text, 5_000)
    image = check_png(data)
    empty = check_png(render_chart([], [], start, end, text))

    card = image.getpixel((985, 250))
    assert isinstance(card, tuple)
    assert min(card) > 200  # a light card under the chart
    rgba = Image.open(io.BytesIO(data)).convert("RGBA")
    assert rgba.getpixel((1, 1))[3] == 0  # type: ignore[index]  # a rounded, see-through corner
    assert rgba.getpixel((985, 250))[3] == 255  # type: ignore[index]  # an opaque card
    assert empty.getpixel((985, 250)) == card


def test_the_trend_over_a_day_a_week_and_the_rate() -> None:
    now = datetime(2026, 6, 10, tzinfo=UTC)
    readings = [
        Reading(1, 100, now - timedelta(days=8)),
        Reading(2, 50, now - timedelta(days=8)),
        Reading(1, 400, now - timedelta(days=1)),
        Reading(1, 500, now),
    ]
    points = series({}, readings)

    assert [p.total for p in points] == [150, 450, 550]
    assert change_over(points, now, timedelta(days=1)) == 100
    assert change_over(points, now, timedelta(days=7)) == 400
    assert change_over(points, now, timedelta(days=30)) is None
    rate = rate_per_second(points, now)
    assert round(rate * 86_400) == 400 // 7
    assert eta(550, 1_000, rate, now) == now + timedelta(seconds=450 / rate)
    assert eta(550, 1_000, 0.0, now) is None


def test_chart_days_count_from_matplotlibs_epoch() -> None:
    # The chart converts instants to matplotlib day numbers by arithmetic from this epoch.
    from matplotlib.dates import date2num

    from cogs.petitions.chart import UNIX_EPOCH

    assert date2num(UNIX_EPOCH) == 0  # type: ignore[no-untyped-call]


async def test_signatures_and_the_digest_give_the_same_estimate(
    meet: Meet, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    for count in (400, 700, 950, 1_200, 1_500, 1_800, 2_050, 2_300):
        await alice.says(f"/signatures set {count}")
        clock.advance(days=1)
    clock.advance(hours=-12)  # half a day after the last reading: the week starts mid-day

    shown = await alice.says("/signatures")
    digest = await alice.says("/digest preview")

    ours = re.search(r"Next milestone: 2,500, expected around (.+)", shown)
    theirs = re.search(r"Next milestone: 2,500, 200 to go, expected around (.+)", digest)
    assert ours, shown
    assert theirs, digest
    assert ours.group(1).strip() == theirs.group(1).strip()
