"""The daily digest: place settings, the log of digests composed, and read-only queries over
the petitions, testimonies and waves tables that a digest summarises.

The feature tables belong to their cogs; the digest only reads them, here, so that its
queries stay in one place and no other feature's repository has to grow for it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.records import OutboxStatus, Place
from storage.repositories.digest_batch import DigestBatchQueries
from storage.schema import outbox, places
from storage.tables.digest import digest_log, digest_settings
from storage.tables.petitions import (
    petition_milestones,
    petition_settings,
    petition_snapshots,
    petition_sources,
)
from storage.tables.waves import wave_occurrences, wave_participants, wave_posts, waves

SETTING_NAMES = frozenset({"enabled", "time", "channel", "chart", "quiet", "schedule_id"})


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """A place's digest settings; `channel` empty means its announcement channel."""

    place_id: int
    enabled: bool
    time: str
    channel: str
    chart: bool
    quiet: str
    schedule_id: int | None


@dataclass(frozen=True, slots=True)
class DigestTarget:
    """A place whose digest schedule fired, with its settings."""

    settings: DigestSettings
    place: Place


@dataclass(frozen=True, slots=True)
class LoggedDigest:
    """A digest composed for `local_date`, and the signature total it showed."""

    local_date: str
    signatures: int | None
    composed_at: datetime


@dataclass(frozen=True, slots=True)
class Signatures:
    """A campaign's count: `total` (None without any reading), its milestone rule, and the
    readings of a recent window (`baseline`: each source's count before it)."""

    total: int | None
    rule: str
    step: int
    thresholds: tuple[int, ...]
    baseline: dict[int, int]
    readings: list[tuple[int, int, datetime]]
    passed: tuple[int, ...] = ()  # the milestone thresholds passed


@dataclass(frozen=True, slots=True)
class Excerpt:
    """An approved testimony whose author allowed publication."""

    title: str
    story: str
    display_name: str
    consent: str


@dataclass(frozen=True, slots=True)
class UpcomingWave:
    title: str
    starts_at: datetime
    joined: int


@dataclass(frozen=True, slots=True)
class WaveOutcome:
    """A wave occurrence that started in some window: who joined, who said they posted."""

    title: str
    joined: int
    posted: int


_SETTINGS_COLUMNS = tuple(digest_settings.c[f.name] for f in fields(DigestSettings))


def _settings(row: Any) -> DigestSettings:
    return DigestSettings(
        row.place_id,
        bool(row.enabled),
        row.time,
        row.channel,
        bool(row.chart),
        row.quiet,
        row.schedule_id,
    )


def _place(row: Any) -> Place:
    return Place(
        id=row.id,
        platform=row.platform,
        external_id=row.external_id,
        campaign_id=row.campaign_id,
        title=row.title,
        locale=row.locale,
        timezone=row.timezone,
        announcement_channel=row.announcement_channel,
        active=bool(row.active),
        inactive_reason=row.inactive_reason,
    )


class DigestRepository(DigestBatchQueries):
    """Digest settings and log; read-only summaries of the other features' tables."""

    # --- settings ----------------------------------------------------------------------

    async def settings(self, place_id: int) -> DigestSettings | None:
        result = await self._connection.execute(
            select(*_SETTINGS_COLUMNS).where(digest_settings.c.place_id == place_id)
        )
        row = result.one_or_none()
        return _settings(row) if row else None

    async def save_settings(self, place_id: int, now: datetime, **changes: Any) -> DigestSettings:
        """Change some settings of a place (the defaults first if it has none)."""
        unknown = set(changes) - SETTING_NAMES
        if unknown:
            raise ValueError(f"not digest settings: {sorted(unknown)}")
        if await self.settings(place_id) is None:
            await self._connection.execute(
                insert(digest_settings).values(place_id=place_id, updated_at=now)
            )
        result = await self._connection.execute(
            update(digest_settings)
            .where(digest_settings.c.place_id == place_id)
            .values(updated_at=now, **changes)
            .returning(*_SETTINGS_COLUMNS)
        )
        return _settings(result.one())

    async def targets(self, schedule_ids: Collection[int]) -> dict[int, DigestTarget]:
        """The places whose digest schedules are `schedule_ids`, by schedule id."""
        if not schedule_ids:
            return {}
        result = await self._connection.execute(
            select(*_SETTINGS_COLUMNS, *places.c)
            .join(places, places.c.id == digest_settings.c.place_id)
            .where(digest_settings.c.schedule_id.in_(sorted(schedule_ids)))
        )
        found: dict[int, DigestTarget] = {}
        for row in result:
            settings = _settings(row)
            assert settings.schedule_id is not None  # selected by it, just above
            found[settings.schedule_id] = DigestTarget(settings, _place(row))
        return found

    async def places_and_settings(
        self, place_ids: Collection[int]
    ) -> dict[int, tuple[Place, DigestSettings | None]]:
        """The places among `place_ids` that exist, with their digest settings if any."""
        rows = await self._place_rows(place_ids)
        settings = await self._settings_rows(rows)
        return {
            place_id: (_place(row), _settings(settings[place_id]) if place_id in settings else None)
            for place_id, row in rows.items()
        }

    # --- the log -----------------------------------------------------------------------

    async def materialised(self, place_id: int, local_date: str) -> bool:
        """Whether the digest of `local_date` was already handed to the outbox."""
        result = await self._connection.execute(
            select(outbox.c.id).where(outbox.c.dedupe_key == f"digest:{place_id}:{local_date}")
        )
        return result.first() is not None

    async def previous(self, place_id: int, before: str) -> LoggedDigest | None:
        """The latest digest of the place actually sent for a local date before `before`."""
        log = digest_log.c
        result = await self._connection.execute(
            select(log.local_date, log.signatures, log.composed_at)
            .join(outbox, outbox.c.id == log.outbox_id)
            .where(
                log.place_id == place_id,
                log.local_date < before,
                outbox.c.status == OutboxStatus.SENT.value,
            )
            .order_by(log.local_date.desc())
            .limit(1)
        )
        row = result.one_or_none()
        return LoggedDigest(row.local_date, row.signatures, row.composed_at) if row else None

    async def previous_many(
        self, place_ids: Collection[int], before: str
    ) -> dict[int, LoggedDigest]:
        """`previous` for several places at once (places never sent one are absent)."""
        rows = await self._previous_rows(place_ids, before)
        return {
            place_id: LoggedDigest(row.local_date, row.signatures, row.composed_at)
            for place_id, row in rows.items()
        }

    async def record(
        self,
        place_id: int,
        local_date: str,
        outbox_id: int,
        signatures: int | None,
        now: datetime,
    ) -> None:
        """Note what the digest of `local_date` was composed from (again, on a retry)."""
        await self.record_many([(place_id, local_date, outbox_id, signatures)], now)

    async def record_many(
        self, entries: Collection[tuple[int, str, int, int | None]], now: datetime
    ) -> None:
        """`record` for several digests at once: (place, local date, outbox id, total)."""
        if not entries:
            return
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        statement = dialect.insert(digest_log)
        await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=["place_id", "local_date"],
                set_={
                    "outbox_id": statement.excluded.outbox_id,
                    "signatures": statement.excluded.signatures,
                    "composed_at": statement.excluded.composed_at,
                },
            ),
            [
                {
                    "place_id": place_id,
                    "local_date": local_date,
                    "outbox_id": outbox_id,
                    "signatures": signatures,
                    "composed_at": now,
                }
                for place_id, local_date, outbox_id, signatures in entries
            ],
        )

    # --- what a digest says ------------------------------------------------------------

    async def signatures(self, campaign_id: int, since: datetime) -> Signatures:
        """The campaign's total (the sum of each source's last count, as the petitions cog
        shows it), its milestone rule, and its readings from `since` on."""
        total = (
            await self._connection.execute(
                select(func.sum(petition_sources.c.last_count), func.count()).where(
                    petition_sources.c.campaign_id == campaign_id,
                    petition_sources.c.last_count.is_not(None),
                )
            )
        ).one()
        rule = (
            await self._connection.execute(
                select(
                    petition_settings.c.rule,
                    petition_settings.c.step,
                    petition_settings.c.thresholds,
                ).where(petition_settings.c.campaign_id == campaign_id)
            )
        ).one_or_none()
        s = petition_snapshots.c
        latest = (
            select(s.source_id, func.max(s.taken_at).label("taken_at"))
            .where(s.campaign_id == campaign_id, s.taken_at < since)
            .group_by(s.source_id)
            .subquery()
        )
        baseline = await self._connection.execute(
            select(s.source_id, func.max(s.count))
            .join(latest, and_(s.source_id == latest.c.source_id, s.taken_at == latest.c.taken_at))
            .group_by(s.source_id)
        )
        readings = await self._connection.execute(
            select(s.source_id, s.count, s.taken_at)
            .where(s.campaign_id == campaign_id, s.taken_at >= since)
            .order_by(s.taken_at, s.id)
        )
        passed = await self._connection.execute(
            select(petition_milestones.c.threshold).where(
                petition_milestones.c.campaign_id == campaign_id
            )
        )
        return Signatures(
            passed=tuple(sorted(int(t) for t in passed.scalars())),
            total=int(total[0]) if total[1] else None,
            rule=rule[0] if rule else "ladder",
            step=int(rule[1]) if rule else 0,
            thresholds=tuple(int(t) for t in rule[2]) if rule else (),
            baseline={int(source): int(count) for source, count in baseline},
            readings=[(int(source), int(count), at) for source, count, at in readings],
        )

    async def upcoming_waves(
        self, campaign_id: int, now: datetime, limit: int
    ) -> list[UpcomingWave]:
        """The campaign's next wave occurrences after `now`, soonest first."""
        o, w = wave_occurrences.c, waves.c
        joined = (
            select(func.count())
            .where(wave_participants.c.wave_id == w.id)
            .correlate(waves)
            .scalar_subquery()
        )
        result = await self._connection.execute(
            select(w.title, o.starts_at, joined)
            .join(waves, w.id == o.wave_id)
            .where(
                w.campaign_id == campaign_id,
                w.status == "scheduled",
                o.status == "upcoming",
                o.starts_at > now,
            )
            .order_by(o.starts_at, o.id)
            .limit(limit)
        )
        return [UpcomingWave(title, at, int(count)) for title, at, count in result]

    async def waves_between(
        self, campaign_id: int, start: datetime, end: datetime
    ) -> list[WaveOutcome]:
        """Wave occurrences of the campaign that started in [`start`, `end`), not cancelled."""
        o, w = wave_occurrences.c, waves.c
        joined = (
            select(func.count())
            .where(wave_participants.c.wave_id == w.id)
            .correlate(waves)
            .scalar_subquery()
        )
        posted = (
            select(func.count())
            .where(wave_posts.c.occurrence_id == o.id)
            .correlate(wave_occurrences)
            .scalar_subquery()
        )
        result = await self._connection.execute(
            select(w.title, joined, posted)
            .join(waves, w.id == o.wave_id)
            .where(
                w.campaign_id == campaign_id,
                w.status != "cancelled",
                o.status != "cancelled",
                o.starts_at >= start,
                o.starts_at < end,
            )
            .order_by(o.starts_at, o.id)
        )
        return [WaveOutcome(title, int(j), int(p)) for title, j, p in result]
