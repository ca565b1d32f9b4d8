"""The rules of testimonies for moderators: the queue, decisions, the review place, settings.

A decision is a conditional update of a pending testimony, in one transaction with its
record (who, when, why), its audit entry and its messages (the author's notice, the posts):
when two moderators press at once, the first wins and the second is told it was decided.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from bot.core.clock import Clock
from bot.core.commands import Context
from bot.core.errors import PermissionDenied, UserError, refuse
from bot.core.richtext import msg
from cogs.testimonies import notices, texts
from cogs.testimonies.model import CATEGORIES, PUBLISHABLE, Status, parse_reference
from cogs.testimonies.service import find, joined, settings_of
from storage.database import Database
from storage.records import NewMessage
from storage.repositories.testimonies import Decision, Testimony, TestimonySettings
from storage.unit import Tx

QUEUE_PAGE = 5
# Stories already waiting when a review place is chosen get their alert there, up to this.
BACKLOG_ALERTS = 50
# What a moderator decides; each button and command passes its own as a literal.
DecisionName = Literal["approve", "reject", "feature"]


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: list[Testimony]
    page: int
    pages: int
    total: int
    campaign_id: int
    has_review_place: bool


class ReviewService:
    """Moderators' side of testimonies."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    async def decide(
        self, context: Context, raw_reference: str, decision: DecisionName, reason: str = ""
    ) -> Testimony:
        """Approve, reject (with a reason for the author) or feature a testimony.

        Featuring a pending testimony approves it too; featuring an approved one only marks
        it. Approval posts a consented story to the campaign's places when the campaign
        asks for that.
        """
        reference = parse_reference(raw_reference)
        actor, now = context.actor.key, self._clock.now()
        async with self._denials(context, reference), self._database.transaction() as tx:
            testimony = await self._authorised(tx, context, reference)
            newly_approved = False
            if decision == "feature" and testimony.status == Status.APPROVED:
                changed = await tx.testimonies.feature(testimony.id, actor, now)
            else:
                to = Status.REJECTED if decision == "reject" else Status.APPROVED
                changed = await tx.testimonies.change_status(
                    testimony.id,
                    expected=(Status.PENDING.value,),
                    status=to.value,
                    now=now,
                    decided_by=actor,
                    featured=True if decision == "feature" else None,
                )
                newly_approved = to is Status.APPROVED
            if not changed:
                current = await tx.testimonies.by_reference(reference)
                raise UserError(texts.already_decided(current, reference))
            decided = await tx.testimonies.by_reference(reference)
            # Found above and changed by this transaction (its row is ours until the commit);
            # testimonies are never deleted, only erased in place.
            assert decided is not None
            await tx.testimonies.record_decision(testimony.id, decision, actor, now, reason)
            await tx.audit.record(
                at=now,
                actor=actor,
                action=f"testimony.{decision}",
                campaign_id=testimony.campaign_id,
                place_id=context.place.id if context.place else None,
                reference=reference,
            )
            messages: list[NewMessage] = []
            if notice := notices.author_notice(decided, decision, now, reason):
                messages.append(notice)
            settings = await settings_of(tx, testimony.campaign_id, now)
            if newly_approved and settings.post_approved and decided.consent in PUBLISHABLE:
                places = await tx.places.of_campaign(testimony.campaign_id)
                messages.extend(notices.posts(decided, places, now))
            await tx.outbox.add_many(messages, now)
        return decided

    async def pending(self, context: Context, raw_reference: str) -> Testimony:
        """The testimony, if it still waits for a decision; else why it does not."""
        reference = parse_reference(raw_reference)
        async with self._denials(context, reference), self._database.read() as tx:
            testimony = await self._authorised(tx, context, reference)
        if testimony.status != Status.PENDING:
            raise UserError(texts.already_decided(testimony, reference))
        return testimony

    async def queue(self, context: Context, page: int, campaign_id: int | None = None) -> QueuePage:
        """A page of the testimonies waiting for review, oldest first.

        `campaign_id` comes from a "next page" button, which may be pressed outside any
        place (a private chat): the caller's role in that campaign is checked then.
        """
        async with self._database.read() as tx:
            if campaign_id is None:
                campaign_id = joined(context)[0].id
            else:
                await authorise(tx, context, campaign_id)
            total = (await tx.testimonies.count_by_status(campaign_id)).get(Status.PENDING, 0)
            pages = max(1, -(-total // QUEUE_PAGE))
            page = min(max(page, 1), pages)
            items = await tx.testimonies.pending(campaign_id, (page - 1) * QUEUE_PAGE, QUEUE_PAGE)
            settings = await tx.testimonies.settings(campaign_id)
        has_place = settings is not None and settings.review_chat_id is not None
        return QueuePage(items, page, pages, total, campaign_id, has_place)

    @contextlib.asynccontextmanager
    async def _denials(self, context: Context, reference: str) -> AsyncIterator[None]:
        """Audit a refused decision, after its own transaction has ended (rolled back)."""
        try:
            yield
        except PermissionDenied:
            async with self._database.transaction() as tx:
                found = await tx.testimonies.by_reference(reference)
                await tx.audit.record(
                    at=self._clock.now(),
                    actor=context.actor.key,
                    action="testimony.denied",
                    campaign_id=found.campaign_id if found else None,
                    place_id=context.place.id if context.place else None,
                    reference=reference,
                )
            raise

    async def _authorised(self, tx: Tx, context: Context, reference: str) -> Testimony:
        """The testimony, if the caller moderates its campaign.

        Decision buttons may be pressed where there is no campaign (a queue shown in a
        private chat), and a modified client can send any button data: so authority is
        checked against the testimony's own campaign, at every press.
        """
        found = await tx.testimonies.by_reference(reference)
        if found is None:
            raise refuse("testimony.unknown", reference=reference)
        if context.campaign is not None and context.campaign.id != found.campaign_id:
            raise refuse("testimony.unknown", reference=reference)
        await authorise(tx, context, found.campaign_id)
        return found

    async def show(self, context: Context, raw_reference: str) -> tuple[Testimony, list[Decision]]:
        campaign, _place = joined(context)
        reference = parse_reference(raw_reference)
        async with self._database.read() as tx:
            testimony = await find(tx, campaign, reference)
            return testimony, await tx.testimonies.decisions(testimony.id)

    async def set_review_place(self, context: Context, *, here: bool) -> int:
        """Make this chat the review place (or stop having one); how many stories wait.

        Stories already waiting get their alert in the new place.
        """
        campaign, place = joined(context)
        now = self._clock.now()
        where = context.where
        async with self._database.transaction() as tx:
            await settings_of(tx, campaign.id, now)
            await tx.testimonies.update_settings(
                campaign.id,
                now,
                review_platform=where.platform.value if here else None,
                review_chat_id=where.chat_id if here else None,
                review_place_id=place.id if here else None,
            )
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="testimonies.review_place",
                campaign_id=campaign.id,
                place_id=place.id,
                set=here,
            )
            waiting = await tx.testimonies.pending(campaign.id, 0, BACKLOG_ALERTS)
            if here:
                settings = await settings_of(tx, campaign.id, now)
                alerts = [notices.review_alert(item, settings, now) for item in waiting]
                await tx.outbox.add_many([a for a in alerts if a is not None], now)
            counts = await tx.testimonies.count_by_status(campaign.id)
        return counts.get(Status.PENDING, 0)

    async def settings(self, context: Context) -> TestimonySettings:
        campaign, _place = joined(context)
        async with self._database.transaction() as tx:
            return await settings_of(tx, campaign.id, self._clock.now())

    async def change_settings(self, context: Context, **changes: Any) -> TestimonySettings:
        """Change the campaign's testimony settings (organisers); every change is audited."""
        campaign, place = joined(context)
        if "categories" in changes:
            changes["categories"] = parse_categories(str(changes["categories"]))
        now = self._clock.now()
        async with self._database.transaction() as tx:
            await settings_of(tx, campaign.id, now)
            await tx.testimonies.update_settings(campaign.id, now, **changes)
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="testimonies.settings",
                campaign_id=campaign.id,
                place_id=place.id,
                changed=sorted(changes),
            )
            return await settings_of(tx, campaign.id, now)


async def authorise(tx: Tx, context: Context, campaign_id: int) -> None:
    """Refuse unless the caller moderates or organises `campaign_id` (or is the operator)."""
    if context.authority.is_owner:
        return
    if await tx.roles.role_of(campaign_id, context.actor.key) is None:
        raise PermissionDenied(msg("error.needs_moderator"))


def parse_categories(raw: str) -> list[str]:
    """`writing, legal other` as known categories, in the order given, each once."""
    words = [word.strip().lower() for word in raw.replace(",", " ").split() if word.strip()]
    unknown = [word for word in words if word not in CATEGORIES]
    if unknown or not words:
        raise refuse("testimonies.bad_categories", choices=", ".join(CATEGORIES))
    return list(dict.fromkeys(words))
