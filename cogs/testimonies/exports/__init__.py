"""Export formats: each turns a stream of rows into a stream of text, never the whole file."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

from cogs.testimonies.exports.csv_file import write_csv
from cogs.testimonies.exports.html_book import write_html
from cogs.testimonies.exports.json_file import write_json
from cogs.testimonies.exports.markdown_file import write_markdown
from cogs.testimonies.exports.rows import ExportFormat, ExportMeta, ExportRow, rows_of, to_row

__all__ = ["ExportFormat", "ExportMeta", "ExportRow", "rows_of", "to_row", "write"]


def write(
    form: ExportFormat, rows: AsyncIterator[list[ExportRow]], meta: ExportMeta, *, bom: bool = False
) -> AsyncGenerator[str, None]:
    """The text of an export in `form`, chunk by chunk (`bom` applies to CSV only)."""
    match form:
        case ExportFormat.CSV:
            return write_csv(rows, meta, bom=bom)
        case ExportFormat.JSON:
            return write_json(rows, meta)
        case ExportFormat.MARKDOWN:
            return write_markdown(rows, meta)
        case ExportFormat.HTML:
            return write_html(rows, meta)
