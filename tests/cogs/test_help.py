"""/help: what the caller may do where they are."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.actors import Platform
from tests.dialogue import Member, group, person, private

GROUP = group(Platform.TELEGRAM, "-100")


async def test_a_member_in_a_group_with_no_campaign_learns_an_administrator_can_set_it_up(
    meet: Callable[..., Member],
) -> None:
    bob = meet(person(Platform.TELEGRAM, "2"), GROUP)

    answer = await bob.says("/help")

    assert "an administrator can start one here with /setup" in answer
    assert "/setup —" not in answer  # not a command Bob can use himself
    assert "/help —" in answer


async def test_an_administrator_sees_setup_among_their_commands(
    meet: Callable[..., Member],
) -> None:
    alice = meet(person(Platform.TELEGRAM, "1", admin=True), GROUP)

    answer = await alice.says("/help")

    assert "/setup — Start a campaign here" in answer
    assert "an administrator can start one" not in answer


async def test_no_administrator_is_mentioned_where_there_is_nothing_to_set_up(
    meet: Callable[..., Member],
) -> None:
    bob = meet(person(Platform.TELEGRAM, "2"), private(Platform.TELEGRAM, "2"))
    alice = meet(person(Platform.TELEGRAM, "1", admin=True), GROUP)
    await alice.says('/setup name:"Keep 4o" timezone:Europe/Paris')
    carol = meet(person(Platform.TELEGRAM, "3"), GROUP)

    assert "administrator" not in await bob.says("/help")  # a private chat is no campaign's
    assert "administrator" not in await carol.says("/help")  # this group has its campaign
