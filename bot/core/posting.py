"""When Chorus is still in a place but may not post there (a permission was taken away).

The outbox sender calls `cannot_post` inside the transaction that fails the refused row.
The place stays active and is marked with the problem (which chat, why, since when); the
first time, the people who can fix it are told privately, through the outbox:
- the place's administrators Chorus knows: whoever set the place up or last changed its
  settings there (`/setup`, `/place set`); they can give the permission back or choose
  another channel. A private message works the same on Discord and Telegram (on Telegram
  only once the person has started a private chat with the bot); another channel of theirs
  would exist only on Discord, and might well have lost the same permission;
- the campaign's organisers, who see every place's problem in `/campaign`.

While the problem stands the sender holds the chat's other rows back and tries one of them
every `PROBE_EVERY` seconds: one refusal per chat per probe, never a stream of 403s (Discord
bans an IP after 10,000 invalid requests in 10 minutes). The problem clears when a send to
that chat goes through again, or when the place's settings change.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.notes import private_note
from bot.core.replies import Reply
from bot.core.richtext import Code, Moment, Msg, bold, doc, msg
from storage.records import Campaign, Place
from storage.unit import Tx

# Seconds between two tries of a chat that refused for want of a permission.
PROBE_EVERY = 600.0
PROBE_MINUTES = int(PROBE_EVERY // 60)


async def cannot_post(
    tx: Tx, platform: str, chat_id: str, place_id: int | None, reason: str, now: datetime
) -> Place | None:
    """Mark the place behind `chat_id` (or `place_id`) as unable to post there and, if that
    is news, tell its administrators and the campaign's organisers. The place if newly
    marked; None when it was known already (or no active place posts there)."""
    place = (
        await tx.places.get(place_id)
        if place_id is not None
        else await tx.places.place_of_chat(platform, chat_id)
    )
    if place is None or place.platform != platform:
        return None
    flagged = await tx.places.flag_posting_problem(place.id, chat_id, reason, now)
    if flagged is None:
        return None
    campaign = await tx.campaigns.get(place.campaign_id)
    admins = await tx.places.administrators(place.id)
    grants = await tx.roles.of_campaign(place.campaign_id)
    organisers = [g.user_key for g in grants if g.role == "organiser" and g.user_key not in admins]
    since = (flagged.posting_problem_since or now).isoformat(timespec="seconds")
    key = f"posting-problem:{flagged.id}:{since}"
    admin_note = _to_admin(flagged)
    rows = [
        private_note(k, key=key, reply=admin_note, locale=flagged.locale, now=now) for k in admins
    ]
    if campaign is not None:
        note = _to_organiser(flagged, campaign)
        rows += [
            private_note(k, key=key, reply=note, locale=campaign.locale, now=now)
            for k in organisers
        ]
    await tx.outbox.add_many([row for row in rows if row is not None], now)
    return flagged


def problem_line(place: Place, zone: str) -> Msg | None:
    """One line that says what keeps Chorus from posting in `place`; None if nothing does."""
    if place.posting_problem_since is None:
        return None
    return msg(
        "posting.problem.line",
        channel=Code(place.posting_problem_chat),
        since=Moment(place.posting_problem_since, zone),
        reason=place.posting_problem,
    )


def _to_admin(place: Place) -> Reply:
    return Reply(
        doc(
            msg(
                "posting.problem.admin",
                place=bold(place.title or place.external_id),
                channel=Code(place.posting_problem_chat),
                reason=place.posting_problem,
            ),
            msg(
                "posting.problem.admin.fix",
                command=Code("/place set channel:"),
                minutes=PROBE_MINUTES,
            ),
        ),
        private=True,
    )


def _to_organiser(place: Place, campaign: Campaign) -> Reply:
    return Reply(
        doc(
            msg(
                "posting.problem.organiser",
                place=bold(place.title or place.external_id),
                platform=msg(f"posting.platform.{place.platform}"),
                campaign=bold(campaign.name),
                channel=Code(place.posting_problem_chat),
                reason=place.posting_problem,
            ),
            msg("posting.problem.organiser.hint", command=Code("/campaign")),
        ),
        private=True,
    )
