"""Exports of a campaign's testimonies, for chat (an attachment) and the CLI (a file).

What may leave, by construction of the query: a public export holds approved (or, with
`status=all`, also pending and rejected) testimonies whose author consented to publication,
authors as pseudonyms; withdrawn, deleted and moderators-only ones never. An export with
identities (organisers, or the operator on the CLI) also holds moderators-only stories and
names the accounts; it says so in the file. Every export is audit-logged before it is made.

The rows come from a server-side cursor in batches and leave as encoded chunks, so memory
stays flat however many testimonies there are.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.core.clock import Clock
from bot.core.errors import refuse
from bot.core.i18n import Catalogues
from bot.core.replies import Attachment
from cogs.testimonies.exports import ExportFormat, ExportMeta, ExportRow, rows_of, write
from cogs.testimonies.model import PUBLISHABLE, Consent, Pseudonyms, Status
from cogs.testimonies.service import settings_of
from storage.database import Database
from storage.repositories.testimonies import ExportFilter

STATUS_CHOICES = ("approved", "all")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What someone asked for; `actor` is a user key, or `cli` for the operator."""

    campaign_id: int
    form: ExportFormat
    status: str
    since: datetime | None
    identities: bool
    actor: str
    bom: bool = False
    place_id: int | None = None


@dataclass(frozen=True, slots=True)
class Export:
    """A prepared export: what it holds and its file name; `ExportService.chunks` makes it."""

    request: ExportRequest
    meta: ExportMeta
    wanted: ExportFilter
    filename: str

    @property
    def count(self) -> int:
        return self.meta.total


class ExportService:
    """Prepares, audits and streams exports."""

    def __init__(
        self, database: Database, clock: Clock, pseudonyms: Pseudonyms, catalogues: Catalogues
    ) -> None:
        self._database = database
        self._clock = clock
        self._pseudonyms = pseudonyms
        self._catalogues = catalogues

    async def prepare(self, request: ExportRequest) -> Export:
        """Count what the export holds and record it in the audit log."""
        if request.status not in STATUS_CHOICES:
            raise ValueError(f"status is one of {STATUS_CHOICES}")
        now = self._clock.now()
        async with self._database.transaction() as tx:
            campaign = await tx.campaigns.get(request.campaign_id)
            if campaign is None:
                raise refuse("error.not_set_up")
            settings = await settings_of(tx, campaign.id, now)
            wanted = ExportFilter(
                campaign_id=campaign.id,
                statuses=(
                    (Status.APPROVED.value,)
                    if request.status == "approved"
                    else (Status.PENDING.value, Status.APPROVED.value, Status.REJECTED.value)
                ),
                consents=(*PUBLISHABLE, Consent.MODERATORS.value)
                if request.identities
                else PUBLISHABLE,
                since=request.since,
                category_order=settings.categories,
            )
            counts = await tx.testimony_exports.counts(wanted)
            await tx.audit.record(
                at=now,
                actor=request.actor,
                action="testimonies.export",
                campaign_id=campaign.id,
                place_id=request.place_id,
                format=request.form.value,
                status=request.status,
                since=request.since.isoformat() if request.since else None,
                identities=request.identities,
                count=sum(counts.values()),
            )
        meta = ExportMeta(
            campaign=campaign.name,
            generated_at=now,
            identities=request.identities,
            status=request.status,
            since=request.since,
            counts=counts,
            categories=settings.categories,
            translator=self._catalogues.translator(campaign.locale),
        )
        return Export(request, meta, wanted, _filename(campaign.name, campaign.id, request, now))

    async def chunks(
        self, export: Export, on_rows: Callable[[int], None] | None = None
    ) -> AsyncGenerator[bytes, None]:
        """The file, as UTF-8 chunks, read from the database as it is written."""
        async with self._database.read() as tx:
            stored = tx.testimony_exports.stream(export.wanted)
            async with aclosing(stored):
                rows = rows_of(stored, self._pseudonyms, identities=export.request.identities)
                if on_rows is not None:
                    rows = _counted(rows, on_rows)
                async with aclosing(rows):
                    text = write(export.request.form, rows, export.meta, bom=export.request.bom)
                    async with aclosing(text):
                        async for chunk in text:
                            yield chunk.encode("utf-8", errors="replace")

    async def attachment(self, export: Export, limit: int) -> Attachment | None:
        """The export as a file to send in chat; None when it would exceed `limit` bytes."""
        data = bytearray()
        async with aclosing(self.chunks(export)) as chunks:
            async for chunk in chunks:
                data += chunk
                if len(data) > limit:
                    return None
        return Attachment(export.filename, bytes(data), export.request.form.media_type)

    async def to_file(
        self, export: Export, path: Path, on_rows: Callable[[int], None] | None = None
    ) -> int:
        """Write the export to `path` (replacing it); the number of bytes written."""
        written = 0
        partial = path.with_name(path.name + ".partial")
        try:
            with partial.open("wb") as handle:
                async with aclosing(self.chunks(export, on_rows)) as chunks:
                    async for chunk in chunks:
                        # In a thread: the disk works while the next chunk is made.
                        await asyncio.to_thread(handle.write, chunk)
                        written += len(chunk)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return written


async def _counted(
    rows: AsyncIterator[list[ExportRow]], on_rows: Callable[[int], None]
) -> AsyncGenerator[list[ExportRow], None]:
    async for batch in rows:
        on_rows(len(batch))
        yield batch


def _filename(name: str, campaign_id: int, request: ExportRequest, now: datetime) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _SLUG.sub("-", ascii_name.lower()).strip("-")[:40] or f"campaign-{campaign_id}"
    suffix = "-identities" if request.identities else ""
    return f"testimonies-{slug}-{now:%Y%m%d}{suffix}.{request.form.value}"
