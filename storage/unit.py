"""One transaction and the repositories that work inside it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from functools import cached_property

from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repositories.audit import AuditRepository
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.digest import DigestRepository
from storage.repositories.invites import InviteRepository
from storage.repositories.live_counters import LiveCounterRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.personal import PersonalDataRepository
from storage.repositories.petitions import PetitionRepository
from storage.repositories.places import PlaceRepository
from storage.repositories.quotas import QuotaRepository
from storage.repositories.roles import RoleRepository
from storage.repositories.schedules import ScheduleRepository
from storage.repositories.testimonies import TestimonyRepository
from storage.repositories.testimony_exports import TestimonyExportRepository
from storage.repositories.tokens import ChatTokenRepository
from storage.repositories.waves import WaveRepository


class Tx:
    """A unit of work: every repository here shares the one connection and transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A part of the transaction that an exception undoes alone (SQL `SAVEPOINT`): the
        writes made in the block are rolled back, the exception propagates, and the
        transaction goes on as it was before the block."""
        async with self.connection.begin_nested():
            yield

    @cached_property
    def campaigns(self) -> CampaignRepository:
        return CampaignRepository(self.connection)

    @cached_property
    def places(self) -> PlaceRepository:
        return PlaceRepository(self.connection)

    @cached_property
    def roles(self) -> RoleRepository:
        return RoleRepository(self.connection)

    @cached_property
    def invites(self) -> InviteRepository:
        return InviteRepository(self.connection)

    @cached_property
    def audit(self) -> AuditRepository:
        return AuditRepository(self.connection)

    @cached_property
    def quotas(self) -> QuotaRepository:
        return QuotaRepository(self.connection)

    @cached_property
    def outbox(self) -> OutboxRepository:
        return OutboxRepository(self.connection)

    @cached_property
    def schedules(self) -> ScheduleRepository:
        return ScheduleRepository(self.connection)

    @cached_property
    def tokens(self) -> ChatTokenRepository:
        return ChatTokenRepository(self.connection)

    @cached_property
    def petitions(self) -> PetitionRepository:
        return PetitionRepository(self.connection)

    @cached_property
    def testimonies(self) -> TestimonyRepository:
        return TestimonyRepository(self.connection)

    @cached_property
    def testimony_exports(self) -> TestimonyExportRepository:
        return TestimonyExportRepository(self.connection)

    @cached_property
    def personal(self) -> PersonalDataRepository:
        return PersonalDataRepository(self.connection)

    @cached_property
    def waves(self) -> WaveRepository:
        return WaveRepository(self.connection)

    @cached_property
    def digest(self) -> DigestRepository:
        return DigestRepository(self.connection)

    @cached_property
    def live_counters(self) -> LiveCounterRepository:
        return LiveCounterRepository(self.connection)


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database itself failed (connection lost, locked, disk full)
    rather than the statement or the code that issued it: such a failure is nobody's fault
    among the rows being written, and is worth retrying whole later."""
    return isinstance(error, OperationalError | InterfaceError | DisconnectionError) or bool(
        getattr(error, "connection_invalidated", False)
    )
