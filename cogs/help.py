"""/help: the commands the caller may use here, one line each."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.actors import ChatKind, Platform
from bot.core.commands import Arguments, ButtonAction, Command, Context, Scope
from bot.core.registry import Registry
from bot.core.replies import Reply
from bot.core.richtext import Bullets, Code, Msg, Para, msg


class Help:
    """Lists what the caller can do, where they are."""

    name = "help"

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def commands(self) -> Sequence[Command]:
        return (Command("help", msg("help.help"), self.help, needs_campaign=False),)

    def buttons(self) -> Sequence[ButtonAction]:
        return ()

    async def help(self, context: Context, args: Arguments) -> Reply:
        """The commands you may use here."""
        usable = [command for command in self._registry.commands() if _usable(command, context)]
        lines = tuple(
            (Code(f"/{command.path}"), msg("help.separator"), command.help) for command in usable
        )
        return Reply((Para((self._intro(context),)), Bullets(lines)))

    def _intro(self, context: Context) -> Msg:
        if context.campaign is not None:
            return msg("help.intro")
        setup = self._registry.get("setup")
        if setup is not None and _offered_here(setup, context) and not _usable(setup, context):
            # The caller cannot start a campaign here, but the place's administrators can.
            return msg("help.intro_ask_an_administrator")
        return msg("help.intro_not_set_up")


def _usable(command: Command, context: Context) -> bool:
    """Whether the caller may run `command` here."""
    return context.authority.allows(command.permission) and _offered_here(command, context)


def _offered_here(command: Command, context: Context) -> bool:
    """Whether `command` makes sense in this place now, whoever asks."""
    if command.needs_campaign and context.campaign is None:
        return False
    if command.path == "setup" and context.campaign is not None:
        return False
    if context.where.platform is Platform.CONSOLE or command.scope is Scope.BOTH:
        return True
    wanted = ChatKind.GROUP if command.scope is Scope.GROUP else ChatKind.PRIVATE
    return context.where.kind is wanted
