"""What the petitions cog sends unprompted: milestone announcements and organiser alerts.

Both are outbox rows written in the caller's transaction. Messages are rich text with
catalogue keys, rendered for each place's language when they are sent.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from bot.core.notes import private_note
from bot.core.replies import Reply, reply_to_data
from bot.core.richtext import Inline, Link, Msg, Para, Text, bold, doc, from_data, msg, to_data
from storage.records import NewMessage, Place

# A milestone still worth announcing after this long (the bot was down, a platform paused).
ANNOUNCE_FOR = timedelta(days=1)
ALERT_FOR = timedelta(days=2)


def duration(span: timedelta) -> Msg:
    """A duration in its largest sensible unit ("3 days", "5 hours", "1 minute")."""
    seconds = max(0, int(span.total_seconds()))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return msg(f"petitions.took.{unit}{'' if count == 1 else 's'}", n=count)
    return msg("petitions.took.moments")


def link_to(url: str) -> Inline:
    return Link(url, (Text(url),))


def milestone_reply(
    *,
    threshold: int,
    passed: int,
    total: int,
    link: str,
    hashtag: str,
    took: timedelta | None,
    previous: int | None,
) -> Reply:
    """🎉 The number, how many thresholds at once, how long it took, a call to share."""
    blocks: list[Para | Msg] = [Para((bold(msg("petitions.milestone.title", count=threshold)),))]
    if passed > 1:
        blocks.append(msg("petitions.milestone.several", passed=passed, total=total))
    else:
        blocks.append(msg("petitions.milestone.total", total=total))
    if took is not None and previous is not None:
        blocks.append(msg("petitions.milestone.took", duration=duration(took), previous=previous))
    tag = f"#{hashtag}" if hashtag else ""
    if link and tag:
        blocks.append(msg("petitions.milestone.share_link_tag", link=link_to(link), hashtag=tag))
    elif link:
        blocks.append(msg("petitions.milestone.share_link", link=link_to(link)))
    elif tag:
        blocks.append(msg("petitions.milestone.share_tag", hashtag=tag))
    else:
        blocks.append(msg("petitions.milestone.share"))
    return Reply(doc(*blocks))


def milestone_messages(
    places: list[Place], campaign_id: int, threshold: int, reply: Reply, now: datetime
) -> list[NewMessage]:
    """One row per place, keyed `milestone:<campaign>:<threshold>:<place>`: exactly once."""
    data = reply_to_data(reply)
    return [
        NewMessage(
            dedupe_key=f"milestone:{campaign_id}:{threshold}:{place.id}",
            platform=place.platform,
            chat_id=place.announcement_channel,
            chat_kind="group",
            payload={"reply": data, "locale": place.locale},
            next_attempt_at=now,
            place_id=place.id,
            not_after=now + ANNOUNCE_FOR,
        )
        for place in places
    ]


def alert_messages(
    organisers: list[str],
    *,
    source_id: int,
    source_name: str,
    error: Msg,
    locale: str,
    now: datetime,
) -> list[NewMessage]:
    """A private note to each organiser: the source is unhealthy, and why (once a streak)."""
    reply = Reply(
        doc(msg("petitions.alert", name=source_name), error, msg("petitions.alert.hint")),
        private=True,
    )
    key = f"petition-alert:{source_id}:{now.isoformat(timespec='seconds')}"
    notes = (
        private_note(k, key=key, reply=reply, locale=locale, now=now, not_after=now + ALERT_FOR)
        for k in organisers
    )
    return [note for note in notes if note is not None]


def error_to_text(error: Msg) -> str:
    """An error as stored in a source's `last_error` (rendered later, in the reader's language)."""
    return json.dumps(to_data(doc(error)))


def error_from_text(stored: str) -> Msg | Text | None:
    """Inverse of `error_to_text`; older or hand-written text comes back as literal text."""
    if not stored:
        return None
    try:
        blocks = from_data(json.loads(stored))
    except (ValueError, KeyError, TypeError, AttributeError):
        return Text(stored)
    first = blocks[0] if blocks else None
    node = first.children[0] if isinstance(first, Para) and first.children else None
    return node if isinstance(node, Msg) else Text(stored)
