"""A moderator whose role ends between an alert and a press decides nothing."""

from __future__ import annotations

from storage.database import Database
from tests.cogs.testimonies.conftest import STORY, Cast, reference_in


async def test_a_moderator_demoted_after_the_alert_cannot_press_its_buttons(
    cast: Cast, db: Database
) -> None:
    reference = reference_in(await cast.bob.says("/testimony", *STORY))
    alert = await cast.mail.deliver(cast.mona)
    assert reference in alert  # the card, with Approve / Reject / Feature, is in her hands

    await cast.alice.says("/roles revoke user:telegram:3")
    pressed = await cast.mona.says("/press 1")

    assert "Only the campaign's moderators and organisers can do that." in pressed
    async with db.read() as tx:
        stored = await tx.testimonies.by_reference(reference)
    assert stored is not None
    assert stored.status == "pending"
