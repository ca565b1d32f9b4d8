"""Private answers to button presses, for people the bot cannot write to yet.

A press in a group whose answer is private and more than a short alert (it has buttons, a
file, or is long) goes to the presser's private chat. Telegram refuses that when the presser
never started the bot, or blocked it. Rather than answering in the group, the answer is then
kept under a token (kind `held_reply`: for that user only, once, for 24 hours) and the press
is answered with the deep link `t.me/<bot>?start=<token>` (answerCallbackQuery's `url`):
Telegram opens the private chat, the member presses Start, and the answer appears there.
From then on the bot may write to them, which is what an opt-in to private reminders (a
wave's "Remind me by DM") needs.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from bot.adapters.telegram.admins import Incoming
from bot.adapters.telegram.outgoing import Poster
from bot.core.clock import Clock
from bot.core.dispatcher import Dispatcher, Response
from bot.core.replies import Reply, reply_from_data, reply_to_data
from bot.core.richtext import doc, msg
from storage.database import Database

HELD_KIND = "held_reply"
HELD_TTL = timedelta(hours=24)


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
    ) -> None:
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

    async def open(self, incoming: Incoming, token: str) -> bool:
        """`/start <token>` in a private chat: show the held answer there. False when the
        token is not a held answer (it may be a form's link)."""
        async with self._database.transaction() as tx:
            record = await tx.tokens.get(token, HELD_KIND, self._clock.now())
            if record is not None and record.user_key == incoming.actor.key:
                await tx.tokens.delete(token)  # shown once
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
