"""Repositories: queries over one session. They never commit; the caller's transaction does."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories.audit import AuditRepository
from storage.repositories.bookings import BookingRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.reference import ReferenceRepository
from storage.repositories.requests import RequestRepository
from storage.repositories.trainings import TrainingRepository
from storage.repositories.users import UserRepository


class Repositories:
    """The repositories of one transaction, handed to a core use case."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.users = UserRepository(session)
        self.requests = RequestRepository(session)
        self.reference = ReferenceRepository(session)
        self.audit = AuditRepository(session)
        self.outbox = OutboxRepository(session)
        self.people = PeopleRepository(session)
        self.bookings = BookingRepository(session)
        self.trainings = TrainingRepository(session)


__all__ = ["Repositories"]
