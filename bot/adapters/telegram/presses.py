"""Button presses: decoded, checked again by the dispatcher, always answered.

Telegram shows a spinner on a pressed button until the bot answers the callback query, so
every press gets an answer, including one on an expired or unknown button ("no longer
active", as an alert). A short private reply is itself the answer, as an alert only the
presser sees: the nearest Telegram has to Discord's ephemeral messages. Anything longer, with
buttons or a file, goes as a message (private replies to the user's private chat when
possible). When the presser never started the bot, such a private answer is held behind a
deep link that the press opens (see `heldreplies`), not shown in the group.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.error import TelegramError

from bot.adapters.telegram.admins import Administrators
from bot.adapters.telegram.buttons import ButtonCodec
from bot.adapters.telegram.heldreplies import HeldReplies
from bot.adapters.telegram.outgoing import Poster
from bot.adapters.telegram.render import ALERT_LIMIT
from bot.core.dispatcher import Dispatcher
from bot.core.i18n import DEFAULT_LOCALE
from bot.core.probe import PlaceProbe
from bot.core.render import utf16_length
from bot.core.richtext import msg

log = logging.getLogger(__name__)


class ButtonPresses:
    """Answers callback queries."""

    def __init__(
        self,
        *,
        dispatcher: Dispatcher,
        admins: Administrators,
        poster: Poster,
        codec: ButtonCodec,
        probe: PlaceProbe,
        held: HeldReplies,
    ) -> None:
        self._held = held
        self._dispatcher = dispatcher
        self._admins = admins
        self._poster = poster
        self._codec = codec
        self._probe = probe

    async def on_press(self, update: Update, _context: object) -> None:
        query = update.callback_query
        if query is None:
            return
        incoming = await self._admins.presser(query)
        decoded = await self._codec.decode(query.data or "")
        if incoming is None or decoded is None:
            locale = (
                await self._dispatcher.locale_for(incoming.where) if incoming else DEFAULT_LOCALE
            )
            expired = self._poster.plain(locale).message(msg("error.unknown_button"))
            await self._answer_query(query, expired)
            return
        action, key = decoded
        response = await self._dispatcher.press(
            incoming.actor, incoming.where, action, key, self._probe
        )
        reply = response.reply
        if reply.private and not reply.buttons and reply.attachment is None:
            text = self._poster.plain(response.locale).render(reply.body)
            if utf16_length(text) <= ALERT_LIMIT:
                await self._answer_query(query, text)
                return
        if reply.private and incoming.in_group and incoming.user_id is not None:
            if await self._poster.privately(incoming.user_id, response):
                await self._answer_query(query, None)
                return
            # Not started (or blocked): a link that opens the private chat, answer inside.
            link = await self._held.hold(incoming, response)
            await self._answer_query(query, None, url=link)
            return
        await self._answer_query(query, None)
        await self._poster.answer(incoming, response)

    async def _answer_query(
        self, query: CallbackQuery, alert: str | None, *, url: str | None = None
    ) -> None:
        try:
            if url is not None:
                await query.answer(url=url)
            elif alert is None:
                await query.answer()
            else:
                await query.answer(alert, show_alert=True)
        except TelegramError as error:
            # Too late (Telegram waits about 15 s) or the query is unknown: nothing to do.
            log.info("telegram: cannot answer a button press: %s", error.message)
