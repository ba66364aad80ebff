"""What the worker delivers about training sessions, through the real bot and the Bot API
emulator, each person in their own language: a trainer's drop-out in the staff group at once,
a move to everyone concerned at once, reminders at the moved time, once each, with the clock
moved to the moments that matter rather than slept through."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core import clock
from core.staff import add_staff
from core.training_sessions import answer_as_trainer, cancel_session, create_session, move_session
from core.training_signups import sign_up
from storage.models import OutboxEntry
from tests.e2e import onboard, rows, tr
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.harness import bot_running
from tests.test_booking_flow import visible
from tests.test_core_trainings import (
    CO_TRAINER,
    PARENT,
    STAFF,
    TRAINER,
    at,
    day,
    draft,
    frozen_clock,  # noqa: F401  (Monday 1 March 2027, 9:00 in Bishkek)
)
from tests.test_staff_inbox import STAFF_GROUP, outbox_reaches, staff_settings, wait_for

SENDER_LOOKS = 1.0
MOVED = "🔁 <b>A training session has moved</b> (it was on {when})."
DAY_BEFORE = {
    "trainer": "⏰ <b>Tomorrow you lead a training session.</b>",
    "parent": "⏰ <b>Tomorrow you have a training session.</b>",
}


def starting(person: SimulatedPerson, language: str, title: str, **params) -> list[str]:
    first_line = visible(tr(language, title, **params))
    return [text for text in person.texts() if text.startswith(first_line)]


async def test_a_session_moved_and_reminded_reaches_each_in_their_language(
    database_url, emulator: BotApiEmulator
):
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    trainer = SimulatedPerson(emulator, user_id=TRAINER, language_code="ky")
    co_trainer = SimulatedPerson(emulator, user_id=CO_TRAINER, language_code="en")
    parent = SimulatedPerson(emulator, user_id=PARENT, language_code="ru")
    async with bot_running(staff_settings(database_url, emulator)) as running:
        db = running.db
        await onboard(trainer, "ky")
        await onboard(co_trainer, "en")
        await onboard(parent, "ru")
        await add_staff(db, STAFF, "Айгуль")
        session = await create_session(
            db, actor_id=STAFF, draft=draft(trainer_ids=(TRAINER, CO_TRAINER))
        )
        await sign_up(db, user_id=PARENT, session_id=session.id)

        await answer_as_trainer(db, user_id=CO_TRAINER, session_id=session.id, leading=False)
        dropped = visible(
            tr("ru", "⚠️ <b>A trainer can't lead session #{number}.</b>", number=session.id)
        )
        await wait_for(
            emulator,
            STAFF_GROUP,
            lambda: any(m.text.startswith(dropped) for m in emulator.chat_messages(STAFF_GROUP)),
        )

        await move_session(
            db, actor_id=STAFF, session_id=session.id,
            starts_at=at(day(4), 10), ends_at=at(day(4), 12),
        )  # fmt: skip
        was = {"ru": "3 мар., 15:00", "ky": "3-мар., 15:00"}
        await wait_for(
            emulator, parent.chat_id, lambda: starting(parent, "ru", MOVED, when=was["ru"])
        )
        await wait_for(
            emulator, trainer.chat_id, lambda: starting(trainer, "ky", MOVED, when=was["ky"])
        )
        [moved] = starting(parent, "ru", MOVED, when=was["ru"])
        assert "5 мар., 10:00–12:00" in moved and "Позитивное родительство" in moved

        clock.freeze(at(day(3), 10) - timedelta(seconds=1))
        await asyncio.sleep(SENDER_LOOKS)
        assert starting(parent, "ru", DAY_BEFORE["parent"]) == []
        clock.freeze(at(day(3), 10))
        await wait_for(
            emulator, parent.chat_id, lambda: starting(parent, "ru", DAY_BEFORE["parent"])
        )
        await wait_for(
            emulator, trainer.chat_id, lambda: starting(trainer, "ky", DAY_BEFORE["trainer"])
        )
        await asyncio.sleep(SENDER_LOOKS)
        assert len(starting(parent, "ru", DAY_BEFORE["parent"])) == 1  # once
        assert len(starting(trainer, "ky", DAY_BEFORE["trainer"])) == 1
        # The trainer who dropped out hears nothing of the move or of reminders.
        assert not any("Positive parenting" in text for text in co_trainer.texts())

        # Cancelled before the hour-before reminder: it is dropped, the cancellation told.
        await cancel_session(db, actor_id=STAFF, session_id=session.id)
        cancelled = "❌ <b>The training session on {when} is cancelled.</b>"
        await wait_for(
            emulator,
            parent.chat_id,
            lambda: starting(parent, "ru", cancelled, when="5 мар., 10:00"),
        )
        clock.freeze(at(day(4), 9))
        await outbox_reaches(
            db,
            lambda entries: all(
                e.state != "pending" for e in entries if e.kind == "training_reminder"
            ),
        )
        hour = [e for e in await rows(db, OutboxEntry) if e.payload.get("which") == "hour"]
        assert {e.state for e in hour} == {"dropped"}
