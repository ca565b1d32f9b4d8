"""Buttons as inline keyboards, and their callback data (at most 64 bytes).

A button's data is `a:<action>|<key>` when that fits in Telegram's 64 bytes; otherwise it is
`t:<token>`, a short token that stands for the action and key in the database, so a long key
still works, and still works after a restart. The token is derived from the action and key,
so the same button always gets the same token and re-sending it refreshes its expiry.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.clock import Clock
from bot.core.replies import Button
from storage.database import Database

CALLBACK_LIMIT = 64  # bytes of callback_data
INLINE_PREFIX = "a:"
TOKEN_PREFIX = "t:"  # noqa: S105 - a data prefix, not a password
BUTTON_KIND = "button"
# A button older than this answers "no longer active": long enough for any moderation queue.
BUTTON_TTL = timedelta(days=90)
ROW_WIDTH = 3
LONG_LABEL = 20  # characters: a label this long gets a row of its own


def inline_data(action: str, key: str) -> str:
    return f"{INLINE_PREFIX}{action}|{key}"


def fits(data: str) -> bool:
    return len(data.encode("utf-8")) <= CALLBACK_LIMIT


def _token_for(action: str, key: str) -> str:
    digest = hashlib.sha256(f"{action}\x00{key}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")


class ButtonCodec:
    """Turns buttons into callback data and back."""

    def __init__(self, database: Database, clock: Clock, ttl: timedelta = BUTTON_TTL) -> None:
        self._database = database
        self._clock = clock
        self._ttl = ttl

    async def encode(self, buttons: Sequence[Button]) -> list[str]:
        """Callback data for each button, storing a token for those that do not fit."""
        data: list[str] = []
        stored: list[tuple[str, Button]] = []
        for button in buttons:
            inline = inline_data(button.action, button.key)
            if fits(inline):
                data.append(inline)
                continue
            token = _token_for(button.action, button.key)
            data.append(TOKEN_PREFIX + token)
            stored.append((token, button))
        if stored:
            now = self._clock.now()
            async with self._database.transaction() as tx:
                for token, button in stored:
                    await tx.tokens.put(
                        token=token,
                        kind=BUTTON_KIND,
                        payload={"action": button.action, "key": button.key},
                        user_key=None,
                        now=now,
                        expires_at=now + self._ttl,
                    )
        return data

    async def decode(self, data: str) -> tuple[str, str] | None:
        """(action, key) of a press, or None when the data is unknown, malformed or expired."""
        if data.startswith(INLINE_PREFIX):
            action, separator, key = data[len(INLINE_PREFIX) :].partition("|")
            return (action, key) if separator and action else None
        if data.startswith(TOKEN_PREFIX):
            async with self._database.read() as tx:
                record = await tx.tokens.get(
                    data[len(TOKEN_PREFIX) :], BUTTON_KIND, self._clock.now()
                )
            if record is None:
                return None
            return str(record.payload["action"]), str(record.payload.get("key", ""))
        return None


def keyboard(labels: Sequence[str], data: Sequence[str]) -> InlineKeyboardMarkup:
    """Buttons in rows of up to three; a long label gets a row of its own."""
    rows: list[list[InlineKeyboardButton]] = []
    row: list[InlineKeyboardButton] = []
    for label, callback in zip(labels, data, strict=True):
        button = InlineKeyboardButton(label, callback_data=callback)
        if len(label) > LONG_LABEL:
            if row:
                rows.append(row)
                row = []
            rows.append([button])
            continue
        row.append(button)
        if len(row) == ROW_WIDTH:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    return InlineKeyboardMarkup(rows)
