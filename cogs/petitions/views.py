"""How the petitions cog shows things: the overview, sources, milestones, and the chart's words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from babel.dates import format_date

from bot.core.i18n import Translator
from bot.core.render import PlainRenderer
from bot.core.richtext import (
    Block,
    Bullets,
    Code,
    Inline,
    Link,
    Moment,
    Msg,
    Para,
    Text,
    bold,
    msg,
)
from cogs.petitions.announce import error_from_text
from cogs.petitions.chart import ChartText, Mark
from cogs.petitions.service import HISTORY, Overview
from storage.repositories.petitions import Milestone, Source


def signed(change: int) -> Msg:
    """A change with its sign: "+120", "−35", "no change"."""
    if change > 0:
        return msg("petitions.change.up", n=change)
    if change < 0:
        return msg("petitions.change.down", n=-change)
    return msg("petitions.change.none")


def overview_blocks(view: Overview, zone: str) -> list[Block]:
    """The text of `/signatures`."""
    blocks: list[Block] = [Para((bold(msg("petitions.show.title", name=view.campaign.name)),))]
    if view.total is None:
        blocks.append(Para((msg("petitions.show.no_count"),)))
        return blocks
    blocks.append(Para((msg("petitions.show.total", total=view.total),)))
    display = view.settings.display if view.settings else "sum"
    counted = [s for s in view.sources if s.last_count is not None]
    if display == "apart" and len(counted) > 1:
        blocks.append(
            Bullets(
                tuple(
                    (msg("petitions.show.source_line", name=s.name, count=s.last_count or 0),)
                    for s in counted
                )
            )
        )
    lines: list[tuple[Inline, ...]] = [
        (_change("petitions.show.day", view.day),),
        (_change("petitions.show.week", view.week),),
    ]
    if view.next_threshold is None:
        lines.append((msg("petitions.show.no_next"),))
    elif view.eta is None:
        lines.append((msg("petitions.show.next_unknown", threshold=view.next_threshold),))
    else:
        lines.append(
            (msg("petitions.show.next", threshold=view.next_threshold, at=Moment(view.eta, zone)),)
        )
    blocks.append(Bullets(tuple(lines)))
    link = next((s.link or (s.url if s.kind == "html" else "") for s in view.sources), "")
    if link:
        blocks.append(Para((msg("petitions.show.link", link=Link(link, (Text(link),))),)))
    return blocks


def _change(key: str, change: int | None) -> Msg:
    if change is None:
        return msg(key, change=msg("petitions.change.unknown"))
    return msg(key, change=signed(change))


def source_blocks(sources: Sequence[Source], zone: str) -> list[Block]:
    """`/signatures source`: each source's health, last reading and last error."""
    if not sources:
        return [Para((msg("petitions.source.none"),))]
    lines: list[tuple[Inline, ...]] = []
    for source in sources:
        health = msg("petitions.source.healthy" if source.healthy else "petitions.source.unhealthy")
        parts: list[Inline] = [
            msg("petitions.source.line", name=bold(source.name), kind=source.kind, health=health)
        ]
        if source.last_count is not None and source.last_reading_at is not None:
            parts.append(
                msg(
                    "petitions.source.last",
                    count=source.last_count,
                    at=Moment(source.last_reading_at, zone),
                )
            )
        error = error_from_text(source.last_error)
        if error is not None and not source.healthy:
            parts.append(msg("petitions.source.error", error=error))
        if source.url:
            parts += [Text(" "), Code(source.url)]
        lines.append(tuple(parts))
    return [Para((msg("petitions.source.title"),)), Bullets(tuple(lines))]


def milestone_blocks(
    rule_text: str, milestones: Sequence[Milestone], next_threshold: int | None, zone: str
) -> list[Block]:
    """`/milestones`: the rule, the thresholds passed (latest first), the next one."""
    blocks: list[Block] = [Para((msg("petitions.milestones.rule", rule=Code(rule_text)),))]
    passed = [m for m in reversed(milestones)][:10]
    if passed:
        blocks.append(Para((msg("petitions.milestones.passed"),)))
        blocks.append(
            Bullets(
                tuple(
                    (
                        msg(
                            "petitions.milestones.line",
                            threshold=m.threshold,
                            at=Moment(m.reached_at, zone),
                        ),
                    )
                    for m in passed
                )
            )
        )
    if next_threshold is not None:
        blocks.append(Para((msg("petitions.milestones.next", threshold=next_threshold),)))
    return blocks


def chart_text(translator: Translator, campaign_name: str) -> ChartText:
    words = PlainRenderer(translator)

    def day(moment: datetime) -> str:
        return str(format_date(moment.date(), "d MMM", locale=translator.locale))

    return ChartText(
        title=words.message(msg("petitions.chart.title", name=campaign_name, days=HISTORY.days)),
        empty=words.message(msg("petitions.chart.empty")),
        number=lambda value: translator.number(int(value)),
        day=day,
    )


def chart_marks(milestones: Sequence[Milestone], since: datetime) -> list[Mark]:
    return [Mark(m.threshold, m.reached_at) for m in milestones if m.reached_at >= since]
