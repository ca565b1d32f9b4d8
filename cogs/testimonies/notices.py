"""Outbox messages of the testimonies feature: review alerts, authors' notices, posts.

Each is written in the transaction of the event that causes it, under a dedupe key that
starts with `testimony:<reference>:`, so withdrawing or deleting a testimony can cancel
every unsent message about it at once. A message that carries the author's words carries
their user key too, so `/privacy forget` cancels it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.actors import ChatKind
from bot.core.replies import Reply, reply_to_data
from bot.core.richtext import Block, Code, Para, msg
from cogs.testimonies import texts
from cogs.testimonies.alerts import alert_payload
from cogs.testimonies.model import split_user_key
from storage.records import NewMessage, Place, RoleGrant
from storage.repositories.testimonies import PostedCopy, Testimony, TestimonySettings


def _payload(reply: Reply, locale: str) -> dict[str, object]:
    return {"reply": reply_to_data(reply), "locale": locale}


def review_alert(
    testimony: Testimony, settings: TestimonySettings, now: datetime
) -> NewMessage | None:
    """The alert in the review place, with its decision buttons, composed when it is sent
    (`alerts`); None when no review place is set."""
    if settings.review_platform is None or settings.review_chat_id is None:
        return None
    where = f"{settings.review_platform}:{settings.review_chat_id}"
    return NewMessage(
        dedupe_key=f"testimony:{testimony.reference}:review:{where}",
        platform=settings.review_platform,
        chat_id=settings.review_chat_id,
        chat_kind=ChatKind.GROUP.value,
        payload=alert_payload(testimony.reference),
        next_attempt_at=now,
        place_id=settings.review_place_id,
        user_key=testimony.author_key,
    )


def organisers_hint(
    campaign_id: int, organisers: Sequence[RoleGrant], locale: str, now: datetime
) -> list[NewMessage]:
    """Tell each organiser, privately, that stories wait and no review place is set."""
    blocks: tuple[Block, ...] = (
        Para((msg("testimony.hint.no_review_place"),)),
        Para((msg("testimony.hint.how", command=Code("/testimonies review here")),)),
    )
    messages = []
    for grant in organisers:
        found = split_user_key(grant.user_key)
        if found is None:
            continue
        platform, user_id = found
        messages.append(
            NewMessage(
                dedupe_key=f"testimonies:{campaign_id}:no-review-place:{grant.user_key}",
                platform=platform.value,
                chat_id=user_id,
                chat_kind=ChatKind.PRIVATE.value,
                payload=_payload(Reply(blocks, private=True), locale),
                next_attempt_at=now,
            )
        )
    return messages


def author_notice(
    testimony: Testimony, event: str, now: datetime, reason: str = ""
) -> NewMessage | None:
    """A private message to the author about a decision (`event`: approve, reject, feature)."""
    if testimony.author_key is None:
        return None
    found = split_user_key(testimony.author_key)
    if found is None:
        return None
    platform, user_id = found
    reply = Reply(texts.decided_notice(testimony, reason), private=True)
    return NewMessage(
        dedupe_key=f"testimony:{testimony.reference}:{event}",
        platform=platform.value,
        chat_id=user_id,
        chat_kind=ChatKind.PRIVATE.value,
        payload=_payload(reply, testimony.locale),
        next_attempt_at=now,
        user_key=testimony.author_key,
    )


def retraction(reference: str, post: PostedCopy, now: datetime) -> NewMessage:
    """The post of a story taken back, edited to say so: its words leave the channel.

    Its key is outside the story's `testimony:<reference>:` prefix, so cancelling the
    story's messages never cancels it; it carries no personal data, so no user key."""
    return NewMessage(
        dedupe_key=f"retract:testimony:{reference}:{post.outbox_id}",
        platform=post.platform,
        chat_id=post.chat_id,
        chat_kind=ChatKind.GROUP.value,
        payload={**_payload(Reply(texts.retracted()), post.locale), "replaces": post.message_id},
        next_attempt_at=now,
        place_id=post.place_id,
    )


def posts(testimony: Testimony, places: Sequence[Place], now: datetime) -> list[NewMessage]:
    """The approved story in every active place's announcement channel."""
    reply = Reply(texts.announcement(testimony))
    return [
        NewMessage(
            dedupe_key=f"testimony:{testimony.reference}:post:{place.id}",
            platform=place.platform,
            chat_id=place.announcement_channel,
            chat_kind=ChatKind.GROUP.value,
            payload=_payload(reply, place.locale),
            next_attempt_at=now,
            place_id=place.id,
            user_key=testimony.author_key,
        )
        for place in places
        if place.active
    ]
