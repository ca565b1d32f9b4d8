"""CSV for spreadsheets: RFC 4180, formula injection neutralised, optional BOM.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or a
carriage return) as a formula: `=HYPERLINK("http://evil","click")` in a story would become a
live link. Quoting does not prevent that; a leading apostrophe does, and spreadsheets hide
it. Every text cell that a member or moderator wrote is neutralised so.

Every field is quoted and its quotes doubled: exactly what `csv.writer` writes with
`QUOTE_ALL` (a test holds them equal), at a quarter of the cost, since `str.replace` does not
look at every character of a long story one by one.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

from cogs.testimonies.exports.rows import ExportMeta, ExportRow

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
COLUMNS = (
    "reference",
    "submitted_at",
    "category",
    "consent",
    "status",
    "featured",
    "title",
    "story",
    "name",
    "author",
)
# With identities the author column holds accounts: its header says so in every spreadsheet.
IDENTITY_COLUMN = "author_account_personal_data"


def neutralise(cell: str) -> str:
    """`'=1+1` for `=1+1`: shown as typed, never evaluated."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def record(cells: tuple[str, ...] | list[str]) -> str:
    """One CSV record: every field quoted, quotes doubled, CRLF at the end (RFC 4180)."""
    return '"' + '","'.join(cell.replace('"', '""') for cell in cells) + '"\r\n'


def _line(row: ExportRow) -> str:
    """`record` of one row, inlined: only member text can hold a quote or start like a
    formula (a reference, a category, a date, a pseudonym or an account cannot)."""
    reference, at, category, consent, status, featured, title, story, name, author = row
    title = neutralise(title).replace('"', '""')
    story = neutralise(story).replace('"', '""')
    name = neutralise(name).replace('"', '""')
    return (
        f'"{reference}","{at}","{category}","{consent}","{status}",'
        f'"{"yes" if featured else "no"}","{title}","{story}","{name}","{author}"\r\n'
    )


async def write_csv(
    rows: AsyncIterator[list[ExportRow]], meta: ExportMeta, *, bom: bool = False
) -> AsyncGenerator[str, None]:
    """The CSV text, a chunk per batch of rows."""
    header = list(COLUMNS)
    if meta.identities:
        header[-1] = IDENTITY_COLUMN
    yield (BOM if bom else "") + record(header)
    async for batch in rows:
        yield "".join([_line(row) for row in batch])
