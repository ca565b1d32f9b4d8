"""Commands and buttons of posting waves: /wave create, list, show, edit, cancel, join, leave,
remind, posted; the announcement's buttons I'm in, Remind me by DM, I posted.

`/wave create` is a form of five fields (title, when, networks and hashtags, brief, texts one
per line), the most a form may have; everything else is an option of the same command, typed
before the form opens (`/wave create repeat:weekly pledge:50 reminders:"24h,1h,0"`): the
zone, repetition, reminders, grace window, pledge threshold and deadline, and a link.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.core.commands import (
    Arguments,
    ButtonAction,
    Command,
    Context,
    Permission,
    Quota,
)
from bot.core.errors import refuse
from bot.core.options import Choice, ChoiceOption, IntegerOption, TextOption, TimeZoneOption
from bot.core.replies import Button, Reply
from bot.core.richtext import Block, Bullets, Inline, Moment, Msg, Para, Quote, Text, msg
from cogs.waves import messages as say
from cogs.waves.drafts import CreateChecks, DraftRules, create_form, read_edit, read_new
from cogs.waves.inputs import (
    PLEDGE_CAP,
    REPEATS,
    ReadOption,
    read_days,
    read_link,
    read_offsets,
)
from cogs.waves.service import WaveService
from cogs.waves.timeparse import When
from storage.repositories.waves import Wave
from storage.unit import Tx

# "Waves per organiser" (DESIGN §4): a quota kept in the database.
CREATE_QUOTA = Quota("wave.create", limit=10, window_seconds=24 * 3600)


class Waves:
    """Posting waves: organisers schedule them; members join, get reminded, and post."""

    name = "waves"

    def __init__(self, service: WaveService, rules: DraftRules) -> None:
        self._service = service
        self._rules = rules
        self._form = create_form(CreateChecks(rules))

    def commands(self) -> Sequence[Command]:
        wave_id = IntegerOption(
            name="id", help=msg("wave.option.id"), min_value=1, max_value=2**31 - 1
        )
        zone = TimeZoneOption(name="timezone", help=msg("wave.option.timezone"), required=False)
        # Read as soon as they are typed: a bad one is refused before the form opens.
        reminders = _text("reminders", 60, reader=read_offsets)
        link = _text("link", 500, reader=read_link)
        pledge_by = _text("pledge_by", 80)
        return (
            Command(
                "wave create",
                msg("wave.help.create"),
                self.create,
                options=(
                    zone,
                    ChoiceOption(
                        name="repeat",
                        help=msg("wave.option.repeat"),
                        required=False,
                        choices=tuple(Choice(r, msg(f"wave.repeat.{r}")) for r in REPEATS),
                    ),
                    _text("days", 60, reader=read_days),
                    reminders,
                    IntegerOption(
                        name="grace",
                        help=msg("wave.option.grace"),
                        required=False,
                        min_value=1,
                        max_value=120,
                    ),
                    IntegerOption(
                        name="pledge",
                        help=msg("wave.option.pledge"),
                        required=False,
                        min_value=1,
                        max_value=PLEDGE_CAP,
                    ),
                    pledge_by,
                    link,
                ),
                permission=Permission.ORGANISER,
                form=self._form,
                quota=CREATE_QUOTA,
            ),
            Command("wave list", msg("wave.help.list"), self.list_waves, default=True),
            Command("wave show", msg("wave.help.show"), self.show, options=(wave_id,)),
            Command(
                "wave edit",
                msg("wave.help.edit"),
                self.edit,
                options=(
                    wave_id,
                    _text("title", 80, minimum=2),
                    _text("when", 80),
                    zone,
                    _text("brief", 500),
                    _text("texts", 4000),
                    reminders,
                    link,
                    pledge_by,
                ),
                permission=Permission.ORGANISER,
            ),
            Command(
                "wave cancel",
                msg("wave.help.cancel"),
                self.cancel,
                options=(wave_id,),
                permission=Permission.ORGANISER,
            ),
            Command(
                "wave join", msg("wave.help.join"), self.join, (wave_id,), needs_campaign=False
            ),
            Command(
                "wave leave", msg("wave.help.leave"), self.leave, (wave_id,), needs_campaign=False
            ),
            Command(
                "wave remind",
                msg("wave.help.remind"),
                self.remind,
                options=(
                    wave_id,
                    ChoiceOption(
                        name="dm",
                        help=msg("wave.option.dm"),
                        required=False,
                        choices=(
                            Choice("on", msg("wave.dm.on")),
                            Choice("off", msg("wave.dm.off")),
                        ),
                    ),
                ),
                needs_campaign=False,
            ),
            Command(
                "wave posted",
                msg("wave.help.posted"),
                self.posted,
                options=(wave_id, _text("link", 500)),
                needs_campaign=False,
            ),
        )

    def buttons(self) -> Sequence[ButtonAction]:
        return (
            ButtonAction("wave.join", self.press_join),
            ButtonAction("wave.remind", self.press_remind),
            ButtonAction("wave.unremind", self.press_unremind),
            ButtonAction("wave.posted", self.press_posted),
        )

    # --- organisers ------------------------------------------------------------------------
    async def create(self, context: Context, args: Arguments) -> Reply:
        """Schedule a wave and announce it in every place of the campaign."""
        new = read_new(args, context, self._rules)
        wave, start, places = await self._service.create(context, new)
        blocks: list[Block] = [
            Para(
                (
                    msg(
                        "wave.created",
                        id=str(wave.id),
                        title=say.title(wave),
                        when=Moment(start, wave.timezone),
                    ),
                )
            ),
            *_time_notes(new.when, start),
            Para((msg("wave.created.announced", places=places),)),
            Para((say.reminders_line(wave.offsets),)),
        ]
        return Reply(tuple(blocks), private=True)

    async def list_waves(self, context: Context, args: Arguments) -> Reply:
        """The campaign's waves still to come."""
        found = await self._service.listed(context)
        if not found:
            return Reply((Para((msg("wave.list.none"),)),))
        zone = _zone(context, None)
        lines: tuple[tuple[Inline, ...], ...] = tuple(
            (
                msg(
                    "wave.list.line",
                    id=str(item.wave.id),
                    title=say.title(item.wave),
                    when=Moment(item.next_start, zone)
                    if item.next_start
                    else msg("wave.list.started"),
                    joined=item.joined,
                ),
            )
            for item in found
        )
        return Reply((Para((msg("wave.list.title"),)), Bullets(lines)))

    async def show(self, context: Context, args: Arguments) -> Reply:
        """One wave: when, where, texts, pledges and who is in."""
        shown, texts = await self._service.shown(context, _id(args))
        wave, zone = shown.wave, _zone(context, shown.wave)
        blocks: list[Block] = [
            Para((msg("wave.show.title", id=str(wave.id), title=say.title(wave)),))
        ]
        if shown.next_start is not None:
            blocks.append(Para((msg("wave.line.when", when=Moment(shown.next_start, zone)),)))
        blocks.append(Para((msg(f"wave.status.{wave.status}"),)))
        blocks.append(Para((say.targets_line(wave),)))
        if wave.brief:
            blocks.append(Quote((Text(wave.brief),)))
        if (repeat := say.repeat_line(wave)) is not None:
            blocks.append(Para((repeat,)))
        blocks.append(Para((say.reminders_line(wave.offsets),)))
        blocks.append(Para((msg("wave.show.joined", count=shown.joined),)))
        if wave.pledge_target is not None:
            state = msg(f"wave.pledge.state.{wave.pledge_state}")
            blocks.append(Para((msg("wave.show.pledge", target=wave.pledge_target, state=state),)))
        if texts:
            blocks.append(Para((msg("wave.show.texts", count=len(texts)),)))
            blocks.append(Bullets(tuple((Text(text),) for text in texts)))
        buttons = say.buttons(wave) if wave.status == "scheduled" else ()
        return Reply(tuple(blocks), buttons=buttons)

    async def edit(self, context: Context, args: Arguments) -> Reply:
        """Change a wave; a new time moves its future reminders and is announced."""
        wave, texts = await self._service.shown(context, _id(args))
        edit = read_edit(args, context, wave.wave, texts)
        if edit.empty:
            raise refuse("wave.edit.nothing")
        updated, start = await self._service.edit(context, wave.wave.id, edit)
        blocks: list[Block] = [
            Para(
                (
                    msg(
                        "wave.edited",
                        id=str(updated.id),
                        title=say.title(updated),
                        when=Moment(start, updated.timezone),
                    ),
                )
            )
        ]
        if edit.when is not None:
            blocks.extend(_time_notes(edit.when, start))
        return Reply(tuple(blocks), private=True)

    async def cancel(self, context: Context, args: Arguments) -> Reply:
        """Cancel a wave; everyone who joined is told once."""
        wave = await self._service.cancel(context, _id(args))
        return Reply((Para((msg("wave.cancel.done", title=say.title(wave)),)),), private=True)

    # --- members -------------------------------------------------------------------------
    async def join(self, context: Context, args: Arguments) -> Reply:
        """Say "I'm in" for a wave."""
        return await self._join(context, _id(args))

    async def leave(self, context: Context, args: Arguments) -> Reply:
        """Leave a wave you joined."""
        wave = await self._service.leave(context, _id(args))
        return Reply((Para((msg("wave.left", title=say.title(wave)),)),), private=True)

    async def remind(self, context: Context, args: Arguments) -> Reply:
        """Get (or stop) a wave's reminders by private message."""
        if args.text("dm") == "off":
            return await self._unremind(context, _id(args))
        return await self._remind(context, _id(args))

    async def posted(self, context: Context, args: Arguments) -> Reply:
        """Say you posted, with a link to your post if you like."""
        link = read_posted_link(args.text("link"))
        return await self._posted(context, _id(args), link)

    async def press_join(self, context: Context, key: str) -> Reply:
        """The announcement's "I'm in"."""
        return await self._join(context, _key(key))

    async def press_remind(self, context: Context, key: str) -> Reply:
        """The announcement's "Remind me by DM"."""
        return await self._remind(context, _key(key))

    async def press_unremind(self, context: Context, key: str) -> Reply:
        """ "Stop DM reminders", under a reminder."""
        return await self._unremind(context, _key(key))

    async def press_posted(self, context: Context, key: str) -> Reply:
        """The announcement's "I posted"."""
        return await self._posted(context, _key(key), "")

    async def _join(self, context: Context, wave_id: int) -> Reply:
        joined = await self._service.join(context, wave_id)
        key = "wave.joined" if joined.new else "wave.joined.already"
        when = Moment(joined.starts_at, _zone(context, joined.wave))
        said = msg(key, title=say.title(joined.wave), when=when, count=joined.count)
        return Reply((Para((said,)),), private=True)

    async def _remind(self, context: Context, wave_id: int) -> Reply:
        joined = await self._service.join(context, wave_id, dm=True)
        when = Moment(joined.starts_at, _zone(context, joined.wave))
        said = msg("wave.remind.on", title=say.title(joined.wave), when=when)
        stop = Button("wave.unremind", msg("wave.button.unremind"), str(joined.wave.id))
        # DM reminders need the member's private chat: on Telegram this answer goes there
        # (or, when they never started the bot, opens it by a link), pressed or typed.
        lines = (Para((said,)), Para((say.reminders_line(joined.wave.offsets),)))
        return Reply(lines, buttons=(stop,), private=True, opens_private_chat=True)

    async def _unremind(self, context: Context, wave_id: int) -> Reply:
        joined = await self._service.join(context, wave_id, dm=False)
        said = msg("wave.remind.off", title=say.title(joined.wave))
        return Reply((Para((said,)),), private=True)

    async def _posted(self, context: Context, wave_id: int, link: str) -> Reply:
        wave, new = await self._service.posted(context, wave_id, link)
        key = "wave.posted.thanks" if new else "wave.posted.again"
        blocks: list[Block] = [Para((msg(key, title=say.title(wave)),))]
        if not link:
            blocks.append(Para((msg("wave.posted.link_hint", id=str(wave.id)),)))
        return Reply(tuple(blocks), private=True)

    # --- privacy (KeepsPersonalData) -----------------------------------------------------
    def data_statement(self) -> Msg:
        """What waves keep about a member."""
        return msg("wave.privacy")

    async def export_user_data(self, tx: Tx, user_key: str) -> dict[str, Any]:
        """The waves a member joined, their DM opt-ins, and the posts they reported."""
        return await tx.waves.user_data(user_key)

    async def forget_user(self, tx: Tx, user_key: str) -> None:
        """Erase a member from every wave (their pending DMs are the outbox's to cancel)."""
        await tx.waves.forget(user_key)


def read_posted_link(raw: str) -> str:
    return read_link(raw, field="posted_link")


def _text(
    name: str, maximum: int, *, minimum: int = 1, reader: Callable[[str], object] | None = None
) -> TextOption:
    return ReadOption(
        name=name,
        help=msg(f"wave.option.{name}"),
        required=False,
        min_length=minimum,
        max_length=maximum,
        reader=reader,
    )


def _id(args: Arguments) -> int:
    value = args.integer("id")
    if value is None:
        raise refuse("error.missing_option", option="id")
    return value


def _key(key: str) -> int:
    if not key.isdigit():
        raise refuse("error.unknown_button")
    return int(key)


def _zone(context: Context, wave: Wave | None) -> str:
    if context.place is not None:
        return context.place.timezone
    return wave.timezone if wave is not None else "UTC"


def _time_notes(when: When, start: datetime) -> list[Block]:
    """Say what daylight saving (or the repeat days) did to the time that was typed."""
    notes: list[Block] = []
    local = Text(when.local.strftime("%H:%M"))
    if when.moved:
        notes.append(Para((msg("wave.time.moved", time=local),)))
    elif when.twice:
        notes.append(Para((msg("wave.time.twice", time=local),)))
    if start != when.at:
        notes.append(Para((msg("wave.time.first_on_rule", when=Moment(start, when.zone)),)))
    return notes
