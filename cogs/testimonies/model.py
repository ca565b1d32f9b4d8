"""The words of the testimonies feature: states, consents, categories, references, pseudonyms."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from enum import StrEnum

from bot.core.actors import Platform
from bot.core.errors import refuse


class Status(StrEnum):
    """Where a testimony is in its life. `featured` is a flag on an approved one."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # by its author: kept, never published or exported again
    DELETED = "deleted"  # by its author: a tombstone with the reference, the text erased


class Consent(StrEnum):
    """What the author allows: publish with a name, publish anonymously, moderators only."""

    NAMED = "named"
    ANONYMOUS = "anonymous"
    MODERATORS = "moderators"


# How the product helped; a campaign offers all of them unless its organisers pick fewer.
CATEGORIES = (
    "writing",
    "study",
    "work",
    "legal",
    "health",
    "creativity",
    "accessibility",
    "other",
)
PUBLISHABLE = (Consent.NAMED.value, Consent.ANONYMOUS.value)
# What an author may still withdraw, and what they may still delete.
WITHDRAWABLE = (Status.PENDING.value, Status.APPROVED.value, Status.REJECTED.value)
DELETABLE = (*WITHDRAWABLE, Status.WITHDRAWN.value)
# The decisions table says `author` for the author's own acts: no key to forget there.
AUTHOR = "author"

REFERENCE_PREFIX = "T-"
# No 0/O or 1/I to misread when a member copies a reference from a phone screen.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_LENGTHS = (4, 4, 4, 5, 5, 6, 6, 7)
_REFERENCE = re.compile(r"^(?:T-?)?([2-9A-HJ-NP-Z]{4,8})$")


def new_reference(attempt: int) -> str:
    """A random reference; longer after repeated collisions, so a full space still works."""
    length = REFERENCE_LENGTHS[min(attempt, len(REFERENCE_LENGTHS) - 1)]
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(length))


def parse_reference(raw: str) -> str:
    """`t-7q2k`, `T7Q2K` or `7Q2K` as `T-7Q2K`; a refusal naming what was typed otherwise."""
    text = raw.strip().upper().replace(" ", "")
    match = _REFERENCE.match(text)
    if match is None:
        raise refuse("testimony.unknown", reference=raw.strip()[:20])
    return REFERENCE_PREFIX + match.group(1)


def split_user_key(key: str) -> tuple[Platform, str] | None:
    """`telegram:42` as (platform, user id); None for a key that names no platform."""
    platform, _, user_id = key.partition(":")
    try:
        return Platform(platform), user_id
    except ValueError:
        return None


class Pseudonyms:
    """Stable pseudonyms for authors: an HMAC of `platform:id` under the install's secret.

    The same author gets the same pseudonym in every export of this installation, and
    nobody without the secret can turn it back into an account.
    """

    def __init__(self, secret: str) -> None:
        # Keyed once; each pseudonym copies it (cheaper than keying again per author).
        self._keyed = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
        self._known: dict[str, str] = {}

    def of(self, user_key: str) -> str:
        found = self._known.get(user_key)
        if found is None:
            digest = self._keyed.copy()
            digest.update(user_key.encode("utf-8"))
            found = "M-" + digest.hexdigest()[:12]
            if len(self._known) < 100_000:  # a cache, bounded however large an export
                self._known[user_key] = found
        return found
