"""What the core keeps about a person, as one more keeper of personal data.

Campaign roles are personal data: a role names its holder's account and says who granted
it. They are exported, and erased when their holder asks to be forgotten, even from the
last organiser of a campaign (the operator, CHORUS_OWNER_IDS, can still manage it and grant
the role again); the confirmation says so first. A form left unfinished (on Telegram, a
story being typed in a private chat) is erased too.
"""

from __future__ import annotations

from typing import Any

from bot.core.richtext import Msg, msg
from storage.unit import Tx


class CampaignData:
    """`KeepsPersonalData` for the campaigns cog and the core's own records."""

    name = "campaigns"

    def data_statement(self) -> Msg:
        return msg("privacy.campaigns.statement")

    async def export_user_data(self, tx: Tx, user_key: str) -> dict[str, Any]:
        grants = await tx.personal.roles_of(user_key)
        return {
            "roles": [
                {
                    "campaign_id": grant.campaign_id,
                    "role": grant.role,
                    "granted_at": grant.granted_at.isoformat(),
                }
                for grant in grants
            ],
            "unfinished_forms": await tx.personal.open_forms(user_key),
        }

    async def forget_user(self, tx: Tx, user_key: str) -> None:
        await tx.personal.forget(user_key)
