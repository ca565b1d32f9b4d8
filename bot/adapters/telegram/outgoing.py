"""Sending a reply to a chat: HTML pages, an inline keyboard, a document with a caption.

Both the answers to commands and the outbox courier go through `Poster.post`, so a reply
looks the same whether it answers a command or arrives unprompted.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TypeAlias

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.adapters.telegram.admins import Incoming
from bot.adapters.telegram.buttons import ButtonCodec, keyboard
from bot.adapters.telegram.render import CAPTION_LIMIT, PARSE_MODE, TelegramRenderer
from bot.core.dispatcher import Response
from bot.core.i18n import Catalogues
from bot.core.render import PlainRenderer
from bot.core.replies import Button, Reply
from bot.core.richtext import Document, doc, msg

log = logging.getLogger(__name__)

Markup: TypeAlias = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
ChatId: TypeAlias = int | str
# An answer to a command waits this long at most for a 429 to pass, then gives up: the user
# is waiting, and a later answer would arrive out of context.
MAX_ANSWER_WAIT = 5.0
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def chat_id_of(raw: str) -> ChatId:
    """Telegram takes numeric ids as numbers, and `@channelname` as it is."""
    return int(raw) if raw.lstrip("-").isdigit() else raw


def retry_seconds(error: RetryAfter) -> float:
    """The wait a 429 asks for, as PTB gives it (int seconds now, a timedelta later)."""
    value = error.retry_after
    return float(value) if isinstance(value, int | float) else value.total_seconds()


def is_unreachable(error: TelegramError) -> bool:
    """403 (blocked, kicked, never started) or "chat not found": nobody to write to there."""
    return isinstance(error, Forbidden) or (
        isinstance(error, BadRequest) and "chat not found" in error.message.lower()
    )


class Poster:
    """Renders replies for one locale at a time and sends them."""

    def __init__(self, bot: Bot, catalogues: Catalogues, codec: ButtonCodec) -> None:
        self._bot = bot
        self._catalogues = catalogues
        self._codec = codec

    def renderer(self, locale: str) -> TelegramRenderer:
        return TelegramRenderer(self._catalogues.translator(locale))

    def plain(self, locale: str) -> PlainRenderer:
        return PlainRenderer(self._catalogues.translator(locale))

    async def markup(self, buttons: tuple[Button, ...], locale: str) -> InlineKeyboardMarkup | None:
        if not buttons:
            return None
        plain = self.plain(locale)
        labels = [plain.message(button.label) for button in buttons]
        return keyboard(labels, await self._codec.encode(buttons))

    async def post(
        self,
        chat_id: ChatId,
        reply: Reply,
        locale: str,
        *,
        markup: Markup | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
        quiet: bool = False,
    ) -> int:
        """Send `reply` to `chat_id`; the id of its first message. Raises `TelegramError`.

        The text goes in pages of at most 4096 UTF-16 units; the buttons (or `markup`) ride on
        the last message. An attachment is a document, captioned with the text when it fits
        in a caption's 1024 units, else sent after the pages.
        """
        renderer = self.renderer(locale)
        markup = markup or await self.markup(reply.buttons, locale)
        reply_parameters = (
            ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        )
        pages = [page for page in renderer.pages(reply.body) if page.strip()]
        first: int | None = None
        caption: str | None = None
        if reply.attachment is not None:
            captions = renderer.pages(reply.body, CAPTION_LIMIT)
            if len(captions) == 1:
                caption, pages = captions[0] or None, []
        for index, page in enumerate(pages):
            last = index == len(pages) - 1 and reply.attachment is None
            message = await self._bot.send_message(
                chat_id,
                page,
                parse_mode=PARSE_MODE,
                reply_markup=markup if last else None,
                reply_parameters=reply_parameters if first is None else None,
                link_preview_options=NO_PREVIEW,
                message_thread_id=thread_id,
                disable_notification=quiet,
            )
            first = first if first is not None else message.message_id
        if reply.attachment is not None:
            attachment = reply.attachment
            message = await self._bot.send_document(
                chat_id,
                InputFile(attachment.data, filename=attachment.filename),
                caption=caption,
                parse_mode=PARSE_MODE if caption else None,
                reply_markup=markup,
                reply_parameters=reply_parameters if first is None else None,
                filename=attachment.filename,
                message_thread_id=thread_id,
                disable_notification=quiet,
            )
            first = first if first is not None else message.message_id
        if first is None:
            # Nothing to show (an empty body and no file): Telegram refuses empty messages.
            log.warning("telegram: an empty reply to %s was not sent", chat_id)
            return 0
        return first

    async def edit_text(self, chat_id: ChatId, message_id: int, reply: Reply, locale: str) -> None:
        """Replace a message's text with `reply`'s first page. Raises `TelegramError`."""
        pages = self.renderer(locale).pages(reply.body)
        await self._bot.edit_message_text(
            pages[0],
            chat_id=chat_id,
            message_id=message_id,
            parse_mode=PARSE_MODE,
            link_preview_options=NO_PREVIEW,
        )

    async def pin(self, chat_id: ChatId, message_id: int) -> None:
        """Pin a message without notifying anyone. Raises `TelegramError`."""
        await self._bot.pin_chat_message(chat_id, message_id, disable_notification=True)

    async def document(
        self, chat_id: ChatId, document: Document, locale: str, markup: Markup | None = None
    ) -> None:
        """A message of our own making (questions, hints, links) to a chat; errors logged."""
        await self.answer_in(chat_id, Response(Reply(document), locale), markup=markup)

    async def answer(self, incoming: Incoming, response: Response) -> None:
        """Answer someone where they spoke; never raises for Telegram's refusals.

        A private reply to someone in a group goes to their private chat; if they never
        started the bot (or blocked it), or are an anonymous administrator, it becomes a quiet
        reply in the group: Telegram has no "only you can see this" in groups. A confidential
        reply never does: the group only sees a button that opens the private chat.
        """
        reply = response.reply
        if reply.private and incoming.in_group:
            if incoming.user_id is not None and await self._privately(incoming.user_id, response):
                return
            if reply.confidential:
                await self._point_to_private_chat(incoming, response.locale)
                return
            quiet = True
        else:
            quiet = False
        await self.answer_in(
            incoming.chat_id,
            response,
            reply_to=incoming.message_id if incoming.in_group else None,
            thread_id=incoming.thread_id,
            quiet=quiet,
        )

    async def answer_in(
        self,
        chat_id: ChatId,
        response: Response,
        *,
        markup: Markup | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
        quiet: bool = False,
    ) -> None:
        """Post an answer, waiting out one short 429 and following a migrated group once."""
        for _attempt in range(2):
            try:
                await self.post(
                    chat_id,
                    response.reply,
                    response.locale,
                    markup=markup,
                    reply_to=reply_to,
                    thread_id=thread_id,
                    quiet=quiet,
                )
                return
            except RetryAfter as error:
                wait = retry_seconds(error)
                if wait > MAX_ANSWER_WAIT:
                    log.warning("telegram: answer to %s dropped, rate limited %ss", chat_id, wait)
                    return
                await asyncio.sleep(wait)
            except ChatMigrated as error:
                chat_id = error.new_chat_id
            except TelegramError as error:
                log.warning("telegram: cannot answer in %s: %s", chat_id, error.message)
                return
        log.warning("telegram: answer to %s not sent after a retry", chat_id)

    async def _point_to_private_chat(self, incoming: Incoming, locale: str) -> None:
        label = self.plain(locale).message(msg("telegram.open_private_chat"))
        url = f"https://t.me/{self._bot.username}"
        await self.answer_in(
            incoming.chat_id,
            Response(Reply(doc(msg("telegram.confidential_in_private"))), locale),
            markup=InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]]),
            reply_to=incoming.message_id,
            thread_id=incoming.thread_id,
            quiet=True,
        )

    async def privately(self, user_id: int, response: Response) -> bool:
        """Send `response` to the user's private chat; False if Telegram refused it."""
        return await self._privately(user_id, response)

    async def _privately(self, user_id: int, response: Response) -> bool:
        try:
            await self.post(user_id, response.reply, response.locale)
        except TelegramError as error:
            if not is_unreachable(error):
                log.warning("telegram: private answer to %s failed: %s", user_id, error.message)
            return False
        return True
