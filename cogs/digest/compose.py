"""Composing a place's digest from the database, when it is sent (and for previews).

The outbox row of a digest carries only `{"compose": "digest", "place_id", "local_date"}`:
its content is read here at send time, so a digest sent late, or again after a crash,
shows the figures of the moment it goes out. The sender composes the digests of a claimed
batch together (`compose_many`): what places of one campaign share is read once. Composing
for a send also notes, in the digest log (one write per batch), what it was composed from;
the next digest's "since the last digest" window starts at the latest logged digest that
was actually sent.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from babel import Locale
from babel.dates import format_date

from bot.core.clock import Clock
from bot.core.i18n import Catalogues, Translator
from bot.core.outbox.compose import Budget, Composed, ComposeRequest, UnreadablePayload
from bot.core.render import PlainRenderer
from bot.core.replies import Attachment, Reply
from bot.core.richtext import Document, msg
from bot.core.scheduling.rules import local_to_utc, zone
from cogs.digest.parts import Facts, budget_of, fit, quiet_document
from cogs.petitions.chart import ChartPainter
from cogs.petitions.milestones import Rule
from cogs.petitions.trend import Point, Reading, change_over, outlook, series
from storage.database import Database
from storage.records import Place
from storage.repositories.digest import (
    DigestSettings,
    Excerpt,
    LoggedDigest,
    Signatures,
    UpcomingWave,
    WaveOutcome,
)
from storage.repositories.digest_batch import Approved
from storage.unit import Tx

COMPOSER_NAME = "digest"
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
# A wave this close counts as news on a quiet day.
SOON = timedelta(days=2)
CHART_CACHE = 64  # charts kept per process: the same campaign, zone and data draw the same


@dataclass(frozen=True, slots=True)
class Draft:
    """A digest as it would go out now: `reply` None on a quiet day whose policy is skip."""

    reply: Reply | None
    locale: str
    total: int | None


def default_settings(place_id: int) -> DigestSettings:
    """What a place that never used `/digest` has (off, 18:00, no chart, one quiet line)."""
    return DigestSettings(place_id, False, "18:00", "", False, "short", None)


@dataclass(slots=True)
class _Campaign:
    """What every place of one campaign shares in a batch: read once, not once per place."""

    signatures: Signatures
    points: list[Point]
    approved: list[Approved]  # after the earliest "since" of its places in the batch
    upcoming: tuple[UpcomingWave, ...]
    yesterday: dict[str, tuple[WaveOutcome, ...]]  # by zone: "yesterday" is local


class DigestComposer:
    """Builds digests: `compose_many` for a claimed outbox batch, `compose` for one row,
    `draft` / `draft_many` for previews (the same code path, so a preview equals a send)."""

    def __init__(
        self, database: Database, clock: Clock, catalogues: Catalogues, painter: ChartPainter
    ) -> None:
        self._db = database
        self._clock = clock
        self._catalogues = catalogues
        self._charts: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self.painter = painter  # the process's one: matplotlib draws one figure at a time

    async def compose(self, request: ComposeRequest) -> Composed | None:
        """The digest of the row's place and local date, read now; None when the place is
        gone or inactive, the digest was turned off, or a quiet day is skipped."""
        _read(request)  # UnreadablePayload: the row fails
        return (await self.compose_many([request]))[request.outbox_id]

    async def compose_many(self, requests: Sequence[ComposeRequest]) -> dict[int, Composed | None]:
        """`compose` for several rows at once, by outbox id, reading what their places
        share once. A row whose payload cannot be read is left out (composed alone, it
        fails); every digest composed is logged in one transaction."""
        groups: dict[tuple[str, Budget], dict[int, int]] = {}
        for request in requests:
            try:
                place_id, local_date = _read(request)
            except UnreadablePayload:
                continue
            groups.setdefault((local_date, request.budget), {})[request.outbox_id] = place_id
        composed: dict[int, Composed | None] = {}
        log: list[tuple[int, str, int, int | None]] = []
        for (local_date, budget), places in groups.items():
            drafts = await self.draft_many(set(places.values()), local_date, budget, sending=True)
            for outbox_id, place_id in places.items():
                draft = drafts.get(place_id)
                if draft is None or draft.reply is None:
                    composed[outbox_id] = None
                    continue
                composed[outbox_id] = Composed(draft.reply, draft.locale)
                log.append((place_id, local_date, outbox_id, draft.total))
        if log:
            # What each digest was composed from: the next one's "since" if this is sent.
            async with self._db.transaction() as tx:
                await tx.digest.record_many(log, self._clock.now())
        return composed

    async def draft(
        self, place_id: int, local_date: str, budget: Budget, *, sending: bool
    ) -> Draft | None:
        """The digest of `place_id` for `local_date` as it would be sent now; None when it
        would not be sent at all (the place is gone or inactive; when `sending`, also a
        digest that is off)."""
        drafts = await self.draft_many([place_id], local_date, budget, sending=sending)
        return drafts.get(place_id)

    async def draft_many(
        self, place_ids: Collection[int], local_date: str, budget: Budget, *, sending: bool
    ) -> dict[int, Draft]:
        """`draft` for several places at once, by place id (absent: not sent at all)."""
        now = self._clock.now()
        day = date.fromisoformat(local_date)
        async with self._db.read() as tx:
            found = await tx.digest.places_and_settings(place_ids)
            wanted: dict[int, tuple[Place, DigestSettings]] = {}
            for place_id, (place, settings) in found.items():
                settings = settings or default_settings(place_id)
                if place.active and (settings.enabled or not sending):
                    wanted[place_id] = (place, settings)
            previous = await tx.digest.previous_many(wanted, local_date)
            since = {
                place_id: previous[place_id].composed_at if place_id in previous else now - DAY
                for place_id in wanted
            }
            campaigns: dict[int, _Campaign] = {}
            for place, _ in wanted.values():
                campaign = campaigns.get(place.campaign_id)
                if campaign is None:  # testimonies after the batch's earliest "since"
                    campaign = campaigns[place.campaign_id] = await self._campaign(
                        tx, place.campaign_id, now, min(since.values())
                    )
                if place.timezone not in campaign.yesterday:
                    tz = zone(place.timezone)
                    found_waves = await tx.digest.waves_between(
                        place.campaign_id,
                        local_to_utc(day - DAY, time(0), tz),
                        local_to_utc(day, time(0), tz),
                    )
                    campaign.yesterday[place.timezone] = tuple(found_waves)
        drafts: dict[int, Draft] = {}
        fitted: dict[tuple[object, ...], Document] = {}  # places saying the same, measured once
        for place_id, (place, settings) in wanted.items():
            campaign = campaigns[place.campaign_id]
            facts = _facts(
                place,
                campaign,
                previous.get(place_id),
                since[place_id],
                day,
                now,
                self._catalogues.translator(place.locale),
            )
            drafts[place_id] = await self._draft(
                place, settings, facts, campaign, local_date, budget, now, fitted
            )
        return drafts

    async def _campaign(
        self, tx: Tx, campaign_id: int, now: datetime, since: datetime
    ) -> _Campaign:
        signatures = await tx.digest.signatures(campaign_id, now - WEEK)
        return _Campaign(
            signatures=signatures,
            points=_points(signatures, now - WEEK),
            approved=await tx.digest.approved_after(campaign_id, since),
            upcoming=tuple(await tx.digest.upcoming_waves(campaign_id, now, 2)),
            yesterday={},
        )

    async def _draft(
        self,
        place: Place,
        settings: DigestSettings,
        facts: Facts,
        campaign: _Campaign,
        local_date: str,
        budget: Budget,
        now: datetime,
        fitted: dict[tuple[object, ...], Document],
    ) -> Draft:
        if not facts.news:
            if settings.quiet == "skip":
                return Draft(None, place.locale, facts.total)
            return Draft(Reply(quiet_document(facts)), place.locale, facts.total)
        translator = self._catalogues.translator(place.locale)
        points = campaign.points
        chart = None
        if settings.chart and len(points) >= 2:
            key = (place.campaign_id, place.timezone, place.locale, local_date, points[-1])
            chart = await self._chart(key, points, now, translator, place.timezone)
        room = budget_of(budget, chart is not None)
        fit_key = (facts, room, place.locale)
        body = fitted.get(fit_key)
        if body is None:
            body = fitted[fit_key] = fit(facts, room, translator)
        attachment = Attachment("signatures-7-days.png", chart, "image/png") if chart else None
        return Draft(Reply(body, attachment=attachment), place.locale, facts.total)

    async def _chart(
        self,
        key: tuple[object, ...],
        points: list[Point],
        now: datetime,
        words: Translator,
        timezone: str,
    ) -> bytes:
        """The 7-day chart, drawn once per campaign, zone, language and data."""
        found = self._charts.get(key)
        if found is not None:
            self._charts.move_to_end(key)
            return found
        png = await self.painter.paint(_draw, points, now, words, timezone)
        self._charts[key] = png
        while len(self._charts) > CHART_CACHE:
            self._charts.popitem(last=False)
        return png


def _read(request: ComposeRequest) -> tuple[int, str]:
    """The place and local date a digest row names; `UnreadablePayload` if it names none."""
    try:
        place_id = int(request.payload["place_id"])
        local_date = str(request.payload["local_date"])
        date.fromisoformat(local_date)
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadablePayload(f"not a digest row: {type(error).__name__}: {error}") from error
    return place_id, local_date


def _facts(
    place: Place,
    campaign: _Campaign,
    previous: LoggedDigest | None,
    since: datetime,
    day: date,
    now: datetime,
    translator: Translator,
) -> Facts:
    points = campaign.points
    total = campaign.signatures.total
    change = None
    if total is not None:
        if previous is not None and previous.signatures is not None:
            change = total - previous.signatures
        else:
            change = change_over(points, now, DAY)
    target, when = outlook(
        _rule(campaign.signatures), total, campaign.signatures.passed, points, now
    )
    # The campaign's list is in quoting order and covers the earliest "since" of the batch.
    approved = [item for item in campaign.approved if item.decided_at > since]
    first = approved[0] if approved else None
    excerpt = (
        Excerpt(first.title, first.story, first.display_name, first.consent) if first else None
    )
    upcoming, yesterday = campaign.upcoming, campaign.yesterday[place.timezone]
    return Facts(
        heading=_heading(day, translator.locale),
        zone=place.timezone,
        total=total,
        change=change,
        next_threshold=target,
        eta=when,
        approved=len(approved),
        excerpt=excerpt,
        upcoming=upcoming,
        yesterday=yesterday,
        news=bool(
            change
            or approved
            or yesterday
            or any(wave.starts_at <= now + SOON for wave in upcoming)
        ),
    )


@lru_cache(maxsize=256)
def _heading(day: date, locale: Locale | str) -> str:
    return str(format_date(day, format="long", locale=locale))


def _draw(points: list[Point], now: datetime, translator: Translator, timezone: str) -> bytes:
    # Imported here: matplotlib costs tens of MB and most of a second, and a process that
    # never draws a digest chart should not pay for it.
    from cogs.petitions.chart import ChartText, render_chart

    words = PlainRenderer(translator)
    text = ChartText(
        title=words.message(msg("digest.chart.title")),
        empty=words.message(msg("digest.chart.empty")),
        number=lambda value: translator.number(int(value)),
        day=lambda moment: str(format_date(moment.date(), "d MMM", locale=translator.locale)),
    )
    return render_chart(points, [], now - WEEK, now, text, zone=timezone)


def _points(signatures: Signatures, since: datetime) -> list[Point]:
    readings = [Reading(source, count, at) for source, count, at in signatures.readings]
    return series(signatures.baseline, readings, start=since)


def _rule(signatures: Signatures) -> Rule:
    try:
        if signatures.rule == "every":
            return Rule("every", step=signatures.step)
        if signatures.rule == "list":
            return Rule("list", values=signatures.thresholds)
    except ValueError:
        pass  # settings the petitions cog would refuse: show the default ladder
    return Rule()
