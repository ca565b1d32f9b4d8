"""`chorus doctor`: what is configured, and whether it can work, without changing anything.

The checks only read: a SQLite database that does not exist yet is reported, not created, and
the data directory is inspected, not made. Nothing goes over the network, so a token is
checked for its format only. Results are plain data; the CLI decides how to show them.
"""

from __future__ import annotations

import os
import zoneinfo
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlparse

from pydantic import SecretStr

from bot.core.i18n import known_locale
from bot.settings import Settings, token_problem
from storage.database import Database, sqlite_path
from storage.errors import StorageError
from storage.migrations_runner import is_known, schema_too_new
from storage.records import Schedule
from storage.urls import parse_database_url

PLATFORMS = ("discord", "telegram")
# Enough of a token's tail to tell two tokens apart, too little to be of use to anyone else.
SHOWN_TAIL = 4
MIN_LENGTH_TO_SHOW_TAIL = 16


class Status(Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report: what was checked, how it went, and why."""

    name: str
    status: Status
    detail: str


@dataclass(frozen=True, slots=True)
class SettingRow:
    """One setting as the operator may see it: secrets masked, passwords hidden."""

    variable: str
    shown: str
    is_default: bool


def env_name(field: str) -> str:
    """The environment variable behind a Settings field."""
    return f"{Settings.model_config.get('env_prefix', '')}{field}".upper()


def setting_rows(settings: Settings) -> list[SettingRow]:
    """Every setting, in declaration order, safe to print."""
    rows = []
    for field, info in type(settings).model_fields.items():
        value = getattr(settings, field)
        rows.append(SettingRow(env_name(field), masked(value), value == info.default))
    return rows


def masked(value: object) -> str:
    """A setting's value as it may be shown: never a secret, never a database password."""
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        if not secret:
            return "not set"
        if len(secret) < MIN_LENGTH_TO_SHOW_TAIL:
            return "set"
        return f"set (…{secret[-SHOWN_TAIL:]})"
    if isinstance(value, str) and "://" in value:
        return hide_password(value)
    text = str(value)
    return text if text else "not set"


def hide_password(url: str) -> str:
    try:
        return parse_database_url(url).masked
    except StorageError:
        # Not a database URL after all (say, the Telegram API URL): show only where it points.
        parsed = urlparse(url)
        if parsed.password is None:
            return url
        return url.replace(parsed.password, "***")


def scrub_password(text: str, url: str) -> str:
    """`text` with the password of the database `url` hidden wherever it appears."""
    password = parse_database_url(url).password
    return text.replace(password, "***") if password else text


async def run_checks(settings: Settings) -> list[Check]:
    """Every check, in the order an operator would fix them."""
    try:
        parse_database_url(settings.database_url)
    except StorageError:
        checks = [Check("database", Status.FAIL, "CHORUS_DATABASE_URL is not a database URL")]
    else:
        directory = data_directory_check(settings)
        checks = [directory]
        if directory.status is Status.FAIL and sqlite_path(settings.database_url) is not None:
            checks.append(
                Check("database", Status.WARN, "not checked: the data directory is unusable")
            )
        else:
            checks += await database_checks(settings)
    checks += token_checks(settings)
    checks += [secret_check(settings), locale_check(settings), timezone_check(settings)]
    if settings.telegram_api_url:
        checks.append(api_url_check(settings.telegram_api_url))
    return checks


def data_directory_check(settings: Settings) -> Check:
    """The data directory (database file, generated secret) exists and is writable, or can be."""
    directory = settings.data_dir.resolve()
    name = "data directory"
    if directory.exists():
        if not directory.is_dir():
            return Check(name, Status.FAIL, f"{directory} exists but is not a directory")
        if not os.access(directory, os.W_OK | os.X_OK):
            return Check(name, Status.FAIL, f"{directory} is not writable")
        return Check(name, Status.OK, f"{directory} is writable")
    ancestor = directory.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return Check(name, Status.FAIL, f"{directory} cannot be created: {ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return Check(name, Status.FAIL, f"{directory} cannot be created in {ancestor}")
    return Check(name, Status.OK, f"{directory} will be created at the first start")


async def database_checks(settings: Settings) -> list[Check]:
    """The database answers, and its schema is the one this code expects."""
    path = sqlite_path(settings.database_url)
    if path is not None and not path.is_file():
        # Opening it would create it; doctor only looks.
        return [
            Check(
                "database",
                Status.WARN,
                f"no database at {path.resolve()} yet; `chorus db upgrade` or the first start"
                " creates it",
            )
        ]
    try:
        async with Database.connect(settings.database_url, migrate=False) as database:
            current, head = await database.revisions()
            parked = await parked_schedules(database) if current == head else []
    except Exception as error:
        # Whatever the driver raises (refused connection, bad password, not a database), the
        # operator needs its words, minus any password they may quote.
        reason = scrub_password(f"{error.__class__.__name__}: {error}", settings.database_url)
        return [Check("database", Status.FAIL, reason)]
    where = hide_password(settings.database_url)
    checks = [Check("database", Status.OK, f"{where} answers")]
    if current is not None and not is_known(current):
        checks.append(Check("schema", Status.FAIL, schema_too_new(current)))
    elif current == head:
        checks.append(Check("schema", Status.OK, f"at the newest revision {head}"))
        checks.append(parked_check(parked))
    else:
        checks.append(
            Check(
                "schema",
                Status.WARN,
                f"at {current or 'no revision'}, newest is {head}: run `chorus db upgrade`"
                " (`chorus run` also upgrades at start)",
            )
        )
    return checks


async def parked_schedules(database: Database) -> list[Schedule]:
    async with database.read() as tx:
        return await tx.schedules.parked()


def parked_check(parked: list[Schedule]) -> Check:
    """Schedules set aside after an error do not run until resumed: worth a warning."""
    if not parked:
        return Check("schedules", Status.OK, "none parked")
    ids = ", ".join(str(schedule.id) for schedule in parked[:10])
    more = f" and {len(parked) - 10} more" if len(parked) > 10 else ""
    return Check(
        "schedules",
        Status.WARN,
        f"{len(parked)} parked after an error ({ids}{more}): see `chorus schedules list`",
    )


def token_checks(settings: Settings) -> list[Check]:
    """Each platform token: absent, or present with the right shape."""
    tokens = settings.platform_tokens()
    checks = []
    for platform in PLATFORMS:
        name = f"{platform} token"
        token = tokens.get(platform)
        if token is None:
            checks.append(Check(name, Status.OK, f"not set: {platform} does not run"))
            continue
        problem = token_problem(platform, token)
        if problem is None:
            checks.append(Check(name, Status.OK, "set, and shaped like a token"))
        else:
            checks.append(Check(name, Status.FAIL, f"malformed: {problem}"))
    if not tokens:
        checks.append(
            Check("platforms", Status.WARN, "no platform token: `chorus run` starts the console")
        )
    return checks


def secret_check(settings: Settings) -> Check:
    """Where the pseudonym key comes from; losing it changes every pseudonym in exports."""
    if settings.secret.get_secret_value():
        return Check("install secret", Status.OK, "CHORUS_SECRET is set")
    key_file = settings.data_dir.resolve() / "secret.key"
    if key_file.is_file():
        return Check("install secret", Status.OK, f"generated, in {key_file}")
    return Check("install secret", Status.OK, f"will be generated into {key_file}")


def locale_check(settings: Settings) -> Check:
    code = settings.default_locale
    if known_locale(code):
        return Check("default locale", Status.OK, code)
    return Check("default locale", Status.FAIL, f"{code!r} is not a locale code such as en or fr")


def timezone_check(settings: Settings) -> Check:
    zone = settings.default_timezone
    if zone in zoneinfo.available_timezones():
        return Check("default time zone", Status.OK, zone)
    return Check(
        "default time zone", Status.FAIL, f"{zone!r} is not an IANA zone such as Europe/Paris"
    )


def api_url_check(url: str) -> Check:
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https") and parsed.netloc:
        return Check("telegram API URL", Status.OK, hide_password(url))
    return Check("telegram API URL", Status.FAIL, "must be an http:// or https:// URL")


def failed(checks: list[Check]) -> bool:
    return any(check.status is Status.FAIL for check in checks)
