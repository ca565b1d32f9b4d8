"""Messages in: `/command@bot args` to the dispatcher, answers to open forms, deep links.

A Telegram command is text, read by the same parser as the console's
(`/setup name:"Keep 4o" timezone:Europe/Paris`); `/campaign invite days:3` runs the
subcommand `campaign invite`. In a group, a command addressed to another bot
(`/help@OtherBot`) is ignored, and so is an unknown command not addressed to Chorus (it may
be another bot's) unless it starts with one of Chorus's command groups (`/wave craete`).
Ordinary chatter in groups is never read.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from telegram import Message, Update
from telegram.constants import ChatType

from bot.adapters.telegram.admins import Administrators, Incoming
from bot.adapters.telegram.forms import FormFlow
from bot.adapters.telegram.heldreplies import HeldReplies
from bot.adapters.telegram.outgoing import Poster
from bot.adapters.telegram.serial import KeyedLocks
from bot.core.command_line import (
    UnknownCommand,
    bind_arguments,
    command_words,
    find_command,
)
from bot.core.dispatcher import Call, Dispatcher, Response
from bot.core.errors import UserError
from bot.core.probe import PlaceProbe
from bot.core.replies import Reply
from bot.core.richtext import doc, msg

COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?=\s|$)", re.ASCII)


class CommandRouter:
    """Routes every text message Chorus should read."""

    def __init__(
        self,
        *,
        dispatcher: Dispatcher,
        admins: Administrators,
        poster: Poster,
        forms: FormFlow,
        probe: PlaceProbe,
        bot_username: Callable[[], str],
        held: HeldReplies,
    ) -> None:
        self._held = held
        self._dispatcher = dispatcher
        self._admins = admins
        self._poster = poster
        self._forms = forms
        self._probe = probe
        self._bot_username = bot_username
        # A user's messages in one chat are handled in order (form answers, quick retries).
        self._locks = KeyedLocks()

    async def on_message(self, update: Update, _context: object) -> None:
        message = update.message
        if message is None or message.text is None or message.from_user is None:
            return
        async with self._locks.hold((message.chat.id, message.from_user.id)):
            await self._handle(message, message.text)

    async def _handle(self, message: Message, text: str) -> None:
        private = message.chat.type == ChatType.PRIVATE
        match = COMMAND.match(text)
        if match is None:
            if not private:
                return  # group chatter, or a stray slash: not for us
            incoming = await self._admins.sender(message)
            if incoming is not None and (
                text.startswith("/") or not await self._forms.answer(incoming, text)
            ):
                await self._hint(incoming)
            return
        name, mention = match.group(1).lower(), match.group(2)
        if mention is not None and mention.lower() != self._bot_username().lower():
            return
        incoming = await self._admins.sender(message)
        if incoming is None:
            return
        addressed = private or mention is not None
        rest = text[match.end() :]
        if name == "start":
            if addressed:
                await self._start(incoming, rest.strip())
        elif name == "cancel":
            if addressed:
                await self._forms.cancel(incoming)
        elif name == "skip" and private:
            if not await self._forms.answer(incoming, None):
                await self._hint(incoming)
        else:
            await self._run(incoming, name, rest, addressed)

    async def _run(self, incoming: Incoming, name: str, rest: str, addressed: bool) -> None:
        locale = await self._dispatcher.locale_for(incoming.where)
        try:
            words = command_words(f"{name}{rest}")
            command, used = find_command(self._dispatcher.registry, words)
            raw = bind_arguments(command, words[used:])
        except UnknownCommand as error:
            # Another bot's command, unless addressed to Chorus or named like one of ours.
            if addressed or error.ours:
                refusal = Response(Reply(doc(error.message), private=True), locale)
                await self._poster.answer(incoming, refusal)
            return
        except UserError as error:
            refusal = Response(Reply(doc(error.message), private=True), locale)
            await self._poster.answer(incoming, refusal)
            return
        call = Call(incoming.actor, incoming.where, command, raw.named, self._probe)
        prepared = await self._dispatcher.prepare(call)
        if isinstance(prepared, Response):
            await self._poster.answer(incoming, prepared)
            return
        if command.form is not None:
            if incoming.in_group:
                await self._forms.offer_link(incoming, prepared, command.form)
            else:
                await self._forms.start_here(incoming, prepared)
            return
        # An answer that needs the private chat may be held behind a deep link (heldreplies).
        await self._held.answer(incoming, await self._dispatcher.execute(prepared))

    async def _start(self, incoming: Incoming, payload: str) -> None:
        """/start: a deep link's token opens its form or held answer; a bare /start says
        hello."""
        if payload and not incoming.in_group:
            if not await self._held.open(incoming, payload):
                await self._forms.open_link(incoming, payload)
            return
        locale = await self._dispatcher.locale_for(incoming.where)
        await self._poster.answer(incoming, Response(Reply(doc(msg("telegram.welcome"))), locale))

    async def _hint(self, incoming: Incoming) -> None:
        locale = await self._dispatcher.locale_for(incoming.where)
        hint = Response(Reply(doc(msg("telegram.private_hint"))), locale)
        await self._poster.answer(incoming, hint)
