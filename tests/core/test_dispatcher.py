"""The dispatcher: bounds named, zones suggested, errors turned into incidents, quotas kept."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.app import Core, build_core
from bot.core.actors import Platform
from bot.core.commands import (
    Arguments,
    ButtonAction,
    Command,
    Context,
    FieldKind,
    Form,
    FormField,
    Quota,
    Scope,
)
from bot.core.dispatcher import Call
from bot.core.errors import UserError
from bot.core.options import IntegerOption
from bot.core.render import PlainRenderer
from bot.core.replies import Button, Reply
from bot.core.richtext import doc, msg
from bot.settings import Settings
from storage.database import Database
from tests.dialogue import Member, group, person, private
from tests.fakes import FakeClock

STORY_FORM = Form(
    msg("help.help"),
    (
        FormField("title", msg("option.campaign_name"), max_length=20),
        FormField("body", msg("option.hashtag"), FieldKind.LONG, max_length=200),
    ),
)


class Probe:
    """A small cog that exercises what the real cogs rely on."""

    name = "probe"

    def commands(self) -> Sequence[Command]:
        return (
            Command(
                "count",
                msg("help.help"),
                self.count,
                options=(
                    IntegerOption(
                        name="n", help=msg("option.invite_days"), min_value=1, max_value=10
                    ),
                ),
                needs_campaign=False,
            ),
            Command("boom", msg("help.help"), self.boom, needs_campaign=False),
            Command("story", msg("help.help"), self.story, needs_campaign=False, form=STORY_FORM),
            Command(
                "limited",
                msg("help.help"),
                self.count,
                needs_campaign=False,
                quota=Quota("limited", limit=2, window_seconds=86_400),
            ),
            Command(
                "picky",
                msg("help.help"),
                self.picky,
                options=(
                    IntegerOption(
                        name="n", help=msg("option.invite_days"), min_value=1, max_value=10
                    ),
                ),
                needs_campaign=False,
                quota=Quota("picky", limit=2, window_seconds=86_400),
            ),
            Command(
                "grouponly", msg("help.help"), self.count, scope=Scope.GROUP, needs_campaign=False
            ),
            Command("buttons", msg("help.help"), self.buttons_reply, needs_campaign=False),
            Command(
                "closed",
                msg("help.help"),
                self.story,
                needs_campaign=False,
                form=STORY_FORM,
                precheck=self.closed,
            ),
        )

    def buttons(self) -> Sequence[ButtonAction]:
        return (ButtonAction("probe.ok", self.pressed),)

    async def count(self, context: Context, args: Arguments) -> Reply:
        return Reply(doc(msg("invite.line", code=str(args.integer("n")), until="-", uses=0)))

    async def picky(self, context: Context, args: Arguments) -> Reply:
        """Refuses odd numbers, as a cog refuses what it cannot accept."""
        if (args.integer("n") or 0) % 2:
            raise UserError(msg("form.cancelled"))
        return await self.count(context, args)

    async def boom(self, context: Context, args: Arguments) -> Reply:
        raise RuntimeError("secret internals")

    async def story(self, context: Context, args: Arguments) -> Reply:
        return Reply(doc(msg("campaign.title", name=f"{args.text('title')}|{args.text('body')}")))

    async def buttons_reply(self, context: Context, args: Arguments) -> Reply:
        return Reply(
            doc(msg("help.intro")), buttons=(Button("probe.ok", msg("roles.moderator"), "K1"),)
        )

    async def closed(self, context: Context) -> None:
        raise UserError(msg("form.cancelled"))

    async def pressed(self, context: Context, key: str) -> Reply:
        return Reply(doc(msg("campaign.title", name=f"pressed {key}")))


@pytest.fixture
def probed(settings: Settings, db: Database, clock: FakeClock) -> Core:
    core = build_core(settings, db, clock)
    core.registry.add(Probe())
    return core


@pytest.fixture
def operator(probed: Core, tmp_path: Path) -> Member:
    return Member(
        probed,
        person(Platform.CONSOLE, "operator", admin=True),
        group(Platform.CONSOLE, "console"),
        tmp_path,
    )


async def test_an_option_out_of_bounds_names_the_bound(operator: Member) -> None:
    assert "“n” must be from 1 to 10." in await operator.says("/count n:11")
    assert "“n” must be a whole number from 1 to 10." in await operator.says("/count 1e99")


async def test_an_unknown_time_zone_gets_close_matches(operator: Member) -> None:
    answer = await operator.says("/setup name:Test timezone:Europe/Pariss")

    assert "Did you mean: Europe/Paris" in answer


async def test_an_unknown_command_points_to_help(operator: Member) -> None:
    assert "There is no command /nope. Type /help" in await operator.says("/nope")


async def test_an_unexpected_error_gives_an_incident_id_not_a_traceback(
    operator: Member, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        answer = await operator.says("/boom")

    assert "Something went wrong on our side" in answer
    assert "secret internals" not in answer
    incident = answer.rsplit("incident ", 1)[1].rstrip(".")
    assert any(incident in record.getMessage() for record in caplog.records)


async def test_a_form_is_asked_field_by_field_and_a_bad_answer_is_asked_again(
    operator: Member,
) -> None:
    answer = await operator.says("/story", "x" * 21, "Short title", "A body\nwith two lines")

    assert "can be at most 20 characters" in answer
    assert "Campaign Short title|A body\nwith two lines" in answer


async def test_a_precheck_refuses_before_the_form_and_is_not_asked_once_answered(
    probed: Core, operator: Member
) -> None:
    refused = await operator.says("/closed", "Keep 4o", "It helped.")

    assert refused == "Cancelled. Nothing was saved."  # the precheck refused: no question
    command = probed.registry.get("closed")
    assert command is not None
    call = Call(operator.actor, operator.place, command, {})
    answered = await probed.dispatcher.run(call, {"title": "Keep 4o", "body": "It helped."})
    assert "Keep 4o|It helped." in PlainRenderer(probed.catalogues.translator("en")).render(
        answered.reply.body
    )


async def test_a_form_can_be_cancelled(operator: Member) -> None:
    assert "Cancelled. Nothing was saved." in await operator.says("/story", "/cancel")


async def test_a_button_press_reaches_its_cog(operator: Member) -> None:
    shown = await operator.says("/buttons")
    assert "[1] moderator" in shown

    assert "Campaign pressed K1" in await operator.says("/press 1")
    assert "There is no such button." in await operator.says("/press 9")


async def test_a_group_command_in_a_private_chat_says_where_to_use_it(
    probed: Core, tmp_path: Path
) -> None:
    bob = Member(probed, person(Platform.TELEGRAM, "2"), private(Platform.TELEGRAM, "2"), tmp_path)

    assert "/grouponly works in a server or group" in await bob.says("/grouponly")


async def test_quotas_live_in_the_database_and_survive_a_restart(
    settings: Settings, database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    async with Database.connect(database_url) as first:
        core = build_core(settings, first, clock)
        core.registry.add(Probe())
        bob = Member(core, person(Platform.TELEGRAM, "2"), group(Platform.TELEGRAM, "-1"), tmp_path)
        await bob.says("/limited")
        await bob.says("/limited")

    async with Database.connect(database_url) as restarted:
        core = build_core(settings, restarted, clock)
        core.registry.add(Probe())
        bob = Member(core, person(Platform.TELEGRAM, "2"), group(Platform.TELEGRAM, "-1"), tmp_path)
        assert "You have reached the limit for now." in await bob.says("/limited")
        clock.advance(days=1)
        assert "reached the limit" not in await bob.says("/limited")


async def test_a_refused_action_does_not_spend_the_quota(operator: Member) -> None:
    for _ in range(3):
        assert "Cancelled. Nothing was saved." in await operator.says("/picky n:1")

    assert "2, until -" in await operator.says("/picky n:2")
    assert "4, until -" in await operator.says("/picky n:4")
    assert "You have reached the limit for now." in await operator.says("/picky n:6")


async def test_the_quota_renews_at_a_time_in_the_places_zone(operator: Member) -> None:
    await operator.says("/setup name:Test timezone:Europe/Paris")
    await operator.says("/limited")
    await operator.says("/limited")

    answer = await operator.says("/limited")

    # The window ends at midnight UTC, 02:00 in Paris in June.
    assert "You can try again after Tue 2 Jun 2026 02:00 (Europe/Paris)." in answer


async def test_first_uses_at_once_all_get_an_answer_and_never_pass_the_limit(
    probed: Core, tmp_path: Path
) -> None:
    command = probed.registry.get("limited")
    assert command is not None
    bob = person(Platform.TELEGRAM, "2")
    call = Call(bob, group(Platform.TELEGRAM, "-1"), command, {})
    renderer = PlainRenderer(probed.catalogues.translator("en"))

    answers = await asyncio.gather(*(probed.dispatcher.run(call) for _ in range(5)))

    texts = [renderer.render(answer.reply.body) for answer in answers]
    assert not [text for text in texts if "Something went wrong" in text]
    assert sum("reached the limit" not in text for text in texts) == 2


async def test_a_press_while_the_database_is_unreachable_gets_an_incident_id(
    probed: Core, operator: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    @asynccontextmanager
    async def unreachable() -> AsyncIterator[None]:
        raise OSError("connection refused")
        yield

    monkeypatch.setattr(probed.database, "read", unreachable)

    answer = await probed.dispatcher.press(operator.actor, operator.place, "probe.ok", "K1")

    text = PlainRenderer(probed.catalogues.translator("en")).render(answer.reply.body)
    assert "Something went wrong on our side" in text
    assert answer.reply.private
