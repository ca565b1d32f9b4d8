"""Set-based reads for composing many digests at once (one claimed outbox batch).

Composing each place on its own cost about ten queries; a batch reads its places, their
settings and their last sent digests with one `IN` query each, and each campaign's
testimonies once, whatever the number of its places in the batch.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from storage.records import OutboxStatus
from storage.repositories.base import Repository
from storage.schema import outbox, places
from storage.tables.digest import digest_log, digest_settings
from storage.tables.testimonies import testimonies

# Consents that allow a testimony to be shown to members (see cogs/testimonies/model.py).
PUBLISHABLE = ("named", "anonymous")


@dataclass(frozen=True, slots=True)
class Approved:
    """A publishable approved testimony, with what decides which one a digest quotes."""

    decided_at: datetime
    featured: bool
    id: int
    title: str
    story: str
    display_name: str
    consent: str


class DigestBatchQueries(Repository):
    """The batch reads of `DigestRepository` (mixed into it; it turns rows into records)."""

    async def _place_rows(self, place_ids: Collection[int]) -> dict[int, Any]:
        """The rows of `places` among `place_ids`, by id (missing ids: no such place)."""
        if not place_ids:
            return {}
        result = await self._connection.execute(
            select(*places.c).where(places.c.id.in_(sorted(place_ids)))
        )
        return {row.id: row for row in result}

    async def _settings_rows(self, place_ids: Collection[int]) -> dict[int, Any]:
        """The digest settings rows of the places that have any, by place id."""
        if not place_ids:
            return {}
        result = await self._connection.execute(
            select(digest_settings).where(digest_settings.c.place_id.in_(sorted(place_ids)))
        )
        return {row.place_id: row for row in result}

    async def _previous_rows(self, place_ids: Collection[int], before: str) -> dict[int, Any]:
        """Per place, its latest digest actually sent for a local date before `before`
        (`local_date`, `signatures`, `composed_at`); places never sent one are absent."""
        if not place_ids:
            return {}
        log = digest_log.c
        sent = and_(outbox.c.id == log.outbox_id, outbox.c.status == OutboxStatus.SENT.value)
        latest = (
            select(log.place_id, func.max(log.local_date).label("local_date"))
            .join(outbox, sent)
            .where(log.place_id.in_(sorted(place_ids)), log.local_date < before)
            .group_by(log.place_id)
            .subquery()
        )
        result = await self._connection.execute(
            select(log.place_id, log.local_date, log.signatures, log.composed_at).join(
                latest,
                and_(log.place_id == latest.c.place_id, log.local_date == latest.c.local_date),
            )
        )
        return {row.place_id: row for row in result}

    async def approved_after(self, campaign_id: int, since: datetime) -> list[Approved]:
        """The campaign's publishable testimonies approved after `since`, in the order a
        digest prefers to quote them: featured first, then the most recently approved."""
        t = testimonies.c
        result = await self._connection.execute(
            select(t.decided_at, t.featured, t.id, t.title, t.story, t.display_name, t.consent)
            .where(
                t.campaign_id == campaign_id,
                t.status == "approved",
                t.consent.in_(PUBLISHABLE),
                t.decided_at > since,
            )
            .order_by(t.featured.desc(), t.decided_at.desc(), t.id.desc())
        )
        return [Approved(row.decided_at, bool(row.featured), row.id, *row[3:]) for row in result]
