"""Parents and sessions: signing up, cancelling, "My trainings", and asking to hear of new
sessions of a programme in one's settlement.

No session is ever overfilled: places are taken by a conditional UPDATE of the session's
counter (storage.repositories.trainings), never by counting first and inserting after. A
person holds one sign-up per session: pressing "Sign up" again (a double tap, a repeated
update) finds it, and signing up again after cancelling reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.clock import as_utc, utcnow
from core.consent import has_current_consent
from core.errors import ConsentRequired, InvalidInput, TrainingRefused
from core.training_reminders import ERASED_TRAINER, remind, tell_staff_dropped
from core.training_rules import (
    ANY_SETTLEMENT,
    OPEN_STATUSES,
    Role,
    SessionInfo,
    SignupStatus,
    TrainerAnswer,
    audit_session,
    drop_messages,
    infos,
    is_open,
    load,
)
from storage.database import AlreadyStored, Database
from storage.models import Programme, Settlement, TrainingSignup, TrainingSubscription
from storage.repositories import Repositories

MAX_PEOPLE = 10  # places one sign-up may take


@dataclass(frozen=True)
class Signup:
    session: SessionInfo
    people: int
    status: SignupStatus


@dataclass(frozen=True)
class Subscription:
    programme_code: str
    settlement_code: str | None  # None: every settlement


async def sign_up(db: Database, *, user_id: int, session_id: int, people: int = 1) -> Signup:
    """Sign up for a session still ahead with `people` places, or refuse as full (naming the
    places left). Already signed up: the sign-up as it is."""
    if not 1 <= people <= MAX_PEOPLE:
        raise InvalidInput("people", low=1, high=MAX_PEOPLE)
    try:
        return await _sign_up(db, user_id, session_id, people)
    except AlreadyStored:
        # The same press handled twice at the same moment: the other one stored it.
        async with db.transaction() as repos:
            signup = await repos.trainings.signup(session_id, user_id)
            if signup is None:
                raise
            return await _signup(repos, signup)


async def _sign_up(db: Database, user_id: int, session_id: int, people: int) -> Signup:
    now = utcnow()
    async with db.transaction() as repos:
        if not await has_current_consent(repos, user_id):
            raise ConsentRequired()
        # A move or cancellation of the session waits for this sign-up, or this for it:
        # reminders are never written for a time that has just been replaced.
        training = await load(repos, session_id, for_update=True)
        if not is_open(training, now):
            raise TrainingRefused("not_open", status=training.status)
        signup = await repos.trainings.signup(session_id, user_id)
        if signup is not None and signup.status == SignupStatus.SIGNED_UP:
            return await _signup(repos, signup)
        if not await repos.trainings.take(session_id, people):
            training = await load(repos, session_id)
            raise TrainingRefused(
                "full", places_left=max(0, training.capacity - training.signed_up)
            )
        if signup is None:
            signup = await repos.trainings.add_signup(
                TrainingSignup(
                    session_id=session_id, user_id=user_id, people=people,
                    status=SignupStatus.SIGNED_UP.value, created_at=now, changed_at=now,
                )
            )  # fmt: skip
        else:
            signup.people, signup.status, signup.changed_at = people, SignupStatus.SIGNED_UP, now
        remind(repos, training, user_id, Role.PARENT, now)
        audit_session(
            repos, "training.signed_up", training, actor_id=user_id, at=now, people=people
        )
        return await _signup(repos, signup)


async def cancel_signup(db: Database, *, user_id: int, session_id: int) -> Signup:
    """Give the places back before the session begins; the reminders go. Cancelling again
    (or without a sign-up) changes nothing."""
    now = utcnow()
    async with db.transaction() as repos:
        training = await load(repos, session_id, for_update=True)
        signup = await repos.trainings.signup(session_id, user_id)
        if signup is None:
            raise TrainingRefused("not_signed_up")
        if signup.status == SignupStatus.CANCELLED:
            return await _signup(repos, signup)
        if as_utc(training.starts_at) <= now:
            raise TrainingRefused("in_the_past")
        await _give_back(repos, training.id, signup, now)
        audit_session(repos, "training.signup_cancelled", training, actor_id=user_id, at=now)
        return await _signup(repos, signup)


async def _give_back(repos: Repositories, session_id: int, signup: TrainingSignup, now: datetime):
    signup.status, signup.changed_at = SignupStatus.CANCELLED.value, now
    await repos.trainings.release(session_id, signup.people)
    if signup.user_id is not None:
        await drop_messages(repos, session_id, "signup_cancelled", chat_id=signup.user_id)


async def _signup(repos: Repositories, signup: TrainingSignup) -> Signup:
    training = await load(repos, signup.session_id)
    [info] = await infos(repos, [training])
    return Signup(info, signup.people, SignupStatus(signup.status))


async def my_trainings(db: Database, user_id: int) -> list[Signup]:
    """The person's sign-ups for sessions not yet begun and still on, soonest first."""
    now = utcnow()
    async with db.transaction() as repos:
        signups = {
            signup.session_id: signup
            for signup in await repos.trainings.signups_of(user_id)
            if signup.status == SignupStatus.SIGNED_UP
        }
        sessions = await repos.trainings.with_ids(list(signups))
        upcoming = [training for training in sessions if is_open(training, now)]
        return [
            Signup(info, signups[info.id].people, SignupStatus.SIGNED_UP)
            for info in await infos(repos, upcoming)
        ]


async def forget_person(repos: Repositories, user_id: int, now: datetime) -> None:
    """Erasing a person: their places in sessions to come are given back (nobody could remind
    them any more); their sign-ups keep the counts for CPC without their id, which the
    database clears with the person. Their trainer answers and subscriptions go with them;
    a session to come they were to lead (and had not declined) is a drop-out the staff group
    is told of, without naming them."""
    for training in await repos.trainings.sessions_of_trainer(user_id, now, OPEN_STATUSES):
        trainer = await repos.trainings.trainer(training.id, user_id)
        leading = trainer is not None and trainer.answer != TrainerAnswer.DECLINED
        if leading and as_utc(training.starts_at) > now:
            tell_staff_dropped(repos, training, ERASED_TRAINER, now)
    for signup in await repos.trainings.signups_of(user_id):
        training = await load(repos, signup.session_id, for_update=True)
        if signup.status == SignupStatus.SIGNED_UP and as_utc(training.starts_at) > now:
            await _give_back(repos, training.id, signup, now)
            audit_session(
                repos, "training.signup_cancelled", training, actor_id=None, at=now, erased=True
            )


# --- subscriptions --------------------------------------------------------------------------------


async def subscribe(
    db: Database, *, user_id: int, programme_code: str, settlement_code: str | None
) -> Subscription:
    """Hear of new sessions of a programme in a settlement (None: anywhere). Once is enough:
    subscribing again changes nothing."""
    now = utcnow()
    place = settlement_code or ANY_SETTLEMENT
    async with db.transaction() as repos:
        if not await has_current_consent(repos, user_id):
            raise ConsentRequired()
        programme = await repos.reference.get(Programme, programme_code)
        if programme is None or not programme.active:
            raise InvalidInput("programme", value=programme_code)
        if settlement_code is not None:
            settlement = await repos.reference.get(Settlement, settlement_code)
            if settlement is None or not settlement.active:
                raise InvalidInput("settlement", value=settlement_code)
        if await repos.trainings.subscription(user_id, programme_code, place) is None:
            repos.trainings.add_subscription(
                TrainingSubscription(
                    user_id=user_id, programme_code=programme_code, settlement_code=place,
                    created_at=now,
                )
            )  # fmt: skip
            _audit_subscription(repos, "training.subscribed", user_id, programme_code, place, now)
    return Subscription(programme_code, settlement_code)


async def unsubscribe(
    db: Database, *, user_id: int, programme_code: str, settlement_code: str | None
) -> None:
    """Stop hearing of them; nothing happens when one was not subscribed."""
    place = settlement_code or ANY_SETTLEMENT
    async with db.transaction() as repos:
        subscription = await repos.trainings.subscription(user_id, programme_code, place)
        if subscription is not None:
            await repos.trainings.remove_subscription(subscription)
            _audit_subscription(
                repos, "training.unsubscribed", user_id, programme_code, place, utcnow()
            )


async def subscriptions(db: Database, user_id: int) -> list[Subscription]:
    async with db.transaction() as repos:
        return [
            Subscription(
                s.programme_code, None if s.settlement_code == ANY_SETTLEMENT else s.settlement_code
            )
            for s in await repos.trainings.subscriptions_of(user_id)
        ]


def _audit_subscription(
    repos: Repositories, action: str, user_id: int, programme: str, place: str, now: datetime
) -> None:
    repos.audit.record(
        at=now, actor_id=user_id, action=action, object_type="training_subscription",
        object_id=user_id, details={"programme": programme, "settlement": place},
    )  # fmt: skip
