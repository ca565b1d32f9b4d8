"""What happens to places when the platform tells us the bot left, returned, moved, or may
no longer post."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.core.actors import Platform
from bot.core.clock import Clock
from bot.core.doorbell import Doorbell
from bot.core.posting import cannot_post
from storage.database import Database
from storage.records import Place
from storage.unit import Tx

log = logging.getLogger(__name__)


class PlaceEvents:
    """Keeps places in step with the platforms: adapters call these from their events."""

    def __init__(self, database: Database, clock: Clock, doorbell: Doorbell) -> None:
        self._database = database
        self._clock = clock
        self._doorbell = doorbell

    async def left(self, platform: Platform, chat_id: str, reason: str) -> None:
        """The bot was removed, kicked or blocked, or the channel is gone: stop writing there."""
        async with self._database.transaction() as tx:
            changed = await tx.places.deactivate_chat(
                platform.value, chat_id, self._clock.now(), reason
            )
        if changed:
            log.info("%s place %s is now inactive: %s", platform.value, chat_id, reason)

    async def returned(self, platform: Platform, external_id: str) -> None:
        """The bot is back in a place it had left, or may write there again: write there."""
        async with self._database.transaction() as tx:
            place = await tx.places.find(platform.value, external_id)
            if place is not None and (not place.active or place.posting_problem_since):
                await tx.places.set_active(place.id, True, self._clock.now())
                log.info("%s place %s is active again", platform.value, external_id)
        self._doorbell.ring()

    async def cannot_post(self, platform: Platform, chat_id: str, reason: str) -> None:
        """The bot is still there but may no longer post in `chat_id`: mark the place and
        tell the people who can fix it (see `bot.core.posting`)."""
        async with self._database.transaction() as tx:
            marked = await cannot_post(tx, platform.value, chat_id, None, reason, self._clock.now())
        if marked is not None:
            log.info(
                "%s place %s may not post in %s: %s", platform.value, marked.id, chat_id, reason
            )
            self._doorbell.ring()

    async def moved(self, platform: Platform, old_id: str, new_id: str) -> None:
        """The chat has a new id (a Telegram group became a supergroup)."""
        async with self._database.transaction() as tx:
            await tx.places.move(platform.value, old_id, new_id, self._clock.now())
        log.info("%s place %s moved to %s", platform.value, old_id, new_id)


class PlaceSettingsListener(Protocol):
    """A feature that follows a place's own settings (its time zone, language, channel)."""

    async def place_changed(self, tx: Tx, before: Place, after: Place) -> None:
        """React inside the transaction that changed the place, so both commit together."""
        ...


class PlaceChanges:
    """Tells every listener when a place administrator changed the place's settings."""

    def __init__(self) -> None:
        self._listeners: list[PlaceSettingsListener] = []

    def listen(self, listener: PlaceSettingsListener) -> None:
        self._listeners.append(listener)

    async def changed(self, tx: Tx, before: Place, after: Place) -> None:
        for listener in self._listeners:
            await listener.place_changed(tx, before, after)
