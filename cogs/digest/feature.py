"""Commands of the digest cog: `/digest` and its settings (place administrators)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.clock import Clock
from bot.core.commands import (
    Arguments,
    ButtonAction,
    Command,
    Context,
    Handler,
    Permission,
    Scope,
)
from bot.core.errors import refuse
from bot.core.options import ChannelOption, Choice, ChoiceOption, Option, TextOption
from bot.core.outbox.compose import budget_for
from bot.core.replies import Reply
from bot.core.richtext import Bullets, Code, Moment, Para, bold, doc, msg
from bot.core.scheduling.rules import zone
from cogs.digest.compose import DigestComposer
from cogs.digest.service import QUIET_POLICIES, DigestService, Status, parse_time
from storage.records import Place

ON_OFF = (Choice("on", msg("digest.choice.on")), Choice("off", msg("digest.choice.off")))


class Digest:
    """Settings of a place's daily digest, and a private preview of today's."""

    name = "digest"

    def __init__(self, service: DigestService, composer: DigestComposer, clock: Clock) -> None:
        self._service = service
        self._composer = composer
        self._clock = clock

    def commands(self) -> Sequence[Command]:
        def admin(path: str, handler: Handler, *options: Option, default: bool = False) -> Command:
            return Command(
                path,
                msg(f"digest.help.{path.split(' ')[1]}"),
                handler,
                options=options,
                permission=Permission.PLACE_ADMIN,
                scope=Scope.GROUP,
                default=default,
            )

        return (
            admin("digest show", self.show, default=True),
            admin("digest on", self.turn_on),
            admin("digest off", self.turn_off),
            admin(
                "digest time",
                self.set_time,
                TextOption(name="time", help=msg("digest.option.time"), max_length=12),
            ),
            admin(
                "digest channel",
                self.set_channel,
                ChannelOption(name="channel", help=msg("digest.option.channel"), required=False),
            ),
            admin(
                "digest chart",
                self.set_chart,
                ChoiceOption(name="state", help=msg("digest.option.chart"), choices=ON_OFF),
            ),
            admin(
                "digest quiet",
                self.set_quiet,
                ChoiceOption(
                    name="policy",
                    help=msg("digest.option.quiet"),
                    choices=tuple(Choice(p, msg(f"digest.quiet.{p}")) for p in QUIET_POLICIES),
                ),
            ),
            admin("digest preview", self.preview),
        )

    def buttons(self) -> Sequence[ButtonAction]:
        return ()

    async def show(self, context: Context, args: Arguments) -> Reply:
        """This place's digest settings and when the next one goes."""
        place = _place(context)
        status = await self._service.status(place)
        settings = status.settings
        channel = settings.channel or place.announcement_channel
        return Reply(
            (
                Para((bold(msg("digest.show.title")),)),
                Bullets(
                    (
                        (msg("digest.show.state." + ("on" if settings.enabled else "off")),),
                        (msg("digest.show.time", time=settings.time, zone=place.timezone),),
                        (msg("digest.show.channel", channel=Code(channel)),),
                        (msg("digest.show.chart." + ("on" if settings.chart else "off")),),
                        (msg(f"digest.show.quiet.{settings.quiet}"),),
                    )
                ),
                *_next(status, place),
            ),
            private=True,
        )

    async def turn_on(self, context: Context, args: Arguments) -> Reply:
        """Send this place a short digest once a day."""
        place = _place(context)
        await _check_can_post(context, await self._channel(place))
        status = await self._service.turn(place, True)
        return Reply(doc(msg("digest.on"), *_next(status, place)))

    async def turn_off(self, context: Context, args: Arguments) -> Reply:
        """Stop this place's daily digest."""
        await self._service.turn(_place(context), False)
        return Reply(doc(msg("digest.off")))

    async def set_time(self, context: Context, args: Arguments) -> Reply:
        """Send the digest at this time of day, in the place's time zone."""
        place = _place(context)
        hhmm = parse_time(args.text("time"))
        status = await self._service.set_time(place, hhmm)
        return Reply(
            doc(msg("digest.time.set", time=hhmm, zone=place.timezone), *_next(status, place))
        )

    async def set_channel(self, context: Context, args: Arguments) -> Reply:
        """Post the digest in this channel (none: the announcement channel)."""
        place = _place(context)
        raw = args.text("channel")
        channel = context.where.chat_id if raw == "here" else raw
        await _check_can_post(context, channel or place.announcement_channel)
        await self._service.change(place, channel=channel)
        shown = channel or place.announcement_channel
        return Reply(doc(msg("digest.channel.set", channel=Code(shown))))

    async def set_chart(self, context: Context, args: Arguments) -> Reply:
        """Attach a small 7-day signature chart to the digest, or not."""
        on = args.text("state") == "on"
        await self._service.change(_place(context), chart=on)
        return Reply(doc(msg("digest.chart." + ("on" if on else "off"))))

    async def set_quiet(self, context: Context, args: Arguments) -> Reply:
        """On a day with no news: skip the digest, or send one short line."""
        policy = args.text("policy")
        await self._service.change(_place(context), quiet=policy)
        return Reply(doc(msg(f"digest.quiet.set.{policy}")))

    async def preview(self, context: Context, args: Arguments) -> Reply:
        """Today's digest as it would be sent now, shown only to you."""
        place = _place(context)
        today = context.now.astimezone(zone(place.timezone)).date().isoformat()
        draft = await self._composer.draft(
            place.id, today, budget_for(context.actor.platform), sending=False
        )
        if draft is None or draft.reply is None:
            return Reply(doc(msg("digest.preview.skipped")), private=True)
        return Reply(draft.reply.body, attachment=draft.reply.attachment, private=True)

    async def _channel(self, place: Place) -> str:
        status = await self._service.status(place)
        return status.settings.channel or place.announcement_channel


def _place(context: Context) -> Place:
    if context.place is None:
        raise refuse("digest.needs_setup")
    return context.place


async def _check_can_post(context: Context, channel: str) -> None:
    missing = await context.probe.missing_post_permission(channel)
    if missing:
        raise refuse("digest.cannot_post", permission=missing)


def _next(status: Status, place: Place) -> tuple[Para, ...]:
    if status.next_at is None:
        return ()
    when = Moment(status.next_at, place.timezone)
    if status.late_now:
        return (Para((msg("digest.next_after_late", when=when),)),)
    return (Para((msg("digest.next", when=when),)),)
