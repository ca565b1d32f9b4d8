"""Private answers to button presses, for people the bot cannot write to yet.

A press in a group whose answer is private and more than a short alert (it has buttons, a
file, or is long) goes to the presser's private chat. Telegram refuses that when the presser
never started the bot, or blocked it. Rather than answering in the group, the answer is then
kept under a token (kind `held_reply`: for that user only, once, for 24 hours) and the press
is answered with the deep link `t.me/<bot>?start=<token>` (answerCallbackQuery's `url`):
Telegram opens the private chat, the member presses Start, and the answer appears there.
From then on the bot may write to them, which is what an opt-in to private reminders (a
wave's "Remind me by DM") needs: opening the link also tells the `on_recipient_back` hook, so
an opt-in that failed private messages had turned off is active again.

A command typed in a group whose answer `opens_private_chat` (`/wave remind 7`) is held the
same way; the group then gets a short note with a button that opens the deep link.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeAlias

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.telegram.admins import Incoming
from bot.adapters.telegram.outgoing import Poster
from bot.core.clock import Clock
from bot.core.dispatcher import Dispatcher, Response
from bot.core.replies import Reply, reply_from_data, reply_to_data
from bot.core.richtext import doc, msg
from storage.database import Database
from storage.unit import Tx

HELD_KIND = "held_reply"
HELD_TTL = timedelta(hours=24)
# A user opened their private chat with the bot: (tx, platform, user id, now).
RecipientBack: TypeAlias = Callable[[Tx, str, str, datetime], Awaitable[None]]


class HeldReplies:
    """Keeps private answers behind deep links, and shows them when the link is opened."""

    def __init__(
        self,
        *,
        dispatcher: Dispatcher,
        database: Database,
        clock: Clock,
        poster: Poster,
        bot_username: Callable[[], str],
        on_recipient_back: RecipientBack | None = None,
    ) -> None:
        self._on_recipient_back = on_recipient_back
        self._dispatcher = dispatcher
        self._database = database
        self._clock = clock
        self._poster = poster
        self._bot_username = bot_username

    async def hold(self, incoming: Incoming, response: Response) -> str:
        """Keep `response` for the presser; the deep link that shows it."""
        token = secrets.token_urlsafe(16)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            await tx.tokens.create(
                token=token,
                kind=HELD_KIND,
                payload={"reply": reply_to_data(response.reply), "locale": response.locale},
                user_key=incoming.actor.key,
                now=now,
                expires_at=now + HELD_TTL,
            )
        return f"https://t.me/{self._bot_username()}?start={token}"

    async def answer(self, incoming: Incoming, response: Response) -> None:
        """Answer a command: one whose answer `opens_private_chat`, typed in a group by
        someone the bot cannot write to yet, is held, and the group gets a button with its
        deep link; any other answer goes as `Poster.answer` sends it."""
        user_id = incoming.user_id
        if not (response.reply.opens_private_chat and incoming.in_group and user_id is not None):
            await self._poster.answer(incoming, response)
            return
        if not await self._poster.privately(user_id, response):
            link = await self.hold(incoming, response)
            label = self._poster.plain(response.locale).message(msg("telegram.open_private_chat"))
            await self._poster.answer_in(
                incoming.chat_id,
                Response(Reply(doc(msg("telegram.held_in_private"))), response.locale),
                markup=InlineKeyboardMarkup([[InlineKeyboardButton(label, url=link)]]),
                reply_to=incoming.message_id,
                thread_id=incoming.thread_id,
                quiet=True,
            )

    async def open(self, incoming: Incoming, token: str) -> bool:
        """`/start <token>` in a private chat: show the held answer there. False when the
        token is not a held answer (it may be a form's link)."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            record = await tx.tokens.get(token, HELD_KIND, now)
            if record is not None and record.user_key == incoming.actor.key:
                await tx.tokens.delete(token)  # shown once
                if self._on_recipient_back is not None:
                    actor = incoming.actor
                    await self._on_recipient_back(tx, actor.platform.value, actor.user_id, now)
        if record is None:
            return False
        if record.user_key != incoming.actor.key:
            locale = await self._dispatcher.locale_for(incoming.where)
            refusal = Reply(doc(msg("telegram.link_not_yours")), private=True)
            await self._poster.answer(incoming, Response(refusal, locale))
            return True
        reply = reply_from_data(record.payload["reply"])
        await self._poster.answer_in(
            incoming.chat_id, Response(reply, str(record.payload.get("locale", "en")))
        )
        return True
