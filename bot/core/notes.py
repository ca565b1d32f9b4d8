"""A private message to one person, as an outbox row: the one way the core and the cogs write
a note to an organiser or an administrator by their user key (`platform:id`)."""

from __future__ import annotations

from datetime import datetime

from bot.core.replies import Reply, reply_to_data
from storage.records import NewMessage

# The outbox's dedupe key column holds this many characters.
MAX_KEY = 200


def private_note(
    user_key: str,
    *,
    key: str,
    reply: Reply,
    locale: str,
    now: datetime,
    not_after: datetime | None = None,
) -> NewMessage | None:
    """`reply` to `user_key` privately, written under the dedupe key `key:user_key`; None for
    a key that names nobody. On the console, the one terminal stands for every private chat."""
    platform, _, user_id = user_key.partition(":")
    if not platform or not user_id:
        return None
    console = platform == "console"
    return NewMessage(
        dedupe_key=f"{key}:{user_key}"[:MAX_KEY],
        platform=platform,
        chat_id="console" if console else user_id,
        chat_kind="group" if console else "private",
        payload={"reply": reply_to_data(reply), "locale": locale},
        next_attempt_at=now,
        user_key=user_key,
        not_after=not_after,
    )
