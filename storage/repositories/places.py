"""Places: a Discord server, a Telegram group or the console, joined to a campaign."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import desc, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from storage.errors import Conflict
from storage.records import Campaign, Place
from storage.repositories.base import Repository
from storage.schema import audit_log, campaigns, places, roles

# Audit actions done only by a place's administrators, in that place.
_ADMIN_ACTIONS = ("campaign.create", "campaign.join", "place.update")

PLACE_SETTINGS = frozenset({"title", "locale", "timezone", "announcement_channel"})


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
        posting_problem=row.posting_problem,
        posting_problem_chat=row.posting_problem_chat,
        posting_problem_since=row.posting_problem_since,
    )


# What a place's settings change clears: a new channel (or any fix) is tried afresh.
_NO_PROBLEM: dict[str, Any] = {
    "posting_problem": "",
    "posting_problem_chat": "",
    "posting_problem_since": None,
}


class PlaceRepository(Repository):
    """The places table."""

    async def add(
        self,
        *,
        platform: str,
        external_id: str,
        campaign_id: int,
        title: str,
        locale: str,
        timezone: str,
        announcement_channel: str,
        now: datetime,
    ) -> Place:
        """Join a place to a campaign; `Conflict` when the place already belongs to one."""
        statement = (
            insert(places)
            .values(
                platform=platform,
                external_id=external_id,
                campaign_id=campaign_id,
                title=title,
                locale=locale,
                timezone=timezone,
                announcement_channel=announcement_channel,
                active=True,
                created_at=now,
                updated_at=now,
            )
            .returning(*places.c)
        )
        try:
            async with self._connection.begin_nested():
                result = await self._connection.execute(statement)
        except IntegrityError:
            raise Conflict(f"{platform}:{external_id} already belongs to a campaign") from None
        return _place(result.one())

    async def find(self, platform: str, external_id: str) -> Place | None:
        result = await self._connection.execute(
            select(places).where(places.c.platform == platform, places.c.external_id == external_id)
        )
        row = result.one_or_none()
        return _place(row) if row else None

    async def contexts_of(
        self, keys: Sequence[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], tuple[Place | None, Campaign | None, str | None]]:
        """For each (platform, external id, user key): the place, its campaign and the user's
        role there. Two queries for any number of keys (commands arriving together)."""
        found: dict[tuple[str, str, str], tuple[Place | None, Campaign | None, str | None]] = {
            key: (None, None, None) for key in keys
        }
        if not keys:
            return found
        wanted = {(platform, external_id) for platform, external_id, _user in keys}
        rows = await self._connection.execute(
            select(*places.c, *(column.label(f"joined_{column.name}") for column in campaigns.c))
            .select_from(places.outerjoin(campaigns, campaigns.c.id == places.c.campaign_id))
            .where(tuple_(places.c.platform, places.c.external_id).in_(sorted(wanted)))
        )
        by_place: dict[tuple[str, str], tuple[Place, Campaign | None]] = {}
        for row in rows:
            campaign = _joined_campaign(row)
            by_place[(row.platform, row.external_id)] = (_place(row), campaign)
        campaign_ids = {c.id for _p, c in by_place.values() if c is not None}
        users = {user for _platform, _external, user in keys}
        role_of: dict[tuple[int, str], str] = {}
        if campaign_ids:
            role_rows = await self._connection.execute(
                select(roles.c.campaign_id, roles.c.user_key, roles.c.role).where(
                    roles.c.campaign_id.in_(sorted(campaign_ids)),
                    roles.c.user_key.in_(sorted(users)),
                )
            )
            role_of = {(r.campaign_id, r.user_key): r.role for r in role_rows}
        for platform, external_id, user in keys:
            if (platform, external_id) not in by_place:
                continue
            place, campaign = by_place[(platform, external_id)]
            role = role_of.get((campaign.id, user)) if campaign else None
            found[(platform, external_id, user)] = (place, campaign, role)
        return found

    async def get(self, place_id: int) -> Place | None:
        result = await self._connection.execute(select(places).where(places.c.id == place_id))
        row = result.one_or_none()
        return _place(row) if row else None

    async def of_campaign(self, campaign_id: int, *, active_only: bool = True) -> list[Place]:
        query = select(places).where(places.c.campaign_id == campaign_id)
        if active_only:
            query = query.where(places.c.active.is_(True))
        result = await self._connection.execute(query.order_by(places.c.id))
        return [_place(row) for row in result]

    async def needing_attention(self, campaign_id: int, limit: int) -> list[Place]:
        """The campaign's places where Chorus cannot post: removed (inactive), or still there
        with a posting problem. At most `limit`, oldest places first."""
        result = await self._connection.execute(
            select(places)
            .where(
                places.c.campaign_id == campaign_id,
                places.c.active.is_(False) | places.c.posting_problem_since.is_not(None),
            )
            .order_by(places.c.id)
            .limit(limit)
        )
        return [_place(row) for row in result]

    async def count_by_campaign(self, campaign_id: int) -> dict[str, int]:
        """Active places of the campaign, per platform."""
        result = await self._connection.execute(
            select(places.c.platform, func.count())
            .where(places.c.campaign_id == campaign_id, places.c.active.is_(True))
            .group_by(places.c.platform)
        )
        return {platform: count for platform, count in result}

    async def update_settings(self, place_id: int, now: datetime, **changes: str) -> Place:
        """Change a place's own settings. Any change ends a posting problem (the next send
        tells whether it is solved); a new announcement channel makes the place active."""
        unknown = set(changes) - PLACE_SETTINGS
        if unknown:
            raise ValueError(f"not place settings: {sorted(unknown)}")
        result = await self._connection.execute(
            update(places)
            .where(places.c.id == place_id)
            .values(updated_at=now, **changes, **_NO_PROBLEM, **_back_if_new_channel(changes))
            .returning(*places.c)
        )
        return _place(result.one())

    async def flag_posting_problem(
        self, place_id: int, chat_id: str, reason: str, now: datetime
    ) -> Place | None:
        """Record that the bot may not post in `chat_id` of this place; the place if this is
        news, None if the place already has a posting problem (in that chat or another: two
        broken channels must not take turns telling people)."""
        result = await self._connection.execute(
            update(places)
            .where(
                places.c.id == place_id,
                places.c.active.is_(True),
                places.c.posting_problem_since.is_(None),
            )
            .values(
                posting_problem=reason[:200],
                posting_problem_chat=chat_id[:64],
                posting_problem_since=now,
            )
            .returning(*places.c)
        )
        row = result.one_or_none()
        return _place(row) if row else None

    async def place_of_chat(self, platform: str, chat_id: str) -> Place | None:
        """The active place that announces in `chat_id` (or is that chat), if one does."""
        result = await self._connection.execute(
            select(places)
            .where(
                places.c.platform == platform,
                (places.c.announcement_channel == chat_id) | (places.c.external_id == chat_id),
                places.c.active.is_(True),
            )
            .order_by(places.c.id)
            .limit(1)
        )
        row = result.one_or_none()
        return _place(row) if row else None

    async def clear_posting_problem(self, place_id: int, chat_id: str) -> bool:
        """A send to `chat_id` went through: its posting problem is over. True if there was one."""
        result = await self._connection.execute(
            update(places)
            .where(places.c.id == place_id, places.c.posting_problem_chat == chat_id)
            .values(**_NO_PROBLEM)
        )
        return bool(result.rowcount)

    async def administrators(self, place_id: int, limit: int = 3) -> list[str]:
        """User keys of the place's administrators Chorus knows: those who set it up or last
        changed its settings there (most recent first). Only they are known to be able to
        fix the place on its platform."""
        latest = func.max(audit_log.c.id)
        result = await self._connection.execute(
            select(audit_log.c.actor)
            .where(audit_log.c.place_id == place_id, audit_log.c.action.in_(_ADMIN_ACTIONS))
            .group_by(audit_log.c.actor)
            .order_by(desc(latest))
            .limit(limit)
        )
        return [actor for (actor,) in result]

    async def set_active(
        self, place_id: int, active: bool, now: datetime, reason: str = ""
    ) -> None:
        """Mark a place reachable again, or not (the bot was removed, blocked, kicked)."""
        await self._connection.execute(
            update(places)
            .where(places.c.id == place_id)
            .values(
                active=active,
                inactive_reason="" if active else reason,
                updated_at=now,
                **(_NO_PROBLEM if active else {}),
            )
        )

    async def deactivate_chat(self, platform: str, chat_id: str, now: datetime, reason: str) -> int:
        """Mark inactive the place reached through `chat_id` (external id or channel)."""
        result = await self._connection.execute(
            update(places)
            .where(
                places.c.platform == platform,
                (places.c.external_id == chat_id) | (places.c.announcement_channel == chat_id),
                places.c.active.is_(True),
            )
            .values(active=False, inactive_reason=reason, updated_at=now, **_NO_PROBLEM)
        )
        return result.rowcount

    async def move(self, platform: str, old_id: str, new_id: str, now: datetime) -> None:
        """A chat changed id (Telegram group → supergroup): keep the place, change its ids."""
        await self._connection.execute(
            update(places)
            .where(places.c.platform == platform, places.c.external_id == old_id)
            .values(external_id=new_id, updated_at=now)
        )
        await self._connection.execute(
            update(places)
            .where(places.c.platform == platform, places.c.announcement_channel == old_id)
            .values(announcement_channel=new_id, updated_at=now)
        )


def _back_if_new_channel(changes: dict[str, str]) -> dict[str, Any]:
    """A place whose announcement channel was deleted comes back with a new one (only
    someone in the place, so with the bot there, can choose it)."""
    if "announcement_channel" not in changes:
        return {}
    return {"active": True, "inactive_reason": ""}


def _joined_campaign(row: Any) -> Campaign | None:
    if row.joined_id is None:
        return None
    return Campaign(
        id=row.joined_id,
        name=row.joined_name,
        hashtag=row.joined_hashtag,
        timezone=row.joined_timezone,
        locale=row.joined_locale,
        created_by=row.joined_created_by,
        created_at=row.joined_created_at,
    )
