"""The rules of campaigns and places: who may create, join, change and grant what."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.actors import Actor, PlaceRef
from bot.core.clock import Clock
from bot.core.commands import CampaignRole, Context
from bot.core.errors import refuse
from bot.core.options import UserRef
from bot.core.places import PlaceChanges
from storage.database import Database
from storage.errors import Conflict
from storage.records import Campaign, Invite, Place, RoleGrant
from storage.unit import Tx

INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
INVITE_LENGTH = 8
HASHTAG = re.compile(r"^\w{1,60}$")
ATTENTION_SHOWN = 10  # places that need attention listed by `/campaign` at most


@dataclass(frozen=True, slots=True)
class NewCampaign:
    name: str
    hashtag: str
    timezone: str
    locale: str
    channel: str


@dataclass(frozen=True, slots=True)
class Overview:
    """A campaign as `/campaign` shows it."""

    campaign: Campaign
    place: Place
    places_by_platform: dict[str, int]
    # Other places of the campaign where Chorus cannot post (removed, or a lost permission),
    # at most `ATTENTION_SHOWN` of them, and whether there are more.
    needing_attention: list[Place] = field(default_factory=list)
    more_needing_attention: bool = False


def normalise_hashtag(raw: str) -> str:
    tag = raw.strip().lstrip("#")
    if tag and not HASHTAG.match(tag):
        raise refuse("setup.bad_hashtag")
    return tag


def normalise_code(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw).upper()


class CampaignService:
    """Creates campaigns, joins places to them, and keeps their settings and roles."""

    def __init__(
        self, database: Database, clock: Clock, invite_days: int, place_changes: PlaceChanges
    ) -> None:
        self._database = database
        self._clock = clock
        self._invite_days = invite_days
        self._place_changes = place_changes

    async def create(self, actor: Actor, where: PlaceRef, new: NewCampaign) -> Campaign:
        """A new campaign with this place as its first, and the caller as its organiser."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            campaign = await tx.campaigns.create(
                name=new.name,
                hashtag=new.hashtag,
                timezone=new.timezone,
                locale=new.locale,
                created_by=actor.key,
                now=now,
            )
            place = await self._add_place(tx, where, campaign, new, now)
            await tx.roles.grant(campaign.id, actor.key, CampaignRole.ORGANISER, actor.key, now)
            await tx.audit.record(
                at=now,
                actor=actor.key,
                action="campaign.create",
                campaign_id=campaign.id,
                place_id=place.id,
            )
        return campaign

    async def join(self, actor: Actor, where: PlaceRef, code: str, new: NewCampaign) -> Campaign:
        """Join this place to the campaign behind a valid invite code."""
        now = self._clock.now()
        async with self._database.transaction() as tx:
            invite = await tx.invites.find(normalise_code(code))
            if invite is None or not invite.usable_at(now):
                raise refuse("setup.bad_invite")
            campaign = await tx.campaigns.get(invite.campaign_id)
            if campaign is None:
                raise refuse("setup.bad_invite")
            joined = NewCampaign(
                campaign.name,
                campaign.hashtag,
                new.timezone or campaign.timezone,
                new.locale or campaign.locale,
                new.channel,
            )
            place = await self._add_place(tx, where, campaign, joined, now)
            await tx.invites.record_use(invite.id)
            await tx.audit.record(
                at=now,
                actor=actor.key,
                action="campaign.join",
                campaign_id=campaign.id,
                place_id=place.id,
                invite=invite.id,
            )
        return campaign

    async def _add_place(
        self, tx: Tx, where: PlaceRef, campaign: Campaign, new: NewCampaign, now: datetime
    ) -> Place:
        try:
            return await tx.places.add(
                platform=where.platform.value,
                external_id=where.external_id,
                campaign_id=campaign.id,
                title=where.title,
                locale=new.locale,
                timezone=new.timezone,
                announcement_channel=new.channel or where.chat_id,
                now=now,
            )
        except Conflict:
            raise refuse("setup.already") from None

    async def overview(self, context: Context) -> Overview:
        """The campaign, this place as it is now, and the places that need attention."""
        campaign, place = _joined(context)
        async with self._database.read() as tx:
            counts = await tx.places.count_by_campaign(campaign.id)
            troubled = await tx.places.needing_attention(campaign.id, ATTENTION_SHOWN + 2)
        others = [other for other in troubled if other.id != place.id]
        return Overview(
            campaign,
            place,
            counts,
            others[:ATTENTION_SHOWN],
            len(others) > ATTENTION_SHOWN,
        )

    async def change_campaign(self, context: Context, **changes: str) -> Campaign:
        """Change campaign-wide settings (organisers): seen at once by every place."""
        campaign, place = _joined(context)
        if not changes:
            raise refuse("campaign.nothing_to_change")
        now = self._clock.now()
        async with self._database.transaction() as tx:
            updated = await tx.campaigns.update(campaign.id, **changes)
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="campaign.update",
                campaign_id=campaign.id,
                place_id=place.id,
                changed=sorted(changes),
            )
        return updated

    async def change_place(self, context: Context, **changes: str) -> Place:
        """Change this place's own settings (its administrators)."""
        campaign, place = _joined(context)
        if not changes:
            raise refuse("campaign.nothing_to_change")
        now = self._clock.now()
        async with self._database.transaction() as tx:
            updated = await tx.places.update_settings(place.id, now, **changes)
            await self._place_changes.changed(tx, place, updated)
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="place.update",
                campaign_id=campaign.id,
                place_id=place.id,
                changed=sorted(changes),
            )
        return updated

    async def create_invite(self, context: Context, days: int | None) -> Invite:
        """An invite code for another place, valid for `days` (default from settings)."""
        campaign, place = _joined(context)
        now = self._clock.now()
        expires = now + timedelta(days=days or self._invite_days)
        async with self._database.transaction() as tx:
            for _attempt in range(5):
                code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
                if await tx.invites.find(code) is None:
                    break
            invite = await tx.invites.create(
                campaign_id=campaign.id,
                code=code,
                created_by=context.actor.key,
                now=now,
                expires_at=expires,
            )
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="invite.create",
                campaign_id=campaign.id,
                place_id=place.id,
                invite=invite.id,
            )
        return invite

    async def revoke_invite(self, context: Context, code: str) -> None:
        campaign, place = _joined(context)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            if not await tx.invites.revoke(campaign.id, normalise_code(code), now):
                raise refuse("invite.unknown", code=normalise_code(code))
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="invite.revoke",
                campaign_id=campaign.id,
                place_id=place.id,
            )

    async def invites(self, context: Context) -> list[Invite]:
        campaign, _place = _joined(context)
        async with self._database.read() as tx:
            return await tx.invites.usable(campaign.id, self._clock.now())

    async def roles(self, context: Context) -> list[RoleGrant]:
        campaign, _place = _joined(context)
        async with self._database.read() as tx:
            return await tx.roles.of_campaign(campaign.id)

    async def grant(self, context: Context, user: UserRef, role: CampaignRole) -> None:
        """Make `user` an organiser or moderator of the campaign, on any platform."""
        campaign, place = _joined(context)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            current = await tx.roles.role_of(campaign.id, user.key)
            if current == CampaignRole.ORGANISER and role is not CampaignRole.ORGANISER:
                await self._keep_an_organiser(tx, campaign.id)
            await tx.roles.grant(campaign.id, user.key, role, context.actor.key, now)
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="role.grant",
                campaign_id=campaign.id,
                place_id=place.id,
                user=user.key,
                role=role.value,
            )

    async def revoke(self, context: Context, user: UserRef) -> None:
        campaign, place = _joined(context)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            current = await tx.roles.role_of(campaign.id, user.key)
            if current is None:
                raise refuse("roles.not_granted", user=user.key)
            if current == CampaignRole.ORGANISER:
                await self._keep_an_organiser(tx, campaign.id)
            await tx.roles.revoke(campaign.id, user.key)
            await tx.audit.record(
                at=now,
                actor=context.actor.key,
                action="role.revoke",
                campaign_id=campaign.id,
                place_id=place.id,
                user=user.key,
            )

    async def _keep_an_organiser(self, tx: Tx, campaign_id: int) -> None:
        # A campaign without organisers could never be managed again (only the operator).
        if await tx.roles.count(campaign_id, CampaignRole.ORGANISER) <= 1:
            raise refuse("roles.last_organiser")


def _joined(context: Context) -> tuple[Campaign, Place]:
    if context.campaign is None or context.place is None:
        raise refuse("error.not_set_up")
    return context.campaign, context.place
