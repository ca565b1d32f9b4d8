"""The replies and messages of the testimonies feature, as rich text (never as strings).

Every story, title and name travels as `Text`, so each platform escapes it for its markup:
`@everyone`, HTML and Markdown in a story stay inert wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.replies import Button
from bot.core.richtext import (
    Block,
    Bold,
    Bullets,
    Code,
    Inline,
    Moment,
    Msg,
    Para,
    Quote,
    Text,
    msg,
)
from cogs.testimonies.model import PUBLISHABLE, Consent, Pseudonyms, Status
from storage.repositories.testimonies import Decision, Testimony

# How much of a story the queue shows; `/testimonies show` shows all of it.
QUEUE_EXCERPT = 280


def category(name: str) -> Msg:
    return msg(f"testimony.category.{name}")


def consent(name: str) -> Msg:
    return msg(f"testimony.consent.{name}")


def status(testimony: Testimony) -> Msg:
    if testimony.status == Status.APPROVED and testimony.featured:
        return msg("testimony.status.featured")
    return msg(f"testimony.status.{testimony.status}")


def public_name(testimony: Testimony) -> Inline:
    """The name a published story carries: the author's chosen one, or "Anonymous member"."""
    if testimony.consent == Consent.NAMED and testimony.display_name:
        return Text(testimony.display_name)
    return msg("testimony.anonymous")


def story_blocks(story: str, limit: int | None = None) -> tuple[Block, ...]:
    """The story as quoted paragraphs, so long ones split between paragraphs."""
    text = story if limit is None or len(story) <= limit else story[:limit].rstrip() + "…"
    return tuple(Quote((Text(line),)) for line in text.split("\n") if line.strip())


def card(
    testimony: Testimony, pseudonyms: Pseudonyms, *, excerpt: bool = False
) -> tuple[Block, ...]:
    """A testimony as moderators see it: reference, title, how it helped, consent, the story.

    The author is shown by the name they chose and their pseudonym, never their account.
    """
    author = pseudonyms.of(testimony.author_key) if testimony.author_key else "—"
    name: Inline = Text(testimony.display_name) if testimony.display_name else Text("—")
    return (
        Para(
            (
                Bold((msg("testimony.card.heading", reference=Code(testimony.reference)),)),
                Text(" "),
                Bold((Text(testimony.title),)),
            )
        ),
        Para(
            (
                msg(
                    "testimony.card.meta",
                    category=category(testimony.category),
                    consent=consent(testimony.consent),
                    name=name,
                    author=Code(author),
                ),
            )
        ),
        *story_blocks(testimony.story, QUEUE_EXCERPT if excerpt else None),
    )


def decision_buttons(reference: str, *, labelled: bool = False) -> tuple[Button, ...]:
    """Approve, Reject, Feature; `labelled` names the testimony on each (a queue of several)."""
    suffix = "_ref" if labelled else ""
    return tuple(
        Button(
            f"testimony.{decision}",
            msg(f"testimony.button.{decision}{suffix}", reference=reference),
            reference,
        )
        for decision in ("approve", "reject", "feature")
    )


def review_alert(testimony: Testimony, pseudonyms: Pseudonyms) -> tuple[Block, ...]:
    return (Para((msg("testimony.review.new"),)), *card(testimony, pseudonyms))


def receipt(testimony: Testimony, zone: str) -> tuple[Block, ...]:
    return (
        Para(
            (
                msg(
                    "testimony.receipt",
                    title=Text(testimony.title),
                    reference=Code(testimony.reference),
                ),
            )
        ),
        Para((msg(f"testimony.receipt.consent.{testimony.consent}"),)),
        Para((msg("testimony.receipt.next", when=Moment(testimony.created_at, zone)),)),
    )


def mine(testimonies: Sequence[Testimony], zone: str) -> tuple[Block, ...]:
    if not testimonies:
        return (Para((msg("testimony.mine.none"),)),)
    lines = []
    for item in testimonies:
        if item.status == Status.DELETED:
            lines.append((msg("testimony.mine.tombstone", reference=Code(item.reference)),))
            continue
        lines.append(
            (
                msg(
                    "testimony.mine.line",
                    reference=Code(item.reference),
                    title=Text(item.title),
                    status=status(item),
                    consent=consent(item.consent),
                    when=Moment(item.created_at, zone),
                ),
            )
        )
    return (
        Para((msg("testimony.mine.title"),)),
        Bullets(tuple(lines)),
        Para((msg("testimony.mine.hint"),)),
    )


def mine_buttons(testimonies: Sequence[Testimony]) -> tuple[Button, ...]:
    buttons: list[Button] = []
    for item in testimonies:
        if item.status in (Status.PENDING, Status.APPROVED, Status.REJECTED):
            label = msg("testimony.button.withdraw", reference=item.reference)
            buttons.append(Button("testimony.withdraw", label, item.reference))
        if item.status != Status.DELETED:
            label = msg("testimony.button.delete", reference=item.reference)
            buttons.append(Button("testimony.delete", label, item.reference))
    return tuple(buttons)


def history(decisions: Sequence[Decision], zone: str) -> tuple[Block, ...]:
    if not decisions:
        return ()
    return (
        Para((msg("testimony.history.title"),)),
        Bullets(
            tuple(
                (
                    msg(
                        f"testimony.history.{item.decision}",
                        actor=Code(item.actor),
                        when=Moment(item.at, zone),
                    ),
                )
                for item in decisions
            )
        ),
    )


class NotPublishable(ValueError):
    """A story whose author did not consent to its publication was about to be posted."""


def announcement(testimony: Testimony) -> tuple[Block, ...]:
    """An approved, consented story as the campaign's places show it."""
    heading = "testimony.post.featured" if testimony.featured else "testimony.post.heading"
    if testimony.consent not in PUBLISHABLE:
        raise NotPublishable(f"{testimony.reference} was not consented to publication")
    return (
        Para((msg(heading, category=category(testimony.category)),)),
        Para((Bold((Text(testimony.title),)),)),
        *story_blocks(testimony.story),
        Para((msg("testimony.post.signed", name=public_name(testimony)),)),
    )


def retracted() -> tuple[Block, ...]:
    """What a post of a story reads once its author took it back (or asked to be forgotten)."""
    return (Para((msg("testimony.post.retracted"),)),)


def decided_notice(testimony: Testimony, reason: str = "") -> tuple[Block, ...]:
    """What the author is told privately about a decision on their story."""
    reference, title = Code(testimony.reference), Text(testimony.title)
    if testimony.status == Status.REJECTED:
        return (
            Para((msg("testimony.notice.rejected", reference=reference, title=title),)),
            Quote((Text(reason),)),
            Para((msg("testimony.notice.rejected_next"),)),
        )
    key = "testimony.notice.featured" if testimony.featured else "testimony.notice.approved"
    blocks: list[Block] = [Para((msg(key, reference=reference, title=title),))]
    if testimony.consent == Consent.MODERATORS:
        blocks.append(Para((msg("testimony.notice.moderators_only"),)))
    return tuple(blocks)


def already_decided(testimony: Testimony | None, reference: str) -> Msg:
    if testimony is None:
        return msg("testimony.unknown", reference=reference)
    if testimony.status in (Status.WITHDRAWN, Status.DELETED):
        return msg("testimony.decide.gone", reference=Code(reference), status=status(testimony))
    return msg("testimony.decide.already", reference=Code(reference), status=status(testimony))


def moment(at: datetime, zone: str) -> Moment:
    return Moment(at, zone)
