"""Review alerts, composed when they are sent: the story as it stands at that moment.

An alert's outbox row holds only the testimony's reference (`{"compose": "testimony.review",
"reference": …}`); its card is read and built when the sender claims it. So a story that was
decided, withdrawn or deleted before its alert went out is not announced at all, the story's
words are not copied into the outbox, and storing a submission stays cheap when hundreds
arrive together.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from bot.core.outbox.compose import Composed, ComposeRequest, UnreadablePayload
from bot.core.replies import Reply
from cogs.testimonies import texts
from cogs.testimonies.model import Pseudonyms, Status
from storage.database import Database
from storage.repositories.testimonies import Testimony
from storage.unit import Tx

COMPOSER_NAME = "testimony.review"


def alert_payload(reference: str) -> dict[str, object]:
    """What an alert's outbox row carries: which testimony, nothing of its text."""
    return {"compose": COMPOSER_NAME, "reference": reference}


class ReviewAlerts:
    """Composes review alerts from the database (a `BatchComposer`)."""

    def __init__(self, database: Database, pseudonyms: Pseudonyms) -> None:
        self._database = database
        self._pseudonyms = pseudonyms

    async def compose(self, request: ComposeRequest) -> Composed | None:
        """The alert of one row; None when its story no longer waits for review."""
        composed = await self.compose_many([request])
        if request.outbox_id not in composed:
            raise UnreadablePayload(f"no testimony reference in outbox row {request.outbox_id}")
        return composed[request.outbox_id]

    async def compose_many(
        self, requests: Sequence[ComposeRequest]
    ) -> Mapping[int, Composed | None]:
        """The alerts of a claimed batch, their stories read in one query. A row without a
        reference is left out: composed alone, it fails there (see `Composer`)."""
        wanted = {
            request.outbox_id: reference
            for request in requests
            if isinstance(reference := request.payload.get("reference"), str)
        }
        async with self._database.read() as tx:
            found = await tx.testimonies.by_references(set(wanted.values()))
            locales = await self._locales(tx, found.values())
        composed: dict[int, Composed | None] = {}
        for outbox_id, reference in wanted.items():
            testimony = found.get(reference)
            if testimony is None or testimony.status != Status.PENDING:
                composed[outbox_id] = None
                continue
            reply = Reply(
                texts.review_alert(testimony, self._pseudonyms),
                buttons=texts.decision_buttons(testimony.reference),
            )
            composed[outbox_id] = Composed(reply, locales[testimony.campaign_id])
        return composed

    @staticmethod
    async def _locales(tx: Tx, stories: Collection[Testimony]) -> dict[int, str]:
        """Each campaign's review language: its review place's, else the campaign's."""
        locales: dict[int, str] = {}
        for campaign_id in {testimony.campaign_id for testimony in stories}:
            settings = await tx.testimonies.settings(campaign_id)
            campaign = await tx.campaigns.get(campaign_id)
            fallback = campaign.locale if campaign is not None else "en"
            locales[campaign_id] = (settings.review_locale if settings else None) or fallback
        return locales
