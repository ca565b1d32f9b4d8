"""Taking secrets out of text: configured ones, and anything shaped like a platform token.

Log records (`bot.logs`) and the reasons outbox rows keep (`bot.core.outbox`) go through the
same `Redactor`, so a token never reaches a log line or the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

REDACTED = "[redacted]"
# Shapes of tokens we may not know about (a second bot, a token pasted in a message).
TELEGRAM_SHAPE = r"\d{5,20}:[A-Za-z0-9_-]{30,}"
DISCORD_SHAPE = (
    r"(?<![A-Za-z0-9_.-])[A-Za-z0-9_-]{20,40}\.[A-Za-z0-9_-]{4,12}\.[A-Za-z0-9_-]{20,}"
    r"(?![A-Za-z0-9_.-])"
)
# Shorter "secrets" would redact ordinary words; Settings.secret_values() applies the same floor.
MIN_SECRET_LENGTH = 8


class Redactor:
    """Replaces configured secrets and anything shaped like a platform token."""

    def __init__(self, secrets: Iterable[str]) -> None:
        variants = {
            variant
            for secret in secrets
            if len(secret) >= MIN_SECRET_LENGTH
            # A URL may carry the secret percent-encoded (the colon of a Telegram token).
            for variant in (secret, quote(secret, safe=""))
        }
        # Longest first, so a secret that contains another is replaced whole.
        alternatives = [re.escape(value) for value in sorted(variants, key=len, reverse=True)]
        alternatives += [TELEGRAM_SHAPE, DISCORD_SHAPE]
        self._pattern = re.compile("|".join(alternatives))

    def __call__(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text)
