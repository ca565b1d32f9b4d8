"""Questions a cog may ask the platform about the place it runs in, without knowing which."""

from __future__ import annotations

from typing import Protocol


class PlaceProbe(Protocol):
    """Answers from the platform about the current place."""

    async def missing_post_permission(self, channel_id: str) -> str | None:
        """The name of a permission the bot lacks to post in `channel_id`, or None if it can.

        `channel_id` may be unknown to the platform: that is reported as missing access.
        """
        ...


class AlwaysAllowed:
    """The probe of a platform where the bot may always post (the console)."""

    async def missing_post_permission(self, channel_id: str) -> str | None:
        return None
