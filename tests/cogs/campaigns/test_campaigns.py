"""Setting places up, joining them into one campaign, and who may change what."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.actors import Platform
from storage.database import Database
from tests.dialogue import Member, group, invite_code, person
from tests.fakes import FakeClock

TG_GROUP = group(Platform.TELEGRAM, "-1001", "Keep 4o FR")
DC_SERVER = group(Platform.DISCORD, "555", "Keep 4o Discord")

Meet = Callable[..., Member]


async def start_campaign(meet: Meet) -> Member:
    alice = meet(person(Platform.TELEGRAM, "1", admin=True), TG_GROUP)
    answer = await alice.says('/setup name:"Keep 4o" timezone:Europe/Paris hashtag:#keep4o')
    assert "The campaign Keep 4o starts here, and you are its organiser." in answer
    return alice


async def test_the_first_setup_creates_a_campaign_and_an_organiser(meet: Meet) -> None:
    alice = await start_campaign(meet)

    shown = await alice.says("/campaign")

    assert "Campaign Keep 4o" in shown
    assert "Hashtag: #keep4o" in shown
    assert "Time zone: Europe/Paris" in shown
    assert "Places: 0 on Discord, 1 on Telegram" in shown
    assert "You are an organiser of this campaign." in shown


async def test_a_member_who_is_not_an_administrator_cannot_set_up(meet: Meet, db: Database) -> None:
    bob = meet(person(Platform.TELEGRAM, "2"), TG_GROUP)

    answer = await bob.says('/setup name:"Take over"')

    assert "Only an administrator of this server or group can do that." in answer
    async with db.read() as tx:
        assert await tx.places.find("telegram", "-1001") is None


async def test_another_place_joins_with_an_invite_and_shares_the_campaign(meet: Meet) -> None:
    alice = await start_campaign(meet)
    code = invite_code(await alice.says("/campaign invite"))
    dora = meet(person(Platform.DISCORD, "7", admin=True), DC_SERVER)

    assert "This place has joined the campaign Keep 4o." in await dora.says(f"/setup join:{code}")
    await alice.says('/campaign set name:"Keep 4o forever"')

    shown = await dora.says("/campaign")
    assert "Campaign Keep 4o forever" in shown
    assert "Places: 1 on Discord, 1 on Telegram" in shown
    assert "You are a member of this campaign." in shown


async def test_a_wrong_expired_or_revoked_code_joins_nothing(
    meet: Meet, clock: FakeClock, db: Database
) -> None:
    alice = await start_campaign(meet)
    dora = meet(person(Platform.DISCORD, "7", admin=True), DC_SERVER)
    refused = "This invite code is not valid: it is wrong, expired or revoked."

    assert refused in await dora.says("/setup join:ZZZZZZZZ")

    revoked = invite_code(await alice.says("/campaign invite"))
    assert "The invite code is revoked." in await alice.says(f"/campaign revoke {revoked}")
    assert refused in await dora.says(f"/setup join:{revoked}")

    expiring = invite_code(await alice.says("/campaign invite days:1"))
    clock.advance(days=1, seconds=1)
    assert refused in await dora.says(f"/setup join:{expiring}")

    async with db.read() as tx:
        assert await tx.places.find("discord", "555") is None


async def test_a_place_administrator_without_a_role_changes_only_the_place(meet: Meet) -> None:
    alice = await start_campaign(meet)
    code = invite_code(await alice.says("/campaign invite"))
    dora = meet(person(Platform.DISCORD, "7", admin=True), DC_SERVER)
    await dora.says(f"/setup join:{code}")

    refused = await dora.says('/campaign set name:"Mine now"')
    allowed = await dora.says("/place set timezone:America/New_York")

    assert "Only the campaign's organisers can do that." in refused
    assert "This place's settings are updated." in allowed
    assert "Campaign Keep 4o" in await alice.says("/campaign")
    assert "Time zone: America/New_York" in await dora.says("/campaign")


async def test_roles_are_granted_across_platforms(meet: Meet) -> None:
    alice = await start_campaign(meet)
    code = invite_code(await alice.says("/campaign invite"))
    dora = meet(person(Platform.DISCORD, "7", admin=True), DC_SERVER)
    await dora.says(f"/setup join:{code}")

    granted = await alice.says("/roles grant user:discord:7 role:organiser")
    assert "discord:7 is now an organiser of the campaign." in granted

    assert "Campaign Renamed" in await dora.says('/campaign set name:"Renamed"')
    assert "discord:7: organiser" in await dora.says("/roles")


async def test_the_last_organiser_cannot_be_removed(meet: Meet) -> None:
    alice = await start_campaign(meet)

    answer = await alice.says("/roles revoke user:telegram:1")

    assert "The campaign needs at least one organiser." in answer
    assert "telegram:1: organiser" in await alice.says("/roles")


async def test_a_place_cannot_be_set_up_twice(meet: Meet) -> None:
    alice = await start_campaign(meet)

    answer = await alice.says('/setup name:"Again"')

    assert "This place is already part of a campaign." in answer


async def test_every_change_is_audited(meet: Meet, db: Database) -> None:
    alice = await start_campaign(meet)
    await alice.says("/campaign invite")
    await alice.says("/roles grant user:telegram:5 role:moderator")

    async with db.read() as tx:
        actions = [entry.action for entry in await tx.audit.recent()]
    assert actions == ["role.grant", "invite.create", "campaign.create"]
