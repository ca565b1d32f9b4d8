"""Testimonies, their per-campaign settings, and the decisions taken on them.

Every change of state is a conditional UPDATE (`… WHERE status = 'pending'`): when two
moderators decide at once, or a moderator decides while the author withdraws, exactly one
statement changes the row, on SQLite and on PostgreSQL alike, and the caller learns which.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select, update

from storage.errors import StorageError
from storage.records import OutboxStatus
from storage.repositories.base import Repository
from storage.repositories.testimony_records import (
    Decision,
    ExportedTestimony,
    ExportFilter,
    NewTestimony,
    PostedCopy,
    Testimony,
    TestimonySettings,
    decision_of,
    settings_of,
    testimony_of,
)
from storage.schema import outbox, places
from storage.tables.testimonies import testimonies, testimony_decisions, testimony_settings

__all__ = [
    "Decision",
    "ExportFilter",
    "ExportedTestimony",
    "NewTestimony",
    "PostedCopy",
    "Testimony",
    "TestimonyRepository",
    "TestimonySettings",
]

# Who took a decision, once that moderator asked to be forgotten.
FORGOTTEN = "forgotten"


class TestimonyRepository(Repository):
    """The testimonies, testimony_settings and testimony_decisions tables."""

    # --- settings ----------------------------------------------------------------------
    def _settings_query(self, campaign_id: int) -> Select[Any]:
        # With the review place's language, which its alerts are written in.
        return (
            select(testimony_settings, places.c.locale.label("review_locale"))
            .select_from(
                testimony_settings.outerjoin(
                    places, places.c.id == testimony_settings.c.review_place_id
                )
            )
            .where(testimony_settings.c.campaign_id == campaign_id)
        )

    async def settings(self, campaign_id: int) -> TestimonySettings | None:
        result = await self._connection.execute(self._settings_query(campaign_id))
        row = result.one_or_none()
        return settings_of(row) if row else None

    async def ensure_settings(
        self, campaign_id: int, categories: Sequence[str], now: datetime, *, lock: bool = False
    ) -> TestimonySettings:
        """The campaign's settings (created with defaults if missing), locked as by
        `lock_settings` when `lock`; StorageError if the campaign is gone."""
        await self._connection.execute(
            self.insert_ignoring_duplicates(testimony_settings).values(
                campaign_id=campaign_id, categories=list(categories), updated_at=now
            )
        )
        found = await (self.lock_settings if lock else self.settings)(campaign_id)
        if found is None:  # deleted meanwhile, outside Chorus
            raise StorageError(f"campaign {campaign_id} is gone from the database")
        return found

    async def lock_settings(self, campaign_id: int) -> TestimonySettings | None:
        """The settings row (None before there is one), locked until the transaction ends.

        Submissions to one campaign take this lock first, so that two processes checking
        one member's quota at once cannot both pass it (PostgreSQL). SQLite's write
        transactions are serial already and ignore the clause.
        """
        result = await self._connection.execute(
            self._settings_query(campaign_id).with_for_update(of=testimony_settings)
        )
        row = result.one_or_none()
        return settings_of(row) if row else None

    async def update_settings(self, campaign_id: int, now: datetime, **changes: Any) -> None:
        # What a campaign may change: every column but its key and the bookkeeping.
        fixed = {"campaign_id", "organisers_told_at", "updated_at"}
        unknown = set(changes) - (set(testimony_settings.c.keys()) - fixed)
        if unknown:
            raise ValueError(f"not testimony settings: {sorted(unknown)}")
        await self._connection.execute(
            update(testimony_settings)
            .where(testimony_settings.c.campaign_id == campaign_id)
            .values(updated_at=now, **changes)
        )

    async def mark_organisers_told(self, campaign_id: int, now: datetime) -> bool:
        """Note that the organisers were told about the missing review place; False if they
        had been already."""
        result = await self._connection.execute(
            update(testimony_settings)
            .where(
                testimony_settings.c.campaign_id == campaign_id,
                testimony_settings.c.organisers_told_at.is_(None),
            )
            .values(organisers_told_at=now)
        )
        return result.rowcount == 1

    # --- writing -------------------------------------------------------------------------
    async def add_batch(
        self, items: Sequence[tuple[NewTestimony, str, datetime]]
    ) -> dict[str, Testimony]:
        """Store pending testimonies, (testimony, reference, submitted at), in one statement;
        those stored, by reference.

        A reference that is already taken is skipped, not an error: the caller gives that
        testimony another reference and tries again.
        """
        if not items:
            return {}
        # Only the ids come back: the rest of each record is what was just written.
        statement = self.insert_ignoring_duplicates(testimonies).returning(
            testimonies.c.id, testimonies.c.reference
        )
        result = await self._connection.execute(
            statement,
            [
                {
                    "reference": reference,
                    "campaign_id": new.campaign_id,
                    "place_id": new.place_id,
                    "author_key": new.author_key,
                    "display_name": new.display_name,
                    "title": new.title,
                    "story": new.story,
                    "category": new.category,
                    "consent": new.consent,
                    "status": "pending",
                    "featured": False,
                    "locale": new.locale,
                    "created_at": at,
                    "updated_at": at,
                }
                for new, reference, at in items
            ],
        )
        ids = {reference: id_ for id_, reference in result}
        return {
            reference: Testimony(
                id=ids[reference],
                reference=reference,
                campaign_id=new.campaign_id,
                place_id=new.place_id,
                author_key=new.author_key,
                display_name=new.display_name,
                title=new.title,
                story=new.story,
                category=new.category,
                consent=new.consent,
                status="pending",
                featured=False,
                locale=new.locale,
                created_at=at,
                updated_at=at,
                decided_at=None,
                decided_by=None,
            )
            for new, reference, at in items
            if reference in ids
        }

    async def quota_history(
        self, campaign_id: int, authors: Collection[str], since: datetime
    ) -> dict[str, tuple[list[datetime], int]]:
        """For each author: when they submitted since `since` (oldest first; deleted and
        withdrawn ones count), and how many of theirs wait for review. One query."""
        result = await self._connection.execute(
            select(testimonies.c.author_key, testimonies.c.created_at, testimonies.c.status)
            .where(
                testimonies.c.campaign_id == campaign_id,
                testimonies.c.author_key.in_(list(authors)),
                (testimonies.c.created_at > since) | (testimonies.c.status == "pending"),
            )
            .order_by(testimonies.c.created_at)
        )
        history: dict[str, tuple[list[datetime], int]] = {key: ([], 0) for key in authors}
        for author, created_at, status in result:
            recent, pending = history[author]
            if created_at > since:
                recent.append(created_at)
            history[author] = (recent, pending + (status == "pending"))
        return history

    async def change_status(
        self,
        testimony_id: int,
        *,
        expected: Collection[str],
        status: str,
        now: datetime,
        decided_by: str | None = None,
        featured: bool | None = None,
    ) -> bool:
        """Move the testimony to `status` if it is in one of `expected`; False otherwise."""
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if decided_by is not None:
            values.update(decided_by=decided_by, decided_at=now)
        if featured is not None:
            values["featured"] = featured
        result = await self._connection.execute(
            update(testimonies)
            .where(testimonies.c.id == testimony_id, testimonies.c.status.in_(list(expected)))
            .values(**values)
        )
        return result.rowcount == 1

    async def feature(self, testimony_id: int, decided_by: str, now: datetime) -> bool:
        """Feature an approved testimony that is not featured yet; False otherwise."""
        result = await self._connection.execute(
            update(testimonies)
            .where(
                testimonies.c.id == testimony_id,
                testimonies.c.status == "approved",
                testimonies.c.featured.is_(False),
            )
            .values(featured=True, decided_by=decided_by, decided_at=now, updated_at=now)
        )
        return result.rowcount == 1

    async def erase(self, testimony_id: int, now: datetime, *, forget_author: bool) -> None:
        """Leave a tombstone: the reference and dates stay, every word of the story goes.

        With `forget_author` the author's key goes too (they asked to be forgotten).
        """
        values: dict[str, Any] = {
            "status": "deleted",
            "title": "",
            "story": "",
            "display_name": "",
            "featured": False,
            "updated_at": now,
        }
        if forget_author:
            values["author_key"] = None
        await self._connection.execute(
            update(testimonies).where(testimonies.c.id == testimony_id).values(**values)
        )
        await self._connection.execute(
            update(testimony_decisions)
            .where(testimony_decisions.c.testimony_id == testimony_id)
            .values(reason="")
        )

    async def record_decision(
        self, testimony_id: int, decision: str, actor: str, now: datetime, reason: str = ""
    ) -> None:
        await self._connection.execute(
            insert(testimony_decisions).values(
                testimony_id=testimony_id, decision=decision, actor=actor, reason=reason, at=now
            )
        )

    async def cancel_messages(self, reference: str, *, erase: bool) -> int:
        """Cancel the unsent outbox rows of this testimony (alerts, notices, posts).

        With `erase` the payloads of all its rows, sent ones included, are emptied too:
        the story must not outlive its deletion in the outbox. Returns how many were
        cancelled.
        """
        mine = outbox.c.dedupe_key.like(f"testimony:{reference}:%")
        unsent = [OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]
        result = await self._connection.execute(
            update(outbox)
            .where(mine, outbox.c.status.in_(unsent))
            .values(
                status=OutboxStatus.CANCELLED.value,
                last_error="cancelled: the testimony was withdrawn or deleted",
                lease_owner=None,
                lease_until=None,
            )
        )
        if erase:
            await self._connection.execute(update(outbox).where(mine).values(payload={}))
        return result.rowcount

    async def posted_copies(self, reference: str) -> list[PostedCopy]:
        """The story's posts in announcement channels that were sent (see `notices.posts`)."""
        result = await self._connection.execute(
            select(
                outbox.c.id,
                outbox.c.platform,
                outbox.c.chat_id,
                outbox.c.place_id,
                outbox.c.platform_message_id,
                places.c.locale,
            )
            .select_from(outbox.outerjoin(places, places.c.id == outbox.c.place_id))
            .where(
                outbox.c.dedupe_key.like(f"testimony:{reference}:post:%"),
                outbox.c.status == OutboxStatus.SENT.value,
                outbox.c.platform_message_id.is_not(None),
            )
            .order_by(outbox.c.id)
        )
        return [
            PostedCopy(row[0], row[1], row[2], row[3], row[4], row[5] or "en") for row in result
        ]

    # --- reading -------------------------------------------------------------------------
    async def by_reference(self, reference: str) -> Testimony | None:
        result = await self._connection.execute(
            select(testimonies).where(testimonies.c.reference == reference)
        )
        row = result.one_or_none()
        return testimony_of(row) if row else None

    async def by_references(self, references: Collection[str]) -> dict[str, Testimony]:
        """Those of `references` that exist, by reference."""
        result = await self._connection.execute(
            select(testimonies).where(testimonies.c.reference.in_(list(references)))
        )
        return {row.reference: testimony_of(row) for row in result}

    async def of_author(self, author_key: str, campaign_id: int | None = None) -> list[Testimony]:
        """The author's testimonies (tombstones included), newest first."""
        query = select(testimonies).where(testimonies.c.author_key == author_key)
        if campaign_id is not None:
            query = query.where(testimonies.c.campaign_id == campaign_id)
        result = await self._connection.execute(
            query.order_by(testimonies.c.created_at.desc(), testimonies.c.id.desc())
        )
        return [testimony_of(row) for row in result]

    async def pending(self, campaign_id: int, offset: int, limit: int) -> list[Testimony]:
        """A page of the review queue, oldest first."""
        result = await self._connection.execute(
            select(testimonies)
            .where(testimonies.c.campaign_id == campaign_id, testimonies.c.status == "pending")
            .order_by(testimonies.c.created_at, testimonies.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [testimony_of(row) for row in result]

    async def count_by_status(self, campaign_id: int) -> dict[str, int]:
        result = await self._connection.execute(
            select(testimonies.c.status, func.count())
            .where(testimonies.c.campaign_id == campaign_id)
            .group_by(testimonies.c.status)
        )
        return {status: count for status, count in result}

    async def decisions(self, testimony_id: int) -> list[Decision]:
        result = await self._connection.execute(
            select(testimony_decisions)
            .where(testimony_decisions.c.testimony_id == testimony_id)
            .order_by(testimony_decisions.c.id)
        )
        return [decision_of(row) for row in result]

    # --- privacy -------------------------------------------------------------------------
    async def forget_author(self, author_key: str, now: datetime) -> list[str]:
        """Tombstone every testimony of `author_key` and drop the key; their references."""
        owned = await self.of_author(author_key)
        for testimony in owned:
            await self.erase(testimony.id, now, forget_author=True)
        return [testimony.reference for testimony in owned]

    async def forget_moderator(self, user_key: str) -> None:
        """Decisions taken by `user_key` stay, but no longer say who took them."""
        await self._connection.execute(
            update(testimonies)
            .where(testimonies.c.decided_by == user_key)
            .values(decided_by=FORGOTTEN)
        )
        await self._connection.execute(
            update(testimony_decisions)
            .where(testimony_decisions.c.actor == user_key)
            .values(actor=FORGOTTEN)
        )
