"""Petitions on Telegram: a milestone announced in the group (HTML), the chart as a file,
and the live counter edited with editMessageText and pinned, against the Bot API emulator."""

from __future__ import annotations

from bot.core.outbox import OutboxSender
from cogs.petitions.livecounter import LiveUpdater
from tests.adapters.telegram.conftest import Telegram, eventually
from tests.fakes import FakeClock


async def test_a_milestone_reaches_the_group_and_the_chart_comes_as_a_file(
    telegram: Telegram, clock: FakeClock
) -> None:
    group = await telegram.group()
    alice = telegram.person(101, "Alice")
    await telegram.make_admin(group, alice)
    await alice.says('/setup name:"Keep 4o" hashtag:keep4o', group)
    await telegram.replies(group)
    await alice.says("/signatures set 800", group)
    await telegram.replies(group)
    await alice.says("/signatures set 2600", group)
    [answered] = await telegram.replies(group)
    assert "passes the 2,500 milestone" in answered.text

    core = telegram.core
    sender = OutboxSender(core.database, telegram.adapter.courier, clock, "telegram-test")
    assert (await sender.run_once())["sent"] == 1

    [announced] = await telegram.replies(group)
    assert announced.params["parse_mode"] == "HTML"
    assert announced.text.startswith("<b>🎉 2,500 signatures!</b>")
    assert "That is 2 milestones passed at once: we are at 2,600 now." in announced.text
    assert "#keep4o" in announced.text

    await alice.says("/signatures", group)
    [shown] = await telegram.replies(group)
    assert "Signatures: 2,600" in shown.text
    [document] = await telegram.calls("sendDocument")
    [file] = document["files"]
    assert file["name"] == "signatures.png"
    assert file["size"] > 10_000


async def test_the_live_counter_is_edited_in_place_and_pinned(
    telegram: Telegram, clock: FakeClock
) -> None:
    group = await telegram.group()
    alice = telegram.person(101, "Alice")
    await telegram.make_admin(group, alice)
    await alice.says('/setup name:"Keep 4o"', group)
    await telegram.replies(group)
    await alice.says("/signatures set 300", group)
    await alice.says("/signatures live on", group)
    await telegram.replies(group, 2)
    core = telegram.core
    await OutboxSender(core.database, telegram.adapter.courier, clock, "telegram-test").run_once()
    [counter] = await telegram.replies(group)
    live = LiveUpdater(core.database, clock, interval=60)
    live.attach(telegram.adapter.courier)
    await live.run_once()

    await alice.says("/signatures set 450", group)
    await telegram.replies(group)
    clock.advance(seconds=61)
    assert await live.run_once() == 1

    [pin] = await telegram.calls("pinChatMessage")
    assert str(pin["params"]["chat_id"]) == str(group["id"])
    assert str(pin["params"]["disable_notification"]).lower() == "true"
    [edit] = await telegram.calls("editMessageText")
    assert edit["status"] == 200
    assert str(edit["params"]["message_id"]) == str(pin["params"]["message_id"])
    assert "Signatures: 450" in edit["params"]["text"]
    assert "Signatures: 300" in counter.text

    async def nothing_more() -> bool:
        return len(await telegram.calls("editMessageText")) == 1

    await eventually(nothing_more, "no second edit")


async def test_an_implausible_count_is_confirmed_with_a_button_and_undone_in_place(
    telegram: Telegram, clock: FakeClock
) -> None:
    group = await telegram.group()
    alice = telegram.person(101, "Alice")
    await telegram.make_admin(group, alice)
    await alice.says('/setup name:"Keep 4o"', group)
    await telegram.replies(group)
    await alice.says("/signatures set 900", group)
    await telegram.replies(group)

    await alice.says("/signatures set 12 000", group)
    [asked] = await telegram.replies(group)
    assert "The count jumped from 900 to 12,000 in one reading" in asked.text
    await alice.presses(asked, "Set 12,000", group)
    [confirmed] = await telegram.replies(group)
    assert "The count is set. Total: 12,000." in confirmed.text
    core = telegram.core
    sender = OutboxSender(core.database, telegram.adapter.courier, clock, "telegram-test")
    assert (await sender.run_once())["sent"] == 1
    [announced] = await telegram.replies(group)

    await alice.says("/signatures undo", group)
    [shown] = await telegram.replies(group)
    await alice.presses(shown, "Undo 12,000", group)
    [undone] = await telegram.replies(group)
    assert "The count 12,000 is taken back." in undone.text
    assert (await sender.run_once())["sent"] == 1

    edits = [
        e for e in await telegram.calls("editMessageText") if "Correction" in e["params"]["text"]
    ]
    [edit] = edits
    assert str(edit["params"]["message_id"]) == str(announced.message_id)
    assert "Correction: 10,000 signatures was announced in error." in edit["params"]["text"]
