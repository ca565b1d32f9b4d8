"""Neutral commands as Discord application commands: groups, typed options, callbacks.

Every option arrives as Discord's typed value and leaves as the raw string the dispatcher
parses, so validation and its messages are the same on every platform; Discord's own
bounds (min/max, choices, channel types) only help the user type it right.
"""

from __future__ import annotations

import inspect
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.core.commands import Command, Permission, Scope
from bot.core.i18n import Translator
from bot.core.options import (
    ChannelOption,
    ChoiceOption,
    DateTimeOption,
    IntegerOption,
    Option,
    TextOption,
    TimeZoneOption,
    UserOption,
)
from bot.core.render import PlainRenderer
from bot.core.richtext import Msg

MAX_DESCRIPTION = 100
MAX_CHOICE_TEXT = 100
MAX_AUTOCOMPLETE = 25
ANNOUNCEMENT_CHANNELS = (discord.ChannelType.text, discord.ChannelType.news)
IN_SERVERS = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)
IN_DMS = app_commands.AppCommandContext(guild=False, dm_channel=True, private_channel=False)
ANYWHERE = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=False)
SERVER_INSTALL = app_commands.AppInstallationType(guild=True, user=False)


class CommandRunner(Protocol):
    """What a slash command's callback hands its interaction to."""

    async def run(
        self, interaction: discord.Interaction, command: Command, raw: Mapping[str, str]
    ) -> None: ...


def describe(help_text: Msg, english: Translator) -> str:
    """A declaration's help in English, cut to Discord's 100 characters."""
    text = PlainRenderer(english).message(help_text).strip()
    if len(text) <= MAX_DESCRIPTION:
        return text
    return text[: MAX_DESCRIPTION - 1].rstrip() + "…"


def contexts_of(scope: Scope) -> app_commands.AppCommandContext:
    return {Scope.GROUP: IN_SERVERS, Scope.PRIVATE: IN_DMS, Scope.BOTH: ANYWHERE}[scope]


# --- options as transformers: Discord's typed value in, the raw string out ---------------
class _Raw(app_commands.Transformer):
    """A string option; the dispatcher parses it."""

    def __init__(
        self,
        *,
        min_length: int | None = None,
        max_length: int | None = None,
        choices: Sequence[app_commands.Choice[str]] = (),
    ) -> None:
        super().__init__()
        self._min = min_length
        self._max = max_length
        self._choices: list[Any] = list(choices)

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.string

    @property
    def min_value(self) -> int | None:
        return self._min

    @property
    def max_value(self) -> int | None:
        return self._max

    @property
    def choices(self) -> list[app_commands.Choice[str | int | float]] | None:
        return self._choices or None

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> str:
        return str(value)


class _Zone(_Raw):
    """A time zone: Discord suggests IANA names as the user types."""

    def __init__(self, names: Sequence[str]) -> None:
        super().__init__(max_length=64)
        self._names = names

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: str, /
    ) -> list[app_commands.Choice[str]]:
        typed = value.strip().lower()
        starts = [name for name in self._names if name.lower().startswith(typed)]
        inside = [name for name in self._names if typed in name.lower() and name not in starts]
        return [app_commands.Choice(name=n, value=n) for n in (starts + inside)[:MAX_AUTOCOMPLETE]]


class _Integer(app_commands.Transformer):
    def __init__(self, minimum: int, maximum: int) -> None:
        super().__init__()
        self._min = minimum
        self._max = maximum

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.integer

    @property
    def min_value(self) -> int:
        return self._min

    @property
    def max_value(self) -> int:
        return self._max

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> str:
        return str(value)


class _User(app_commands.Transformer):
    """A user picked from the server: `discord:<id>`, the neutral form of a user."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.user

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> str:
        return f"discord:{value.id}"


class _Channel(app_commands.Transformer):
    """A text or announcement channel picked from the server: its id."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return list(ANNOUNCEMENT_CHANNELS)

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> str:
        return str(value.id)


def transformer_of(
    option: Option, english: Translator, zones: Sequence[str]
) -> app_commands.Transformer:
    """The Discord type of a neutral option."""
    match option:
        case IntegerOption():
            return _Integer(option.min_value, option.max_value)
        case ChoiceOption():
            text = PlainRenderer(english)
            choices = [
                app_commands.Choice(name=text.message(c.label)[:MAX_CHOICE_TEXT], value=c.value)
                for c in option.choices
            ]
            return _Raw(choices=choices)
        case TextOption():
            return _Raw(min_length=option.min_length, max_length=option.max_length)
        case TimeZoneOption():
            return _Zone(zones)
        case UserOption():
            return _User()
        case ChannelOption():
            return _Channel()
        case DateTimeOption():
            return _Raw(min_length=1, max_length=32)
        case _:
            return _Raw(max_length=200)


# --- commands -------------------------------------------------------------------------
def callback_for(
    command: Command,
    runner: CommandRunner,
    english: Translator,
    zones: Sequence[str],
) -> Any:
    """A callback whose signature discord.py reads as the command's options.

    Parameters are named `o0, o1, …` and renamed to the options' names, so any option name
    Discord accepts works, Python keyword or not.
    """
    names = {f"o{index}": option.name for index, option in enumerate(command.options)}

    async def callback(interaction: discord.Interaction, **values: str | None) -> None:
        raw = {names[param]: value for param, value in values.items() if value is not None}
        await runner.run(interaction, command, raw)

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for param, option in zip(names, command.options, strict=True):
        parameters.append(
            inspect.Parameter(
                param,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=transformer_of(option, english, zones),
                default=inspect.Parameter.empty if option.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        param: describe(option.help, english)
        for param, option in zip(names, command.options, strict=True)
    }
    callback.__discord_app_commands_param_rename__ = names  # type: ignore[attr-defined]
    return callback


def build_tree(
    tree: app_commands.CommandTree[Any],
    commands: Sequence[Command],
    runner: CommandRunner,
    english: Translator,
) -> None:
    """Add every command to `tree`: plain ones at the top, `group sub` ones in groups.

    A group cannot itself be run on Discord, so a group's `default` subcommand is reached
    by name there (`/campaign show`). Where a command may run, and the Manage Server hint,
    are set on the top-level entry: Discord ignores them on subcommands. Neither is
    trusted: the dispatcher checks scope and permission on every call.
    """
    zones = tuple(sorted(zoneinfo.available_timezones()))
    groups: dict[str, list[Command]] = {}
    for command in commands:
        if command.sub:
            groups.setdefault(command.group, []).append(command)
            continue
        entry: app_commands.Command[Any, ..., None] = app_commands.Command(
            name=command.path,
            description=describe(command.help, english),
            callback=callback_for(command, runner, english, zones),
            allowed_contexts=contexts_of(command.scope),
            allowed_installs=SERVER_INSTALL,
        )
        _hint(entry, [command])
        tree.add_command(entry)
    for name, members in groups.items():
        lead = next((c for c in members if c.default), members[0])
        scopes = {c.scope for c in members}
        group = app_commands.Group(
            name=name,
            description=describe(lead.help, english),
            allowed_contexts=contexts_of(scopes.pop() if len(scopes) == 1 else Scope.BOTH),
            allowed_installs=SERVER_INSTALL,
        )
        _hint(group, members)
        for command in members:
            group.add_command(
                app_commands.Command(
                    name=command.sub,
                    description=describe(command.help, english),
                    callback=callback_for(command, runner, english, zones),
                )
            )
        tree.add_command(group)


def _hint(
    entry: app_commands.Command[Any, ..., None] | app_commands.Group, members: Sequence[Command]
) -> None:
    """Server-only commands are hidden in DMs; Manage Server ones from plain members."""
    if all(c.scope is Scope.GROUP for c in members):
        entry.guild_only = True
    if all(c.permission is Permission.PLACE_ADMIN for c in members):
        entry.default_permissions = discord.Permissions(manage_guild=True)
