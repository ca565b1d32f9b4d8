"""What the cogs declare, checked against Telegram's limits; the command menus built from it.

Telegram command names are single words, so a command with subcommands is one Telegram
command whose first argument names the subcommand, exactly as typed on the console:
`/campaign invite days:3`. Checks run at start-up and raise `ConfigError` naming the
declaration, so a bad one stops Chorus before any user meets it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.adapters.telegram.buttons import CALLBACK_LIMIT, fits, inline_data
from bot.adapters.telegram.render import MESSAGE_LIMIT
from bot.core.commands import Command, Permission, Scope
from bot.core.errors import ConfigError
from bot.core.i18n import DEFAULT_LOCALE, Catalogues
from bot.core.registry import Registry
from bot.core.render import PlainRenderer, utf16_length
from bot.core.richtext import msg

COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
DESCRIPTION_LIMIT = 256
MAX_COMMANDS = 100
# Commands the adapter answers itself: deep links, leaving a form, skipping a question.
RESERVED = frozenset({"start", "cancel", "skip"})


@dataclass(frozen=True, slots=True)
class MenuEntry:
    """One Telegram command: a plain command, or a group of subcommands."""

    name: str
    commands: tuple[Command, ...]

    def shown_to(self, audience: str) -> bool:
        """Whether this entry belongs in the menu of `audience` (private, groups, admins)."""
        return any(_shown(command, audience) for command in self.commands)


def _shown(command: Command, audience: str) -> bool:
    if audience == "private":
        return command.scope is not Scope.GROUP and command.permission is not Permission.PLACE_ADMIN
    if command.scope is Scope.PRIVATE:
        return False
    # Group members see what members may run; administrators see everything of the group.
    return audience == "admins" or command.permission is Permission.MEMBER


def menu_entries(registry: Registry) -> list[MenuEntry]:
    """The registry's commands grouped by their Telegram name, in declaration order."""
    grouped: dict[str, list[Command]] = {}
    for command in registry.commands():
        grouped.setdefault(command.group, []).append(command)
    return [MenuEntry(name, tuple(commands)) for name, commands in grouped.items()]


def describe(entry: MenuEntry, renderer: PlainRenderer) -> str:
    """The menu text: the command's help, or its default's help and the subcommands."""
    if len(entry.commands) == 1 and not entry.commands[0].sub:
        return renderer.message(entry.commands[0].help)
    default = next((c for c in entry.commands if c.default), entry.commands[0])
    subcommands = ", ".join(command.sub for command in entry.commands)
    return renderer.message(msg("telegram.menu_group", help=default.help, subcommands=subcommands))


def check_declarations(registry: Registry, catalogues: Catalogues) -> None:
    """Every command, form and button fits Telegram, or `ConfigError` names the first that
    does not."""
    entries = menu_entries(registry)
    if len(entries) > MAX_COMMANDS:
        raise ConfigError(f"telegram: {len(entries)} commands; Telegram menus hold {MAX_COMMANDS}")
    renderers = [PlainRenderer(catalogues.translator(locale)) for locale in catalogues.locales]
    for entry in entries:
        where = f"telegram: command /{entry.commands[0].path}"
        if not COMMAND_NAME.match(entry.name):
            raise ConfigError(
                f"{where}: {entry.name!r} is not a Telegram command name"
                " (1 to 32 lowercase letters, digits or underscores)"
            )
        if entry.name in RESERVED:
            raise ConfigError(f"{where}: /{entry.name} is reserved by the Telegram adapter")
        for renderer in renderers:
            description = describe(entry, renderer)
            if not 1 <= len(description) <= DESCRIPTION_LIMIT:
                raise ConfigError(
                    f"{where}: its menu description in {renderer.translator.locale!r} has"
                    f" {len(description)} characters; Telegram allows 1 to {DESCRIPTION_LIMIT}"
                )
    for command in registry.commands():
        _check_form(command, renderers)
    for cog in registry.cogs:
        for button in cog.buttons():
            if not fits(inline_data(button.action, "")):
                raise ConfigError(
                    f"telegram: {cog.name}: button action {button.action!r} does not fit in"
                    f" Telegram's {CALLBACK_LIMIT}-byte callback data; use a shorter id"
                )


def _check_form(command: Command, renderers: Iterable[PlainRenderer]) -> None:
    form = command.form
    if form is None:
        return
    where = f"telegram: command /{command.path}"
    if not 1 <= len(form.fields) <= 5:
        raise ConfigError(f"{where}: a form has 1 to 5 fields on Telegram")
    for form_field in form.fields:
        if form_field.max_length > MESSAGE_LIMIT:
            raise ConfigError(
                f"{where}: form field {form_field.name!r} allows {form_field.max_length}"
                f" characters; a Telegram message holds {MESSAGE_LIMIT}"
            )
        for value, _label in form_field.choices:
            if not value or value.startswith("/"):
                raise ConfigError(f"{where}: form field {form_field.name!r}: bad choice {value!r}")
        for renderer in renderers:
            if utf16_length(renderer.message(form_field.label)) > MESSAGE_LIMIT // 2:
                raise ConfigError(f"{where}: form field {form_field.name!r}: label too long")


def menu(
    entries: Iterable[MenuEntry], audience: str, renderer: PlainRenderer
) -> list[tuple[str, str]]:
    """(name, description) of each command the `audience` sees in Telegram's menu."""
    return [(e.name, describe(e, renderer)) for e in entries if e.shown_to(audience)]


def menu_languages(catalogues: Catalogues) -> list[tuple[str, str | None]]:
    """(locale, Telegram language code) pairs: English is the default menu, for everyone.

    Telegram shows a language's menu to users whose app speaks it; it takes two-letter codes.
    """
    pairs: list[tuple[str, str | None]] = [(DEFAULT_LOCALE, None)]
    for locale in catalogues.locales:
        if locale != DEFAULT_LOCALE and re.fullmatch(r"[a-z]{2}", locale):
            pairs.append((locale, locale))
    return pairs
