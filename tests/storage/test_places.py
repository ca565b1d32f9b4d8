"""Who and where commands come from, read together."""

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

    nowhere, member, moderator = (
        ("telegram", "-999", "telegram:7"),
        ("telegram", "-1001", "telegram:8"),
        ("telegram", "-1001", "telegram:7"),
    )
    async with db.read() as tx:
        found = await tx.places.contexts_of([nowhere, member, moderator])

    assert found == {
        nowhere: (None, None, None),
        member: (place, campaign, None),
        moderator: (place, campaign, "moderator"),
    }
