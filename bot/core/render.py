"""Turning rich text into one platform's markup, with escaping and safe splitting.

An adapter subclasses `MarkupRenderer` with its escaping and markup; walking the tree,
resolving catalogue messages and splitting long output are shared here.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.core.i18n import Translator
from bot.core.richtext import (
    Block,
    Bold,
    Bullets,
    Code,
    Inline,
    Italic,
    Link,
    Mention,
    Moment,
    Msg,
    Num,
    Para,
    Quote,
    Text,
)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
SAFE_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class MarkupRenderer(ABC):
    """Renders documents for one platform. Subclasses supply escaping and markup."""

    block_separator = "\n"

    def __init__(self, translator: Translator) -> None:
        self.translator = translator

    # --- platform markup -------------------------------------------------------------
    @abstractmethod
    def escape(self, text: str) -> str:
        """Make user text inert in this platform's markup."""

    def bold(self, inner: str) -> str:
        return inner

    def italic(self, inner: str) -> str:
        return inner

    def code(self, text: str) -> str:
        return self.escape(text)

    def link(self, url: str, inner: str) -> str:
        return f"{inner} ({self.escape(url)})"

    def quote(self, inner: str) -> str:
        return "> " + inner

    def bullet(self, inner: str) -> str:
        return "• " + inner

    def moment(self, node: Moment) -> str:
        """The instant in the node's zone, in the reader's language, with the zone named."""
        local = node.at.astimezone(ZoneInfo(node.tz))
        when = format_datetime(local, "EEE d MMM y HH:mm", locale=self.translator.locale)
        return self.escape(f"{when} ({node.tz})")

    def mention(self, node: Mention) -> str:
        """A user mention; by default (and for a user of another platform) just their name."""
        return self.escape(node.fallback_name)

    # --- the walk ----------------------------------------------------------------------
    def render(self, document: Sequence[Block]) -> str:
        return self.block_separator.join(self.block(block) for block in document)

    def block(self, block: Block) -> str:
        match block:
            case Para(children):
                return self.inlines(children)
            case Quote(children):
                return self.quote(self.inlines(children))
            case Bullets(items):
                return "\n".join(self.bullet(self.inlines(item)) for item in items)

    def inlines(self, nodes: Sequence[Inline]) -> str:
        return "".join(self.inline(node) for node in nodes)

    def inline(self, node: Inline) -> str:
        match node:
            case Text(value):
                return self.escape(value)
            case Num(value):
                return self.escape(self.translator.number(value))
            case Msg():
                return self.message(node)
            case Bold(children):
                return self.bold(self.inlines(children))
            case Italic(children):
                return self.italic(self.inlines(children))
            case Code(value):
                return self.code(value)
            case Link(url, children):
                inner = self.inlines(children)
                return self.link(url, inner) if SAFE_URL.match(url) else inner
            case Moment():
                return self.moment(node)
            case Mention():
                return self.mention(node)

    def message(self, node: Msg) -> str:
        """The translated template with its placeholders replaced by rendered arguments."""
        template = self.translator.template(node.key)
        parts: list[str] = []
        position = 0
        for match in _PLACEHOLDER.finditer(template):
            parts.append(self.escape(template[position : match.start()]))
            argument = node.args.get(match.group(1))
            parts.append(self.inline(argument) if argument is not None else match.group(0))
            position = match.end()
        parts.append(self.escape(template[position:]))
        return "".join(parts)

    # --- splitting -------------------------------------------------------------------
    def render_pages(
        self, document: Sequence[Block], limit: int, measure: Callable[[str], int] = len
    ) -> list[str]:
        """Render and cut into pages of at most `limit`, only between self-contained pieces.

        Pieces are whole blocks when they fit, else inline nodes, else words of user text,
        each rendered on its own; so a page never ends inside a tag, an entity or a
        surrogate pair.
        """
        pages: list[str] = []
        current = ""
        for index, block in enumerate(document):
            separator = self.block_separator if index else ""
            rendered = self.block(block)
            if measure(current + separator + rendered) <= limit:
                current += separator + rendered
                continue
            if current:
                pages.append(current)
                current = ""
            for piece in self._pieces_of_block(block, limit, measure):
                if measure(current + piece) <= limit:
                    current += piece
                else:
                    if current:
                        pages.append(current)
                    current = piece
        if current or not pages:
            pages.append(current)
        return pages

    def _pieces_of_block(
        self, block: Block, limit: int, measure: Callable[[str], int]
    ) -> list[str]:
        rendered = self.block(block)
        if measure(rendered) <= limit:
            return [rendered]
        match block:
            case Para(children) | Quote(children):
                return [p for child in children for p in self._pieces(child, limit, measure)]
            case Bullets(items):
                return [
                    p
                    for item in items
                    for p in [*self._pieces_of_block(Para(item), limit, measure), "\n"]
                ]

    def _pieces(self, node: Inline, limit: int, measure: Callable[[str], int]) -> list[str]:
        rendered = self.inline(node)
        if measure(rendered) <= limit:
            return [rendered]
        match node:
            case Text(value):
                return [self.escape(word) for word in _split_words(value, limit // 2, measure)]
            case Bold(children):
                return [self.bold(p) for c in children for p in self._pieces(c, limit, measure)]
            case Italic(children):
                return [self.italic(p) for c in children for p in self._pieces(c, limit, measure)]
            case Msg(args=args):
                return [p for arg in args.values() for p in self._pieces(arg, limit, measure)]
            case _:
                return [self.escape(word) for word in _split_words(rendered, limit // 2, measure)]


def _split_words(text: str, budget: int, measure: Callable[[str], int]) -> list[str]:
    """Cut raw text into runs of at most `budget` units, preferring whitespace."""
    budget = max(budget, 1)
    runs: list[str] = []
    current = ""
    for word in re.split(r"(\s+)", text):
        if measure(current + word) <= budget:
            current += word
            continue
        if current:
            runs.append(current)
            current = ""
        while measure(word) > budget:
            cut = _longest_prefix(word, budget, measure)
            runs.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        runs.append(current)
    return runs


def _longest_prefix(word: str, budget: int, measure: Callable[[str], int]) -> int:
    cut = min(len(word), budget)
    while cut > 1 and measure(word[:cut]) > budget:
        cut -= 1
    return max(cut, 1)


class PlainRenderer(MarkupRenderer):
    """Plain text with no markup: the console, logs and previews."""

    def escape(self, text: str) -> str:
        return text
