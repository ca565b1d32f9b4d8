"""A printable HTML "book": a cover with the counts, then one chapter per way it helped.

One self-contained file, no script, no outside resource (a Content-Security-Policy says so to
the browser): it opens anywhere and prints to PDF from any browser. Print CSS puts each
chapter on a new page, keeps short stories whole, lets long ones flow across pages without
losing a line, and wraps any unbroken run (a long link, emoji) instead of cutting it off.
Every piece of member text is HTML-escaped and marked `dir="auto"`, so right-to-left stories
read right to left.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from html import escape

from bot.core.richtext import Msg, msg
from cogs.testimonies.exports.rows import ExportMeta, ExportRow

ROWS_PER_CHUNK = 64
# A story shorter than this is kept on one page; a longer one may break between paragraphs.
SHORT_STORY = 1200

CSS = """
@page { size: A4; margin: 18mm 16mm 20mm; }
:root { color-scheme: light; }
* { box-sizing: border-box; }
html {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans",
    "Liberation Sans", Arial, sans-serif, "Apple Color Emoji", "Segoe UI Emoji",
    "Noto Color Emoji";
  font-size: 11.5pt; line-height: 1.55; color: #1d1d1f; background: #fff;
}
body { margin: 0 auto; max-width: 46rem; padding: 2rem 1.5rem; }
.cover { min-height: min(92vh, 60rem); display: flex; flex-direction: column;
  justify-content: center; }
.cover .kicker { text-transform: uppercase; letter-spacing: .12em; color: #6b6b76; margin: 0; }
.cover h1 { font-size: 2.6rem; line-height: 1.15; margin: .3rem 0 1rem; overflow-wrap: anywhere; }
.cover .total { font-size: 1.3rem; margin: 0 0 1.4rem; }
.counts { list-style: none; padding: 0; margin: 0 0 1.6rem; max-width: 24rem; }
.counts li { display: flex; justify-content: space-between; border-bottom: 1px solid #ddd;
  padding: .25rem 0; }
.notice { font-size: .9rem; color: #44444d; border: 1px solid #c9c9d4; padding: .6rem .8rem; }
.notice.personal { border-color: #b3261e; color: #8c1d18; font-weight: 600; }
.generated { font-size: .85rem; color: #6b6b76; }
.chapter { break-before: page; page-break-before: always; padding-top: 1rem; }
.chapter h2 { font-size: 1.7rem; border-bottom: 2px solid #1d1d1f; padding-bottom: .3rem;
  break-after: avoid; page-break-after: avoid; }
article { margin: 0 0 1.6rem; padding: .9rem 1.1rem; border-inline-start: 4px solid #c9c9d4;
  background: #f6f6f9; overflow-wrap: anywhere; word-break: normal; }
article.short { break-inside: avoid; page-break-inside: avoid; }
article.featured { border-inline-start-color: #b8860b; }
article h3 { margin: 0 0 .5rem; font-size: 1.15rem; break-after: avoid; page-break-after: avoid; }
.text p { margin: 0 0 .6em; orphans: 3; widows: 3; white-space: pre-wrap; }
.byline { margin: .4rem 0 0; font-size: .88rem; color: #55555f; }
.byline .ref { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.badge { display: inline-block; font-size: .75rem; text-transform: uppercase;
  letter-spacing: .08em; color: #7a5c00; margin-inline-end: .4rem; }
@media print {
  body { max-width: none; padding: 0; }
  .cover { min-height: 240mm; }
  article { background: none; border-inline-start-width: 2pt; }
  a { color: inherit; text-decoration: none; }
}
"""


def _text(value: str) -> str:
    return escape(value, quote=True)


def _paragraphs(story: str) -> str:
    parts = [part.strip("\n") for part in story.split("\n\n")]
    return "".join(f"<p>{_text(part)}</p>" for part in parts if part.strip())


def _cover(meta: ExportMeta) -> str:
    counts = "".join(
        f"<li><span>{_text(meta.text(msg(f'testimony.category.{name}')))}</span>"
        f"<span>{meta.counts[name]}</span></li>"
        for name in meta.ordered_categories()
    )
    notice, personal = (
        ("testimonies.export.identities_notice", " personal")
        if meta.identities
        else ("testimonies.export.anonymised_notice", "")
    )
    return (
        '<section class="cover">'
        f'<p class="kicker">{_text(meta.text(msg("testimonies.book.kicker")))}</p>'
        f'<h1 dir="auto">{_text(meta.campaign)}</h1>'
        f'<p class="total">{_text(meta.text(msg("testimonies.book.count", count=meta.total)))}'
        "</p>"
        f'<ul class="counts">{counts}</ul>'
        f'<p class="notice{personal}">{_text(meta.text(msg(notice)))}</p>'
        f'<p class="generated">{_text(meta.text(_generated(meta)))}</p>'
        "</section>\n"
    )


def _generated(meta: ExportMeta) -> Msg:
    return msg("testimonies.book.generated", date=meta.generated_at.strftime("%Y-%m-%d"))


def _article(row: ExportRow, meta: ExportMeta) -> str:
    classes = ["short" if len(row.story) < SHORT_STORY else "long"]
    badge = ""
    if row.featured:
        classes.append("featured")
        badge = f'<span class="badge">{_text(meta.text(msg("testimonies.book.featured")))}</span>'
    name = row.name or meta.text(msg("testimony.anonymous"))
    byline = [
        f'<span dir="auto">{_text(name)}</span>',
        f'<span class="ref">{_text(row.reference)}</span>',
        f'<time datetime="{row.submitted_at}">{row.submitted_at[:10]}</time>',
    ]
    if meta.identities and row.author:
        byline.append(f'<span class="ref">{_text(row.author)}</span>')
    return (
        f'<article class="{" ".join(classes)}">'
        f'<h3 dir="auto">{badge}{_text(row.title)}</h3>'
        f'<div class="text" dir="auto">{_paragraphs(row.story)}</div>'
        f'<p class="byline">{" · ".join(byline)}</p>'
        "</article>\n"
    )


async def write_html(
    rows: AsyncIterator[list[ExportRow]], meta: ExportMeta
) -> AsyncGenerator[str, None]:
    """The book, chunk by chunk: head and cover first, then chapters as rows arrive."""
    title = meta.text(msg("testimonies.book.title", campaign=meta.campaign))
    chunk = [
        "<!DOCTYPE html>\n"
        f'<html lang="{_text(meta.translator.locale)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_text(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        _cover(meta),
    ]
    current: str | None = None
    async for batch in rows:
        for row in batch:
            if row.category != current:
                if current is not None:
                    chunk.append("</section>\n")
                current = row.category
                label = meta.text(msg(f"testimony.category.{row.category}"))
                chunk.append(f'<section class="chapter"><h2>{_text(label)}</h2>\n')
            chunk.append(_article(row, meta))
            if len(chunk) >= ROWS_PER_CHUNK:
                yield "".join(chunk)
                chunk = []
    if current is not None:
        chunk.append("</section>\n")
    chunk.append("</body>\n</html>\n")
    yield "".join(chunk)
