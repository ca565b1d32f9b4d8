"""The contract between the outbox sender (core) and a platform adapter (the courier).

The sender claims outbox rows, waits for the platform's rate limits, and hands each row to
the courier of its platform as a `Delivery`; the courier renders and sends it and reports one
`Outcome`. The sender alone decides what an outcome does to the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeAlias, runtime_checkable

from bot.core.actors import ChatKind, Platform
from bot.core.replies import Reply


@dataclass(frozen=True, slots=True)
class RateLimits:
    """A platform's published sending limits; the sender paces a little below them.

    `per_chat_interval` is the minimum gap between two messages to one chat;
    `per_group_per_minute` caps messages to one group chat in any 60 seconds (0 = no cap).
    """

    global_per_second: float
    per_chat_interval: float
    per_group_per_minute: int = 0


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to send: rendered by the courier for `locale`.

    With `replaces` (the platform's id of a message sent earlier to the same chat), the
    sender edits that message to read `reply` instead of sending a new one: a story taken
    back leaves the channels it was posted in.
    """

    outbox_id: int
    dedupe_key: str
    chat_id: str
    chat_kind: ChatKind
    reply: Reply
    locale: str
    replaces: str | None = None

    @property
    def nonce(self) -> str:
        """A per-row idempotency key for platforms that accept one (Discord: ≤ 25 chars)."""
        return f"ob{self.outbox_id}"


@dataclass(frozen=True, slots=True)
class Sent:
    """Delivered; `message_id` is the platform's id of the (first) message."""

    message_id: str


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """Rate limited (429): try again after `seconds`; `everything` pauses the whole platform."""

    seconds: float
    everything: bool = False


@dataclass(frozen=True, slots=True)
class Transient:
    """A server error or timeout: back off with jitter and retry."""

    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    """The platform refused this payload (400): never retry it unchanged."""

    reason: str


@dataclass(frozen=True, slots=True)
class Gone:
    """The recipient is gone for good: the bot was removed or kicked, the channel or server
    was deleted, the chat does not exist, or a user blocked the bot or closed their DMs.
    Stop writing to it (a group's place becomes inactive)."""

    reason: str


@dataclass(frozen=True, slots=True)
class CannotPost:
    """The bot is still in the group but may not post in this chat: a permission was taken
    away (Discord 50013 / 50001, Telegram "not enough rights"). The row fails; the place
    stays active and is marked as having a posting problem until a send there succeeds or
    its settings change. Only for group chats: a private chat that refuses is `Gone`."""

    reason: str


@dataclass(frozen=True, slots=True)
class Moved:
    """The chat has a new id (Telegram group → supergroup): update it and send there."""

    new_chat_id: str


Outcome: TypeAlias = Sent | RetryAfter | Transient | Failed | Gone | CannotPost | Moved


class Courier(Protocol):
    """What each platform adapter offers the outbox sender."""

    platform: Platform
    limits: RateLimits

    async def deliver(self, delivery: Delivery) -> Outcome:
        """Render and send one message; report what happened. Never raises for API errors."""
        ...


@runtime_checkable
class LiveMessages(Protocol):
    """What a courier offers for a message the bot keeps up to date (a live counter).

    Optional: the petitions cog uses it where a platform's courier has it. The message
    itself is first sent through the outbox; these act on it afterwards, outside the
    outbox, so the caller paces them.
    """

    async def edit(self, chat_id: str, message_id: str, reply: Reply, locale: str) -> Outcome:
        """Replace the message's text. `Sent` also when it already read so; `Gone` when the
        message (or its chat) no longer exists. Never raises for API errors."""
        ...

    async def pin(self, chat_id: str, message_id: str) -> bool:
        """Pin the message quietly if the bot may; False when it may not (or cannot)."""
        ...
