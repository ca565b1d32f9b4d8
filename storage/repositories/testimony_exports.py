"""Reading testimonies out for exports: counts, and every row in batches, however many.

The operator's CLI and `/testimonies export` both read through here; nothing in an export
is ever held whole in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from datetime import datetime

from sqlalchemy import ColumnElement, String, case, func, literal, select

from storage.repositories.base import Repository
from storage.repositories.testimony_records import ExportedTestimony, ExportFilter
from storage.schema import campaigns
from storage.tables.testimonies import testimonies

EXPORT_BATCH = 500
# The columns of `ExportedTestimony`, in its order (`created_at` as text, see `_utc_text`).
EXPORTED = (
    "reference",
    "created_at",
    "category",
    "consent",
    "status",
    "featured",
    "title",
    "story",
    "display_name",
    "author_key",
)


class TestimonyExportRepository(Repository):
    """The testimonies table, as exports read it."""

    def _exported(self, wanted: ExportFilter) -> ColumnElement[bool]:
        condition = (
            (testimonies.c.campaign_id == wanted.campaign_id)
            & testimonies.c.status.in_(list(wanted.statuses))
            & testimonies.c.consent.in_(list(wanted.consents))
        )
        if wanted.since is not None:
            condition &= testimonies.c.created_at >= wanted.since
        return condition

    async def counts(self, wanted: ExportFilter) -> dict[str, int]:
        """How many testimonies an export holds, by category."""
        result = await self._connection.execute(
            select(testimonies.c.category, func.count())
            .where(self._exported(wanted))
            .group_by(testimonies.c.category)
        )
        return {category: count for category, count in result}

    async def stream(
        self, wanted: ExportFilter, batch: int = EXPORT_BATCH
    ) -> AsyncGenerator[list[ExportedTestimony], None]:
        """The testimonies of an export, in batches, however many there are.

        Grouped by category in `category_order` (others after), featured first, then
        oldest first. Rows come through a server-side cursor: memory holds a batch or two,
        however large the table. (Reading each category apart, in index order, avoids the
        sort but reads the table once per category, since stories of every kind share its
        pages: measured slower.)
        """
        source = self._batches(wanted, batch)
        if self.dialect == "sqlite":
            # SQLite reads in a thread of this process: reading ahead would only make it
            # compete with the caller for the interpreter (measured slower), so it does not.
            async with contextlib.aclosing(source):
                async for batch_read in source:
                    yield batch_read
            return
        # The server reads the next batch while the caller turns this one into text.
        ahead = asyncio.ensure_future(anext(source, None))
        try:
            while (records := await ahead) is not None:
                ahead = asyncio.ensure_future(anext(source, None))
                await asyncio.sleep(0)  # let the next read start before the caller works
                yield records
        finally:
            if not ahead.done():
                ahead.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ahead
            await source.aclose()

    async def _batches(
        self, wanted: ExportFilter, batch: int
    ) -> AsyncGenerator[list[ExportedTestimony], None]:
        c = testimonies.c
        rank: ColumnElement[int] = (
            case(
                {category: index for index, category in enumerate(wanted.category_order)},
                value=c.category,
                else_=len(wanted.category_order),
            )
            if wanted.category_order
            else literal(0)
        )
        columns = [
            self._utc_text(c[name]) if name == "created_at" else c[name] for name in EXPORTED
        ]
        result = await self._connection.stream(
            select(*columns)
            .where(self._exported(wanted))
            .order_by(rank, c.category, c.featured.desc(), c.created_at, c.id)
            .execution_options(yield_per=batch)
        )
        make = ExportedTestimony._make
        try:
            async for rows in result.partitions(batch):
                # Positional: building records from tuples is what keeps exports fast.
                yield [make(row) for row in rows]
        finally:
            await result.close()

    def _utc_text(self, column: ColumnElement[datetime]) -> ColumnElement[str]:
        """`column` as ISO 8601 UTC text to the second, formatted by the database: exports
        print it as it comes, instead of parsing and formatting 100,000 timestamps."""
        if self.dialect == "postgresql":
            utc = func.timezone("UTC", column)
            return func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS"Z"', type_=String)
        # SQLite keeps naive UTC text (`storage.types.UTCDateTime`).
        return func.strftime("%Y-%m-%dT%H:%M:%SZ", column, type_=String)

    async def campaigns(self) -> list[tuple[int, str, int]]:
        """Every campaign as (id, name, number of testimonies), for the operator's CLI."""
        result = await self._connection.execute(
            select(campaigns.c.id, campaigns.c.name, func.count(testimonies.c.id))
            .select_from(campaigns.outerjoin(testimonies))
            .group_by(campaigns.c.id, campaigns.c.name)
            .order_by(campaigns.c.id)
        )
        return [(row[0], row[1], int(row[2])) for row in result]
