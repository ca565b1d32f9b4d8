"""The rules of petitions: adding and removing count sources, setting a count by hand,
milestone settings, and the overview `/signatures` shows.

Adding a web source reads it once first, outside any transaction: a source that cannot be
read is refused with the reason, and nothing is stored.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.core.clock import Clock
from bot.core.commands import Context
from bot.core.errors import UserError, refuse
from bot.core.richtext import Msg, msg
from bot.core.scheduling import create_schedule
from cogs.petitions.milestones import Rule
from cogs.petitions.poller import POLL_KIND
from cogs.petitions.readings import Accepted, Limits, accept_reading, implausible, rule_of
from cogs.petitions.sources import (
    Fetched,
    Fetcher,
    SourceError,
    SourceSpec,
    check_link,
    check_pattern,
    check_pointer,
)
from cogs.petitions.trend import Point, Reading, change_over, outlook, series
from storage.database import Database
from storage.errors import Conflict
from storage.records import Campaign, Place
from storage.repositories.petitions import MANUAL, Milestone, PetitionSettings, Source

HISTORY = timedelta(days=30)
KINDS = ("json", "html", MANUAL)


@dataclass(frozen=True, slots=True)
class NewSource:
    kind: str
    name: str = ""
    url: str = ""
    pointer: str = ""
    pattern: str = ""
    link: str = ""


@dataclass(frozen=True, slots=True)
class Doubt:
    """A count typed by hand that the plausibility guard does not believe: `problem` says
    why, and nothing is stored until it is confirmed against the same `last` count."""

    source: Source
    count: int
    last: int
    problem: Msg


@dataclass(frozen=True, slots=True)
class Overview:
    """What `/signatures` shows."""

    campaign: Campaign
    sources: list[Source]
    settings: PetitionSettings | None
    milestones: list[Milestone]
    points: list[Point]
    total: int | None
    day: int | None
    week: int | None
    next_threshold: int | None
    eta: datetime | None
    now: datetime


class PetitionService:
    """Sources, counts and milestone settings of one campaign at a time."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        fetcher: Fetcher,
        *,
        poll_interval: int,
        limits: Limits | None = None,
        on_schedules_changed: Callable[[], None] | None = None,
    ) -> None:
        self._db = database
        self._clock = clock
        self._fetcher = fetcher
        self._poll_interval = poll_interval
        self._limits = limits or Limits()
        self._on_schedules_changed = on_schedules_changed

    # --- sources -------------------------------------------------------------------------

    async def add_source(self, context: Context, new: NewSource) -> tuple[Source, int | None]:
        """Check, read once, then store a source and its poll schedule; its first count."""
        campaign, place = joined(context)
        if new.kind not in KINDS:
            raise refuse("petitions.error.kind", kinds=", ".join(KINDS))
        fetched = await self._first_reading(new) if new.kind != MANUAL else None
        count = fetched.count if fetched is not None else None
        name = new.name or _default_name(new)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            try:
                source = await tx.petitions.add_source(
                    campaign_id=campaign.id,
                    name=name,
                    kind=new.kind,
                    url=new.url,
                    pointer=new.pointer,
                    pattern=new.pattern,
                    link=new.link,
                    created_by=context.actor.key,
                    now=now,
                )
            except Conflict:
                raise refuse("petitions.source.name_taken", name=name) from None
            if new.kind != MANUAL:
                schedule = await create_schedule(
                    tx,
                    kind=POLL_KIND,
                    timezone="UTC",
                    rule={"type": "interval", "seconds": self._poll_interval},
                    catchup="run",
                    payload={"source_id": source.id},
                    now=now,
                    campaign_id=campaign.id,
                )
                await tx.petitions.set_schedule(source.id, schedule.id)
            if count is not None:
                await accept_reading(
                    tx,
                    source,
                    count,
                    window=f"added:{now.isoformat()}",
                    now=now,
                    polled=False,
                    etag=fetched.etag if fetched else None,
                    last_modified=fetched.last_modified if fetched else None,
                )
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="petition.source.add",
                campaign_id=campaign.id,
                place_id=place.id,
                source=source.id,
                kind=new.kind,
            )
        if self._on_schedules_changed is not None:
            self._on_schedules_changed()
        return source, count

    async def _first_reading(self, new: NewSource) -> Fetched:
        if not new.url:
            raise refuse("petitions.error.needs_url")
        try:
            if new.kind == "json":
                if not new.pointer:
                    raise refuse("petitions.error.needs_pointer")
                check_pointer(new.pointer)
            else:
                if not new.pattern:
                    raise refuse("petitions.error.needs_pattern")
                check_pattern(new.pattern)
            if new.link:
                check_link(new.link)
            fetched = await self._fetcher.read(
                SourceSpec(new.kind, new.url, new.pointer, new.pattern)
            )
        except SourceError as error:
            raise UserError(msg("petitions.source.refused", reason=error.message)) from None
        # No validators were sent, and `read` refuses a 304 then: never "not modified".
        assert fetched.count is not None
        return fetched

    async def remove_source(self, context: Context, name: str) -> None:
        campaign, place = joined(context)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            source = _named(await tx.petitions.sources(campaign.id), name)
            if source.schedule_id is not None:
                await tx.schedules.deactivate(source.schedule_id, now)
            await tx.petitions.remove_source(source.id)
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="petition.source.remove",
                campaign_id=campaign.id,
                place_id=place.id,
                source=source.id,
            )

    async def sources(self, campaign: Campaign) -> list[Source]:
        async with self._db.read() as tx:
            return await tx.petitions.sources(campaign.id)

    # --- counts --------------------------------------------------------------------------

    async def set_count(
        self, context: Context, count: int, source_name: str, *, confirmed: bool = False
    ) -> Accepted | Doubt:
        """An organiser's count for a manual source (created on first use). A count the
        guard polled counts pass does not believe is a `Doubt` unless `confirmed`."""

        def pick(manual: list[Source]) -> Source | None:
            if source_name:
                return _named(manual, source_name)
            if len(manual) > 1:
                raise refuse("petitions.set.which", names=", ".join(s.name for s in manual))
            return manual[0] if manual else None

        return await self._set(context, count, pick, lambda _source: confirmed)

    async def confirm_count(
        self, context: Context, source_id: int, count: int, last: int
    ) -> Accepted | Doubt:
        """`count` for the source `source_id`, confirmed while its count was `last`; if
        its count changed since, the guard looks at the new one (and may ask again)."""

        def pick(manual: list[Source]) -> Source | None:
            found = next((s for s in manual if s.id == source_id), None)
            if found is None:
                raise refuse("petitions.set.gone")
            return found

        return await self._set(context, count, pick, lambda source: source.last_count == last)

    async def _set(
        self,
        context: Context,
        count: int,
        pick: Callable[[list[Source]], Source | None],
        believed: Callable[[Source], bool],
    ) -> Accepted | Doubt:
        campaign, place = joined(context)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            await tx.petitions.lock(campaign.id, now)
            sources = await tx.petitions.sources(campaign.id)
            source = pick([s for s in sources if s.kind == MANUAL])
            if source is None:
                source = await tx.petitions.add_source(
                    campaign_id=campaign.id,
                    name=MANUAL,
                    kind=MANUAL,
                    url="",
                    pointer="",
                    pattern="",
                    link="",
                    created_by=context.actor.key,
                    now=now,
                )
            problem = implausible(source.last_count, count, self._limits)
            if problem is not None and source.last_count is not None and not believed(source):
                return Doubt(source, count, source.last_count, problem)
            window = f"manual:{now.isoformat()}:{secrets.token_hex(3)}"
            accepted = await accept_reading(tx, source, count, window=window, now=now, polled=False)
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="petition.set",
                campaign_id=campaign.id,
                place_id=place.id,
                source=source.id,
                count=count,
                confirmed=problem is not None,
            )
        return accepted

    async def overview(self, campaign: Campaign) -> Overview:
        """Total, change over a day and a week, the next milestone and when it may come."""
        now = self._clock.now()
        since = now - HISTORY
        async with self._db.read() as tx:
            sources = await tx.petitions.sources(campaign.id)
            settings = await tx.petitions.settings(campaign.id)
            milestones = await tx.petitions.milestones(campaign.id)
            baseline = await tx.petitions.counts_before(campaign.id, since)
            snapshots = await tx.petitions.snapshots_since(campaign.id, since)
        readings = [Reading(s.source_id, s.count, s.taken_at) for s in snapshots]
        points = series(baseline, readings, start=since)
        counted = [s.last_count for s in sources if s.last_count is not None]
        total = sum(counted) if counted else None
        next_threshold, when = outlook(
            rule_of(settings), total, [m.threshold for m in milestones], points, now
        )
        return Overview(
            campaign=campaign,
            sources=sources,
            settings=settings,
            milestones=milestones,
            points=points,
            total=total,
            day=change_over(points, now, timedelta(days=1)),
            week=change_over(points, now, timedelta(days=7)),
            next_threshold=next_threshold,
            eta=when,
            now=now,
        )

    # --- settings ------------------------------------------------------------------------

    async def set_rule(self, context: Context, rule: Rule) -> None:
        campaign, place = joined(context)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            current = await tx.petitions.lock(campaign.id, now)
            await tx.petitions.save_settings(
                PetitionSettings(campaign.id, rule.kind, rule.step, rule.values, current.display),
                now,
            )
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="petition.milestones",
                campaign_id=campaign.id,
                place_id=place.id,
                rule=rule.describe(),
            )

    async def set_display(self, context: Context, display: str) -> None:
        campaign, _place = joined(context)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            current = await tx.petitions.lock(campaign.id, now)
            await tx.petitions.save_settings(
                PetitionSettings(
                    campaign.id, current.rule, current.step, current.thresholds, display
                ),
                now,
            )


def joined(context: Context) -> tuple[Campaign, Place]:
    if context.campaign is None or context.place is None:
        raise refuse("error.not_set_up")
    return context.campaign, context.place


def _named(sources: list[Source], name: str) -> Source:
    for source in sources:
        if source.name.lower() == name.strip().lower():
            return source
    raise refuse("petitions.source.unknown", name=name)


def _default_name(new: NewSource) -> str:
    if new.kind == MANUAL:
        return MANUAL
    host = urlsplit(new.url).hostname or new.kind
    return host.removeprefix("www.")[:60]
