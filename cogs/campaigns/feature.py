"""Commands of the campaigns cog: /setup, /campaign, /place, /roles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.commands import (
    Arguments,
    ButtonAction,
    CampaignRole,
    Command,
    Context,
    Permission,
    Scope,
)
from bot.core.errors import refuse
from bot.core.options import (
    ChannelOption,
    Choice,
    ChoiceOption,
    IntegerOption,
    TextOption,
    TimeZoneOption,
    UserOption,
)
from bot.core.replies import Reply
from bot.core.richtext import (
    Bullets,
    Code,
    Moment,
    Para,
    bold,
    doc,
    msg,
)
from cogs.campaigns.service import CampaignService, NewCampaign, normalise_hashtag
from cogs.campaigns.views import campaign_blocks, place_blocks

ROLE_CHOICES = (
    Choice("organiser", msg("roles.organiser")),
    Choice("moderator", msg("roles.moderator")),
)


class Campaigns:
    """Set places up, join them into campaigns, and manage shared settings and roles."""

    name = "campaigns"

    def __init__(self, service: CampaignService, locales: Sequence[str], default_zone: str) -> None:
        self._service = service
        self._default_zone = default_zone
        self._language = ChoiceOption(
            name="language",
            help=msg("option.language"),
            required=False,
            choices=tuple(Choice(code, msg(f"language.{code}")) for code in locales),
        )

    def commands(self) -> Sequence[Command]:
        name = TextOption(
            name="name",
            help=msg("option.campaign_name"),
            required=False,
            min_length=2,
            max_length=80,
        )
        hashtag = TextOption(
            name="hashtag", help=msg("option.hashtag"), required=False, max_length=60
        )
        zone = TimeZoneOption(name="timezone", help=msg("option.timezone"), required=False)
        channel = ChannelOption(name="channel", help=msg("option.channel"), required=False)
        user = UserOption(name="user", help=msg("option.user"))
        return (
            Command(
                "setup",
                msg("help.setup"),
                self.setup,
                options=(
                    name,
                    hashtag,
                    zone,
                    self._language,
                    channel,
                    TextOption(
                        name="join",
                        help=msg("option.invite_code"),
                        required=False,
                        min_length=4,
                        max_length=20,
                    ),
                ),
                permission=Permission.PLACE_ADMIN,
                scope=Scope.GROUP,
                needs_campaign=False,
            ),
            Command("campaign show", msg("help.campaign_show"), self.show, default=True),
            Command(
                "campaign set",
                msg("help.campaign_set"),
                self.change_campaign,
                options=(
                    name,
                    hashtag,
                    zone,
                    self._language,
                ),
                permission=Permission.ORGANISER,
            ),
            Command(
                "campaign invite",
                msg("help.campaign_invite"),
                self.invite,
                options=(
                    IntegerOption(
                        name="days",
                        help=msg("option.invite_days"),
                        required=False,
                        min_value=1,
                        max_value=90,
                    ),
                ),
                permission=Permission.ORGANISER,
            ),
            Command(
                "campaign invites",
                msg("help.campaign_invites"),
                self.list_invites,
                permission=Permission.ORGANISER,
            ),
            Command(
                "campaign revoke",
                msg("help.campaign_revoke"),
                self.revoke_invite,
                options=(
                    TextOption(
                        name="code", help=msg("option.invite_code"), min_length=4, max_length=20
                    ),
                ),
                permission=Permission.ORGANISER,
            ),
            Command(
                "place show",
                msg("help.place_show"),
                self.show_place,
                scope=Scope.GROUP,
                default=True,
            ),
            Command(
                "place set",
                msg("help.place_set"),
                self.change_place,
                options=(zone, self._language, channel),
                permission=Permission.PLACE_ADMIN,
                scope=Scope.GROUP,
            ),
            Command("roles list", msg("help.roles_list"), self.list_roles, default=True),
            Command(
                "roles grant",
                msg("help.roles_grant"),
                self.grant,
                options=(
                    user,
                    ChoiceOption(name="role", help=msg("option.role"), choices=ROLE_CHOICES),
                ),
                permission=Permission.ORGANISER,
            ),
            Command(
                "roles revoke",
                msg("help.roles_revoke"),
                self.revoke,
                options=(user,),
                permission=Permission.ORGANISER,
            ),
        )

    def buttons(self) -> Sequence[ButtonAction]:
        return ()

    async def setup(self, context: Context, args: Arguments) -> Reply:
        """Create a campaign here, or join one with an invite code."""
        if context.place is not None:
            raise refuse("setup.already")
        new = NewCampaign(
            name=args.text("name"),
            hashtag=normalise_hashtag(args.text("hashtag")),
            timezone=args.text("timezone"),
            locale=args.text("language"),
            channel=_channel(args.text("channel"), context),
        )
        await _check_can_post(context, new.channel or context.where.chat_id)
        if "join" in args:
            campaign = await self._service.join(
                context.actor, context.where, args.text("join"), new
            )
            return Reply(doc(msg("setup.joined", name=bold(campaign.name))))
        if not new.name:
            raise refuse("setup.needs_name")
        new = NewCampaign(
            new.name,
            new.hashtag,
            new.timezone or self._default_zone,
            new.locale or "en",
            new.channel,
        )
        campaign = await self._service.create(context.actor, context.where, new)
        return Reply(
            doc(
                msg("setup.created", name=bold(campaign.name)),
                msg("setup.next_steps"),
            )
        )

    async def show(self, context: Context, args: Arguments) -> Reply:
        """The campaign's shared settings, this place's own, and (for organisers and
        moderators) the other places where Chorus cannot post."""
        return Reply(campaign_blocks(await self._service.overview(context), context))

    async def show_place(self, context: Context, args: Arguments) -> Reply:
        """This place's own settings, and what keeps Chorus from posting here, if anything."""
        if context.place is None:
            raise refuse("error.not_set_up")
        return Reply(place_blocks(context.place))

    async def change_campaign(self, context: Context, args: Arguments) -> Reply:
        """Change the campaign's name, hashtag, default time zone or language."""
        changes = {
            key: value
            for key, value in (
                ("name", args.text("name")),
                ("timezone", args.text("timezone")),
                ("locale", args.text("language")),
            )
            if value
        }
        if "hashtag" in args:
            changes["hashtag"] = normalise_hashtag(args.text("hashtag"))
        campaign = await self._service.change_campaign(context, **changes)
        return Reply(doc(msg("campaign.changed", name=bold(campaign.name))))

    async def change_place(self, context: Context, args: Arguments) -> Reply:
        """Change this place's time zone, language or announcement channel."""
        changes = {
            key: value
            for key, value in (
                ("timezone", args.text("timezone")),
                ("locale", args.text("language")),
                ("announcement_channel", _channel(args.text("channel"), context)),
            )
            if value
        }
        if "announcement_channel" in changes:
            await _check_can_post(context, changes["announcement_channel"])
        await self._service.change_place(context, **changes)
        return Reply(doc(msg("place.changed")))

    async def invite(self, context: Context, args: Arguments) -> Reply:
        """A code that lets another server or group join this campaign."""
        invite = await self._service.create_invite(context, args.integer("days"))
        return Reply(
            doc(
                msg(
                    "invite.created",
                    code=Code(invite.code),
                    until=_moment(invite.expires_at, context),
                ),
                msg("invite.how_to_use", command=Code(f"/setup join:{invite.code}")),
            ),
            private=True,
        )

    async def list_invites(self, context: Context, args: Arguments) -> Reply:
        """Invite codes that can still be used."""
        invites = await self._service.invites(context)
        if not invites:
            return Reply(doc(msg("invite.none")), private=True)
        return Reply(
            (
                Para((msg("invite.list_title"),)),
                Bullets(
                    tuple(
                        (
                            msg(
                                "invite.line",
                                code=Code(item.code),
                                until=_moment(item.expires_at, context),
                                uses=item.uses,
                            ),
                        )
                        for item in invites
                    )
                ),
            ),
            private=True,
        )

    async def revoke_invite(self, context: Context, args: Arguments) -> Reply:
        """Cancel an invite code so it can no longer be used."""
        await self._service.revoke_invite(context, args.text("code"))
        return Reply(doc(msg("invite.revoked")), private=True)

    async def list_roles(self, context: Context, args: Arguments) -> Reply:
        """Who organises and moderates this campaign."""
        grants = await self._service.roles(context)
        return Reply(
            (
                Para((msg("roles.title"),)),
                Bullets(
                    tuple(
                        (msg(f"roles.line.{grant.role}", user=Code(grant.user_key)),)
                        for grant in grants
                    )
                ),
            )
        )

    async def grant(self, context: Context, args: Arguments) -> Reply:
        """Make someone an organiser or a moderator of the campaign."""
        user = args.user("user")
        if user is None:
            raise refuse("option.bad_user", option="user")
        role = CampaignRole(args.text("role"))
        await self._service.grant(context, user, role)
        return Reply(doc(msg(f"roles.granted.{role.value}", user=Code(user.key))))

    async def revoke(self, context: Context, args: Arguments) -> Reply:
        """Take someone's campaign role away."""
        user = args.user("user")
        if user is None:
            raise refuse("option.bad_user", option="user")
        await self._service.revoke(context, user)
        return Reply(doc(msg("roles.revoked", user=Code(user.key))))


async def _check_can_post(context: Context, channel: str) -> None:
    missing = await context.probe.missing_post_permission(channel)
    if missing:
        raise refuse("setup.cannot_post", permission=missing)


def _channel(raw: str, context: Context) -> str:
    return context.where.chat_id if raw == "here" else raw


def _moment(at: datetime, context: Context) -> Moment:
    zone = context.place.timezone if context.place else "UTC"
    return Moment(at, zone)
