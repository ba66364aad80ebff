"""A peer trainer's whole way, end to end through the Bot API emulator, in Russian and Kyrgyz:
they ask for the role with /trainer and staff approve it; staff give them a session, which a
parent signs up for in the bot; "My sessions" shows it and they say they will lead it; the day
before, trainer and parent are each reminded in their language (the clock moved, not slept
through); after the session the trainer reports who came.

"Today" is Monday 1 March 2027, 9:00 in Bishkek; the session is on Wednesday 3 March,
15:00–17:00, in Ak-Bata.
"""

from __future__ import annotations

import pytest

from core.clock import freeze
from core.training_sessions import create_session
from storage.models import AttendanceReport, SessionTrainer, TrainingSignup
from tests.e2e import onboard, rows, tr
from tests.emulator import SimulatedPerson
from tests.test_staff_inbox import ADMIN, STAFF_GROUP, staff_member, wait_for
from tests.test_trainer_flow import APPROVE, PERSON, apply, group_messages, visible
from tests.test_trainer_sessions import MY_SESSIONS, at, button_with, draft

PARENT = 13302
TRAINER_REMINDER = "⏰ <b>Tomorrow you lead a training session.</b>"
PARENT_REMINDER = "⏰ <b>Tomorrow you have a training session.</b>"


@pytest.fixture(autouse=True)
def frozen_clock():
    freeze(at(1, 9))
    yield
    freeze(None)


def reminded(person: SimulatedPerson, language: str, title: str) -> list[str]:
    return [t for t in person.texts() if t.startswith(visible(tr(language, title)))]


@pytest.mark.parametrize("language", ["ru", "ky"])
async def test_a_trainer_is_approved_leads_is_reminded_and_reports(staff_bot, emulator, language):
    db = staff_bot.db
    trainer = SimulatedPerson(emulator, user_id=PERSON, language_code=language)
    parent = SimulatedPerson(emulator, user_id=PARENT, language_code=language)
    await onboard(trainer, language)
    await onboard(parent, language)

    # The role: asked for, approved in the staff group, "My sessions" in the menu at once.
    await apply(trainer, language)

    def applications() -> list:  # the centres' morning summaries may be there too (9:00)
        return [m for m in group_messages(emulator) if m.text.startswith("🎓")]

    await wait_for(emulator, STAFF_GROUP, lambda: len(applications()) == 1)
    [application] = applications()
    await staff_member(emulator, ADMIN, "Нурлан").press_on(application.message_id, APPROVE)
    await wait_for(emulator, trainer.chat_id, lambda: "🎓" in trainer.screen().text)
    await trainer.send_command("/start")
    assert tr(language, MY_SESSIONS) in trainer.buttons()

    # A session for them, in Ak-Bata; a parent there signs up in the bot.
    session = await create_session(
        db, actor_id=ADMIN, draft=draft(settlement_code="ak-bata", trainer_ids=(PERSON,))
    )
    await parent.press(tr(language, "🎓 Trainings"))
    await parent.press("📍 Ак-Бата")
    await parent.press(button_with(parent, "15:00"))
    await parent.press(tr(language, "✅ Sign up"))
    [signup] = await rows(db, TrainingSignup)
    assert (signup.user_id, signup.session_id, signup.status) == (PARENT, session.id, "signed_up")

    # The trainer sees it, with the parent counted, and says they will lead it.
    await trainer.press(tr(language, MY_SESSIONS))
    await trainer.press(button_with(trainer, "⏳", "1/20"))
    await trainer.press(tr(language, "✅ I will lead it"))
    [answer] = await rows(db, SessionTrainer)
    assert answer.answer == "leading"

    # The day before, each is reminded once, in their language.
    freeze(at(2, 15))
    await wait_for(emulator, trainer.chat_id,
                   lambda: len(reminded(trainer, language, TRAINER_REMINDER)) == 1)  # fmt: skip
    await wait_for(emulator, parent.chat_id,
                   lambda: len(reminded(parent, language, PARENT_REMINDER)) == 1)  # fmt: skip

    # After it, the report: 2 girls and 1 woman; two children of 6–9 and one adult.
    freeze(at(3, 18))
    await trainer.send_command("/mysessions")
    await trainer.press(button_with(trainer, "📝"))
    await trainer.press(tr(language, "📝 Report attendance"))
    for number in ("2", "0", "1", "0", "2", "0", "0", "1"):
        await trainer.press(number)
    await trainer.press(tr(language, "➡️ Skip"))
    await trainer.press(tr(language, "✅ Send"))
    assert trainer.screen().text.startswith(tr(language, "📝 Thank you! Your report is sent."))
    [report] = await rows(db, AttendanceReport)
    assert (report.girls, report.boys, report.women, report.men) == (2, 0, 1, 0)
    assert (report.age_6_9, report.adults, report.reported_by) == (2, 1, PERSON)
