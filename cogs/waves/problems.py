"""Refusals that name the field at fault, so that nothing is created half-way and the
organiser knows what to fix."""

from __future__ import annotations

from bot.core.errors import FieldRefused, UserError
from bot.core.richtext import ArgValue, msg


def bad(field: str, key: str, **args: ArgValue) -> UserError:
    """“<field label>”: <the problem>, e.g. bad("when", "wave.when.past", when=…).

    It names the field for adapters too, so that a form refused after it was sent asks that
    field again, the other answers kept."""
    message = msg("wave.bad_field", field=msg(f"wave.field.{field}"), problem=msg(key, **args))
    return FieldRefused(message, field)
