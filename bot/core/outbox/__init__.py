"""The outbox: every message Chorus sends unprompted goes out through here (DESIGN §2.2).

The composition root builds one `OutboxSender` per running platform, with that platform's
courier, starts it after the database is open, calls `wake()` after a transaction wrote
outbox rows, and stops it before closing the database.
"""

from bot.core.outbox.backoff import Backoff
from bot.core.outbox.ratelimit import RateLimiter, WouldWait
from bot.core.outbox.sender import OutboxSender
from bot.core.outbox.settings import SenderSettings, make_owner

__all__ = [
    "Backoff",
    "OutboxSender",
    "RateLimiter",
    "SenderSettings",
    "WouldWait",
    "make_owner",
]
