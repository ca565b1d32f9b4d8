"""`/digest` settings: what administrators may change, and what is refused unchanged."""

from __future__ import annotations

from bot.core.actors import Platform
from bot.core.dispatcher import Call
from bot.core.render import PlainRenderer
from tests.cogs.digest.support import LA, TOKYO, Meet, World
from tests.dialogue import person


class NoSendMessages:
    """A platform that says the bot lacks a permission in every channel."""

    async def missing_post_permission(self, channel_id: str) -> str | None:
        return "Send Messages"


async def test_times_are_read_strictly_and_refusals_change_nothing(world: World) -> None:
    assert "19:00 (Asia/Tokyo)" in await world.aki.says("/digest time 7pm")
    assert "07:05" in await world.aki.says("/digest time 7:05")

    for bad in ("25:00", "7", "13pm", "noon", "19:60"):
        answer = await world.aki.says(f"/digest time {bad}")
        assert f"“{bad}” is not a time I can read for sure" in answer
    assert "Time: 07:05 (Asia/Tokyo)" in await world.aki.says("/digest")


async def test_a_channel_the_bot_cannot_post_in_is_refused_naming_the_permission(
    world: World,
) -> None:
    command = next(c for c in world.core.registry.commands() if c.path == "digest channel")
    admin = person(Platform.DISCORD, "9", admin=True)

    response = await world.core.dispatcher.run(
        Call(admin, LA, command, {"channel": "<#777>"}, probe=NoSendMessages())
    )

    text = PlainRenderer(world.core.catalogues.translator("en")).render(response.reply.body)
    assert "missing the permission “Send Messages”" in text
    assert "Channel: 555" in await world.lee.says("/digest")


async def test_settings_are_for_place_administrators(world: World, meet: Meet) -> None:
    member = meet(person(Platform.TELEGRAM, "2"), TOKYO)

    assert "Off" in await world.aki.says("/digest")
    refused = await member.says("/digest on")
    assert "The daily digest is on" not in refused
    assert "Off (turn it on" in await world.aki.says("/digest")


async def test_on_off_channel_chart_and_quiet_show_in_the_settings(world: World) -> None:
    await world.lee.says("/digest on")
    await world.lee.says("/digest channel channel:<#777>")
    await world.lee.says("/digest chart on")
    await world.lee.says("/digest quiet skip")

    shown = await world.lee.says("/digest")

    assert "• On" in shown
    assert "Channel: 777" in shown
    assert "With a 7-day signature chart" in shown
    assert "nothing is sent" in shown
    assert "is off" in await world.lee.says("/digest off")
    assert "Off (turn it on" in await world.lee.says("/digest")
