"""Training sessions, their trainers, sign-ups, attendance reports and subscriptions.

Places are taken and given back only by conditional UPDATEs of the session's `signed_up`
counter (`take`, `release`), as for day-centre bookings (storage.repositories.bookings): the
database checks the capacity against the row as it is when the update runs, so a hundred
people pressing "Sign up" for the last three places make exactly three sign-ups.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AttendanceReport,
    OutboxEntry,
    SessionTrainer,
    TrainingSession,
    TrainingSignup,
    TrainingSubscription,
)
from storage.repositories.outbox import PENDING

SIGNED_UP = "signed_up"
ANY_SETTLEMENT = "*"


class TrainingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- sessions ---------------------------------------------------------------------------------

    async def add(self, training: TrainingSession) -> TrainingSession:
        """Insert and flush, for the session's id."""
        self.session.add(training)
        await self.session.flush()
        return training

    async def get(self, session_id: int, *, for_update: bool = False) -> TrainingSession | None:
        """The session; `for_update` makes other changes of it (a move, a cancel, a report)
        wait until this transaction ends. Its counter is read afresh."""
        statement = select(TrainingSession).where(TrainingSession.id == session_id)
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement.execution_options(populate_existing=True))

    async def with_ids(self, session_ids: Sequence[int]) -> list[TrainingSession]:
        """These sessions, soonest first."""
        if not session_ids:
            return []
        return list(
            await self.session.scalars(
                select(TrainingSession)
                .where(TrainingSession.id.in_(session_ids))
                .order_by(TrainingSession.starts_at, TrainingSession.id)
            )
        )

    async def by_import_keys(self, keys: Sequence[str]) -> dict[str, TrainingSession]:
        if not keys:
            return {}
        found = await self.session.scalars(
            select(TrainingSession).where(TrainingSession.import_key.in_(keys))
        )
        return {training.import_key or "": training for training in found}

    async def between(
        self,
        start: datetime,
        end: datetime,
        *,
        statuses: Sequence[str],
        settlement_code: str | None = None,
        programme_code: str | None = None,
    ) -> list[TrainingSession]:
        """Sessions starting in [start, end) in `statuses`, soonest first."""
        statement = (
            select(TrainingSession)
            .where(TrainingSession.starts_at >= start)
            .where(TrainingSession.starts_at < end)
            .where(TrainingSession.status.in_(statuses))
        )
        if settlement_code is not None:
            statement = statement.where(TrainingSession.settlement_code == settlement_code)
        if programme_code is not None:
            statement = statement.where(TrainingSession.programme_code == programme_code)
        return list(
            await self.session.scalars(
                statement.order_by(TrainingSession.starts_at, TrainingSession.id).execution_options(
                    populate_existing=True
                )
            )
        )

    async def take(self, session_id: int, people: int) -> bool:
        """Take `people` places if they still fit in the session's capacity."""
        result = await self.session.execute(
            update(TrainingSession)
            .where(TrainingSession.id == session_id)
            .where(TrainingSession.signed_up + people <= TrainingSession.capacity)
            .values(signed_up=TrainingSession.signed_up + people)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def release(self, session_id: int, people: int) -> None:
        await self.session.execute(
            update(TrainingSession)
            .where(TrainingSession.id == session_id)
            .where(TrainingSession.signed_up >= people)
            .values(signed_up=TrainingSession.signed_up - people)
            .execution_options(synchronize_session=False)
        )

    # --- trainers ---------------------------------------------------------------------------------

    def add_trainer(self, trainer: SessionTrainer) -> None:
        self.session.add(trainer)

    async def trainers(self, session_ids: Sequence[int]) -> list[SessionTrainer]:
        if not session_ids:
            return []
        return list(
            await self.session.scalars(
                select(SessionTrainer)
                .where(SessionTrainer.session_id.in_(session_ids))
                .order_by(SessionTrainer.session_id, SessionTrainer.user_id)
            )
        )

    async def trainer(self, session_id: int, user_id: int) -> SessionTrainer | None:
        return await self.session.get(SessionTrainer, (session_id, user_id))

    async def sessions_of_trainer(
        self, user_id: int, start: datetime, statuses: Sequence[str]
    ) -> list[TrainingSession]:
        return list(
            await self.session.scalars(
                select(TrainingSession)
                .join(SessionTrainer, SessionTrainer.session_id == TrainingSession.id)
                .where(SessionTrainer.user_id == user_id)
                .where(TrainingSession.ends_at >= start)
                .where(TrainingSession.status.in_(statuses))
                .order_by(TrainingSession.starts_at, TrainingSession.id)
            )
        )

    async def has_sessions_to_lead(
        self,
        user_id: int,
        now: datetime,
        since: datetime,
        statuses: Sequence[str],
        held: str,
        declined: str,
    ) -> bool:
        """Whether the person is a trainer of a session of `statuses` ending after `since`
        that is not over yet, or is over and was not declined by them (one cheap query: the
        main menu asks it each time it is drawn)."""
        found = await self.session.scalar(
            select(SessionTrainer.session_id)
            .join(TrainingSession, SessionTrainer.session_id == TrainingSession.id)
            .where(SessionTrainer.user_id == user_id)
            .where(TrainingSession.ends_at >= since)
            .where(TrainingSession.status.in_(statuses))
            .where(
                or_(
                    and_(TrainingSession.ends_at > now, TrainingSession.status != held),
                    SessionTrainer.answer != declined,
                )
            )
            .limit(1)
        )
        return found is not None

    # --- sign-ups ---------------------------------------------------------------------------------

    async def signup(self, session_id: int, user_id: int) -> TrainingSignup | None:
        return await self.session.scalar(
            select(TrainingSignup)
            .filter_by(session_id=session_id, user_id=user_id)
            .execution_options(populate_existing=True)
        )

    async def add_signup(self, signup: TrainingSignup) -> TrainingSignup:
        self.session.add(signup)
        await self.session.flush()
        return signup

    async def signed_up(self, session_id: int) -> list[TrainingSignup]:
        return list(
            await self.session.scalars(
                select(TrainingSignup)
                .where(TrainingSignup.session_id == session_id)
                .where(TrainingSignup.status == SIGNED_UP)
                .order_by(TrainingSignup.id)
            )
        )

    async def signups_of(self, user_id: int) -> list[TrainingSignup]:
        return list(
            await self.session.scalars(
                select(TrainingSignup)
                .where(TrainingSignup.user_id == user_id)
                .order_by(TrainingSignup.id)
            )
        )

    # --- attendance reports -----------------------------------------------------------------------

    async def report(self, session_id: int) -> AttendanceReport | None:
        return await self.session.get(AttendanceReport, session_id, populate_existing=True)

    def add_report(self, report: AttendanceReport) -> None:
        self.session.add(report)

    async def reports(self, session_ids: Sequence[int]) -> list[AttendanceReport]:
        if not session_ids:
            return []
        return list(
            await self.session.scalars(
                select(AttendanceReport).where(AttendanceReport.session_id.in_(session_ids))
            )
        )

    # --- subscriptions ----------------------------------------------------------------------------

    async def subscription(
        self, user_id: int, programme_code: str, settlement_code: str
    ) -> TrainingSubscription | None:
        return await self.session.get(
            TrainingSubscription, (user_id, programme_code, settlement_code)
        )

    def add_subscription(self, subscription: TrainingSubscription) -> None:
        self.session.add(subscription)

    async def remove_subscription(self, subscription: TrainingSubscription) -> None:
        await self.session.delete(subscription)

    async def subscriptions_of(self, user_id: int) -> list[TrainingSubscription]:
        return list(
            await self.session.scalars(
                select(TrainingSubscription)
                .where(TrainingSubscription.user_id == user_id)
                .order_by(TrainingSubscription.programme_code, TrainingSubscription.settlement_code)
            )
        )

    async def subscribers(self, programme_code: str, settlement_code: str) -> list[int]:
        """Who wants to hear of a new session of the programme in the settlement, each once."""
        return list(
            await self.session.scalars(
                select(TrainingSubscription.user_id)
                .where(TrainingSubscription.programme_code == programme_code)
                .where(
                    or_(
                        TrainingSubscription.settlement_code == settlement_code,
                        TrainingSubscription.settlement_code == ANY_SETTLEMENT,
                    )
                )
                .distinct()
                .order_by(TrainingSubscription.user_id)
            )
        )

    # --- the outbox entries a session owns --------------------------------------------------------

    async def drop_unsent_messages(
        self,
        session_id: int,
        *,
        kinds: Sequence[str],
        dropped: str,
        why: str,
        chat_id: int | None = None,
    ) -> None:
        """The session's entries of `kinds` still waiting in the outbox (to one person, or to
        all) are dropped."""
        statement = (
            update(OutboxEntry)
            .where(OutboxEntry.training_session_id == session_id)
            .where(OutboxEntry.state == PENDING)
            .where(OutboxEntry.kind.in_(kinds))
        )
        if chat_id is not None:
            statement = statement.where(OutboxEntry.chat_id == chat_id)
        await self.session.execute(
            statement.values(state=dropped, error=why).execution_options(synchronize_session=False)
        )
