"""Counts typed by hand: `/signatures set` and `/signatures undo`, and their confirmations.

A count is read as people type it (`counts.read_count`, in the place's language). One the
plausibility guard of polled counts does not believe (CHORUS_PETITION_MAX_DROP / _JUMP) is
echoed back and stored only once confirmed: with the button, or by typing the command
again with `confirm:yes` (the console, and anyone whose platform shows no buttons). Undoing
asks the same way, since it is irreversible.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.commands import Arguments, ButtonAction, Command, Context, Permission
from bot.core.errors import refuse
from bot.core.options import TextOption
from bot.core.replies import Button, Reply
from bot.core.richtext import Block, Code, Moment, Msg, doc, msg
from cogs.petitions.corrections import Corrections, Undo, Undone
from cogs.petitions.counts import MAX_TYPED, ConfirmOption, fold_spilled, read_count
from cogs.petitions.readings import Accepted
from cogs.petitions.service import Doubt, PetitionService, joined
from cogs.petitions.sources import MAX_COUNT

SET_ACTION = "petitions.set"
UNDO_ACTION = "petitions.undo"


class ManualCounts:
    """The commands and buttons of counts set by hand (part of the petitions cog)."""

    def __init__(self, service: PetitionService, corrections: Corrections) -> None:
        self._service = service
        self._corrections = corrections

    def commands(self) -> Sequence[Command]:
        confirm = ConfirmOption(
            name="confirm", help=msg("petitions.option.confirm"), required=False
        )
        return (
            Command(
                "signatures set",
                msg("petitions.help.set"),
                self.set_count,
                options=(
                    TextOption(
                        name="count", help=msg("petitions.option.count"), max_length=MAX_TYPED
                    ),
                    TextOption(
                        name="source",
                        help=msg("petitions.option.source"),
                        required=False,
                        max_length=60,
                    ),
                    confirm,
                ),
                permission=Permission.ORGANISER,
            ),
            Command(
                "signatures undo",
                msg("petitions.help.undo"),
                self.undo,
                options=(confirm,),
                permission=Permission.ORGANISER,
            ),
        )

    def buttons(self) -> Sequence[ButtonAction]:
        return (
            ButtonAction(SET_ACTION, self.set_pressed, Permission.ORGANISER),
            ButtonAction(UNDO_ACTION, self.undo_pressed, Permission.ORGANISER),
        )

    # --- /signatures set --------------------------------------------------------------------

    async def set_count(self, context: Context, args: Arguments) -> Reply:
        """Set the count of a petition that has no readable count (organisers)."""
        campaign, place = joined(context)
        confirm = args.text("confirm")
        names = {source.name.lower() for source in await self._service.sources(campaign)}
        spilled = [args.text("source")] + ([confirm] if confirm not in ("", "yes") else [])
        typed, rest = fold_spilled(args.text("count"), spilled, names)
        if len(rest) > 1 and rest[1]:
            raise refuse("option.bad_choice", option="confirm", choices="yes")
        source_name = rest[0] if rest else ""
        count = read_count(typed, place.locale, MAX_COUNT)
        result = await self._service.set_count(
            context, count, source_name, confirmed=confirm == "yes"
        )
        return _answer(result, source_name)

    async def set_pressed(self, context: Context, key: str) -> Reply:
        """The confirmation of an implausible count: `<source id>_<count>_<last count>`."""
        try:
            source_id, count, last = (int(part) for part in key.split("_"))
        except ValueError:
            raise refuse("petitions.set.gone") from None
        result = await self._service.confirm_count(context, source_id, count, last)
        return _answer(result, "")

    # --- /signatures undo -------------------------------------------------------------------

    async def undo(self, context: Context, args: Arguments) -> Reply:
        """Take back the last count set by hand and the milestones it announced (organisers)."""
        if args.text("confirm") == "yes":
            return _undone(await self._corrections.undo(context, None))
        if args.text("confirm"):  # a group of digits only a count's tail may carry
            raise refuse("option.bad_choice", option="confirm", choices="yes")
        _campaign, place = joined(context)
        plan = await self._corrections.plan(context)
        reading = plan.reading
        blocks: list[Block | Msg] = [
            msg(
                "petitions.undo.ask",
                count=reading.count,
                name=reading.source_name,
                at=Moment(reading.taken_at, place.timezone),
            ),
            _back_to(plan),
        ]
        if plan.announced:
            blocks.append(_withdrawn(plan, "petitions.undo.will_withdraw"))
        blocks.append(msg("petitions.undo.how", command=Code("/signatures undo confirm:yes")))
        button = Button(
            UNDO_ACTION,
            msg("petitions.button.undo", count=reading.count),
            str(reading.snapshot_id),
        )
        return Reply(doc(*blocks), buttons=(button,))

    async def undo_pressed(self, context: Context, key: str) -> Reply:
        """The confirmation of an undo: the id of the reading it was asked for."""
        if not key.isdigit():
            raise refuse("petitions.undo.stale")
        return _undone(await self._corrections.undo(context, int(key)))


def _answer(result: Accepted | Doubt, source_name: str) -> Reply:
    if isinstance(result, Doubt):
        command = f"/signatures set {result.count}"
        if source_name:
            command += f' source:"{source_name}"'
        blocks: list[Block | Msg] = [
            result.problem,
            msg("petitions.set.doubt", count=result.count, command=Code(f"{command} confirm:yes")),
        ]
        if result.count < result.last:
            blocks.append(msg("petitions.set.undo_hint", command=Code("/signatures undo")))
        button = Button(
            SET_ACTION,
            msg("petitions.button.set", count=result.count),
            f"{result.source.id}_{result.count}_{result.last}",  # safe on every platform
        )
        return Reply(doc(*blocks), buttons=(button,))
    reply: list[Block | Msg] = [msg("petitions.set.done", total=result.total)]
    if result.announced is not None:
        reply.append(msg("petitions.set.milestone", threshold=result.announced))
    return Reply(doc(*reply))


def _back_to(plan: Undo) -> Msg:
    if plan.reading.previous is None:
        return msg("petitions.undo.no_previous", name=plan.reading.source_name)
    return msg("petitions.undo.previous", count=plan.reading.previous)


def _withdrawn(plan: Undo, key: str) -> Msg:
    if len(plan.announced) == 1:
        return msg(f"{key}_one", threshold=plan.announced[0])
    return msg(key, n=len(plan.announced), threshold=plan.announced[-1])


def _undone(undone: Undone) -> Reply:
    plan = undone.undo
    blocks: list[Block | Msg] = [msg("petitions.undo.done", count=plan.reading.count)]
    if plan.total_after is None:
        blocks.append(msg("petitions.undo.no_count"))
    else:
        blocks.append(msg("petitions.set.done", total=plan.total_after))
    if plan.announced:
        blocks.append(_withdrawn(plan, "petitions.undo.withdrawn"))
    return Reply(doc(*blocks))
