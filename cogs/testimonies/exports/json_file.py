"""JSON for tools: one document with a schema version, one object per testimony.

Every value goes through `json.dumps`, never string concatenation, so any story (quotes,
newlines, `</script>`, right-to-left text, emoji) stays valid UTF-8 JSON.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from bot.core.richtext import msg
from cogs.testimonies.exports.rows import SCHEMA_VERSION, ExportMeta, ExportRow

ROWS_PER_CHUNK = 256


def _object(row: ExportRow, meta: ExportMeta) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "submitted_at": row.submitted_at,
        "category": row.category,
        "consent": row.consent,
        "status": row.status,
        "featured": row.featured,
        "title": row.title,
        "story": row.story,
        "name": row.name or None,
        ("author_account" if meta.identities else "author_pseudonym"): row.author or None,
    }


async def write_json(
    rows: AsyncIterator[list[ExportRow]], meta: ExportMeta
) -> AsyncGenerator[str, None]:
    """The JSON text, chunk by chunk: a header, the testimonies array, the closing brace."""
    header = {
        "schema_version": SCHEMA_VERSION,
        "kind": "chorus.testimonies",
        "campaign": meta.campaign,
        "generated_at": meta.generated_at.isoformat(),
        "personal_data": meta.identities,
        "notice": meta.text(
            msg("testimonies.export.identities_notice")
            if meta.identities
            else msg("testimonies.export.anonymised_notice")
        ),
        "filter": {
            "status": meta.status,
            "since": meta.since.isoformat() if meta.since else None,
        },
        "count": meta.total,
    }
    opening = json.dumps(header, ensure_ascii=False, indent=1)
    # The header's closing brace opens the array instead.
    chunk = [opening[: opening.rindex("}")].rstrip() + ',\n "testimonies": [\n']
    first = True
    async for batch in rows:
        for row in batch:
            separator = "" if first else ",\n"
            chunk.append(separator + "  " + json.dumps(_object(row, meta), ensure_ascii=False))
            first = False
            if len(chunk) >= ROWS_PER_CHUNK:
                yield "".join(chunk)
                chunk = []
    chunk.append("\n ]\n}\n")
    yield "".join(chunk)
