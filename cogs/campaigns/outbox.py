"""`/campaign outbox`: the campaign's messages that did not go out, to send again or drop.

Organisers see the most recent `failed` rows (refused by a platform) and `dead` ones (every
allowed attempt failed), each with its key, its reason and when it was last due. A button
or `retry:N` sends one again; `drop:N` or a button asks first, then cancels it for good.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.commands import (
    Arguments,
    ButtonAction,
    Command,
    Context,
    Permission,
)
from bot.core.errors import refuse
from bot.core.options import IntegerOption
from bot.core.replies import Button, Reply
from bot.core.richtext import Bullets, Code, Moment, Msg, Para, Text, doc, msg
from cogs.campaigns.outbox_service import CampaignOutboxService
from storage.repositories.outbox_trouble import TroubledRow

RETRY = "outbox.retry"
DROP = "outbox.drop"
DROP_CONFIRMED = "outbox.drop_confirmed"
WITH_BUTTONS = 5  # rows that get their own buttons; the others are typed (`retry:N`)
MAX_ROW = 2**31 - 1  # the largest row number a database id column holds


class CampaignOutbox:
    """`/campaign outbox` and its buttons."""

    name = "campaign_outbox"

    def __init__(self, service: CampaignOutboxService) -> None:
        self._service = service

    def commands(self) -> Sequence[Command]:
        return (
            Command(
                "campaign outbox",
                msg("help.campaign_outbox"),
                self.outbox,
                options=(
                    _row_option("retry", msg("option.outbox_retry")),
                    _row_option("drop", msg("option.outbox_drop")),
                ),
                permission=Permission.ORGANISER,
            ),
        )

    def buttons(self) -> Sequence[ButtonAction]:
        # The service checks the row's own campaign: a list shown privately has no place.
        return (
            ButtonAction(RETRY, self.retry_pressed),
            ButtonAction(DROP, self.drop_pressed),
            ButtonAction(DROP_CONFIRMED, self.drop_confirmed),
        )

    async def outbox(self, context: Context, args: Arguments) -> Reply:
        """List the failed and dead messages; with `retry:N` or `drop:N`, act on one."""
        retry, drop = args.integer("retry"), args.integer("drop")
        if retry is not None and drop is not None:
            raise refuse("outbox.one_action")
        if retry is not None:
            return await self.retry_pressed(context, str(retry))
        if drop is not None:
            return await self.drop_pressed(context, str(drop))
        rows = await self._service.troubled(context)
        if not rows:
            return Reply(doc(msg("outbox.none")), private=True)
        zone = context.place.timezone if context.place else "UTC"
        return Reply(
            (
                Para((msg("outbox.title", count=len(rows)),)),
                Bullets(tuple((_line(row, zone),) for row in rows)),
                Para((msg("outbox.how", retry=Code("retry:N"), drop=Code("drop:N")),)),
            ),
            buttons=tuple(
                button
                for row in rows[:WITH_BUTTONS]
                for button in (
                    Button(RETRY, msg("outbox.button.retry", id=str(row.id)), str(row.id)),
                    Button(DROP, msg("outbox.button.drop", id=str(row.id)), str(row.id)),
                )
            ),
            private=True,
        )

    async def retry_pressed(self, context: Context, key: str) -> Reply:
        """Send row `key` again now."""
        row = await self._service.retry(context, _row_id(key))
        return Reply(
            doc(msg("outbox.retried", id=str(row.id), name=Code(row.dedupe_key))), private=True
        )

    async def drop_pressed(self, context: Context, key: str) -> Reply:
        """Ask before dropping row `key`: a dropped message is never sent."""
        row = await self._service.find(context, _row_id(key))
        return Reply(
            doc(msg("outbox.drop.confirm", id=str(row.id), name=Code(row.dedupe_key))),
            buttons=(Button(DROP_CONFIRMED, msg("outbox.button.drop_now", id=str(row.id)), key),),
            private=True,
        )

    async def drop_confirmed(self, context: Context, key: str) -> Reply:
        """Drop row `key` for good (the confirmation was pressed)."""
        row = await self._service.drop(context, _row_id(key))
        return Reply(
            doc(msg("outbox.dropped", id=str(row.id), name=Code(row.dedupe_key))), private=True
        )


def _row_option(name: str, help_text: Msg) -> IntegerOption:
    return IntegerOption(name=name, help=help_text, required=False, min_value=1, max_value=MAX_ROW)


def _row_id(key: str) -> int:
    """A row number from a button's key or an option; refused when it is none."""
    if not key.isdigit() or not 0 < int(key) <= MAX_ROW:
        raise refuse("outbox.no_such_row", id=key[:20])
    return int(key)


def _line(row: TroubledRow, zone: str) -> Msg:
    status = (
        msg("outbox.status.dead", attempts=row.attempts)
        if row.status == "dead"
        else msg("outbox.status.failed")
    )
    return msg(
        "outbox.line",
        id=str(row.id),
        status=status,
        name=Code(row.dedupe_key),
        reason=Text(row.reason or "—"),
        when=Moment(row.last_due, zone),
    )
