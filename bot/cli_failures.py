"""How a `chorus` command fails: one line naming what to fix, and an exit code per kind.

Every command runs inside `fatal_errors()`. A failure an operator can fix (a setting, the
database, a file) is one line on stderr with its own exit code (see `bot.exit_codes`); anything
else is a bug, reported in one line too, with the traceback in the log at DEBUG.
"""

from __future__ import annotations

import contextlib
import errno
import logging
from collections.abc import Iterator
from pathlib import Path

import typer
from alembic.util import CommandError
from pydantic import ValidationError
from pydantic_settings import SettingsError

from bot import doctor, exit_codes
from bot.core.errors import ConfigError, PlatformUnreachable
from storage.errors import SchemaTooNew, StorageError

log = logging.getLogger(__name__)


class FileProblem(Exception):
    """A file the command must write cannot be written; the message says which and why."""


@contextlib.contextmanager
def fatal_errors() -> Iterator[None]:
    """Turn every failure into one line on stderr and the exit code of its kind."""
    try:
        yield
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise
    except ValidationError as error:
        _debug(error)
        _fail(exit_codes.SETTINGS, *settings_error_lines(error))
    except SettingsError as error:
        _debug(error)
        _fail(exit_codes.SETTINGS, f"Cannot read the settings: {error}")
    except PlatformUnreachable as error:
        _debug(error)
        _fail(exit_codes.PLATFORM, str(error))
    except ConfigError as error:
        _debug(error)
        _fail(exit_codes.SETTINGS, str(error))
    except SchemaTooNew as error:
        _debug(error)
        _fail(exit_codes.SCHEMA, f"Database unusable: {error}.")
    except CommandError as error:
        # Alembic's own refusal, e.g. a revision it cannot find (a newer Chorus migrated it).
        _debug(error)
        _fail(exit_codes.SCHEMA, f"Database migration impossible: {error}")
    except StorageError as error:
        _debug(error)
        _fail(exit_codes.DATABASE, f"Database unusable: {error}")
    except FileProblem as error:
        _debug(error)
        _fail(exit_codes.FILE, str(error))
    except KeyboardInterrupt:
        _fail(exit_codes.INTERRUPTED, "Interrupted.")
    except Exception as error:
        _debug(error)
        _fail(
            exit_codes.INTERNAL,
            f"Unexpected error ({error.__class__.__name__}: {_first_line(error)});"
            " run again with CHORUS_LOG_LEVEL=DEBUG for the traceback, and report it.",
        )


def settings_error_lines(error: ValidationError) -> list[str]:
    """One line per invalid setting, each naming its CHORUS_ variable (never its value)."""
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in problem["loc"])
        variable = doctor.env_name(field) if field else "settings"
        message = str(problem["msg"]).removeprefix("Value error, ")
        if message.startswith(variable):
            lines.append(f"Invalid setting: {message}")
        else:
            lines.append(f"Invalid setting {variable}: {message}")
    return lines


def env_file_problem(path: Path, error: UnicodeDecodeError) -> ConfigError:
    """What to tell about a `.env` that is not UTF-8 text: where, and how to fix it."""
    line = 1
    with contextlib.suppress(OSError):
        line = path.read_bytes()[: error.start].count(b"\n") + 1
    byte = error.object[error.start] if error.start < len(error.object) else 0
    return ConfigError(
        f"Cannot read the settings: {path} is not UTF-8 text (byte {byte:#04x} on line {line});"
        " save it as UTF-8"
    )


def write_problem(path: Path, error: OSError) -> FileProblem:
    """What to tell when writing `path` failed, by what the operator can do about it."""
    if error.errno == errno.ENOSPC:
        return FileProblem(
            f"Cannot write {path}: the disk is full; free some space or choose another --out"
        )
    reason = error.strerror or str(error)
    return FileProblem(f"Cannot write {path}: {reason}; choose another --out")


def _fail(code: int, *lines: str) -> None:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(code) from None


def _debug(error: BaseException) -> None:
    log.debug("command failed: %s", error, exc_info=error)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "no message"
