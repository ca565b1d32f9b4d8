"""Errors with a meaning for users, and for operators."""

from __future__ import annotations

from bot.core.richtext import Msg, msg


class UserError(Exception):
    """A refusal to show the user, as a catalogue message; nothing was changed."""

    def __init__(self, message: Msg) -> None:
        super().__init__(message.key)
        self.message = message


class PermissionDenied(UserError):
    """The caller lacks the authority the action needs."""


class QuotaExceeded(UserError):
    """The caller has used their allowance; the message says when it renews."""


class FieldRefused(UserError):
    """A refusal about one form field, `field` (its name): raised by a field's check, or by a
    handler that still refuses once the answers are in (a rule that needs the database).

    Adapters hand the answers back and ask that field again; a `field` that is not one of
    the form's (an option typed with the command) still hands the answers back."""

    def __init__(self, message: Msg, field: str) -> None:
        super().__init__(message)
        self.field = field


class ConfigError(Exception):
    """A setting or declaration is wrong: start-up stops with this message."""


def refuse(key: str, **args: str | int) -> UserError:
    """Shorthand: `raise refuse("setup.already")`."""
    return UserError(msg(key, **args))
