"""Accepting a reading: snapshot, milestones and announcements in the caller's transaction.

This is the heart of "announced exactly once per place":
- the campaign's settings row is locked first (PostgreSQL), so readings of one campaign are
  settled one after another and every total includes the readings before it;
- the snapshot is unique per (source, poll window): a window read twice (a retried
  transaction, a second process) stores nothing the second time, and nothing follows;
- each threshold the total passes is recorded under UNIQUE(campaign, threshold), and only
  thresholds recorded *now* are announced: a count that falls and rises again passes
  nothing new;
- the announcement is one outbox row per place active now, keyed
  `milestone:<campaign>:<threshold>:<place>`, written in the same transaction as the
  snapshot, so a crash before the sends is covered by the outbox and a re-run is a no-op;
  places that join later get nothing old.

The first reading a campaign ever gets is its baseline: the highest threshold it is past is
recorded without an announcement (a petition connected at 22,000 does not claim 20,000 now).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.richtext import Msg, msg
from cogs.petitions.announce import alert_messages, milestone_messages, milestone_reply
from cogs.petitions.milestones import Rule
from storage.repositories.petitions import Milestone, PetitionSettings, Source
from storage.unit import Tx

JUMP_FLOOR = 1_000  # a jump of fewer signatures than this is never suspicious


@dataclass(frozen=True, slots=True)
class Limits:
    """Which readings are believable: at most `max_drop` share lower, `max_jump` times higher."""

    max_drop: float = 0.2
    max_jump: float = 5.0


@dataclass(frozen=True, slots=True)
class Accepted:
    """What a reading did: stored (False: the window already had one), the new total, and
    the threshold announced with how many were passed at once."""

    stored: bool
    total: int
    announced: int | None = None
    passed: int = 0


def rule_of(settings: PetitionSettings | None) -> Rule:
    if settings is None or settings.rule == "ladder":
        return Rule()
    if settings.rule == "every":
        return Rule("every", step=settings.step)
    return Rule("list", values=settings.thresholds)


def implausible(last: int | None, count: int, limits: Limits) -> Msg | None:
    """Why `count` cannot follow `last` in one poll, or None if it can."""
    if last is None:
        return None
    if count < last * (1 - limits.max_drop):
        return msg("petitions.error.dropped", last=last, found=count)
    if count > max(last * limits.max_jump, last + JUMP_FLOOR):
        return msg("petitions.error.jumped", last=last, found=count)
    return None


async def accept_reading(
    tx: Tx,
    source: Source,
    count: int,
    *,
    window: str,
    now: datetime,
    polled: bool,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Accepted:
    """Store `count` as `source`'s reading for `window`, and announce what it passes."""
    settings = await tx.petitions.lock(source.campaign_id, now)
    snapshot_id = await tx.petitions.add_snapshot(
        source_id=source.id,
        campaign_id=source.campaign_id,
        window_key=window,
        count=count,
        at=now,
    )
    sources = await tx.petitions.sources(source.campaign_id)
    known = [s.last_count for s in sources if s.last_count is not None]
    previous_total = sum(known)
    if snapshot_id is None:
        return Accepted(False, previous_total)
    mine = next((s.last_count for s in sources if s.id == source.id), None)
    total = previous_total - (mine or 0) + count
    await tx.petitions.record_reading(
        source.id,
        count=count,
        at=now,
        window=window if polled else None,
        etag=etag,
        last_modified=last_modified,
    )
    rule = rule_of(settings)
    if not known:
        highest = rule.highest_at_most(total)
        if highest is not None:
            await tx.petitions.add_milestones(
                source.campaign_id,
                [highest],
                count=total,
                at=now,
                announced=False,
                snapshot_id=snapshot_id,
            )
        return Accepted(True, total)
    before = await tx.petitions.milestones(source.campaign_id)
    new = await tx.petitions.add_milestones(
        source.campaign_id,
        rule.between(previous_total, total),
        count=total,
        at=now,
        announced=True,
        snapshot_id=snapshot_id,
    )
    if not new:
        return Accepted(True, total)
    await _announce(tx, source, new, total, before, now, sources)
    return Accepted(True, total, new[-1], len(new))


async def _announce(
    tx: Tx,
    source: Source,
    new: list[int],
    total: int,
    before: list[Milestone],
    now: datetime,
    sources: list[Source],
) -> None:
    highest = new[-1]
    earlier = [m for m in before if m.threshold < highest]
    previous = earlier[-1] if earlier else None
    took: timedelta | None = None
    if previous is not None and previous.announced:
        took = now - previous.reached_at
    campaign = await tx.campaigns.get(source.campaign_id)
    reply = milestone_reply(
        threshold=highest,
        passed=len(new),
        total=total,
        link=petition_link(sources),
        hashtag=campaign.hashtag if campaign else "",
        took=took,
        previous=previous.threshold if previous is not None else None,
    )
    places = await tx.places.of_campaign(source.campaign_id)
    await tx.outbox.add_many(
        milestone_messages(places, source.campaign_id, highest, reply, now), now
    )


def petition_link(sources: list[Source]) -> str:
    """The link to share: the first source's public link, else its page (never a JSON API)."""
    for source in sources:
        if source.link:
            return source.link
    for source in sources:
        if source.kind == "html":
            return source.url
    return ""


async def alert_organisers(tx: Tx, source: Source, error: Msg, now: datetime) -> None:
    """Tell the campaign's organisers, privately, that `source` is unhealthy and why."""
    grants = await tx.roles.of_campaign(source.campaign_id)
    organisers = [grant.user_key for grant in grants if grant.role == "organiser"]
    campaign = await tx.campaigns.get(source.campaign_id)
    await tx.outbox.add_many(
        alert_messages(
            organisers,
            source_id=source.id,
            source_name=source.name,
            error=error,
            locale=campaign.locale if campaign else "en",
            now=now,
        ),
        now,
    )
