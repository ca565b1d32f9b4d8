"""The 30-day signature chart as PNG bytes: matplotlib's Agg canvas, no pyplot, no globals.

Readable in Discord's and Telegram's dark and light themes alike: the chart sits on its own
light card (near-white, a grey rounded border, transparent corners), so dark text and the
mid-tone colours keep their contrast whatever is around the image; one picture for every
theme rather than a guess about the reader's. 1000 × 500 pixels: wide enough for 30 days,
small enough to show inline without opening.

Each render builds a fresh `Figure`, and drops every reference to it on the way out, so
nothing accumulates between charts (`benchmarks/milestones.py` checks the memory).
matplotlib is not thread-safe: every chart of the process is drawn through the one
`ChartPainter` the composition root makes, one at a time, off the event loop.

Days are labelled at midnight in the reader's zone (the place's), not in UTC.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, ParamSpec
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

from cogs.petitions.trend import Point, thin

WIDTH_PX, HEIGHT_PX, DPI = 1000, 500, 100
CARD = "#F6F7F9"
BORDER = "#C4C9D1"
INK = "#1F2328"
MUTED = "#5B6470"
GRID = "#D8DCE2"
LINE = "#2F6BD8"  # mid blue: visible on the card, and not lost if the card were not there
MILESTONE = "#D9731A"  # orange, far from the blue for colour-blind readers
TARGET = "#8A93A0"
MAX_POINTS = 400
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # day 0 of matplotlib's dates (its default epoch)
# A milestone's label is written to the left of its dot past this share of the width, so
# that a recent milestone's number is never cut at the right edge ("2,50" for 2,500).
LABEL_FLIP = 0.8

P = ParamSpec("P")


class ChartPainter:
    """Draws charts one at a time, in a worker thread. There is one per process, made by
    the composition root and handed to every feature that draws."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    async def paint(self, draw: Callable[P, bytes], *args: P.args, **kwargs: P.kwargs) -> bytes:
        """`draw(*args, **kwargs)` off the event loop, once no other chart is being drawn."""
        async with self._lock:
            return await asyncio.to_thread(draw, *args, **kwargs)


@dataclass(frozen=True, slots=True)
class ChartText:
    """What the chart says, already in the reader's language."""

    title: str
    empty: str
    number: Callable[[float], str]
    day: Callable[[datetime], str]


@dataclass(frozen=True, slots=True)
class Mark:
    """A milestone to mark: its threshold, and when it was reached."""

    threshold: int
    at: datetime


def render_chart(
    points: Sequence[Point],
    marks: Sequence[Mark],
    start: datetime,
    end: datetime,
    text: ChartText,
    next_target: int | None = None,
    zone: str = "UTC",
) -> bytes:
    """The chart of `points` from `start` to `end`, with `marks`, as PNG bytes; days are
    labelled in `zone` (an IANA name)."""
    _big_buffers_from_mmap()
    figure = build_figure(points, marks, start, end, text, next_target, zone)
    buffer = io.BytesIO()
    # The lightest zlib level: much faster than the default, for a file a little larger.
    figure.savefig(
        buffer, format="png", dpi=DPI, facecolor="none", pil_kwargs={"compress_level": 1}
    )
    figure.clear()
    return buffer.getvalue()


def build_figure(
    points: Sequence[Point],
    marks: Sequence[Mark],
    start: datetime,
    end: datetime,
    text: ChartText,
    next_target: int | None = None,
    zone: str = "UTC",
) -> Figure:
    """The chart as a matplotlib figure on an Agg canvas (`render_chart` saves it)."""
    # matplotlib (with numpy and Pillow) costs ~45 MB and ~0.7 s to import: only when drawing.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    tz = ZoneInfo(zone)
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.patch.set_alpha(0.0)
    figure.patches.append(
        FancyBboxPatch(
            (0.004, 0.008),
            0.992,
            0.984,
            boxstyle="round,pad=0,rounding_size=0.02",
            transform=figure.transFigure,
            facecolor=CARD,
            edgecolor=BORDER,
            linewidth=1.5,
            zorder=-10,  # under the axes
            figure=figure,
        )
    )
    figure.text(0.04, 0.9, text.title, color=INK, fontsize=17, fontweight="bold")
    axes = figure.add_axes((0.09, 0.12, 0.87, 0.7))
    axes.set_facecolor("none")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(BORDER)
    axes.tick_params(colors=MUTED, labelsize=11)
    axes.grid(True, color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    axes.set_xlim(float(_num(start)), float(_num(end)))
    locator = AutoDateLocator(minticks=4, maxticks=8, tz=tz)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: text.day(_date(x, tz))))
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: text.number(y)))
    if not points:
        axes.set_ylim(0, 1)
        axes.set_yticks([])
        axes.text(0.5, 0.5, text.empty, transform=axes.transAxes, ha="center", color=MUTED)
    else:
        # 400 steps are more than 1000 pixels show apart; 30 days of 5-minute polls are 8640.
        _draw(axes, thin(points, MAX_POINTS), marks, start, end, text, next_target)
    return figure


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


@functools.cache
def _mallopt() -> Callable[[int, int], int] | None:
    try:
        found: Callable[[int, int], int] = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return None  # not glibc: nothing to tune
    return found


def _big_buffers_from_mmap() -> None:
    """Keep a render's multi-megabyte buffers (pixels, PNG) out of the malloc heap.

    glibc raises its mmap threshold each time such a buffer is freed, after which they are
    carved from the heap, which fragments and never shrinks: the process grew ~35 MB over
    its first fifty charts. A fixed threshold (128 KiB, the default starting point) keeps
    them in mmap, returned whole on free. Idempotent and cheap; a no-op off glibc.
    """
    mallopt = _mallopt()
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, 128 * 1024)


def _num(moment: datetime) -> float:
    """matplotlib's day number of `moment` (by arithmetic: date2num per point is slow)."""
    return (moment - UNIX_EPOCH).total_seconds() / 86_400


def _date(number: float, tz: tzinfo) -> datetime:
    """The instant of a day number, in `tz` (so its `.date()` is the local day)."""
    from matplotlib.dates import num2date

    found: datetime = num2date(number, tz=tz)  # type: ignore[no-untyped-call]
    return found


def _draw(
    axes: Axes,
    points: Sequence[Point],
    marks: Sequence[Mark],
    start: datetime,
    end: datetime,
    text: ChartText,
    next_target: int | None,
) -> None:
    xs = [float(_num(p.at)) for p in points] + [float(_num(end))]
    ys = [p.total for p in points] + [points[-1].total]
    axes.step(xs, ys, where="post", color=LINE, linewidth=2.4)
    axes.fill_between(xs, ys, step="post", color=LINE, alpha=0.12, linewidth=0)
    low, high = min(ys), max(ys)
    top = high
    if next_target is not None and next_target <= high + max(high - low, high * 0.1, 1):
        axes.axhline(next_target, color=TARGET, linestyle=":", linewidth=1.5)
        top = next_target
    left, width = float(_num(start)), float(_num(end)) - float(_num(start))
    for mark in marks:
        x = max(float(_num(mark.at)), xs[0])
        axes.axhline(mark.threshold, color=MILESTONE, linestyle="--", linewidth=1.4, alpha=0.8)
        axes.plot([x], [mark.threshold], marker="o", markersize=8, color=MILESTONE)
        flip = width > 0 and (x - left) / width > LABEL_FLIP
        axes.annotate(
            text.number(mark.threshold),
            (x, mark.threshold),
            xytext=(-6 if flip else 6, 6),
            horizontalalignment="right" if flip else "left",
            textcoords="offset points",
            color=MILESTONE,
            fontsize=11,
            fontweight="bold",
        )
        low = min(low, mark.threshold)
    margin = max((top - low) * 0.12, 1)
    axes.set_ylim(max(0.0, low - margin), top + margin)
