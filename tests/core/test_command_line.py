"""Typed command lines read the same on the console and Telegram."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.core.actors import Platform
from bot.core.command_line import bind_arguments, split_command_line
from bot.core.commands import Arguments, Command, Context
from bot.core.errors import UserError
from bot.core.options import IntegerOption, TextOption
from bot.core.replies import Reply
from bot.core.richtext import msg
from tests.dialogue import Member, group, person


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


# --- typos, on the console with the real commands -----------------------------------------


@pytest.fixture
async def organiser(meet: Callable[..., Member]) -> Member:
    alice = meet(person(Platform.CONSOLE, "alice", admin=True), group(Platform.CONSOLE, "console"))
    assert "starts here" in await alice.says('/setup name:"Keep 4o" timezone:Europe/Paris')
    return alice


async def test_a_misspelt_option_is_named_and_the_closest_suggested(
    meet: Callable[..., Member],
) -> None:
    alice = meet(person(Platform.CONSOLE, "alice", admin=True), group(Platform.CONSOLE, "console"))

    answer = await alice.says('/setup name:"X" timzone:Europe/Paris')

    assert answer == "/setup has no option “timzone”. Did you mean “timezone”?"
    assert "not part of a campaign yet" in await alice.says("/campaign")  # nothing set up


async def test_an_option_nothing_resembles_is_named_with_the_commands_options(
    organiser: Member,
) -> None:
    answer = await organiser.says("/testimonies export extra:1")

    assert answer == (
        "/testimonies export has no option “extra”. Its options are: format, status, since, bom."
    )


async def test_a_misspelt_subcommand_is_named_not_run_as_the_default(organiser: Member) -> None:
    answer = await organiser.says("/wave craete")

    assert answer == "There is no command /wave craete. Did you mean /wave create?"


async def test_a_misspelt_command_gets_the_closest_suggested(organiser: Member) -> None:
    assert await organiser.says("/hepl") == "There is no command /hepl. Did you mean /help?"
    assert await organiser.says("/wav create") == (
        "There is no command /wav. Did you mean /wave create?"
    )
    assert await organiser.says("/zzz") == (
        "There is no command /zzz. Type /help to see what you can do here."
    )


async def test_values_with_colons_of_their_own_are_still_values(organiser: Member) -> None:
    assert "on page" not in await organiser.says("/testimonies 1")  # the default's value
    assert "is now a moderator" in await organiser.says("/roles grant telegram:5 moderator")
    answer = await organiser.says('/wave edit 1 "Note: a title"')
    assert "no option" not in answer


def test_a_word_like_an_option_is_refused_by_name_not_bound_elsewhere() -> None:
    with pytest.raises(UserError) as refused:
        bind_arguments(SETUP, ("Keep", "dyas:3"))

    assert refused.value.message == msg(
        "error.unknown_option_suggest", command="setup", option="dyas", suggestion="days"
    )


async def test_a_pasted_paragraph_is_not_echoed_back_whole(organiser: Member) -> None:
    answer = await organiser.says(f'/wave "{"a" * 500}"')

    assert (
        answer == f"There is no command /wave {'a' * 34}…. Type /help to see what you can do here."
    )
