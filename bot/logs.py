"""Process logging: one stderr handler on the root logger that redacts secrets from every record.

httpx logs every request URL at INFO, and a Telegram request URL carries the bot token
(`/bot<token>/getUpdates`); exception text can carry it too. So the redaction runs on the
handler, where it sees the records of every logger, and it rewrites the message, its arguments,
the formatted traceback and the stack text before anything is written.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.core.redaction import Redactor

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers that would print request URLs (and with them the Telegram token) at INFO.
# httpx and httpcore log URLs with the Telegram token; the others narrate routine work
# (each migration step, each scheduler tick) that an operator needs only when debugging.
QUIET_LOGGERS = ("httpx", "httpcore")
CHATTY_LOGGERS = ("alembic", "apscheduler")


class RedactingFilter(logging.Filter):
    """Rewrites a record so that no secret survives in what any handler formats from it.

    The message is formatted once (`msg % args`) and redacted, and `args` dropped; the
    traceback is formatted and redacted into `exc_text`, which `logging.Formatter` uses
    instead of formatting `exc_info` again.
    """

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # Arguments that do not fit the format: a log call must not raise, so keep both.
            message = f"{record.msg} {record.args!r}"
        record.msg = self._redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


class ChorusHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is at the time of the record.

    Resolving the stream late (as logging's own last-resort handler does) keeps the handler
    working when a test runner or a console swaps `sys.stderr` after setup.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        # StreamHandler.__init__ assigns the stream; we always look it up instead.
        pass


def setup_logging(level: str, secrets: Sequence[str]) -> None:
    """Send every logger's records to stderr at `level`, with `secrets` redacted.

    Calling it again replaces the previous Chorus handler (new level, new secrets) rather
    than adding a second one. httpx and httpcore stay at WARNING whatever `level` is;
    Alembic and APScheduler speak at INFO only when `level` is DEBUG.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, ChorusHandler):
            root.removeHandler(handler)
            handler.close()
    handler = ChorusHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter(Redactor(secrets)))
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(
            logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
        )
