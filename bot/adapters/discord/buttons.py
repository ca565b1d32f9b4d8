"""Persistent buttons: a press finds its cog again after a restart, by its custom_id alone."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.core.i18n import Translator
from bot.core.render import PlainRenderer
from bot.core.replies import Button

log = logging.getLogger(__name__)

PREFIX = "chorus"
CUSTOM_ID_TEMPLATE = r"chorus:(?P<action>[a-z0-9._]+):(?P<key>[A-Za-z0-9_-]{0,60})"
ACTION_PATTERN = re.compile(r"[a-z0-9._]+")
MAX_KEY = 60
MAX_CUSTOM_ID = 100
# The longest action id that still leaves room for the prefix, two colons and a full key.
MAX_ACTION = MAX_CUSTOM_ID - len(PREFIX) - 2 - MAX_KEY
MAX_LABEL = 80
MAX_BUTTONS = 25  # five rows of five

PressHandler = Callable[[discord.Interaction, str, str], Awaitable[None]]


def custom_id(action: str, key: str) -> str:
    return f"{PREFIX}:{action}:{key}"


class ChorusButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CUSTOM_ID_TEMPLATE):
    """A Chorus button: `chorus:<action>:<key>`; subclassed per adapter by `button_class`."""

    def __init__(self, action: str, key: str, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=label or None,
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id(action, key),
            )
        )
        self.action = action
        self.key = key

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ChorusButton:
        return cls(match["action"], match["key"])


def button_class(on_press: PressHandler) -> type[ChorusButton]:
    """A button class whose presses go to `on_press(interaction, action, key)`.

    Registered with `client.add_dynamic_items`, it matches every Chorus button that was
    ever sent, whatever message it is on: no view is kept in memory per message, and
    buttons keep working after a restart. A class per adapter (not a module global) is how
    a press finds that adapter's dispatcher.
    """

    class BoundButton(ChorusButton, template=CUSTOM_ID_TEMPLATE):
        async def callback(self, interaction: discord.Interaction) -> None:
            await on_press(interaction, self.action, self.key)

    return BoundButton


class Buttons:
    """Builds the components of a reply's buttons, and routes presses back."""

    def __init__(self, on_press: PressHandler) -> None:
        self.item_class = button_class(on_press)

    def view(self, buttons: Sequence[Button], translator: Translator) -> discord.ui.View | None:
        """A view holding `buttons`, or None when there are none.

        A button whose id cannot be a custom_id is a cog bug: it is logged and left out,
        so the rest of the reply still reaches the user.
        """
        if not buttons:
            return None
        labels = PlainRenderer(translator)
        view = discord.ui.View(timeout=None)
        for button in buttons[:MAX_BUTTONS]:
            label = labels.message(button.label)[:MAX_LABEL]
            try:
                view.add_item(self.item_class(button.action, button.key, label))
            except ValueError:
                log.error("button %s:%s cannot be a Discord custom_id", button.action, button.key)
        if len(buttons) > MAX_BUTTONS:
            log.error("a reply has %d buttons; Discord shows %d", len(buttons), MAX_BUTTONS)
        return view if view.children else None
