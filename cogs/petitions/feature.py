"""Commands of the petitions cog: /signatures (show, set, source, live, display), /milestones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.commands import Arguments, ButtonAction, Command, Context, Permission, Scope
from bot.core.errors import refuse
from bot.core.i18n import Catalogues
from bot.core.options import Choice, ChoiceOption, IntegerOption, TextOption
from bot.core.replies import Attachment, Reply
from bot.core.richtext import Msg, Para, doc, msg
from cogs.petitions.chart import ChartPainter, render_chart
from cogs.petitions.livecounter import LiveCounters
from cogs.petitions.manual import ManualCounts
from cogs.petitions.milestones import MAX_LIST, MIN_STEP, Rule, parse_list
from cogs.petitions.readings import rule_of
from cogs.petitions.service import HISTORY, NewSource, PetitionService, joined
from cogs.petitions.sources import MAX_COUNT
from cogs.petitions.views import (
    chart_marks,
    chart_text,
    milestone_blocks,
    overview_blocks,
    source_blocks,
)
from storage.unit import Tx

ACTIONS = (
    Choice("list", msg("petitions.choice.list")),
    Choice("add", msg("petitions.choice.add")),
    Choice("remove", msg("petitions.choice.remove")),
)
KIND_CHOICES = (
    Choice("json", msg("petitions.choice.json")),
    Choice("html", msg("petitions.choice.html")),
    Choice("manual", msg("petitions.choice.manual")),
)
RULES = (
    Choice("ladder", msg("petitions.choice.ladder")),
    Choice("every", msg("petitions.choice.every")),
    Choice("list", msg("petitions.choice.thresholds")),
)


class Petitions:
    """The petition's count, its sources, milestones, live counters and the chart."""

    name = "petitions"

    def __init__(
        self,
        service: PetitionService,
        manual: ManualCounts,
        live: LiveCounters,
        catalogues: Catalogues,
        painter: ChartPainter,
    ) -> None:
        self._service = service
        self._manual = manual
        self._live = live
        self._catalogues = catalogues
        self.painter = painter

    def commands(self) -> Sequence[Command]:
        url = TextOption(
            name="url", help=msg("petitions.option.url"), required=False, max_length=2000
        )
        return (
            Command("signatures show", msg("petitions.help.show"), self.show, default=True),
            *self._manual.commands(),
            Command(
                "signatures source",
                msg("petitions.help.source"),
                self.source,
                options=(
                    ChoiceOption(
                        name="action",
                        help=msg("petitions.option.action"),
                        required=False,
                        choices=ACTIONS,
                    ),
                    ChoiceOption(
                        name="kind",
                        help=msg("petitions.option.kind"),
                        required=False,
                        choices=KIND_CHOICES,
                    ),
                    TextOption(
                        name="name",
                        help=msg("petitions.option.name"),
                        required=False,
                        max_length=60,
                    ),
                    url,
                    TextOption(
                        name="pointer",
                        help=msg("petitions.option.pointer"),
                        required=False,
                        max_length=500,
                    ),
                    TextOption(
                        name="pattern",
                        help=msg("petitions.option.pattern"),
                        required=False,
                        max_length=500,
                    ),
                    TextOption(
                        name="link",
                        help=msg("petitions.option.link"),
                        required=False,
                        max_length=2000,
                    ),
                ),
                permission=Permission.ORGANISER,
            ),
            Command(
                "signatures live",
                msg("petitions.help.live"),
                self.live,
                options=(
                    ChoiceOption(
                        name="state",
                        help=msg("petitions.option.state"),
                        choices=(
                            Choice("on", msg("petitions.choice.on")),
                            Choice("off", msg("petitions.choice.off")),
                        ),
                    ),
                ),
                permission=Permission.PLACE_ADMIN,
                scope=Scope.GROUP,
            ),
            Command(
                "signatures display",
                msg("petitions.help.display"),
                self.display,
                options=(
                    ChoiceOption(
                        name="mode",
                        help=msg("petitions.option.mode"),
                        choices=(
                            Choice("sum", msg("petitions.choice.sum")),
                            Choice("apart", msg("petitions.choice.apart")),
                        ),
                    ),
                ),
                permission=Permission.ORGANISER,
            ),
            Command(
                "milestones show", msg("petitions.help.milestones"), self.milestones, default=True
            ),
            Command(
                "milestones set",
                msg("petitions.help.milestones_set"),
                self.set_milestones,
                options=(
                    ChoiceOption(name="rule", help=msg("petitions.option.rule"), choices=RULES),
                    IntegerOption(
                        name="every",
                        help=msg("petitions.option.every"),
                        required=False,
                        min_value=MIN_STEP,
                        max_value=MAX_COUNT,
                    ),
                    TextOption(
                        name="list",
                        help=msg("petitions.option.list"),
                        required=False,
                        max_length=400,
                    ),
                ),
                permission=Permission.ORGANISER,
            ),
        )

    def buttons(self) -> Sequence[ButtonAction]:
        return self._manual.buttons()

    # --- KeepsPersonalData: only who added a source is kept about a person ------------------

    def data_statement(self) -> Msg:
        """What the petitions cog keeps about members."""
        return msg("petitions.privacy")

    async def export_user_data(self, tx: Tx, user_key: str) -> dict[str, Any]:
        return {"petition_sources_added": await tx.petitions.added_by(user_key)}

    async def forget_user(self, tx: Tx, user_key: str) -> None:
        await tx.petitions.forget_adder(user_key)

    async def show(self, context: Context, args: Arguments) -> Reply:
        """The count, its change over a day and a week, the next milestone, and a chart."""
        campaign, place = joined(context)
        view = await self._service.overview(campaign)
        body = tuple(overview_blocks(view, place.timezone))
        if view.total is None:
            return Reply(body)
        text = chart_text(self._catalogues.translator(place.locale), campaign.name)
        start = view.now - HISTORY
        png = await self.painter.paint(
            render_chart,
            view.points,
            chart_marks(view.milestones, start),
            start,
            view.now,
            text,
            view.next_threshold,
            place.timezone,
        )
        return Reply(body, attachment=Attachment("signatures.png", png, "image/png"))

    async def source(self, context: Context, args: Arguments) -> Reply:
        """List, add or remove the places the count is read from (organisers)."""
        campaign, place = joined(context)
        action = args.text("action") or "list"
        if action == "list":
            sources = await self._service.sources(campaign)
            return Reply(tuple(source_blocks(sources, place.timezone)), private=True)
        if action == "remove":
            if not args.text("name"):
                raise refuse("error.missing_option", option="name")
            await self._service.remove_source(context, args.text("name"))
            return Reply(doc(msg("petitions.source.removed", name=args.text("name"))), private=True)
        if not args.text("kind"):
            raise refuse("error.missing_option", option="kind")
        new = NewSource(
            kind=args.text("kind"),
            name=args.text("name"),
            url=args.text("url"),
            pointer=args.text("pointer"),
            pattern=args.text("pattern"),
            link=args.text("link"),
        )
        source, count = await self._service.add_source(context, new)
        if count is None:
            return Reply(doc(msg("petitions.source.added_manual", name=source.name)), private=True)
        return Reply(
            doc(msg("petitions.source.added", name=source.name, count=count)), private=True
        )

    async def live(self, context: Context, args: Arguments) -> Reply:
        """Keep one message here updated with the count, or stop (place administrators)."""
        _campaign, place = joined(context)
        if args.text("state") == "on":
            started = await self._live.enable(place)
            return Reply(doc(msg("petitions.live.on" if started else "petitions.live.already")))
        stopped = await self._live.disable(place)
        return Reply(doc(msg("petitions.live.off" if stopped else "petitions.live.none")))

    async def display(self, context: Context, args: Arguments) -> Reply:
        """Show several petitions as one total, or each apart (organisers)."""
        await self._service.set_display(context, args.text("mode"))
        return Reply(doc(msg(f"petitions.display.{args.text('mode')}")))

    async def milestones(self, context: Context, args: Arguments) -> Reply:
        """The milestone rule, the thresholds passed and the next one."""
        campaign, place = joined(context)
        view = await self._service.overview(campaign)
        rule = rule_of(view.settings)
        return Reply(
            tuple(
                milestone_blocks(
                    rule.describe(), view.milestones, view.next_threshold, place.timezone
                )
            )
        )

    async def set_milestones(self, context: Context, args: Arguments) -> Reply:
        """Choose the thresholds: the default ladder, every N, or a list (organisers)."""
        kind = args.text("rule")
        if kind == "every":
            step = args.integer("every")
            if step is None:
                raise refuse("error.missing_option", option="every")
            rule = Rule("every", step=step)
        elif kind == "list":
            try:
                values = parse_list(args.text("list"), MAX_COUNT)
            except ValueError:
                raise refuse("petitions.milestones.bad_list", max=MAX_LIST) from None
            rule = Rule("list", values=values)
        else:
            rule = Rule()
        await self._service.set_rule(context, rule)
        return Reply((Para((msg("petitions.milestones.changed", rule=rule.describe()),)),))
