"""What every export format writes: one row per testimony, and what the file is about.

Rows come in batches from the database stream; no format ever holds the whole set.
An anonymised row names its author by pseudonym and shows a name only where the author
consented to publication with it; a row with identities carries the account itself.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from bot.core.i18n import Translator
from bot.core.render import PlainRenderer
from bot.core.richtext import Msg
from cogs.testimonies.model import Consent, Pseudonyms
from storage.repositories.testimonies import ExportedTestimony

SCHEMA_VERSION = 1


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "md"
    HTML = "html"

    @property
    def media_type(self) -> str:
        return {
            "csv": "text/csv",
            "json": "application/json",
            "md": "text/markdown",
            "html": "text/html",
        }[self.value]


class ExportRow(NamedTuple):
    """One testimony as it leaves Chorus (a tuple: the largest exports make 100,000)."""

    reference: str
    submitted_at: str  # ISO 8601 in UTC, to the second: `2026-06-01T09:05:03Z`
    category: str
    consent: str
    status: str
    featured: bool
    title: str
    story: str
    # The name it is published under ("" for an anonymous one); all names with identities.
    name: str
    # A pseudonym (`M-…`), or with identities the account (`telegram:42`).
    author: str


@dataclass(frozen=True, slots=True)
class ExportMeta:
    """What an export is: which campaign, when, what it holds, and the words for its labels."""

    campaign: str
    generated_at: datetime
    identities: bool
    status: str
    since: datetime | None
    counts: dict[str, int]
    categories: tuple[str, ...]
    translator: Translator

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def text(self, message: Msg) -> str:
        """A catalogue message as plain text (each format escapes it for itself)."""
        return PlainRenderer(self.translator).message(message)

    def ordered_categories(self) -> list[str]:
        """Categories with testimonies, in the campaign's order (unlisted ones last)."""
        known = [name for name in self.categories if self.counts.get(name)]
        return known + sorted(name for name in self.counts if name not in self.categories)


def to_row(testimony: ExportedTestimony, pseudonyms: Pseudonyms, *, identities: bool) -> ExportRow:
    if identities:
        name, author = testimony.display_name, testimony.author_key or ""
    else:
        named = testimony.consent == Consent.NAMED
        name = testimony.display_name if named else ""
        author = pseudonyms.of(testimony.author_key) if testimony.author_key else ""
    return ExportRow(
        testimony.reference,
        testimony.submitted_at,
        testimony.category,
        testimony.consent,
        testimony.status,
        testimony.featured,
        testimony.title,
        testimony.story,
        name,
        author,
    )


async def rows_of(
    batches: AsyncIterator[list[ExportedTestimony]], pseudonyms: Pseudonyms, *, identities: bool
) -> AsyncGenerator[list[ExportRow], None]:
    """Batches of stored testimonies as batches of exported rows (`to_row`, inlined: this
    runs once per testimony of the largest exports)."""
    named, pseudonym, make = Consent.NAMED.value, pseudonyms.of, ExportRow._make
    async for batch in batches:
        if identities:
            yield [to_row(testimony, pseudonyms, identities=True) for testimony in batch]
            continue
        yield [
            make(
                (
                    *t[:8],
                    t.display_name if t.consent == named else "",
                    pseudonym(t.author_key) if t.author_key else "",
                )
            )
            for t in batch
        ]
