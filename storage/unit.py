"""One transaction and the repositories that work inside it."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repositories.audit import AuditRepository
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.invites import InviteRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.places import PlaceRepository
from storage.repositories.quotas import QuotaRepository
from storage.repositories.roles import RoleRepository
from storage.repositories.schedules import ScheduleRepository
from storage.repositories.tokens import ChatTokenRepository


class Tx:
    """A unit of work: every repository here shares the one connection and transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

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
