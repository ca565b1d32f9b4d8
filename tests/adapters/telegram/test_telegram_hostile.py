"""Messages Telegram itself sends into a group are never taken for a member's command."""

from __future__ import annotations

from tests.adapters.telegram.conftest import Telegram

SERVICE_NOTIFICATIONS = 777000  # Telegram's own account: forwarded channel posts, notices


async def test_a_command_from_telegrams_service_account_is_ignored(telegram: Telegram) -> None:
    group = await telegram.group()
    service = telegram.person(SERVICE_NOTIFICATIONS, "Telegram")
    alice = telegram.person(101, "Alice")
    await telegram.make_admin(group, alice)
    await telegram.make_admin(group, service)  # so that, were it heard, it would be obeyed

    await service.says('/setup name:"Not yours"', group)
    await alice.says('/setup name:"Keep 4o"', group)

    # Updates are handled in order: had the first been taken, Alice would be told the
    # group already has a campaign.
    [reply] = await telegram.replies(group)
    assert reply.text.startswith("The campaign <b>Keep 4o</b> starts here")
