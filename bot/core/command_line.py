"""Reading a typed command line (`/setup name:"Keep 4o" timezone:Europe/Paris`).

The console and Telegram both receive commands as text; this is the one parser they share,
so a command reads and fails the same way on both.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from bot.core.commands import Command
from bot.core.errors import refuse


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
    stripped = straight_quotes(text.strip())
    if not stripped.startswith("/") or len(stripped) == 1:
        return None
    try:
        words = shlex.split(stripped[1:])
    except ValueError:
        raise refuse("error.bad_quotes") from None
    return CommandLine(tuple(words))


def bind_arguments(command: Command, words: tuple[str, ...]) -> RawArguments:
    """Assign words to options: `name:value` by name, the rest in declaration order."""
    names = {option.name for option in command.options}
    named: dict[str, str] = {}
    positional: list[str] = []
    for word in words:
        key, colon, value = word.partition(":")
        if colon and key.lower() in names:
            if key.lower() in named:
                raise refuse("error.option_twice", option=key.lower())
            named[key.lower()] = value
        else:
            positional.append(word)
    free = [option.name for option in command.options if option.name not in named]
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
