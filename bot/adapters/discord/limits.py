"""Every declaration checked against Discord's limits at start-up, not in front of a user."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.adapters.discord.buttons import ACTION_PATTERN, MAX_ACTION
from bot.adapters.discord.forms import FORM_PREFIX, MAX_LABEL, MAX_TITLE, MAX_VALUE
from bot.core.commands import ButtonAction, Command, FieldKind, Form
from bot.core.errors import ConfigError
from bot.core.i18n import Translator
from bot.core.options import ChoiceOption, IntegerOption, Option, TextOption
from bot.core.render import PlainRenderer

NAME = re.compile(r"^[-_a-z0-9]{1,32}$")
MAX_TOP_LEVEL = 100
MAX_SUBCOMMANDS = 25
MAX_OPTIONS = 25
MAX_CHOICES = 25
MAX_CHOICE_VALUE = 100
MAX_STRING_OPTION = 6000
MAX_INTEGER = 2**53  # Discord's integers are JSON numbers (doubles)
MAX_CUSTOM_ID = 100


def check_declarations(
    commands: Sequence[Command], buttons: Iterable[ButtonAction], english: Translator
) -> None:
    """Raise `ConfigError`, naming the declaration, for anything Discord would refuse."""
    text = PlainRenderer(english)
    top_level = {command.group for command in commands}
    if len(top_level) > MAX_TOP_LEVEL:
        raise ConfigError(f"discord: {len(top_level)} top-level commands; at most {MAX_TOP_LEVEL}")
    subcommands: dict[str, int] = {}
    for command in commands:
        where = f"discord: /{command.path}"
        for part in command.path.split(" "):
            if not NAME.match(part):
                raise ConfigError(f"{where}: {part!r} is not 1–32 of a-z, 0-9, - and _")
        if command.sub:
            subcommands[command.group] = subcommands.get(command.group, 0) + 1
            if subcommands[command.group] > MAX_SUBCOMMANDS:
                raise ConfigError(f"{where}: more than {MAX_SUBCOMMANDS} subcommands in a group")
        if not text.message(command.help).strip():
            raise ConfigError(f"{where}: its help text is empty")
        if len(command.options) > MAX_OPTIONS:
            raise ConfigError(f"{where}: more than {MAX_OPTIONS} options")
        for option in command.options:
            _check_option(option, f"{where} option {option.name!r}", text)
        if command.form is not None:
            _check_form(command.form, where, text)
        if len(FORM_PREFIX) + len(command.path) + 1 + 16 > MAX_CUSTOM_ID:
            raise ConfigError(f"{where}: too long a path for a form's custom_id")
    for button in buttons:
        where = f"discord: button action {button.action!r}"
        if not ACTION_PATTERN.fullmatch(button.action):
            raise ConfigError(f"{where}: use lowercase letters, digits, . and _")
        if len(button.action) > MAX_ACTION:
            raise ConfigError(f"{where}: longer than {MAX_ACTION} characters")


def _check_option(option: Option, where: str, text: PlainRenderer) -> None:
    if not NAME.match(option.name):
        raise ConfigError(f"{where}: not 1–32 of a-z, 0-9, - and _")
    if not text.message(option.help).strip():
        raise ConfigError(f"{where}: its help text is empty")
    match option:
        case TextOption():
            if not 0 <= option.min_length <= option.max_length <= MAX_STRING_OPTION:
                raise ConfigError(f"{where}: lengths must be 0 ≤ min ≤ max ≤ {MAX_STRING_OPTION}")
        case IntegerOption():
            if not -MAX_INTEGER <= option.min_value <= option.max_value <= MAX_INTEGER:
                raise ConfigError(f"{where}: bounds must be within ±2^53 and min ≤ max")
        case ChoiceOption():
            if not 1 <= len(option.choices) <= MAX_CHOICES:
                raise ConfigError(f"{where}: 1 to {MAX_CHOICES} choices")
            for choice in option.choices:
                if not 1 <= len(choice.value) <= MAX_CHOICE_VALUE:
                    raise ConfigError(f"{where}: choice {choice.value!r} is 1–100 characters")
        case _:
            pass


def _check_form(form: Form, where: str, text: PlainRenderer) -> None:
    title = text.message(form.title)
    if not 1 <= len(title) <= MAX_TITLE:
        raise ConfigError(f"{where}: form title {title!r} is not 1–{MAX_TITLE} characters")
    for form_field in form.fields:
        label = text.message(form_field.label)
        field_where = f"{where} form field {form_field.name!r}"
        if not 1 <= len(label) <= MAX_LABEL:
            raise ConfigError(f"{field_where}: label {label!r} is not 1–{MAX_LABEL} characters")
        if not 1 <= len(form_field.name) <= MAX_CUSTOM_ID:
            raise ConfigError(f"{field_where}: its name is not 1–{MAX_CUSTOM_ID} characters")
        if form_field.kind is FieldKind.CHOICE:
            if not 1 <= len(form_field.choices) <= MAX_CHOICES:
                raise ConfigError(f"{field_where}: 1 to {MAX_CHOICES} choices")
            for value, _label in form_field.choices:
                if not 1 <= len(value) <= MAX_CHOICE_VALUE:
                    raise ConfigError(f"{field_where}: choice {value!r} is 1–100 characters")
        elif not 0 <= form_field.min_length <= form_field.max_length <= MAX_VALUE:
            raise ConfigError(f"{field_where}: lengths must be 0 ≤ min ≤ max ≤ {MAX_VALUE}")
