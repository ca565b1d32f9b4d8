"""Who and where a command comes from, read in one query."""

from __future__ import annotations

from storage.database import Database
from tests.fakes import FakeClock


async def test_the_context_of_a_command_is_its_place_campaign_and_role(
    db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    async with db.transaction() as tx:
        campaign = await tx.campaigns.create(
            name="Keep 4o", hashtag="", timezone="UTC", locale="en", created_by="x", now=now
        )
        place = await tx.places.add(
            platform="telegram",
            external_id="-1001",
            campaign_id=campaign.id,
            title="Paris",
            locale="en",
            timezone="Europe/Paris",
            announcement_channel="-1001",
            now=now,
        )
        await tx.roles.grant(campaign.id, "telegram:7", "moderator", "x", now)

    async with db.read() as tx:
        nowhere = await tx.places.context_of("telegram", "-999", "telegram:7")
        member = await tx.places.context_of("telegram", "-1001", "telegram:8")
        moderator = await tx.places.context_of("telegram", "-1001", "telegram:7")

    assert nowhere == (None, None, None)
    assert member == (place, campaign, None)
    assert moderator == (place, campaign, "moderator")
