"""Configuration from the environment and `.env`, every name prefixed `CHORUS_`."""

from __future__ import annotations

import re
import secrets
import zoneinfo
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.i18n import known_locale
from bot.core.options import zone_suggestions
from storage.database import sqlite_path
from storage.errors import StorageError
from storage.urls import check_supported

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/chorus.db"
TELEGRAM_TOKEN = re.compile(r"^\d{5,20}:[A-Za-z0-9_-]{30,64}$")
DISCORD_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,40}\.[A-Za-z0-9_-]{4,12}\.[A-Za-z0-9_-]{20,64}$")
OWNER_ID = re.compile(r"^(console|discord|telegram):[\w.-]{1,64}$")
# The key behind export pseudonyms: a short or repetitive one can be found by trying them all.
SECRET_MIN_LENGTH = 32
SECRET_MIN_DISTINCT = 8
KEY_RECIPE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


class Settings(BaseSettings):
    """Every setting, with its default; tokens are secrets and never shown in full."""

    model_config = SettingsConfigDict(
        env_prefix="CHORUS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = DEFAULT_DATABASE_URL
    discord_token: SecretStr = SecretStr("")
    discord_dev_guild: str = ""
    telegram_token: SecretStr = SecretStr("")
    telegram_api_url: str = ""
    log_level: str = "INFO"
    secret: SecretStr = SecretStr("")
    owner_ids: str = ""
    fail_fast: bool = True
    default_locale: str = "en"
    default_timezone: str = "UTC"
    invite_days: int = Field(default=7, ge=1, le=90)
    # Testimonies: a member's submissions per 24 hours, and how many may wait for review at
    # once (a campaign's organisers can set their own with /testimonies settings).
    testimony_daily_limit: int = Field(default=3, ge=1, le=100)
    testimony_pending_limit: int = Field(default=2, ge=1, le=100)
    # Petitions: only the operator may let sources reach loopback or private addresses.
    allow_private_sources: bool = False
    poll_interval_seconds: int = Field(default=300, ge=60, le=86_400)
    petition_max_drop: float = Field(default=0.2, gt=0, lt=1)
    petition_max_jump: float = Field(default=5.0, gt=1, le=1000)
    # How long after a count is typed by hand an organiser may take it back with
    # /signatures undo (with the milestones it announced).
    petition_undo_hours: int = Field(default=24, ge=1, le=168)
    live_counter_interval_seconds: int = Field(default=60, ge=10, le=86_400)
    # Posting waves: the networks a wave may target, the Mastodon server its share links open,
    # the default grace window (a reminder not out by start + grace is never sent late), and
    # how long after each start the result is posted.
    wave_networks: str = "x,bluesky,mastodon,threads,reddit"
    wave_mastodon_instance: str = "mastodon.social"
    wave_grace_minutes: int = Field(default=10, ge=1, le=120)
    wave_result_after_minutes: int = Field(default=60, ge=15, le=1440)

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        try:
            check_supported(value)
        except StorageError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value in zoneinfo.available_timezones():
            return value
        close = zone_suggestions(value)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValueError(
            f"CHORUS_DEFAULT_TIMEZONE {value!r} is not an IANA time zone such as Europe/Paris{hint}"
        )

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if known_locale(value):
            return value
        raise ValueError(f"CHORUS_DEFAULT_LOCALE {value!r} is not a locale code such as en or fr")

    @field_validator("secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr) -> SecretStr:
        key = value.get_secret_value()
        if key and (len(key) < SECRET_MIN_LENGTH or len(set(key)) < SECRET_MIN_DISTINCT):
            raise ValueError(
                f"CHORUS_SECRET is too weak to protect export pseudonyms: use at least"
                f" {SECRET_MIN_LENGTH} random characters (make one with {KEY_RECIPE}),"
                " or leave it empty and Chorus generates one"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("CHORUS_LOG_LEVEL is one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("owner_ids")
    @classmethod
    def _owner_list(cls, value: str) -> str:
        for item in _split(value):
            if not OWNER_ID.match(item):
                raise ValueError(f"CHORUS_OWNER_IDS entries look like telegram:12345, not {item!r}")
        return value

    @property
    def owners(self) -> frozenset[str]:
        """Operator accounts as `platform:id`; the console operator is always one."""
        return frozenset(_split(self.owner_ids)) | {"console:operator"}

    @property
    def data_dir(self) -> Path:
        """Where the embedded database and the generated secret live."""
        path = sqlite_path(self.database_url)
        return path.parent if path is not None else Path("data")

    def platform_tokens(self) -> dict[str, str]:
        """The configured tokens by platform name (empty ones left out)."""
        tokens = {
            "discord": self.discord_token.get_secret_value().strip(),
            "telegram": self.telegram_token.get_secret_value().strip(),
        }
        return {name: token for name, token in tokens.items() if token}

    def secret_values(self) -> list[str]:
        """Every secret string, for the log redaction filter."""
        values = [*self.platform_tokens().values(), self.secret.get_secret_value()]
        return [value for value in values if len(value) >= 8]


def token_problem(platform: str, token: str) -> str | None:
    """Why `token` cannot be a token of `platform`, or None when its format is right."""
    pattern = {"discord": DISCORD_TOKEN, "telegram": TELEGRAM_TOKEN}[platform]
    if pattern.match(token):
        return None
    if platform == "telegram":
        return "a Telegram token looks like 123456789:AA… (digits, a colon, 35 characters)"
    return "a Discord token has three parts separated by dots"


def install_secret(settings: Settings) -> str:
    """The per-install secret: the setting, or a key generated once into the data directory."""
    configured = settings.secret.get_secret_value()
    if configured:
        return configured
    path = settings.data_dir / "secret.key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(0o600)
    return value


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.replace(";", ",").split(",") if item.strip()]
