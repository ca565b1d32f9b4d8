"""The Telegram platform: python-telegram-bot's Application inside Chorus's event loop.

`start()` checks every declaration against Telegram's limits, logs in (getMe), publishes the
command menus, and starts polling; `stop()` stops polling, then the application, then closes
its HTTP connections. PTB's own `run_polling()` is never used: it would own the event loop
and its signals, which belong to the composition root.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)

from bot.adapters.telegram.admins import Administrators
from bot.adapters.telegram.buttons import ButtonCodec
from bot.adapters.telegram.capabilities import (
    check_declarations,
    menu,
    menu_entries,
    menu_languages,
)
from bot.adapters.telegram.commands import CommandRouter
from bot.adapters.telegram.courier import TelegramCourier
from bot.adapters.telegram.events import MembershipEvents
from bot.adapters.telegram.forms import FormFlow
from bot.adapters.telegram.heldreplies import HeldReplies, RecipientBack
from bot.adapters.telegram.outgoing import Poster
from bot.adapters.telegram.presses import ButtonPresses
from bot.adapters.telegram.probe import TelegramProbe
from bot.core.actors import Platform
from bot.core.clock import Clock
from bot.core.dispatcher import Dispatcher
from bot.core.errors import ConfigError
from bot.core.i18n import Catalogues
from bot.core.places import PlaceEvents
from bot.core.render import PlainRenderer
from storage.database import Database

log = logging.getLogger(__name__)

# Updates handled at once; one user's updates in one chat still run in order (KeyedLocks).
CONCURRENT_UPDATES = 32
MENU_SCOPES = {
    "private": BotCommandScopeAllPrivateChats(),
    "groups": BotCommandScopeAllGroupChats(),
    "admins": BotCommandScopeAllChatAdministrators(),
}


class TelegramAdapter:
    """Chorus on Telegram: commands, forms, buttons, membership events, and the courier.

    `api_url` is the root of a self-hosted Bot API server (or a test emulator), such as
    `http://127.0.0.1:8081`; empty means Telegram's own. `poll_timeout` is the long-polling
    wait in seconds.
    """

    platform = Platform.TELEGRAM

    def __init__(
        self,
        *,
        token: str,
        api_url: str,
        dispatcher: Dispatcher,
        catalogues: Catalogues,
        place_events: PlaceEvents,
        database: Database,
        clock: Clock,
        poll_timeout: float = 10.0,
        on_recipient_back: RecipientBack | None = None,
    ) -> None:
        self._token = token
        self._api_url = api_url.rstrip("/")
        self._dispatcher = dispatcher
        self._catalogues = catalogues
        self._database = database
        self._clock = clock
        self._poll_timeout = poll_timeout
        builder = (
            ApplicationBuilder()
            .token(token)
            .job_queue(None)  # Chorus has its own ticker; PTB's scheduler would be a second one
            .concurrent_updates(CONCURRENT_UPDATES)
            # Stopping cancels the long poll and then polls once more to confirm what was
            # fetched; with PTB's single polling connection that last call can wait for the
            # cancelled one to be released (and log an error). A second connection avoids it.
            .get_updates_connection_pool_size(2)
        )
        if self._api_url:
            builder = builder.base_url(f"{self._api_url}/bot").base_file_url(
                f"{self._api_url}/file/bot"
            )
        self._app: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        bot = self._app.bot
        self._admins = Administrators(bot, clock)
        self._codec = ButtonCodec(database, clock)
        self._poster = Poster(bot, catalogues, self._codec)
        self._probe = TelegramProbe(bot)
        self._forms = FormFlow(
            dispatcher=dispatcher,
            database=database,
            clock=clock,
            poster=self._poster,
            admins=self._admins,
            probe=self._probe,
            bot_username=self.bot_username,
        )
        held = HeldReplies(
            dispatcher=dispatcher,
            database=database,
            clock=clock,
            poster=self._poster,
            bot_username=self.bot_username,
            on_recipient_back=on_recipient_back,
        )
        router = CommandRouter(
            dispatcher=dispatcher,
            admins=self._admins,
            poster=self._poster,
            forms=self._forms,
            probe=self._probe,
            bot_username=self.bot_username,
            held=held,
        )
        presses = ButtonPresses(
            dispatcher=dispatcher,
            admins=self._admins,
            poster=self._poster,
            codec=self._codec,
            probe=self._probe,
            held=held,
        )
        events = MembershipEvents(place_events, self._admins)
        self._courier = TelegramCourier(self._poster)

        app = self._app
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, events.on_migrate))
        app.add_handler(ChatMemberHandler(events.on_my_member, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(ChatMemberHandler(events.on_member, ChatMemberHandler.CHAT_MEMBER))
        text = filters.UpdateType.MESSAGE & filters.TEXT
        app.add_handler(MessageHandler(text, router.on_message))
        app.add_handler(CallbackQueryHandler(presses.on_press))
        app.add_error_handler(self._on_error)

    # --- the Adapter contract ---------------------------------------------------------------
    @property
    def courier(self) -> TelegramCourier:
        """Sends outbox messages; usable between `start()` and `stop()`."""
        return self._courier

    def bot_username(self) -> str:
        """The bot's @username (without the @), known once started."""
        return str(self._app.bot.username)

    async def start(self) -> None:
        """Check declarations, log in, publish menus, start polling; return once polling.

        Raises `ConfigError` for a declaration Telegram cannot show, a token Telegram refuses
        (the token itself is never in the message), or an API that cannot be reached.
        """
        check_declarations(self._dispatcher.registry, self._catalogues)
        try:
            await self._app.initialize()
        except TelegramError as error:
            await self._app.bot.shutdown()  # the connections opened before the refusal
            # PTB's message for a refused token quotes the token: never let it (nor its
            # traceback) through.
            if isinstance(error, InvalidToken):
                problem = (
                    "Telegram refused the token (CHORUS_TELEGRAM_TOKEN): check it with @BotFather"
                )
            else:
                problem = (
                    f"cannot reach the Telegram Bot API at {self._api_host()}: {error.message}"
                )
            raise ConfigError(problem.replace(self._token, "[token]")) from None
        try:
            await self._purge_tokens()
            await self._publish_menus()
            await self._app.start()
            # Built above without `.updater(None)`, so PTB gave it one: never None here.
            assert self._app.updater is not None
            await self._app.updater.start_polling(
                timeout=timedelta(seconds=self._poll_timeout),
                # chat_member updates are only sent when asked for: they refresh admin lists.
                allowed_updates=Update.ALL_TYPES,
            )
        except BaseException:
            await self.stop()
            raise
        log.info("telegram: polling as @%s", self.bot_username())

    async def stop(self) -> None:
        """Stop polling, let running handlers finish, close connections (reverse of start)."""
        updater = self._app.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self._app.running:
            await self._app.stop()
        await self._app.shutdown()

    # --- start-up steps ---------------------------------------------------------------------
    async def _purge_tokens(self) -> None:
        async with self._database.transaction() as tx:
            purged = await tx.tokens.delete_expired(self._clock.now())
        if purged:
            log.info("telegram: %d expired deep links, forms and buttons forgotten", purged)

    async def _publish_menus(self) -> None:
        """The command menus for private chats, group members and group administrators."""
        entries = menu_entries(self._dispatcher.registry)
        bot = self._app.bot
        try:
            for locale, language in menu_languages(self._catalogues):
                renderer = PlainRenderer(self._catalogues.translator(locale))
                for audience, scope in MENU_SCOPES.items():
                    commands = [BotCommand(n, d) for n, d in menu(entries, audience, renderer)]
                    await bot.set_my_commands(commands, scope=scope, language_code=language)
        except TelegramError as error:
            # The menus are a convenience: typed commands work without them.
            log.warning("telegram: the command menus were not published: %s", error.message)

    async def _on_error(self, update: object, context: Any) -> None:
        error = getattr(context, "error", None)
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("telegram: update %s failed", update_id, exc_info=error)

    def _api_host(self) -> str:
        return urlsplit(self._api_url).netloc if self._api_url else "api.telegram.org"
