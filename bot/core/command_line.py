"""Reading a typed command line (`/setup name:"Keep 4o" timezone:Europe/Paris`).

The console and Telegram both receive commands as text; this is the one parser they share,
so a command reads and fails the same way on both.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.actors import Platform
from bot.core.commands import Command
from bot.core.errors import UserError, refuse
from bot.core.registry import Registry
from bot.core.richtext import msg


@dataclass(frozen=True, slots=True)
class CommandLine:
    """A command line split into words (quotes honoured); the leading `/` removed."""

    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RawArguments:
    """Option values as typed, before validation."""

    named: dict[str, str] = field(default_factory=dict)


# Phone keyboards and word processors turn "…" into “…”; the command line knows straight ones.
CURLY_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


def straight_quotes(line: str) -> str:
    """Curly double quotes as straight ones, unless the line already uses straight ones
    (then the curly ones are text inside a quoted value)."""
    return line if '"' in line else line.translate(CURLY_QUOTES)


def split_command_line(text: str) -> CommandLine | None:
    """Words of a command, or None when `text` is not a command (no leading `/`)."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) == 1:
        return None
    return CommandLine(command_words(stripped[1:]))


def command_words(line: str) -> tuple[str, ...]:
    """The words of a command typed without its `/`, quotes as people type them."""
    try:
        return tuple(shlex.split(straight_quotes(line)))
    except ValueError:
        raise refuse("error.bad_quotes") from None


# A mistyped name is echoed back, but not a whole pasted paragraph.
ECHOED_NAME = 40


class UnknownCommand(UserError):
    """No command has the typed name. `ours` when its first word names one of our command
    groups (`/wave craete`): then it was surely meant for Chorus."""

    def __init__(self, typed: str, suggestion: str | None, *, ours: bool) -> None:
        if len(typed) > ECHOED_NAME:
            typed = typed[: ECHOED_NAME - 1] + "…"
        if suggestion is None:
            super().__init__(msg("error.unknown_command", command=typed))
        else:
            super().__init__(
                msg("error.unknown_command_suggest", command=typed, suggestion=suggestion)
            )
        self.ours = ours


def find_command(registry: Registry, words: Sequence[str]) -> tuple[Command, int]:
    """The command named by the leading words (`campaign invite …`), and how many it used.

    A bare group name runs its default subcommand, and so does a group name followed by
    that subcommand's values (`/testimonies 2`). A word that is not a subcommand of the
    group is refused as one (`/wave craete`), with the closest name suggested, unless the
    default subcommand could take it as a value. An `UnknownCommand` names what was typed.
    """
    head = words[0].lower()
    if len(words) > 1 and (command := registry.get(f"{head} {words[1].lower()}")):
        return command, 2
    if command := registry.get(head):
        return command, 1
    subcommands = [command for command in registry.commands() if command.group == head]
    if not subcommands:
        paths = [command.path for command in registry.commands()]
        names = sorted({command.group for command in registry.commands()})
        suggestion = None
        if len(words) > 1:
            suggestion = _closest(f"{head} {words[1].lower()}", paths)
        raise UnknownCommand(head, suggestion or _closest(head, names), ours=False)
    default = next((command for command in subcommands if command.default), None)
    if len(words) > 1 and ":" not in words[1]:
        typed = words[1].lower()
        close = _closest(typed, [command.sub for command in subcommands])
        if default is None or not default.options or close is not None:
            suggestion = f"{head} {close}" if close is not None else None
            raise UnknownCommand(f"{head} {words[1]}", suggestion, ours=True)
    if default is None:
        raise UnknownCommand(head, _closest(head, [c.path for c in subcommands]), ours=True)
    return default, 1


def bind_arguments(command: Command, words: tuple[str, ...]) -> RawArguments:
    """Assign words to options: `name:value` by name, the rest in declaration order.

    A word that looks like `name:value` with a name the command does not have is refused
    with that name (and the closest option suggested), rather than taken as a value for
    another option. Values with a colon of their own (`telegram:123`, `https://…`,
    `"Note: …"`) stay values.
    """
    names = [option.name for option in command.options]
    named: dict[str, str] = {}
    positional: list[str] = []
    for word in words:
        key, colon, value = word.partition(":")
        if colon and key.lower() in names:
            if key.lower() in named:
                raise refuse("error.option_twice", option=key.lower())
            named[key.lower()] = value
        elif colon and _looks_like_an_option(key, value):
            raise _unknown_option(command, key)
        else:
            positional.append(word)
    free = [name for name in names if name not in named]
    if len(positional) > len(free):
        if not free and not command.options:
            raise refuse("error.no_options", command=command.path)
        if len(free) == 1:
            # The last free option takes the rest of the line: `/roles grant telegram:1 mod`.
            named[free[0]] = " ".join(positional)
            return RawArguments(named)
        raise refuse("error.too_many_arguments", command=command.path)
    for name, value in zip(free, positional, strict=False):
        named[name] = value
    return RawArguments(named)


# What may stand before a colon in a value: a user's platform (`telegram:123`).
_VALUE_PREFIXES = frozenset(platform.value for platform in Platform)
_OPTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)


def _looks_like_an_option(key: str, value: str) -> bool:
    """`timzone:Europe/Paris` does; `telegram:123`, `https://…` and `Note: hi` do not."""
    return (
        _OPTION_NAME.fullmatch(key) is not None
        and key.lower() not in _VALUE_PREFIXES
        and not value[:1].isspace()
        and not value.startswith("/")
    )


def _unknown_option(command: Command, key: str) -> UserError:
    if len(key) > ECHOED_NAME:
        key = key[: ECHOED_NAME - 1] + "…"
    names = [option.name for option in command.options]
    if not names:
        return refuse("error.no_options", command=command.path)
    close = _closest(key.lower(), names)
    if close is not None:
        return refuse(
            "error.unknown_option_suggest", command=command.path, option=key, suggestion=close
        )
    return refuse(
        "error.unknown_option_list", command=command.path, option=key, options=", ".join(names)
    )


def _closest(typed: str, candidates: Sequence[str]) -> str | None:
    found = difflib.get_close_matches(typed, candidates, n=1)
    return found[0] if found else None
