"""A peer trainer runs their sessions from Telegram, end to end through the Bot API emulator, in
Russian and Kyrgyz: "My sessions" in the menu (not for a parent), "I will lead it", "I can't"
after a question (the staff group is told), the whole schedule by settlement, and after the
session the attendance report, one number per screen, with bad numbers asked again.

"Today" is Monday 1 March 2027, 9:00 in Bishkek (core.clock.freeze); the session is on
Wednesday 3 March, 15:00–17:00, in Ak-Ordo.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.handlers.commands import NOT_A_TRAINER
from core.clock import freeze
from core.consent import answer_notice
from core.outbox import STAFF_CHAT
from core.staff import add_staff
from core.training_reports import Attendance, report_attendance
from core.training_rules import SessionDraft
from core.training_sessions import answer_as_trainer, create_session, is_trainer, trainer_sessions
from core.users import choose_language
from storage.models import (
    AttendanceReport,
    AuditEntry,
    OutboxEntry,
    SessionTrainer,
    TrainingSession,
)
from tests.e2e import onboard, rows, tr
from tests.emulator import SimulatedPerson
from tests.test_staff_inbox import STAFF_GROUP, wait_for

BISHKEK = ZoneInfo("Asia/Bishkek")
STAFF, TRAINER, CO_TRAINER, PARENT = 700, 13001, 13002, 13003
AK_ORDO = {"ru": "Ак-Ордо", "ky": "Ак-Ордо"}
PARENTING = {"ru": "Позитивное родительство", "ky": "Позитивдүү ата-энелик"}
MY_SESSIONS = "🧑‍🏫 My sessions"
LANGUAGES = ["ru", "ky"]


def at(day: int, hour: int) -> datetime:
    return datetime(2027, 3, day, hour, tzinfo=BISHKEK).astimezone(UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    freeze(at(1, 9))
    yield
    freeze(None)


def draft(**changes) -> SessionDraft:
    fields = {
        "programme_code": "positive-parenting",
        "starts_at": at(3, 15),
        "ends_at": at(3, 17),
        "settlement_code": "ak-ordo",
        "place_kind": "school",
        "place_name": "School No. 5",
        "address": "12 Zhibek Zholu",
        "audience": "parents",
        "capacity": 20,
        "trainer_ids": (TRAINER, CO_TRAINER),
        **changes,
    }
    return SessionDraft(**fields)


def button_with(person: SimulatedPerson, *parts: str) -> str:
    """The one button on screen whose label holds every part (dates are CLDR's to write)."""
    [found] = [b for b in person.buttons() if all(part in b for part in parts)]
    return found


def all_data_fits(person: SimulatedPerson) -> bool:
    return all(len(d.encode()) <= 64 for row in person.screen().button_data for d in row if d)


async def answers(db, session_id: int) -> dict[int, str]:
    where = SessionTrainer.session_id == session_id
    return {t.user_id: t.answer for t in await rows(db, SessionTrainer, where)}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_trainers_answer_browse_the_schedule_and_report_who_came(
    staff_bot, emulator, language
):
    db = staff_bot.db
    trainer = SimulatedPerson(emulator, user_id=TRAINER, language_code=language)
    co_trainer = SimulatedPerson(emulator, user_id=CO_TRAINER, language_code=language)
    parent = SimulatedPerson(emulator, user_id=PARENT, language_code=language)
    for person in (trainer, co_trainer, parent):
        await onboard(person, language)
    await add_staff(db, STAFF, "Айгуль")
    session = await create_session(db, actor_id=STAFF, draft=draft())
    elsewhere = await create_session(
        db, actor_id=STAFF, draft=draft(settlement_code="ala-too", trainer_ids=(CO_TRAINER,))
    )

    # The menu offers "My sessions" to trainers only.
    await trainer.send_command("/start")
    assert tr(language, MY_SESSIONS) in trainer.buttons()
    await parent.send_command("/start")
    assert tr(language, "📋 My requests") in parent.buttons()
    assert tr(language, MY_SESSIONS) not in parent.buttons()
    await parent.send_command("/mysessions")
    assert parent.screen().text == tr(language, NOT_A_TRAINER)

    # The trainer opens the session and says they will lead it.
    await trainer.press(tr(language, MY_SESSIONS))
    assert trainer.screen().text.startswith(tr(language, "🧑‍🏫 <b>My sessions</b>")[:3])
    await trainer.press(button_with(trainer, "⏳", AK_ORDO[language], "0/20"))
    details = trainer.screen().text
    assert PARENTING[language] in details and "School No. 5" in details
    assert "12 Zhibek Zholu" in details and str(CO_TRAINER) in details
    assert tr(language, "⏳ You have not answered yet: will you lead it?") in details
    await trainer.press(tr(language, "✅ I will lead it"))
    assert trainer.screen().text.startswith(
        tr(language, "✅ Thank you! You will lead this session. We will remind you before it.")
    )
    assert tr(language, "✅ I will lead it") not in trainer.buttons()
    assert (await answers(db, session.id))[TRAINER] == "leading"
    assert all_data_fits(trainer)

    # The co-trainer can't: asked once more, then the staff group is told at once.
    await co_trainer.send_command("/mysessions")
    assert button_with(co_trainer, "⏳", "Ала-Тоо")  # their other session, elsewhere
    await co_trainer.press(button_with(co_trainer, "⏳", AK_ORDO[language]))
    assert tr(language, "will lead it") in co_trainer.screen().text  # the trainer's answer
    await co_trainer.press(tr(language, "❌ I can't"))
    assert co_trainer.screen().text.startswith("❌")
    assert (await answers(db, session.id))[CO_TRAINER] == "pending"
    question = co_trainer.screen()
    [confirm] = [d for row in question.button_data for d in row if d and "confirm_decline" in d]
    await co_trainer.press(tr(language, "Yes, I can't lead it"))
    assert tr(language, "❌ Noted: you can't lead this session. The staff have been told.") in (
        co_trainer.screen().text
    )
    assert (await answers(db, session.id))[CO_TRAINER] == "declined"
    await co_trainer.press_data(confirm, question.message_id)  # delivered again: told once
    dropped = tr("ru", "⚠️ <b>A trainer can't lead session #{number}.</b>", number=session.id)
    dropped = dropped.replace("<b>", "").replace("</b>", "")
    await wait_for(
        emulator,
        STAFF_GROUP,
        lambda: any(m.text.startswith(dropped) for m in emulator.chat_messages(STAFF_GROUP)),
    )
    drops = await rows(db, OutboxEntry, OutboxEntry.kind == "trainer_dropped")
    told = [(e.chat_id, e.payload["session_id"], e.payload["user_id"]) for e in drops]
    assert told == [(STAFF_CHAT, session.id, CO_TRAINER)]

    # The whole schedule, by settlement: Ak-Ordo has one session, not the one in Ala-Too.
    await trainer.press(tr(language, "⬅️ Back"))
    await trainer.press(tr(language, "📅 The whole schedule"))
    await trainer.press(tr(language, "📍 By settlement"))
    assert all_data_fits(trainer)
    await trainer.press(AK_ORDO[language])
    # One button (button_with finds exactly one): the same programme in Ala-Too is not listed.
    assert button_with(trainer, PARENTING[language]).startswith("✅")
    assert all(not d.endswith(f":{elsewhere.id}") for row in trainer.screen().button_data
               for d in row if d)  # fmt: skip
    assert all_data_fits(trainer)
    # By programme: both sessions of Positive parenting, each named by its settlement.
    await trainer.press(tr(language, "⬅️ Back"))
    await trainer.press(tr(language, "⬅️ Back"))
    await trainer.press(tr(language, "🎓 By programme"))
    await trainer.press(PARENTING[language])
    assert button_with(trainer, AK_ORDO[language]).startswith("✅")
    assert button_with(trainer, "Ала-Тоо", "0/20")
    assert all_data_fits(trainer)

    # After the end: the report, one number per screen.
    freeze(at(3, 18))
    await trainer.send_command("/mysessions")
    await trainer.press(button_with(trainer, "📝", AK_ORDO[language]))
    await trainer.press(tr(language, "📝 Report attendance"))
    assert (
        tr(language, "👧 How many <b>girls</b> came?").replace("<b>", "").replace("</b>", "")
        in trainer.screen().text
    )
    await trainer.press("3")  # girls
    await trainer.send_text("2")  # boys, typed
    await trainer.send_text("много")
    assert tr(language, "Please send only a number, for example 9.") in trainer.screen().text
    assert "👩" in trainer.screen().text  # the same question again: women
    await trainer.press("4")  # women
    await trainer.press("1")  # men: 10 in all
    for band in ("2", "3", "1", "5"):  # 11 by age
        await trainer.press(band)
    bands = tr(
        language,
        "The age groups add up to {by_age}, but girls, boys, women and men make {total}. "
        "Please count the ages again.",
        by_age=11,
        total=10,
    )
    assert bands in trainer.screen().text
    assert tr(language, "Together the age groups should make {total}.", total=10) in (
        trainer.screen().text
    )
    assert not await rows(db, AttendanceReport)
    for band in ("2", "3", "0", "5"):
        await trainer.press(band)
    await trainer.send_text("Пришли родители из соседнего села")
    summary = trainer.screen()
    assert "Пришли родители из соседнего села" in summary.text
    [send] = [d for row in summary.button_data for d in row if d and d.endswith("send")]
    await trainer.press(tr(language, "✅ Send"))
    assert trainer.screen().text.startswith(tr(language, "📝 Thank you! Your report is sent."))
    await trainer.press_data(send, summary.message_id)  # the same press, delivered again

    [report] = await rows(db, AttendanceReport)
    figures = (report.girls, report.boys, report.women, report.men)
    assert figures == (3, 2, 4, 1)
    assert (report.age_6_9, report.age_10_13, report.age_14_16, report.adults) == (2, 3, 0, 5)
    assert (report.session_id, report.reported_by) == (session.id, TRAINER)
    assert report.note == "Пришли родители из соседнего села"
    held = await rows(db, TrainingSession, TrainingSession.id == session.id)
    assert held[0].status == "held"
    assert len(await rows(db, AuditEntry, AuditEntry.action == "training.reported")) == 1

    await trainer.send_command("/mysessions")
    assert button_with(trainer, "✔️", AK_ORDO[language])


async def test_who_sees_the_trainer_screens_and_which_sessions_are_past_or_to_come(db):
    await add_staff(db, STAFF, "Айгуль")
    for user_id in (TRAINER, CO_TRAINER, PARENT):
        await choose_language(db, user_id, "ru")
        await answer_notice(db, user_id, granted=True)
    first = await create_session(db, actor_id=STAFF, draft=draft())
    later = await create_session(
        db, actor_id=STAFF, draft=draft(starts_at=at(5, 10), ends_at=at(5, 12),
                                        trainer_ids=(TRAINER,)),
    )  # fmt: skip
    assert (await is_trainer(db, TRAINER), await is_trainer(db, PARENT)) == (True, False)
    await answer_as_trainer(db, user_id=CO_TRAINER, session_id=first.id, leading=False)
    assert [s.id for s in (await trainer_sessions(db, CO_TRAINER)).upcoming] == [first.id]

    freeze(at(3, 18))  # the first is over
    mine = await trainer_sessions(db, TRAINER)
    assert ([s.id for s in mine.upcoming], [s.id for s in mine.past]) == ([later.id], [first.id])
    # The co-trainer said they can't: nothing of theirs to report, no trainer screens.
    declined = await trainer_sessions(db, CO_TRAINER)
    assert (declined.upcoming, declined.past) == ([], [])
    assert not await is_trainer(db, CO_TRAINER)

    await report_attendance(
        db, user_id=TRAINER, session_id=first.id, attendance=Attendance(girls=1, age_6_9=1)
    )
    [held] = (await trainer_sessions(db, TRAINER)).past
    assert (held.id, held.status) == (first.id, "held")
    assert await is_trainer(db, TRAINER)

    freeze(at(5, 13) + timedelta(days=31))  # both over more than 30 days ago
    assert not await is_trainer(db, TRAINER)


async def test_a_long_list_of_sessions_is_paged(staff_bot, emulator):
    db = staff_bot.db
    trainer = SimulatedPerson(emulator, user_id=TRAINER, language_code="ru")
    await onboard(trainer, "ru")
    await add_staff(db, STAFF, "Айгуль")
    for day in range(2, 12):
        await create_session(
            db, actor_id=STAFF, draft=draft(starts_at=at(day, 10), ends_at=at(day, 12),
                                            trainer_ids=(TRAINER,)),
        )  # fmt: skip
    await trainer.send_command("/mysessions")
    first_page = [b for b in trainer.buttons() if AK_ORDO["ru"] in b]
    assert len(first_page) == 8 and all_data_fits(trainer)
    assert first_page[0].startswith("⏳ 2 мар., 10:00")
    # A forged button naming no session of theirs opens nothing, politely.
    real = next(d for row in trainer.screen().button_data for d in row if d and "mine:" in d)
    await trainer.press_data(real.rsplit(":", 1)[0] + ":999999")
    assert trainer.screen().text.startswith(
        "⚠️ " + tr("ru", "This session cannot be opened. Please choose one from the list.")
    )
    await trainer.press(">")
    second_page = [b for b in trainer.buttons() if AK_ORDO["ru"] in b]
    assert [b.split(",")[0] for b in second_page] == ["⏳ 10 мар.", "⏳ 11 мар."]
    await trainer.press(second_page[-1])
    assert "чт, 11 марта, 10:00–12:00" in trainer.screen().text
