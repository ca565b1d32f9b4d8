"""The rules of testimonies for members: submitting, withdrawing, deleting, their data.

A submission is checked here (the form's own field checks, once more; a refusal names the
field), then stored by the intake with its
quota checks and its review alert, all or nothing (see `intake`). Withdrawing and deleting are
one transaction each, with the cancelling of every unsent message about the story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.clock import Clock
from bot.core.commands import Context
from bot.core.errors import UserError, refuse
from bot.core.richtext import Code, msg
from cogs.testimonies import notices, texts
from cogs.testimonies.checks import Labels, StoryChecks, tidy
from cogs.testimonies.intake import Entry, Intake, Limits
from cogs.testimonies.model import (
    AUTHOR,
    CATEGORIES,
    DELETABLE,
    WITHDRAWABLE,
    Status,
    parse_reference,
)
from storage.database import Database
from storage.records import Campaign, Place
from storage.repositories.testimonies import NewTestimony, Testimony, TestimonySettings
from storage.unit import Tx


@dataclass(frozen=True, slots=True)
class Submission:
    """A member's answers, already cleaned by the form (controls and invisibles gone)."""

    title: str
    story: str
    category: str
    display_name: str
    consent: str


def joined(context: Context) -> tuple[Campaign, Place]:
    if context.campaign is None or context.place is None:
        raise refuse("error.not_set_up")
    return context.campaign, context.place


async def find(tx: Tx, campaign: Campaign, reference: str) -> Testimony:
    """The campaign's testimony `reference`; one of another campaign is unknown here too."""
    found = await tx.testimonies.by_reference(reference)
    if found is None or found.campaign_id != campaign.id:
        raise refuse("testimony.unknown", reference=reference)
    return found


async def settings_of(tx: Tx, campaign_id: int, now: datetime) -> TestimonySettings:
    """The campaign's settings, created with the defaults on first use."""
    found = await tx.testimonies.settings(campaign_id)
    if found is not None:
        return found
    return await tx.testimonies.ensure_settings(campaign_id, CATEGORIES, now)


class TestimonyService:
    """Members' side of testimonies: submit, list, withdraw, delete; and their personal data."""

    def __init__(self, database: Database, clock: Clock, limits: Limits) -> None:
        self._database = database
        self._clock = clock
        self._intake = Intake(database, clock, limits)

    def check(self, submission: Submission, labels: Labels) -> Submission:
        """The submission tidied, or a refusal naming the field that cannot be stored."""
        checks = StoryChecks(labels)
        checks.title(submission.title)
        checks.display_name(submission.display_name)
        checks.story(submission.story)
        title = tidy(submission.title, multiline=False)
        story = tidy(submission.story, multiline=True)
        name = tidy(submission.display_name, multiline=False)
        return Submission(title, story, submission.category, name, submission.consent)

    async def submit(self, context: Context, submission: Submission, labels: Labels) -> Testimony:
        """Store a pending testimony and alert the review place, within the member's quotas."""
        campaign, place = joined(context)
        checked = self.check(submission, labels)
        new = NewTestimony(
            campaign_id=campaign.id,
            place_id=place.id,
            author_key=context.actor.key,
            display_name=checked.display_name or _fallback_name(context, checked),
            title=checked.title,
            story=checked.story,
            category=checked.category,
            consent=checked.consent,
            locale=place.locale,
        )
        return await self._intake.store(Entry(campaign, new, place.timezone, labels.category))

    async def check_quota(self, context: Context) -> None:
        """Refuse a member over their quotas before they type a story (see `Intake`)."""
        campaign, place = joined(context)
        await self._intake.check_quota(campaign, context.actor.key, place.timezone)

    # --- the author's own ----------------------------------------------------------------
    async def mine(self, context: Context) -> list[Testimony]:
        campaign, _place = joined(context)
        async with self._database.read() as tx:
            return await tx.testimonies.of_author(context.actor.key, campaign.id)

    async def own(self, context: Context, raw_reference: str) -> Testimony:
        """The caller's testimony `raw_reference`; someone else's is "unknown", not "not yours"."""
        reference = parse_reference(raw_reference)
        async with self._database.read() as tx:
            return await _authored(tx, context, reference)

    async def withdraw(self, context: Context, raw_reference: str) -> Testimony:
        """Unpublish: kept, but never posted or exported again; unsent posts are cancelled,
        and posts already out are edited to say it was withdrawn."""
        return await self._author_act(context, raw_reference, Status.WITHDRAWN)

    async def delete(self, context: Context, raw_reference: str) -> Testimony:
        """Erase the text; the reference stays as a tombstone."""
        return await self._author_act(context, raw_reference, Status.DELETED)

    async def _author_act(self, context: Context, raw_reference: str, to: Status) -> Testimony:
        reference = parse_reference(raw_reference)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            testimony = await _authored(tx, context, reference)
            expected = WITHDRAWABLE if to is Status.WITHDRAWN else DELETABLE
            if not await tx.testimonies.change_status(
                testimony.id, expected=expected, status=to.value, now=now
            ):
                raise UserError(
                    msg(
                        f"testimony.cannot_{to.value}",
                        reference=Code(reference),
                        status=texts.status(testimony),
                    )
                )
            await tx.testimonies.record_decision(testimony.id, to.value, AUTHOR, now)
            erase = to is Status.DELETED
            if erase:
                await tx.testimonies.erase(testimony.id, now, forget_author=False)
            await _unpublish(tx, reference, now, erase=erase)
            changed = await tx.testimonies.by_reference(reference)
        # Found above and changed by this transaction, which held its row; testimonies are
        # never deleted, only erased in place.
        assert changed is not None
        return changed

    # --- personal data (bot.core.privacy) ---------------------------------------------
    async def export_user_data(self, tx: Tx, user_key: str) -> dict[str, Any]:
        """The author's testimonies with their decisions; moderators' identities left out."""
        items = []
        for testimony in await tx.testimonies.of_author(user_key):
            decisions = await tx.testimonies.decisions(testimony.id)
            items.append(
                {
                    "reference": testimony.reference,
                    "campaign_id": testimony.campaign_id,
                    "status": testimony.status,
                    "featured": testimony.featured,
                    "consent": testimony.consent,
                    "category": testimony.category,
                    "title": testimony.title,
                    "story": testimony.story,
                    "display_name": testimony.display_name,
                    "submitted_at": testimony.created_at.isoformat(),
                    "decisions": [
                        {"decision": d.decision, "at": d.at.isoformat(), "reason": d.reason}
                        for d in decisions
                    ],
                }
            )
        return {"testimonies": items}

    async def forget_user(self, tx: Tx, user_key: str) -> None:
        """Tombstones for every story of theirs, their unsent messages cancelled and erased,
        and their name taken off the decisions they took as a moderator."""
        now = self._clock.now()
        for reference in await tx.testimonies.forget_author(user_key, now):
            await _unpublish(tx, reference, now, erase=True)
        await tx.testimonies.forget_moderator(user_key)


async def _unpublish(tx: Tx, reference: str, now: datetime, *, erase: bool) -> None:
    """Take a story out of circulation: its unsent messages are cancelled (and with `erase`
    emptied), and its posts already out are edited to say it was withdrawn."""
    posted = await tx.testimonies.posted_copies(reference)
    await tx.testimonies.cancel_messages(reference, erase=erase)
    await tx.outbox.add_many([notices.retraction(reference, post, now) for post in posted], now)


async def _authored(tx: Tx, context: Context, reference: str) -> Testimony:
    """The caller's own testimony. Its author's buttons may be pressed outside any place
    (in a private chat), so the testimony is found by reference and its author checked."""
    found = await tx.testimonies.by_reference(reference)
    if (
        found is None
        or found.author_key != context.actor.key
        or (context.campaign is not None and context.campaign.id != found.campaign_id)
    ):
        raise refuse("testimony.unknown", reference=reference)
    return found


def _fallback_name(context: Context, submission: Submission) -> str:
    # A story published "with my name" but no name typed carries the platform's display name.
    if submission.consent == "named":
        return tidy(context.actor.display_name, multiline=False)[:60]
    return ""
