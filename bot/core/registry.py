"""Every command and button the cogs declare, checked once and looked up by name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.core.commands import ButtonAction, Cog, Command
from bot.core.errors import ConfigError

MAX_OPTIONS = 25


class Registry:
    """The command table. Built at start-up; a bad declaration stops the start with its name."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._buttons: dict[str, ButtonAction] = {}
        self._cogs: list[Cog] = []

    def add(self, cog: Cog) -> None:
        for command in cog.commands():
            self._add_command(cog.name, command)
        for button in cog.buttons():
            if button.action in self._buttons:
                raise ConfigError(f"{cog.name}: button action {button.action!r} declared twice")
            self._buttons[button.action] = button
        self._cogs.append(cog)

    def _add_command(self, cog_name: str, command: Command) -> None:
        where = f"{cog_name}: command /{command.path}"
        if command.path in self._commands:
            raise ConfigError(f"{where} is declared twice")
        if (
            not command.path.replace(" ", "").replace("_", "").isalnum()
            or not command.path.islower()
        ):
            raise ConfigError(f"{where}: names are lowercase words")
        if len(command.path.split(" ")) > 2:
            raise ConfigError(f"{where}: at most one level of subcommands")
        if len(command.options) > MAX_OPTIONS:
            raise ConfigError(f"{where} has more than {MAX_OPTIONS} options")
        names = [option.name for option in command.options]
        if len(set(names)) != len(names):
            raise ConfigError(f"{where} declares an option twice")
        if command.default and not command.sub:
            raise ConfigError(f"{where}: only a subcommand can be a group's default")
        if command.sub and command.group in self._commands:
            raise ConfigError(f"{where}: /{command.group} is already a plain command")
        if not command.sub and any(path.startswith(command.path + " ") for path in self._commands):
            raise ConfigError(f"{where}: /{command.path} already has subcommands")
        self._commands[command.path] = command

    @property
    def cogs(self) -> Sequence[Cog]:
        return tuple(self._cogs)

    def commands(self) -> Iterable[Command]:
        return self._commands.values()

    def get(self, path: str) -> Command | None:
        return self._commands.get(path)

    def button(self, action: str) -> ButtonAction | None:
        return self._buttons.get(action)

    def group_exists(self, name: str) -> bool:
        return any(command.group == name.lower() for command in self._commands.values())
