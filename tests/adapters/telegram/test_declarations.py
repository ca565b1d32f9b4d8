"""What needs no network: HTML rendering, error outcomes, and the start-up checks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.adapters.base import Adapter
from bot.adapters.telegram.adapter import TelegramAdapter
from bot.adapters.telegram.capabilities import check_declarations, menu, menu_entries
from bot.adapters.telegram.courier import outcome_of
from bot.adapters.telegram.render import TelegramRenderer
from bot.app import build_core
from bot.core import delivery
from bot.core.commands import (
    Arguments,
    ButtonAction,
    Command,
    Context,
    FieldKind,
    Form,
    FormField,
    Permission,
)
from bot.core.errors import ConfigError
from bot.core.i18n import Catalogues
from bot.core.places import PlaceEvents
from bot.core.registry import Registry
from bot.core.render import PlainRenderer
from bot.core.replies import Reply
from bot.core.richtext import Code, Italic, Link, Moment, Para, Quote, Text, bold, doc, msg
from bot.settings import Settings
from storage.database import Database
from tests.fakes import FakeClock


def renderer() -> TelegramRenderer:
    return TelegramRenderer(Catalogues.load().translator("en"))


def test_rich_text_becomes_telegram_html_and_user_text_stays_text() -> None:
    document = (
        Para((bold("<b>"), Text(" & "), Italic((Text("it"),)), Code("a<b>&"))),
        Para((Link("https://example.org/?a=1&b=2", (Text("site"),)),)),
        Para((Link("javascript:alert(1)", (Text("click"),)),)),
        Quote((Text("Keep 4o"),)),
        Para((Moment(datetime(2026, 12, 4, 19, 0, tzinfo=UTC), "Europe/Paris"),)),
    )

    assert renderer().render(document).split("\n") == [
        "<b>&lt;b&gt;</b> &amp; <i>it</i><code>a&lt;b&gt;&amp;</code>",
        '<a href="https://example.org/?a=1&amp;b=2">site</a>',
        "click",
        "<blockquote>Keep 4o</blockquote>",
        "Fri 4 Dec 2026 20:00 (Europe/Paris)",
    ]


def test_telegram_errors_become_outbox_outcomes() -> None:
    assert outcome_of(RetryAfter(timedelta(seconds=12))) == delivery.RetryAfter(12.0)
    assert outcome_of(ChatMigrated(-1009)) == delivery.Moved("-1009")
    assert outcome_of(Forbidden("Forbidden: bot was blocked by the user")) == delivery.Gone(
        "Forbidden: bot was blocked by the user"
    )
    assert outcome_of(BadRequest("Bad Request: chat not found")) == delivery.Gone("Chat not found")
    assert outcome_of(BadRequest("Bad Request: message is too long")) == delivery.Failed(
        "Message is too long"
    )
    assert isinstance(outcome_of(TimedOut()), delivery.Transient)
    assert isinstance(outcome_of(NetworkError("Bad Gateway")), delivery.Transient)


class Declared:
    """A cog made of whatever a test declares."""

    name = "declared"

    def __init__(self, commands: Sequence[Command], buttons: Sequence[ButtonAction] = ()) -> None:
        self._commands = commands
        self._buttons = buttons

    def commands(self) -> Sequence[Command]:
        return self._commands

    def buttons(self) -> Sequence[ButtonAction]:
        return self._buttons


async def _handler(context: Context, args: Arguments) -> Reply:
    return Reply(doc(msg("help.intro")))


async def _pressed(context: Context, key: str) -> Reply:
    return Reply(doc(msg("help.intro")))


def registry_of(*commands: Command, buttons: Sequence[ButtonAction] = ()) -> Registry:
    registry = Registry()
    registry.add(Declared(commands, buttons))
    return registry


@pytest.mark.parametrize(
    ("declared", "problem"),
    [
        (Command("a" * 33, msg("help.help"), _handler), "is not a Telegram command name"),
        (Command("start", msg("help.help"), _handler), "/start is reserved"),
        (Command("long", msg("x" * 300), _handler), "Telegram allows 1 to 256"),
        (
            Command(
                "essay",
                msg("help.help"),
                _handler,
                form=Form(
                    msg("help.help"), (FormField("text", msg("help.help"), max_length=5000),)
                ),
            ),
            "a Telegram message holds 4096",
        ),
    ],
)
def test_a_declaration_telegram_cannot_show_stops_the_start(
    declared: Command, problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem) as refused:
        check_declarations(registry_of(declared), Catalogues.load())

    assert f"/{declared.path}" in str(refused.value)


def test_a_button_action_too_long_for_callback_data_stops_the_start() -> None:
    action = ButtonAction("testimony." + "x" * 60, _pressed)
    registry = registry_of(Command("ok", msg("help.help"), _handler), buttons=(action,))

    with pytest.raises(ConfigError, match="64-byte callback data"):
        check_declarations(registry, Catalogues.load())


def test_subcommands_share_one_telegram_command_and_menus_follow_permissions() -> None:
    registry = registry_of(
        Command("team show", msg("help.campaign_show"), _handler, default=True),
        Command("team set", msg("help.campaign_set"), _handler, permission=Permission.ORGANISER),
        Command(
            "story",
            msg("help.help"),
            _handler,
            form=Form(msg("help.help"), (FormField("body", msg("help.help"), FieldKind.LONG),)),
        ),
        Command("admin", msg("help.setup"), _handler, permission=Permission.PLACE_ADMIN),
    )
    check_declarations(registry, Catalogues.load())
    plain = PlainRenderer(Catalogues.load().translator("en"))
    entries = menu_entries(registry)

    assert menu(entries, "groups", plain) == [
        ("team", "Show the campaign's settings and this place's (also: show, set)"),
        ("story", "List the commands you can use here"),
    ]
    assert [name for name, _ in menu(entries, "admins", plain)] == ["team", "story", "admin"]
    assert [name for name, _ in menu(entries, "private", plain)] == ["team", "story"]


async def test_an_unreachable_api_stops_the_start_naming_where_it_looked(
    settings: Settings, sqlite_db: Database, clock: FakeClock
) -> None:
    core = build_core(settings, sqlite_db, clock)
    adapter: Adapter = TelegramAdapter(  # what the composition root sees
        token="7000001:a-token-that-never-leaves-this-process",
        api_url="http://127.0.0.1:9",  # the discard port: nothing listens there
        dispatcher=core.dispatcher,
        catalogues=core.catalogues,
        place_events=PlaceEvents(sqlite_db, clock, core.doorbell),
        database=sqlite_db,
        clock=clock,
    )

    with pytest.raises(ConfigError, match=r"cannot reach the Telegram Bot API at 127\.0\.0\.1:9"):
        await adapter.start()
