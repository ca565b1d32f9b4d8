"""Storing submissions in groups: one transaction for all the stories waiting to be stored.

When a campaign asks its members to share their stories, hundreds may arrive in the same
second. Each in a transaction of its own, they would queue behind one another (SQLite has one
writer; PostgreSQL would queue them on the campaign's settings row, which serialises quota
checks). Instead, a submission joins the group being formed; one writer stores a group per
transaction: its quota checks in one query, its stories in one statement, its alerts in one
more. Each submission still gets its own answer: its receipt, or its own refusal (a quota, a
category), which does not affect the others. A group that the database refuses as a whole
(one row it cannot take would fail them all) is split in halves and each half stored again,
down to that row alone: it fails by itself and the others are stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.errors import FieldRefused, QuotaExceeded, UserError
from bot.core.richtext import Moment, Msg, msg
from cogs.testimonies import notices
from cogs.testimonies.model import CATEGORIES, new_reference
from storage.database import Database
from storage.records import Campaign, NewMessage
from storage.repositories.testimonies import NewTestimony, Testimony, TestimonySettings
from storage.unit import Tx

log = logging.getLogger(__name__)

DAY = timedelta(hours=24)
# The most submissions stored in one transaction; more wait for the next.
MOST = 200
REFERENCE_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class Limits:
    """The installation's default quotas; a campaign may set its own."""

    daily: int
    pending: int


@dataclass(frozen=True, slots=True)
class Entry:
    """A checked submission, to be stored: the story and what its refusals need."""

    campaign: Campaign
    testimony: NewTestimony
    zone: str
    category_label: Msg


class Intake:
    """Stores submissions, a group per transaction."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        limits: Limits,
        references: Callable[[int], str] = new_reference,
    ) -> None:
        """`references(attempt)` draws a reference, longer after repeated collisions."""
        self._database = database
        self._clock = clock
        self._limits = limits
        self._references = references
        self._waiting: list[tuple[Entry, asyncio.Future[Testimony]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, entry: Entry) -> Testimony:
        """The stored testimony, or the refusal (`UserError`) that concerns this one alone."""
        future: asyncio.Future[Testimony] = asyncio.get_running_loop().create_future()
        self._waiting.append((entry, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_groups(), name="testimony-intake")
        return await future

    async def _write_groups(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[:MOST], self._waiting[MOST:]
            await self._write_or_split(group)

    async def _write_or_split(self, group: list[tuple[Entry, asyncio.Future[Testimony]]]) -> None:
        """Store `group` in one transaction; should it fail, each half again on its own,
        so that a row the database refuses fails alone (its caller gets the error)."""
        try:
            outcomes = await self._write([entry for entry, _future in group])
        except Exception as error:
            if len(group) > 1:
                log.warning("testimony intake: a group of %d failed; split", len(group))
                half = len(group) // 2
                await self._write_or_split(group[:half])
                await self._write_or_split(group[half:])
                return
            for _entry, future in group:
                if not future.done():
                    future.set_exception(error)
            return
        for (_entry, future), outcome in zip(group, outcomes, strict=True):
            if future.done():  # its caller went away (cancelled)
                continue
            if isinstance(outcome, UserError):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    async def _write(self, entries: Sequence[Entry]) -> list[Testimony | UserError]:
        now = self._clock.now()
        outcomes: dict[int, Testimony | UserError] = {}
        by_campaign: dict[int, list[int]] = {}
        for index, entry in enumerate(entries):
            by_campaign.setdefault(entry.campaign.id, []).append(index)
        async with self._database.transaction() as tx:
            # Campaigns in a fixed order: two processes lock their settings rows alike.
            for campaign_id in sorted(by_campaign):
                indexes = by_campaign[campaign_id]
                stored = await self._write_campaign(tx, [entries[i] for i in indexes], now)
                for index, outcome in zip(indexes, stored, strict=True):
                    outcomes[index] = outcome
        # Every entry is in one campaign's group, and each group gives one outcome per entry.
        return [outcomes[index] for index in range(len(entries))]

    async def _write_campaign(
        self, tx: Tx, entries: Sequence[Entry], now: datetime
    ) -> list[Testimony | UserError]:
        campaign = entries[0].campaign
        settings = await tx.testimonies.lock_settings(campaign.id)
        if settings is None:
            settings = await tx.testimonies.ensure_settings(campaign.id, CATEGORIES, now, lock=True)
        authors = {entry.testimony.author_key for entry in entries}
        history = await tx.testimonies.quota_history(campaign.id, authors, now - DAY)
        outcomes: list[Testimony | UserError | None] = [
            self._refusal(entry, settings, history, now) for entry in entries
        ]
        accepted = [index for index, outcome in enumerate(outcomes) if outcome is None]
        stored = await self._insert(tx, [entries[i].testimony for i in accepted], now)
        for index, testimony in zip(accepted, stored, strict=True):
            outcomes[index] = testimony
        await tx.outbox.add_fanout(await self._messages(tx, campaign, settings, stored, now), now)
        return [outcome for outcome in outcomes if outcome is not None]

    def _refusal(
        self,
        entry: Entry,
        settings: TestimonySettings,
        history: dict[str, tuple[list[datetime], int]],
        now: datetime,
    ) -> UserError | None:
        """Why this submission cannot be stored, counting those accepted before it."""
        new = entry.testimony
        if new.category not in settings.categories:
            choices = ", ".join(settings.categories)
            key = "testimony.category_not_offered"
            refusal = msg(key, field=entry.category_label, choices=choices)
            return FieldRefused(refusal, "category")
        recent, pending = history.get(new.author_key, ([], 0))
        over = self._over_quota(settings, recent, pending, entry.zone)
        if over is None:
            history[new.author_key] = ([*recent, now], pending + 1)
        return over

    async def check_quota(self, campaign: Campaign, author_key: str, zone: str) -> None:
        """Refuse (`QuotaExceeded`) a member who could not submit now: asked before the form
        is shown, so that nobody types a long story that cannot be accepted. Storing checks
        again, since others may have been stored in between."""
        now = self._clock.now()
        async with self._database.read() as tx:
            settings = await tx.testimonies.settings(campaign.id)
            history = await tx.testimonies.quota_history(campaign.id, [author_key], now - DAY)
        if settings is None:  # no story stored yet in this campaign
            return
        recent, pending = history[author_key]
        over = self._over_quota(settings, recent, pending, zone)
        if over is not None:
            raise over

    def _over_quota(
        self, settings: TestimonySettings, recent: list[datetime], pending: int, zone: str
    ) -> QuotaExceeded | None:
        """The quota a member with these submissions (`recent`: the last 24 hours; `pending`:
        waiting for review) has reached, if any."""
        daily = settings.daily_limit or self._limits.daily
        if len(recent) >= daily:
            # The oldest submissions leave the 24-hour window one by one.
            when = Moment(recent[len(recent) - daily] + DAY, zone)
            return QuotaExceeded(msg("testimony.quota.daily", limit=daily, when=when))
        most = settings.pending_limit or self._limits.pending
        if pending >= most:
            return QuotaExceeded(msg("testimony.quota.pending", limit=most))
        return None

    async def _insert(
        self, tx: Tx, testimonies: Sequence[NewTestimony], now: datetime
    ) -> list[Testimony]:
        """Store them all, each under a free reference; in the order given."""
        references: list[str | None] = [None] * len(testimonies)
        found: dict[str, Testimony] = {}
        for attempt in range(REFERENCE_ATTEMPTS):
            missing = [i for i, reference in enumerate(references) if reference not in found]
            if not missing:
                break
            # Two of one group may draw the same reference: the second draws again next time.
            taken = set(found)
            for i in missing:
                drawn = self._references(attempt)
                references[i] = None if drawn in taken else drawn
                taken.add(drawn)
            items = [(testimonies[i], references[i] or "", now) for i in missing if references[i]]
            found.update(await tx.testimonies.add_batch(items))
        else:
            if any(reference not in found for reference in references):
                raise RuntimeError("no free testimony reference")
        return [found[reference or ""] for reference in references]

    async def _messages(
        self,
        tx: Tx,
        campaign: Campaign,
        settings: TestimonySettings,
        stored: Sequence[Testimony],
        now: datetime,
    ) -> list[NewMessage]:
        """The review alerts; or, without a review place, the organisers' hint (once)."""
        if not stored:
            return []
        if settings.review_chat_id is not None:
            alerts = [notices.review_alert(testimony, settings, now) for testimony in stored]
            return [alert for alert in alerts if alert is not None]
        if not await tx.testimonies.mark_organisers_told(campaign.id, now):
            return []
        grants = await tx.roles.of_campaign(campaign.id)
        organisers = [grant for grant in grants if grant.role == "organiser"]
        return notices.organisers_hint(campaign.id, organisers, campaign.locale, now)
