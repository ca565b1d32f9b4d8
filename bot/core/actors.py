"""Who does something, and where: platforms, places and actors in neutral terms."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Platform(StrEnum):
    """A chat platform Chorus speaks on."""

    CONSOLE = "console"
    DISCORD = "discord"
    TELEGRAM = "telegram"


class ChatKind(StrEnum):
    """Where a message is: a community (server or group), or a private chat with one user."""

    GROUP = "group"
    PRIVATE = "private"


@dataclass(frozen=True, slots=True)
class PlaceRef:
    """A place as the platform names it: a Discord server, a Telegram group, the console.

    `chat_id` is where a reply goes (a Discord channel, the Telegram chat); `external_id`
    identifies the place itself (the Discord server, the Telegram chat).
    """

    platform: Platform
    external_id: str
    chat_id: str
    kind: ChatKind = ChatKind.GROUP
    title: str = ""


@dataclass(frozen=True, slots=True)
class Actor:
    """The user behind a command or a button press.

    `is_place_admin` is the platform's own judgement (Manage Server on Discord, chat
    administrator on Telegram, always true on the console); campaign roles come from storage.
    """

    platform: Platform
    user_id: str
    display_name: str
    is_place_admin: bool = False

    @property
    def key(self) -> str:
        """Stable "platform:id" form used in storage and settings."""
        return f"{self.platform.value}:{self.user_id}"
