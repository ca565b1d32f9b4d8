"""An HTML source's regular expression, read with RE2: linear time whatever the pattern or page.

Organisers type these patterns in a chat. Python's `re` backtracks: `(\\d+)+x` on a page of
forty digits runs for ages, and it holds the GIL while it does, so no thread can save the
process. RE2 (the `google-re2` package) never backtracks: matching takes time linear in the
page, and it lets go of the GIL while it runs. What it gives up is look-arounds and
back-references, which a count never needs.

A pattern is checked when it is saved and again before each read (one saved by an older
Chorus may not be RE2): at most `MAX_PATTERN_LENGTH` characters, RE2 syntax, exactly one
group. Python's own spellings of a few things are translated so that patterns written for
it keep working: `\\uXXXX` and `\\UXXXXXXXX` become `\\x{…}`, and `\\Z` becomes `\\z`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import re2

from bot.core.richtext import msg
from cogs.petitions.source_errors import SourceError

MAX_PATTERN_LENGTH = 500
# How much of RE2's error text reaches a chat.
_MAX_ERROR = 120


@dataclass(frozen=True, slots=True)
class CountPattern:
    """A checked pattern: RE2, exactly one group."""

    text: str
    compiled: Any  # re2's pattern object (the package ships no type information)


def check_pattern(pattern: str) -> CountPattern:
    """`pattern` compiled by RE2, or a `SourceError` naming what is wrong with it."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise SourceError(
            msg("petitions.error.pattern_too_long", max=MAX_PATTERN_LENGTH, length=len(pattern))
        )
    options = re2.Options()
    options.log_errors = False  # the reason goes to the organiser, not to stderr
    try:
        compiled = re2.compile(to_re2(pattern), options)
    except re2.error as error:
        raise SourceError(msg("petitions.error.pattern_invalid", error=_reason(error))) from None
    if compiled.groups != 1:
        raise SourceError(msg("petitions.error.pattern_groups", groups=compiled.groups))
    return CountPattern(pattern, compiled)


def first_group(pattern: CountPattern, text: str) -> str | None:
    """What the group caught at the first match in `text`, if anything matched.

    Time linear in `text`; RE2 lets go of the GIL meanwhile, so call it in a worker thread
    and the event loop goes on.
    """
    match = pattern.compiled.search(text)
    if match is None:
        return None
    group = match.group(1)
    return group if isinstance(group, str) else None


def to_re2(pattern: str) -> str:
    """Python spellings RE2 lacks, rewritten: `\\uXXXX`, `\\UXXXXXXXX` and `\\Z`."""
    out: list[str] = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char != "\\" or position + 1 == len(pattern):
            out.append(char)
            position += 1
            continue
        escaped = pattern[position + 1]
        width = {"u": 4, "U": 8}.get(escaped, 0)
        digits = pattern[position + 2 : position + 2 + width]
        if width and len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
            out.append("\\x{" + digits + "}")
            position += 2 + width
        elif escaped == "Z":
            out.append("\\z")
            position += 2
        else:
            out.append(char + escaped)  # any other escape, `\\` included, as written
            position += 2
    return "".join(out)


def _reason(error: Exception) -> str:
    reason = error.args[0] if error.args else ""
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", errors="replace")
    text = str(reason)
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"
