"""The one exception every way of reading a count raises: what went wrong, for organisers."""

from __future__ import annotations

from bot.core.richtext import Msg


class SourceError(Exception):
    """What went wrong reading a source, as a message for its organisers.

    `transient` says whether trying again later may help (timeouts, 5xx, 429, connection
    errors).
    """

    def __init__(self, message: Msg, *, transient: bool = False) -> None:
        super().__init__(message.key)
        self.message = message
        self.transient = transient
