"""What /campaign show and /place show look like: a campaign's and a place's settings, and the
places where Chorus cannot post."""

from __future__ import annotations

from bot.core.commands import Context
from bot.core.posting import problem_line
from bot.core.richtext import Block, Bold, Bullets, Code, Inline, Para, bold, msg, para
from cogs.campaigns.service import Overview
from storage.records import Place


def campaign_blocks(overview: Overview, context: Context) -> tuple[Block, ...]:
    """The campaign's shared settings, this place's own, and (for organisers and moderators)
    the other places that need attention."""
    campaign, place = overview.campaign, overview.place
    counts = overview.places_by_platform
    role = context.authority.role
    blocks: list[Block] = [
        Para((Bold((msg("campaign.title", name=campaign.name),)),)),
        Bullets(
            (
                (msg("campaign.hashtag", hashtag=_hashtag(campaign.hashtag)),),
                (msg("campaign.timezone", zone=campaign.timezone),),
                (msg("campaign.language", language=msg(f"language.{campaign.locale}")),),
                (
                    msg(
                        "campaign.places",
                        discord=counts.get("discord", 0),
                        telegram=counts.get("telegram", 0),
                        console=counts.get("console", 0),
                    ),
                ),
            )
        ),
        *place_blocks(place),
    ]
    if role is not None and overview.needing_attention:
        blocks += _attention(overview, place.timezone)
    blocks.append(Para((msg(f"campaign.your_role.{role.value if role else 'member'}"),)))
    return tuple(blocks)


def place_blocks(place: Place) -> tuple[Block, ...]:
    """This place's settings; first, a warning when Chorus cannot post here."""
    lines: list[tuple[Inline, ...]] = []
    problem = problem_line(place, place.timezone)
    if problem is not None:
        lines.append((problem,))
    lines += [
        (msg("place.channel", channel=Code(place.announcement_channel)),),
        (msg("place.timezone", zone=place.timezone),),
        (msg("place.language", language=msg(f"language.{place.locale}")),),
    ]
    return (para(Bold((msg("place.title"),))), Bullets(tuple(lines)))


def _attention(overview: Overview, zone: str) -> list[Block]:
    """The other places of the campaign where Chorus cannot post, one line each."""
    lines: list[tuple[Inline, ...]] = []
    for other in overview.needing_attention:
        name = bold(other.title or other.external_id)
        platform = msg(f"posting.platform.{other.platform}")
        if not other.active:
            line = msg(
                "campaign.attention.inactive",
                place=name,
                platform=platform,
                reason=other.inactive_reason or "—",
            )
        else:
            line = msg(
                "campaign.attention.cannot_post",
                place=name,
                platform=platform,
                problem=problem_line(other, zone) or "",
            )
        lines.append((line,))
    if overview.more_needing_attention:
        lines.append((msg("campaign.attention.more"),))
    return [para(Bold((msg("campaign.attention"),))), Bullets(tuple(lines))]


def _hashtag(tag: str) -> str:
    return f"#{tag}" if tag else "—"
