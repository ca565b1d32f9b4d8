"""The chart as drawn: days in the reader's zone, milestone labels inside the picture, and
one chart at a time in the whole process."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.app import Core
from bot.core.actors import Platform
from bot.core.outbox.compose import budget_for
from cogs.petitions.chart import ChartPainter, ChartText, Mark, build_figure
from cogs.petitions.trend import Point
from storage.database import Database
from tests.cogs.digest.support import Meet, campaign
from tests.fakes import FakeClock

END = datetime(2026, 6, 30, 10, 0, tzinfo=UTC)  # 22:00 in Auckland, 03:00 in Los Angeles


def words() -> ChartText:
    return ChartText(
        "Keep 4o", "Not enough data yet", lambda v: f"{v:,.0f}", lambda d: d.strftime("%d %b")
    )


def test_days_are_labelled_at_midnight_in_the_places_zone() -> None:
    from matplotlib.dates import num2date

    start = END - timedelta(days=7)
    points = [Point(start + timedelta(hours=6 * i), 100 + 10 * i) for i in range(28)]
    for zone in ("Pacific/Auckland", "America/Los_Angeles"):
        figure = build_figure(points, [], start, END, words(), zone=zone)
        figure.canvas.draw()
        axis = figure.axes[0].xaxis
        ticks = [num2date(x).astimezone(ZoneInfo(zone)) for x in axis.get_majorticklocs()]  # type: ignore[no-untyped-call]
        labels = [label.get_text() for label in axis.get_majorticklabels()]
        assert ticks, zone
        assert all((t.hour, t.minute) == (0, 0) for t in ticks), (zone, ticks)
        assert labels == [t.strftime("%d %b") for t in ticks], (zone, labels)


def test_milestone_labels_stay_inside_the_chart() -> None:
    start = END - timedelta(days=30)
    points = [Point(start + timedelta(hours=12 * i), 1_000 + 30 * i) for i in range(60)]
    marks = [
        Mark(1_000, start + timedelta(days=1)),
        Mark(2_500, END - timedelta(hours=2)),  # reached just now: at the right edge
    ]
    figure = build_figure(points, marks, start, END, words(), next_target=5_000)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    box = figure.bbox
    labels = [t for t in figure.axes[0].texts if t.get_text() in ("1,000", "2,500")]

    assert len(labels) == 2
    for label in labels:
        extent = label.get_window_extent(renderer)
        inside = (
            box.x0 <= extent.x0,
            extent.x1 <= box.x1 - 10,
            box.y0 <= extent.y0,
            extent.y1 <= box.y1,
        )
        assert all(inside), (label.get_text(), extent)


async def test_one_chart_is_drawn_at_a_time_whoever_asks() -> None:
    painter = ChartPainter()
    first_inside, second_started, release = threading.Event(), threading.Event(), threading.Event()
    overlapped: list[bool] = []

    def first() -> bytes:
        first_inside.set()
        # A second chart drawn now would say so; with the lock held it cannot start.
        overlapped.append(second_started.wait(timeout=0.5))
        release.wait(timeout=5)
        return b"first"

    def second() -> bytes:
        second_started.set()
        return b"second"

    drawing = asyncio.create_task(painter.paint(first))
    await asyncio.to_thread(first_inside.wait, 5)
    waiting = asyncio.create_task(painter.paint(second))
    await asyncio.sleep(0)
    release.set()

    assert await drawing == b"first"
    assert await waiting == b"second"
    assert overlapped == [False]


def test_the_petitions_and_the_digest_draw_with_the_one_painter(core: Core) -> None:
    assert core.petitions.cog.painter is core.painter
    assert core.digest.composer.painter is core.painter


async def test_the_digest_chart_counts_days_in_each_places_zone(
    core: Core, db: Database, clock: FakeClock, meet: Meet
) -> None:
    world = await campaign(core, db, clock, meet)  # Tokyo on Telegram, Los Angeles on Discord
    await world.aki.says("/digest chart on")
    await world.lee.says("/digest chart on")
    await world.signatures(
        *[
            (datetime(2026, 5, 25, tzinfo=UTC) + timedelta(hours=6 * n), 1000 + 37 * n)
            for n in range(28)
        ]
    )
    clock.set(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    charts = []
    for external_id in ("-1001", "555"):
        place = await world.place(external_id)
        draft = await core.digest.composer.draft(
            place.id, "2026-06-01", budget_for(Platform.TELEGRAM), sending=False
        )
        assert draft is not None
        assert draft.reply is not None
        assert draft.reply.attachment is not None
        charts.append(draft.reply.attachment.data)

    # The same campaign, data and language: only the days, at each place's midnight, differ.
    assert charts[0] != charts[1]
