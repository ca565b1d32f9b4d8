"""Outbox rows whose message is composed when it is sent, not when it is written.

Most rows carry their message (`{"reply": …, "locale": …}`). A row that must show the state
of the database at the moment it goes out (a daily digest) carries an instruction instead:
`{"compose": "<name>", …}`. The sender hands such a row to the `Composer` registered under
that name, which reads the database and returns the message, or None when there is nothing
to send any more (the row is then withdrawn, never retried). A `BatchComposer` is handed
all the rows of one claimed batch at once, right after the claim, just before they go out.

A row that cannot be read at all raises `UnreadablePayload` and fails for good; any other
exception is a fault to retry (counted, with back-off, `dead` after the last attempt).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bot.core.actors import ChatKind, Platform
from bot.core.delivery import Delivery
from bot.core.replies import Reply, UnreadableReply, reply_from_data
from storage.records import ClaimedMessage

logger = logging.getLogger(__name__)


class UnreadablePayload(Exception):
    """A row whose payload can never become a message: sending it again would fail the
    same way, so it fails at once with this reason (never a message's text)."""


@dataclass(frozen=True, slots=True)
class Budget:
    """How much one message may hold, in UTF-16 units (never fewer than characters): its
    text alone, and its caption when a file is attached."""

    text: int
    caption: int


def budget_for(platform: Platform) -> Budget:
    """The published limits of one message: Discord 2,000 characters (with or without a
    file); Telegram 4,096 UTF-16 units, 1,024 in a caption; the console takes Telegram's so
    that a preview there looks like what a group would get."""
    if platform is Platform.DISCORD:
        return Budget(2000, 2000)
    return Budget(4096, 1024)


@dataclass(frozen=True, slots=True)
class ComposeRequest:
    """One claimed row to compose: its id, where it goes, its payload, and the room."""

    outbox_id: int
    platform: Platform
    chat_kind: ChatKind
    payload: Mapping[str, Any]
    budget: Budget


@dataclass(frozen=True, slots=True)
class Composed:
    """The message to send, and the language to render it in."""

    reply: Reply
    locale: str


class Composer(Protocol):
    """Builds a row's message from the database, at send time."""

    async def compose(self, request: ComposeRequest) -> Composed | None:
        """The message to send now, or None when it should not be sent after all.

        Raise `UnreadablePayload` for a payload it cannot read (the row fails for good);
        any other exception is a fault: the row is tried again later, and ends `dead`
        with the exception as its reason once its attempts run out.
        """
        ...


@runtime_checkable
class BatchComposer(Composer, Protocol):
    """A composer that can build the rows of one claimed batch together, reading what they
    share once (the sender prefers this when a composer offers it)."""

    async def compose_many(
        self, requests: Sequence[ComposeRequest]
    ) -> Mapping[int, Composed | None]:
        """`compose` for each request, by outbox id. A row it cannot read is left out (the
        sender then composes it alone, and it fails there); an exception leaves every row
        to `compose` alone."""
        ...


class Composers:
    """The composers the senders know, by the name a payload's `compose` gives."""

    def __init__(self) -> None:
        self._by_name: dict[str, Composer] = {}

    def register(self, name: str, composer: Composer) -> None:
        if name in self._by_name:
            raise ValueError(f"a composer named {name!r} is already registered")
        self._by_name[name] = composer

    def get(self, name: str) -> Composer:
        """The composer named `name`; `UnreadablePayload` if there is none."""
        found = self._by_name.get(name)
        if found is None:
            raise UnreadablePayload(f"no composer named {name!r}")
        return found


async def compose_together(
    composers: Composers, requests: Sequence[ComposeRequest]
) -> dict[int, Composed | None]:
    """The rows of one claimed batch that a `BatchComposer` built together, by outbox id.

    Rows missing from the answer (no batch composer, an unreadable payload, a batch that
    failed) are composed alone when they are sent, where their own error settles them.
    """
    by_name: dict[str, list[ComposeRequest]] = {}
    for request in requests:
        by_name.setdefault(str(request.payload["compose"]), []).append(request)
    composed: dict[int, Composed | None] = {}
    for name, group in by_name.items():
        try:
            composer = composers.get(name)
            if isinstance(composer, BatchComposer):
                composed.update(await composer.compose_many(group))
        except Exception:
            logger.exception("composing %d %r rows together failed", len(group), name)
    return composed


async def message_of(composers: Composers, request: ComposeRequest) -> Composed | None:
    """The message of one row: the one it carries, or the one its composer builds now
    (None: not to be sent any more)."""
    payload = request.payload
    if "compose" in payload:
        return await composers.get(str(payload["compose"])).compose(request)
    if "reply" not in payload:
        raise UnreadablePayload("the payload has neither a reply nor a composer")
    try:
        reply = reply_from_data(payload["reply"])
    except UnreadableReply as error:
        raise UnreadablePayload(str(error)) from error
    return Composed(reply, str(payload.get("locale", "en")))


def request_for(message: ClaimedMessage, platform: Platform) -> ComposeRequest:
    """What a composer is asked for one claimed row, sent on `platform`."""
    return ComposeRequest(
        message.id, platform, _chat_kind(message), message.payload, budget_for(platform)
    )


def delivery_of(message: ClaimedMessage, composed: Composed) -> Delivery:
    """What the courier is handed for one claimed row and its message."""
    return Delivery(
        outbox_id=message.id,
        dedupe_key=message.dedupe_key,
        chat_id=message.chat_id,
        chat_kind=_chat_kind(message),
        reply=composed.reply,
        locale=composed.locale,
        replaces=replaced_by(message.payload),
    )


def _chat_kind(message: ClaimedMessage) -> ChatKind:
    try:
        return ChatKind(message.chat_kind)
    except ValueError:
        raise UnreadablePayload(f"unknown chat kind {message.chat_kind!r}") from None


def replaced_by(payload: Mapping[str, Any]) -> str | None:
    """The earlier message a row edits instead of sending anew (`Delivery.replaces`)."""
    found = payload.get("replaces")
    return str(found) if found is not None else None
