"""What a story must be to be stored, checked field by field while the form is answered.

The same rules run as each field of the form is answered (so a refusal asks that field again
and keeps the rest, on every platform) and once more when the submission is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from bot.core.commands import FormInput
from bot.core.errors import FieldRefused
from bot.core.richtext import Msg, msg

# A story needs some words of its own: a bare link, a row of emoji or punctuation is refused.
MIN_LETTERS = 12
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True, slots=True)
class Labels:
    """The form's field labels, so that a refusal names the field as the form shows it."""

    title: Msg
    story: Msg
    category: Msg
    display_name: Msg


def tidy(text: str, *, multiline: bool) -> str:
    """Whitespace a story keeps: single spaces, at most one blank line, no lone surrogates."""
    text = _SURROGATE.sub("\ufffd", text)
    if not multiline:
        return _SPACES.sub(" ", text).strip()
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


@dataclass(frozen=True, slots=True)
class StoryChecks:
    """Each field's own rule, as a form field `check` (it refuses with `FieldRefused`)."""

    labels: Labels

    def title(self, value: str, _around: FormInput | None = None) -> None:
        """A title has words, and no link."""
        title = tidy(value, multiline=False)
        if _LINK.search(title):
            raise FieldRefused(msg("testimony.no_links", field=self.labels.title), "title")
        if not any(ch.isalnum() for ch in title):
            raise FieldRefused(msg("testimony.needs_words", field=self.labels.title), "title")

    def story(self, value: str, _around: FormInput | None = None) -> None:
        """A story tells something in words of its own: a few letters besides any link."""
        story = tidy(value, multiline=True)
        if not _has_letters(_LINK.sub("", story), MIN_LETTERS):
            key = "testimony.only_link" if _LINK.search(story) else "testimony.needs_words"
            raise FieldRefused(msg(key, field=self.labels.story), "story")

    def display_name(self, value: str, _around: FormInput | None = None) -> None:
        """A name to sign with carries no link."""
        if _LINK.search(tidy(value, multiline=False)):
            label = self.labels.display_name
            raise FieldRefused(msg("testimony.no_links", field=label), "display_name")


def _has_letters(text: str, count: int) -> bool:
    """Whether `text` holds at least `count` letters (it stops looking once it has them)."""
    return len(list(islice(filter(str.isalpha, text), count))) == count
