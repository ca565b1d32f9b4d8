"""Dialogues: people typing commands in places, and what Chorus answers them.

A `Member` is one user in one place. It drives the real console adapter (parsing, forms,
buttons, plain-text rendering) against the real dispatcher and database; only its identity
and place are chosen by the test, so one test can hold a conversation across platforms.
"""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

from bot.adapters.console.adapter import ConsoleAdapter
from bot.app import Core
from bot.core.actors import Actor, ChatKind, PlaceRef, Platform


class ScriptedLines:
    """Form answers queued by the test, read by the adapter when it asks."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[str] = asyncio.Queue()

    def start(self) -> None:
        """Nothing to start: lines are queued by the test."""

    def feed(self, *lines: str) -> None:
        for line in lines:
            self._queue.put_nowait(line)

    async def next(self) -> str | None:
        return None if self._queue.empty() else self._queue.get_nowait()


class Member:
    """One person in one place, talking to Chorus."""

    def __init__(self, core: Core, actor: Actor, place: PlaceRef, files: Path) -> None:
        self.core = core
        self.actor = actor
        self.place = place
        self._lines = ScriptedLines()
        self._out = io.StringIO()
        self.adapter = ConsoleAdapter(
            dispatcher=core.dispatcher,
            catalogues=core.catalogues,
            lines=self._lines,
            stdout=self._out,
            attachments_dir=files,
            on_end_of_input=lambda: None,
            actor=actor,
            place=place,
        )

    async def says(self, line: str, *answers: str) -> str:
        """Type `line` (then `answers` when a form asks); returns everything printed."""
        self._lines.feed(*answers)
        start = self._out.tell()
        await self.adapter.handle_line(line)
        self._out.seek(start)
        printed = self._out.read()
        return printed.strip()


def group(platform: Platform, external_id: str, title: str = "") -> PlaceRef:
    """A server or group on `platform`."""
    return PlaceRef(platform, external_id, external_id, ChatKind.GROUP, title or external_id)


def private(platform: Platform, user_id: str) -> PlaceRef:
    """A private chat with the bot."""
    return PlaceRef(platform, user_id, user_id, ChatKind.PRIVATE, "")


def person(platform: Platform, user_id: str, *, admin: bool = False) -> Actor:
    return Actor(platform, user_id, f"user {user_id}", is_place_admin=admin)


def invite_code(text: str) -> str:
    """The code in an invite reply (`… /setup join:ABCD2345 …`)."""
    match = re.search(r"join:([A-Z0-9]{8})", text)
    assert match, text
    return match.group(1)
