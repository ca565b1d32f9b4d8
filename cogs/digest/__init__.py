"""The daily digest: one short, opt-in message per place, at its local time, once a day."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.clock import Clock
from bot.core.i18n import Catalogues
from bot.core.outbox.compose import Composers
from bot.core.scheduling import Ticker
from cogs.digest.compose import COMPOSER_NAME, DigestComposer
from cogs.digest.feature import Digest
from cogs.digest.materialise import DigestMaterialiser
from cogs.digest.service import KIND, DigestService
from cogs.petitions.chart import ChartPainter
from storage.database import Database

__all__ = ["Digest", "DigestParts", "build_digest"]


@dataclass(frozen=True, slots=True)
class DigestParts:
    cog: Digest
    service: DigestService
    composer: DigestComposer


def build_digest(
    database: Database,
    clock: Clock,
    catalogues: Catalogues,
    ticker: Ticker,
    composers: Composers,
    painter: ChartPainter,
) -> DigestParts:
    """The digest cog, its schedule kind on `ticker`, and its composer in `composers`."""
    service = DigestService(database, clock, ticker)
    composer = DigestComposer(database, clock, catalogues, painter)
    ticker.register(KIND, DigestMaterialiser(clock))
    composers.register(COMPOSER_NAME, composer)
    return DigestParts(Digest(service, composer, clock), service, composer)
