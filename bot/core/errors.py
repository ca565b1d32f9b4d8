"""Errors with a meaning for users, and for operators."""

from __future__ import annotations

from bot.core.richtext import Msg, msg
from storage.errors import (
    DatabaseBusy,
    DatabaseFull,
    DatabaseReadOnly,
    DatabaseUnreachable,
    StorageError,
)

# Database faults that are not bugs, each with what a member is told (the operator's log says
# more); the incident id is kept for the truly unexpected.
STORAGE_REFUSALS: dict[type[StorageError], str] = {
    DatabaseBusy: "error.database_busy",
    DatabaseFull: "error.database_full",
    DatabaseReadOnly: "error.database_read_only",
    DatabaseUnreachable: "error.database_unreachable",
}


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


class PlatformUnreachable(ConfigError):
    """A platform's servers could not be reached at start (network, DNS, proxy, an outage)."""


def refuse(key: str, **args: str | int) -> UserError:
    """Shorthand: `raise refuse("setup.already")`."""
    return UserError(msg(key, **args))


def storage_refusal(error: BaseException | None) -> Msg | None:
    """The message for a database fault a member can be told about, or None for a bug."""
    for kind, key in STORAGE_REFUSALS.items():
        if isinstance(error, kind):
            return msg(key)
    return None
