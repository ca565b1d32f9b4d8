"""The rules of `/campaign outbox`: which failed or dead messages an organiser may see,
send again or drop.

A row belongs to the campaign of the place it was written for. Only that campaign's
organisers (or the operator) may act on it, wherever they press the button: a list shown
in a private chat has no place, so the row's own campaign is checked, not the chat's.
"""

from __future__ import annotations

from bot.core.clock import Clock
from bot.core.commands import CampaignRole, Context
from bot.core.errors import PermissionDenied, refuse
from bot.core.richtext import msg
from storage.database import Database
from storage.repositories.outbox_trouble import TroubledRow
from storage.unit import Tx

LIST_LIMIT = 10


class CampaignOutboxService:
    """Lists, retries and drops a campaign's failed and dead outbox rows."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    async def troubled(self, context: Context) -> list[TroubledRow]:
        """The campaign's most recent failed and dead rows, newest first."""
        campaign = _campaign_id(context)
        async with self._database.read() as tx:
            return await tx.outbox.troubled(campaign, LIST_LIMIT)

    async def find(self, context: Context, outbox_id: int) -> TroubledRow:
        """Row `outbox_id`, if it is in trouble and the caller organises its campaign."""
        async with self._database.read() as tx:
            return await _authorised(tx, context, outbox_id)

    async def retry(self, context: Context, outbox_id: int) -> TroubledRow:
        """Send the row again now, with a fresh set of attempts."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            row = await _authorised(tx, context, outbox_id)
            await tx.outbox.retry_troubled(row.id, now)
            await self._audit(tx, context, "outbox.retry", row)
        return row

    async def drop(self, context: Context, outbox_id: int) -> TroubledRow:
        """Give up on the row for good: it is cancelled, and never sent."""
        async with self._database.transaction() as tx:
            row = await _authorised(tx, context, outbox_id)
            await tx.outbox.drop_troubled(row.id, f"dropped by {context.actor.key}")
            await self._audit(tx, context, "outbox.drop", row)
        return row

    async def _audit(self, tx: Tx, context: Context, action: str, row: TroubledRow) -> None:
        await tx.audit.record(
            at=self._clock.now(),
            actor=context.actor.key,
            action=action,
            campaign_id=row.campaign_id,
            outbox_id=row.id,
            key=row.dedupe_key,
        )


def _campaign_id(context: Context) -> int:
    if context.campaign is None:
        raise refuse("error.not_set_up")
    return context.campaign.id


async def _authorised(tx: Tx, context: Context, outbox_id: int) -> TroubledRow:
    """The row, if it is failed or dead and the caller may act on it; else a refusal that
    never says whether another campaign's row exists."""
    row = await tx.outbox.find_troubled(outbox_id)
    if row is None or row.campaign_id is None:
        raise refuse("outbox.no_such_row", id=str(outbox_id))
    if context.authority.is_owner:
        return row
    if await tx.roles.role_of(row.campaign_id, context.actor.key) == CampaignRole.ORGANISER:
        return row
    if context.campaign is not None and context.campaign.id == row.campaign_id:
        raise PermissionDenied(msg("error.needs_organiser"))
    raise refuse("outbox.no_such_row", id=str(outbox_id))
