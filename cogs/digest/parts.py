"""What a digest says, as rich text, and how it is shortened to fit one message. Pure.

The parts, each only when it has something to say: the signatures (total, change since the
last digest, next milestone and its estimate); the waves (the next one or two, yesterday's
result); the testimonies (how many were approved, one excerpt). When the whole does not fit
the platform's budget, `fit` tries ever shorter shapes, always in this order:

1. the excerpt is cut to 140 characters, then dropped;
2. wave titles are cut to 40 characters;
3. only the next wave is kept, and yesterday's result is dropped;
4. the testimony count is dropped, the milestone estimate too, titles are cut to 20;
5. the title and the signatures alone.

Text is only ever cut between words (or, in a single overlong word, between whole
characters, never inside an emoji sequence), and only user text is cut: markup is rebuilt
around it, so no cut falls inside a tag.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.i18n import Translator
from bot.core.outbox.compose import Budget
from bot.core.render import MarkupRenderer, utf16_length
from bot.core.richtext import Block, Bold, Bullets, Document, Inline, Moment, Para, Quote, msg
from storage.repositories.digest import Excerpt, UpcomingWave, WaveOutcome

ELLIPSIS = "…"
# Escaping never makes a character longer than this many units on any platform we know:
# Telegram's `&amp;` is the worst; Discord adds one backslash (or a zero-width space).
_ENTITY = frozenset("&<>")
_ZERO_WIDTH_JOINERS = {"\u200d", "\ufe0e", "\ufe0f"}


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything a digest may say, read from the database at send time."""

    heading: str  # the local date, written for the reader
    zone: str
    total: int | None
    change: int | None
    next_threshold: int | None
    eta: datetime | None
    approved: int
    excerpt: Excerpt | None
    upcoming: Sequence[UpcomingWave]
    yesterday: Sequence[WaveOutcome]
    news: bool  # anything happened, or a wave is close (else the quiet-day policy applies)


@dataclass(frozen=True, slots=True)
class Shape:
    """How much of each part to show."""

    excerpt: int | None = 280  # characters of the excerpt; None: no excerpt
    title: int = 80  # characters of a wave title
    waves: int = 2
    results: bool = True
    approved: bool = True
    estimate: bool = True
    parts: bool = True  # False: the title and the signatures only


SHAPES = (
    Shape(),
    Shape(excerpt=140),
    Shape(excerpt=None),
    Shape(excerpt=None, title=40),
    Shape(excerpt=None, title=40, waves=1, results=False),
    Shape(excerpt=None, title=20, waves=1, results=False, approved=False, estimate=False),
    Shape(excerpt=None, parts=False),
)


def document(facts: Facts, shape: Shape) -> Document:
    """The digest in `shape`."""
    blocks: list[Block] = [Para((Bold((msg("digest.title", date=facts.heading),)),))]
    blocks.extend(_signatures(facts, shape))
    if not shape.parts:
        return tuple(blocks)
    blocks.extend(_waves(facts, shape))
    blocks.extend(_testimonies(facts, shape))
    return tuple(blocks)


def quiet_document(facts: Facts) -> Document:
    """The one line of a day with no news."""
    if facts.total is None:
        return (Para((msg("digest.quietday", date=facts.heading),)),)
    return (Para((msg("digest.quietday_total", date=facts.heading, total=facts.total),)),)


def fit(facts: Facts, budget: int, translator: Translator) -> Document:
    """The fullest shape whose rendering fits `budget` on every platform."""
    measure = Measure(translator)
    for shape in SHAPES:
        found = document(facts, shape)
        if measure.length(found) <= budget:
            return found
    return found  # the last shape: a title and a count always fit


def budget_of(budget: Budget, with_chart: bool) -> int:
    return budget.caption if with_chart else budget.text


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut between words, with an ellipsis."""
    text = " ".join(text.split())  # one line: a quote or a bullet must not break
    if len(text) <= limit:
        return text
    room = max(limit - len(ELLIPSIS), 1)
    cut = text.rfind(" ", 0, room + 1)
    if cut < room // 2:  # one overlong word: cut between whole characters
        cut = room
        while cut > 1 and _joins_previous(text[cut]):
            cut -= 1
    return text[:cut].rstrip() + ELLIPSIS


def _joins_previous(char: str) -> bool:
    # Combining marks, emoji modifiers and joiners belong to the character before them.
    return (
        char in _ZERO_WIDTH_JOINERS
        or unicodedata.combining(char) != 0
        or "\U0001f3fb" <= char <= "\U0001f3ff"
        or "\U000e0020" <= char <= "\U000e007f"
    )


def _signatures(facts: Facts, shape: Shape) -> list[Block]:
    if facts.total is None:
        return []
    line: list[Inline] = [msg("digest.signatures.total", total=facts.total)]
    if facts.change:
        key = "digest.signatures.up" if facts.change > 0 else "digest.signatures.down"
        line.append(msg(key, change=abs(facts.change)))
    blocks: list[Block] = [Para(tuple(line))]
    if facts.next_threshold is not None:
        if shape.estimate and facts.eta is not None:
            blocks.append(
                Para(
                    (
                        msg(
                            "digest.milestone.eta",
                            threshold=facts.next_threshold,
                            left=facts.next_threshold - facts.total,
                            when=Moment(facts.eta, facts.zone),
                        ),
                    )
                )
            )
        else:
            blocks.append(
                Para(
                    (
                        msg(
                            "digest.milestone.next",
                            threshold=facts.next_threshold,
                            left=facts.next_threshold - facts.total,
                        ),
                    )
                )
            )
    return blocks


def _waves(facts: Facts, shape: Shape) -> list[Block]:
    items: list[tuple[Inline, ...]] = []
    for wave in list(facts.upcoming)[: shape.waves]:
        title = shorten(wave.title, shape.title)
        when = Moment(wave.starts_at, facts.zone)
        items.append((msg("digest.wave.next", title=title, when=when, joined=wave.joined),))
    if shape.results:
        for outcome in facts.yesterday[:1]:
            title = shorten(outcome.title, shape.title)
            items.append(
                (
                    msg(
                        "digest.wave.result",
                        title=title,
                        posted=outcome.posted,
                        joined=outcome.joined,
                    ),
                )
            )
    if not items:
        return []
    return [Para((msg("digest.waves.heading"),)), Bullets(tuple(items))]


def _testimonies(facts: Facts, shape: Shape) -> list[Block]:
    if not facts.approved or not (shape.approved or shape.excerpt):
        return []
    blocks: list[Block] = []
    if shape.approved:
        blocks.append(Para((msg("digest.testimonies.approved", count=facts.approved),)))
    excerpt = facts.excerpt
    if excerpt is not None and shape.excerpt is not None:
        name = excerpt.display_name.strip() if excerpt.consent == "named" else ""
        by = msg("digest.testimonies.by", name=name) if name else msg("digest.anonymous")
        text = shorten(f"{excerpt.title}: {excerpt.story}", shape.excerpt)
        blocks.append(Quote((msg("digest.testimonies.quote", text=text, by=by),)))
    return blocks


class Measure(MarkupRenderer):
    """An upper bound of a document's rendered length on any platform, in UTF-16 units.

    Rendered with the widest escaping and markup that Discord's and Telegram's renderers
    produce, so that a digest measured here is one message on both: a cog does not know
    which platform it speaks on. A point in time is measured as the zone-named local time,
    longer than Discord's `<t:…:F>`.
    """

    def escape(self, text: str) -> str:
        out: list[str] = []
        for char in text:
            if char in _ENTITY:
                out.append("&amp;")
            elif char.isascii() and not char.isalnum() and not char.isspace():
                out.append("\\" + char)  # Discord's backslash (punctuation, `@`)
            else:
                out.append(char)
        return "".join(out)

    def bold(self, inner: str) -> str:
        return f"<b>{inner}</b>"

    def italic(self, inner: str) -> str:
        return f"<i>{inner}</i>"

    def quote(self, inner: str) -> str:
        return f"<blockquote>{inner}</blockquote>"

    def length(self, document: Document) -> int:
        return utf16_length(self.render(document))
