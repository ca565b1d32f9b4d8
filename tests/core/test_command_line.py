"""Typed command lines read the same on the console and Telegram."""

from __future__ import annotations

import pytest

from bot.core.command_line import bind_arguments, split_command_line
from bot.core.commands import Arguments, Command, Context
from bot.core.errors import UserError
from bot.core.options import IntegerOption, TextOption
from bot.core.replies import Reply
from bot.core.richtext import msg


async def _never(context: Context, args: Arguments) -> Reply:
    raise AssertionError("not run")


SETUP = Command(
    "setup",
    msg("help.setup"),
    _never,
    options=(
        TextOption(name="name", help=msg("option.campaign_name"), required=False),
        IntegerOption(name="days", help=msg("option.invite_days"), required=False),
    ),
)


def words(line: str) -> tuple[str, ...]:
    parsed = split_command_line(line)
    assert parsed is not None
    return parsed.words


def test_quoted_values_keep_their_spaces() -> None:
    assert words('/setup name:"Keep 4o" days:3') == ("setup", "name:Keep 4o", "days:3")


def test_curly_quotes_from_phone_keyboards_are_read_as_quotes() -> None:
    assert words("/setup name:“Keep 4o”") == ("setup", "name:Keep 4o")
    assert words('/setup name:"a “b”"') == ("setup", "name:a “b”")


def test_text_without_a_slash_is_not_a_command() -> None:
    assert split_command_line("hello") is None


def test_an_unclosed_quote_is_explained() -> None:
    with pytest.raises(UserError) as refused:
        split_command_line('/setup name:"Keep 4o')
    assert refused.value.message.key == "error.bad_quotes"


def test_values_bind_by_name_or_in_order() -> None:
    assert bind_arguments(SETUP, ("days:3", "Keep")).named == {"days": "3", "name": "Keep"}
    assert bind_arguments(SETUP, ("Keep", "3")).named == {"name": "Keep", "days": "3"}


def test_an_option_given_twice_is_refused() -> None:
    with pytest.raises(UserError) as refused:
        bind_arguments(SETUP, ("days:3", "days:4"))
    assert refused.value.message.key == "error.option_twice"
