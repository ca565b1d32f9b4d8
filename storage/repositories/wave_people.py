"""Who joined a wave, their DM opt-ins and the posts they reported: the personal part of
the waves tables (also what `/privacy` exports and forgets)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.repositories.base import Repository
from storage.repositories.wave_records import (
    PARTICIPANT_COLUMNS,
    WITH_OPT_IN,
    Participant,
    WavePost,
    participant_of_row,
)
from storage.tables.waves import (
    wave_dm_optins,
    wave_occurrences,
    wave_participants,
    wave_posts,
    waves,
)

FORGOTTEN = "forgotten"
_CHUNK = 5000  # rows per executemany, well under SQLite's bound-parameter limit


class WavePeople(Repository):
    """Participants, DM opt-ins and posts (the waves repository's personal data)."""

    # --- participants ------------------------------------------------------------------------
    async def join(
        self,
        wave_id: int,
        *,
        user_key: str,
        platform: str,
        user_id: str,
        display_name: str,
        place_id: int | None,
        now: datetime,
    ) -> bool:
        """Add a participant; False (and nothing changes) when they had joined already."""
        result = await self._connection.execute(
            self.insert_ignoring_duplicates(wave_participants).values(
                wave_id=wave_id,
                user_key=user_key,
                platform=platform,
                user_id=user_id,
                display_name=display_name[:100],
                place_id=place_id,
                wants_dm=False,
                joined_at=now,
            )
        )
        return bool(result.rowcount)

    async def join_many(
        self, wave_id: int, people: Sequence[dict[str, Any]], now: datetime
    ) -> None:
        """Add many participants at once (imports, benchmarks): each dict has `user_key`,
        `platform`, `user_id`, `display_name`, `place_id` and `wants_dm`; those who want DMs
        get an active opt-in unless they have one already."""
        rows = [{**person, "wave_id": wave_id, "joined_at": now} for person in people]
        opt_ins = [
            {
                "platform": person["platform"],
                "user_id": person["user_id"],
                "user_key": person["user_key"],
                "active": True,
                "reason": "",
                "updated_at": now,
            }
            for person in people
            if person["wants_dm"]
        ]
        for table, values in ((wave_participants, rows), (wave_dm_optins, opt_ins)):
            for start in range(0, len(values), _CHUNK):
                await self._connection.execute(
                    self.insert_ignoring_duplicates(table), values[start : start + _CHUNK]
                )

    async def set_wants_dm(self, wave_id: int, user_key: str, wants: bool) -> None:
        await self._connection.execute(
            update(wave_participants)
            .where(wave_participants.c.wave_id == wave_id, wave_participants.c.user_key == user_key)
            .values(wants_dm=wants)
        )

    async def leave(self, wave_id: int, user_key: str) -> bool:
        result = await self._connection.execute(
            delete(wave_participants).where(
                wave_participants.c.wave_id == wave_id, wave_participants.c.user_key == user_key
            )
        )
        return bool(result.rowcount)

    async def participant(self, wave_id: int, user_key: str) -> Participant | None:
        result = await self._connection.execute(
            select(*PARTICIPANT_COLUMNS)
            .select_from(WITH_OPT_IN)
            .where(wave_participants.c.wave_id == wave_id, wave_participants.c.user_key == user_key)
        )
        row = result.first()
        return participant_of_row(row) if row else None

    async def participants(
        self, wave_id: int, *, wants_dm: bool | None = None
    ) -> list[Participant]:
        """Everyone who joined (only those who do or do not want DMs, if given), by join order,
        each with their DM opt-in."""
        query = (
            select(*PARTICIPANT_COLUMNS)
            .select_from(WITH_OPT_IN)
            .where(wave_participants.c.wave_id == wave_id)
            .order_by(wave_participants.c.id)
        )
        if wants_dm is not None:
            query = query.where(wave_participants.c.wants_dm.is_(wants_dm))
        return [participant_of_row(row) for row in await self._connection.execute(query)]

    async def count_participants(self, wave_id: int) -> int:
        result = await self._connection.execute(
            select(func.count()).where(wave_participants.c.wave_id == wave_id)
        )
        return int(result.scalar_one())

    # --- DM opt-ins ------------------------------------------------------------------------
    async def opt_in(self, platform: str, user_id: str, user_key: str, now: datetime) -> None:
        """The user may be written to privately (again): active, with no reason."""
        values = {
            "platform": platform,
            "user_id": user_id,
            "user_key": user_key,
            "active": True,
            "reason": "",
            "updated_at": now,
        }
        changes = {"active": True, "reason": "", "updated_at": now}
        await self._connection.execute(
            self._upsert(wave_dm_optins, values).on_conflict_do_update(
                index_elements=["platform", "user_id"], set_=changes
            )
        )

    async def deactivate_opt_in(
        self, platform: str, user_id: str, reason: str, now: datetime
    ) -> bool:
        """Private messages to the user fail: stop sending them. False if none was active."""
        result = await self._connection.execute(
            update(wave_dm_optins)
            .where(
                wave_dm_optins.c.platform == platform,
                wave_dm_optins.c.user_id == user_id,
                wave_dm_optins.c.active.is_(True),
            )
            .values(active=False, reason=reason[:200], updated_at=now)
        )
        return bool(result.rowcount)

    async def reactivate_opt_in(self, platform: str, user_id: str, now: datetime) -> bool:
        """The user can be written to privately again (they opened their private chat): an
        opt-in that failed DMs had turned off is active again. False if none was inactive;
        no opt-in is made for someone who never asked for one."""
        result = await self._connection.execute(
            update(wave_dm_optins)
            .where(
                wave_dm_optins.c.platform == platform,
                wave_dm_optins.c.user_id == user_id,
                wave_dm_optins.c.active.is_(False),
            )
            .values(active=True, reason="", updated_at=now)
        )
        return bool(result.rowcount)

    # --- posts -----------------------------------------------------------------------------
    async def mark_posted(
        self, occurrence_id: int, user_key: str, link: str, now: datetime
    ) -> bool:
        """Record "I posted" (with a link, or keep the link given before); True if new."""
        values = {
            "occurrence_id": occurrence_id,
            "user_key": user_key,
            "link": link,
            "posted_at": now,
        }
        existing = await self._connection.execute(
            select(wave_posts.c.id).where(
                wave_posts.c.occurrence_id == occurrence_id, wave_posts.c.user_key == user_key
            )
        )
        if existing.first() is not None:
            if link:
                await self._connection.execute(
                    update(wave_posts)
                    .where(
                        wave_posts.c.occurrence_id == occurrence_id,
                        wave_posts.c.user_key == user_key,
                    )
                    .values(link=link)
                )
            return False
        await self._connection.execute(self.insert_ignoring_duplicates(wave_posts).values(**values))
        return True

    async def posts(self, occurrence_id: int) -> list[WavePost]:
        result = await self._connection.execute(
            select(wave_posts)
            .where(wave_posts.c.occurrence_id == occurrence_id)
            .order_by(wave_posts.c.id)
        )
        return [WavePost(r.occurrence_id, r.user_key, r.link, r.posted_at) for r in result]

    # --- privacy ---------------------------------------------------------------------------
    async def user_data(self, user_key: str) -> dict[str, Any]:
        """What the waves tables hold about `user_key`, as JSON-ready data."""
        joined = await self._connection.execute(
            select(wave_participants).where(wave_participants.c.user_key == user_key)
        )
        posted = await self._connection.execute(
            select(wave_posts.c.link, wave_posts.c.posted_at, wave_occurrences.c.wave_id)
            .join(wave_occurrences, wave_occurrences.c.id == wave_posts.c.occurrence_id)
            .where(wave_posts.c.user_key == user_key)
        )
        opt_ins = await self._connection.execute(
            select(wave_dm_optins).where(wave_dm_optins.c.user_key == user_key)
        )
        return {
            "joined": [
                {
                    "wave": row.wave_id,
                    "name": row.display_name,
                    "reminders_by_dm": bool(row.wants_dm),
                    "joined_at": row.joined_at.isoformat(),
                }
                for row in joined
            ],
            "posted": [
                {"wave": row.wave_id, "link": row.link, "at": row.posted_at.isoformat()}
                for row in posted
            ],
            "dm_opt_ins": [
                {"platform": row.platform, "active": bool(row.active), "reason": row.reason}
                for row in opt_ins
            ],
        }

    async def forget(self, user_key: str) -> int:
        """Erase `user_key` from the waves tables; waves they made now say `forgotten`.
        Returns how many participations were erased."""
        dropped = await self._connection.execute(
            delete(wave_participants).where(wave_participants.c.user_key == user_key)
        )
        await self._connection.execute(delete(wave_posts).where(wave_posts.c.user_key == user_key))
        await self._connection.execute(
            delete(wave_dm_optins).where(wave_dm_optins.c.user_key == user_key)
        )
        await self._connection.execute(
            update(waves).where(waves.c.created_by == user_key).values(created_by=FORGOTTEN)
        )
        return dropped.rowcount

    def _upsert(self, table: Table, values: dict[str, Any]) -> postgresql.Insert | sqlite.Insert:
        if self.dialect == "postgresql":
            return postgresql.insert(table).values(**values)
        return sqlite.insert(table).values(**values)
