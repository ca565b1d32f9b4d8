"""Markdown for a press pack or a "letters" document, grouped by how the product helped.

Member text is escaped so that it reads as typed in any CommonMark or GitHub renderer: no
heading, list, link, image, HTML tag or entity can come out of a story.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator

from bot.core.richtext import msg
from cogs.testimonies.exports.rows import ExportMeta, ExportRow

ROWS_PER_CHUNK = 64
# Backslash-escapable punctuation that starts markup anywhere in a line (CommonMark §2.4).
_INLINE = re.compile(r"([\\`*_\[\]<>#|~&!])")
# What starts a block only at the start of a line: lists, setext underlines, quotes.
_LIST_OR_RULE = re.compile(r"^([ \t]*)([-+=])", re.MULTILINE)
_ORDERED = re.compile(r"^([ \t]*\d+)([.)])", re.MULTILINE)


def escape(text: str) -> str:
    """`# h` → `\\# h`; `[x](javascript:…)` → `\\[x\\](javascript:…)`: shown, not rendered."""
    text = _INLINE.sub(r"\\\1", text)
    text = _LIST_OR_RULE.sub(r"\1\\\2", text)
    return _ORDERED.sub(r"\1\\\2", text)


def _quote(story: str) -> str:
    lines = [escape(line) if line.strip() else "" for line in story.split("\n")]
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def _entry(row: ExportRow, meta: ExportMeta) -> str:
    name = escape(row.name) if row.name else meta.text(msg("testimony.anonymous"))
    details = [name, f"`{row.reference}`", row.submitted_at[:10]]
    if row.featured:
        details.append(meta.text(msg("testimony.status.featured")))
    elif meta.status != "approved":
        details.append(meta.text(msg(f"testimony.status.{row.status}")))
    if meta.identities and row.author:
        details.append(f"`{row.author}`")
    return f"### {escape(row.title)}\n\n{_quote(row.story)}\n\n— {' · '.join(details)}\n\n"


async def write_markdown(
    rows: AsyncIterator[list[ExportRow]], meta: ExportMeta
) -> AsyncGenerator[str, None]:
    """The Markdown text, chunk by chunk."""
    notice = (
        "testimonies.export.identities_notice"
        if meta.identities
        else "testimonies.export.anonymised_notice"
    )
    heading = meta.text(msg("testimonies.book.title", campaign=meta.campaign))
    summary = meta.text(
        msg(
            "testimonies.book.summary",
            count=meta.total,
            date=meta.generated_at.strftime("%Y-%m-%d"),
        )
    )
    chunk = [f"# {escape(heading)}\n\n_{escape(summary)}_\n\n> {meta.text(msg(notice))}\n\n"]
    current: str | None = None
    async for batch in rows:
        for row in batch:
            if row.category != current:
                current = row.category
                label = meta.text(msg(f"testimony.category.{row.category}"))
                chunk.append(f"## {escape(label)} ({meta.counts.get(row.category, 0)})\n\n")
            chunk.append(_entry(row, meta))
            if len(chunk) >= ROWS_PER_CHUNK:
                yield "".join(chunk)
                chunk = []
    yield "".join(chunk)
