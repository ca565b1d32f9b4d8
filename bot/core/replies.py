"""What a command answers: rich text, buttons, an attachment, a private hint."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.richtext import Document, Msg, Para, doc, from_data, to_data


class UnreadableReply(ValueError):
    """Stored reply data that cannot be read back into a `Reply` (hand-edited, truncated, or
    written by a version of Chorus that shaped it differently)."""


@dataclass(frozen=True, slots=True)
class Button:
    """A button; a press comes back to the cog as `action` with its short `key`.

    `action` is a stable id (`testimony.approve`) registered by a cog; `key` names the
    object (`T-7Q2K`). Both survive a restart, so old buttons keep working.
    """

    action: str
    label: Msg
    key: str = ""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with the reply."""

    filename: str
    data: bytes
    media_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply. `private` asks for "only you can see this" (ephemeral, DM, quiet reply).

    `confidential` (implies private) is for what others must never read, such as stories
    awaiting review or a member's own data: where a platform cannot show it privately, the
    caller is told how to open a private chat instead of seeing it where others can.

    `opens_private_chat` (implies private) marks an answer that only makes sense in the
    user's private chat, such as the confirmation of an opt-in to private messages: where the
    platform cannot write to the user yet (Telegram, before they start the bot), the answer
    is kept behind a link that opens that private chat, rather than shown where others can.
    """

    body: Document
    buttons: tuple[Button, ...] = ()
    attachment: Attachment | None = None
    private: bool = False
    confidential: bool = False
    opens_private_chat: bool = False

    def __post_init__(self) -> None:
        if (self.confidential or self.opens_private_chat) and not self.private:
            object.__setattr__(self, "private", True)


def say(*blocks: Msg, private: bool = False) -> Reply:
    """A reply made of catalogue messages, one per paragraph."""
    return Reply(doc(*blocks), private=private)


def reply_to_data(reply: Reply) -> dict[str, Any]:
    """The reply as JSON-ready data (for outbox payloads). Attachments travel base64."""
    data: dict[str, Any] = {"body": to_data(reply.body), "private": reply.private}
    if reply.confidential:
        data["confidential"] = True
    if reply.opens_private_chat:
        data["opens_private_chat"] = True
    if reply.buttons:
        data["buttons"] = [
            {"action": b.action, "label": to_data(doc(b.label))[0], "key": b.key}
            for b in reply.buttons
        ]
    if reply.attachment is not None:
        data["attachment"] = {
            "filename": reply.attachment.filename,
            "media_type": reply.attachment.media_type,
            "data": base64.b64encode(reply.attachment.data).decode("ascii"),
        }
    return data


def reply_from_data(data: Mapping[str, Any]) -> Reply:
    """Inverse of `reply_to_data`; raises `UnreadableReply`, naming what is wrong, for
    anything else."""
    try:
        return _reply_from_data(data)
    except UnreadableReply:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error) as error:
        raise UnreadableReply(f"unreadable reply: {type(error).__name__}: {error}") from error


def _reply_from_data(data: Mapping[str, Any]) -> Reply:
    if not isinstance(data, Mapping):
        raise UnreadableReply(f"a reply is an object, not {type(data).__name__}")
    buttons = []
    for item in data.get("buttons", ()):
        buttons.append(Button(item["action"], _label(item["label"]), item.get("key", "")))
    attachment = None
    if (file := data.get("attachment")) is not None:
        attachment = Attachment(
            file["filename"], base64.b64decode(file["data"], validate=True), file["media_type"]
        )
    return Reply(
        from_data(data["body"]),
        buttons=tuple(buttons),
        attachment=attachment,
        private=bool(data.get("private", False)),
        confidential=bool(data.get("confidential", False)),
        opens_private_chat=bool(data.get("opens_private_chat", False)),
    )


def _label(data: Any) -> Msg:
    """A button's label: one paragraph holding one catalogue message."""
    (label,) = from_data([data])
    first = label.children[0] if isinstance(label, Para) and label.children else None
    if not isinstance(first, Msg):
        raise UnreadableReply("a button label is not a catalogue message")
    return first
