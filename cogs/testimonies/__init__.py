"""Testimonies: members' stories with consent, a moderation queue, exports for advocacy."""

from bot.core.clock import Clock
from bot.core.i18n import Catalogues
from bot.core.outbox.compose import Composers
from cogs.testimonies.alerts import COMPOSER_NAME, ReviewAlerts
from cogs.testimonies.exporting import ExportRequest, ExportService
from cogs.testimonies.feature import Testimonies
from cogs.testimonies.intake import Limits
from cogs.testimonies.model import Pseudonyms
from cogs.testimonies.review import ReviewService
from cogs.testimonies.service import TestimonyService
from storage.database import Database

__all__ = [
    "ExportRequest",
    "ExportService",
    "Limits",
    "Pseudonyms",
    "ReviewService",
    "Testimonies",
    "TestimonyService",
    "build_testimonies",
]


def build_testimonies(
    database: Database,
    clock: Clock,
    catalogues: Catalogues,
    secret: str,
    limits: Limits,
    composers: Composers,
) -> Testimonies:
    """The cog and its services, sharing one pseudonym key (the install's secret); its
    review alerts' composer in `composers`."""
    pseudonyms = Pseudonyms(secret)
    composers.register(COMPOSER_NAME, ReviewAlerts(database, pseudonyms))
    return Testimonies(
        TestimonyService(database, clock, limits),
        ReviewService(database, clock),
        ExportService(database, clock, pseudonyms, catalogues),
        pseudonyms,
    )
