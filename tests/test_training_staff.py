"""Staff run training sessions from the staff group, end to end through the Bot API emulator:
`/session new` (a dialog answered only by whoever started it, a bad answer asked again),
`/sessions` with Move and Cancel (the signed-up parents told in their language, Russian and
Kyrgyz), a report corrected (`/report_fix` and the list's button), someone not on the staff
list refused. Staff words in Russian (the default), once in Kyrgyz.

"Now" is Monday 1 March 2027, 9:00 in Bishkek (core.clock.freeze).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.handlers.staff_session_new import PLACE_KIND, QUESTIONS, NewSession
from bot.handlers.staff_sessions import NUMBERS_PROMPT, PAGE, list_messages
from bot.outbox.fit import visible_length
from bot.outbox.training_texts import AUDIENCE
from bot.outbox.words import Words
from core import clock
from core.staff import add_staff
from core.training_reports import Attendance, report_attendance
from core.training_rules import (
    MAX_CAPACITY,
    MAX_TRAINERS,
    Audience,
    PlaceKind,
    SessionInfo,
    SessionStatus,
    Trainer,
    TrainerAnswer,
)
from core.training_sessions import create_session
from core.training_signups import sign_up
from core.training_staff import StaffList
from storage.models import (
    AttendanceReport,
    AuditEntry,
    Programme,
    SessionTrainer,
    Settlement,
    TrainingSession,
)
from tests.e2e import catalogs, onboard, rows, tr
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.harness import RunningBot, bot_running
from tests.test_booking_flow import visible
from tests.test_core_trainings import (
    AK_ORDO,
    PARENTING,
    TRAINER,
    ZONE,
    at,
    day,
    draft,
    frozen_clock,  # noqa: F401  (Monday 1 March 2027, 9:00 in Bishkek)
)
from tests.test_staff_inbox import (
    ADMIN,
    COLLEAGUE,
    STAFF_GROUP,
    STRANGER,
    _topic_and_card,
    file_request,
    outbox_reaches,
    staff_member,
    staff_settings,
    wait_for,
)

RU_PARENT, KY_PARENT = 7201, 7202
UNKNOWN = 999_999


@pytest.fixture
async def staff_bot(database_url: str, emulator: BotApiEmulator) -> AsyncIterator[RunningBot]:
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    async with bot_running(staff_settings(database_url, emulator)) as running:
        await add_staff(running.db, COLLEAGUE, "Айпери")
        yield running


def question(step, language: str = "ru", **params) -> str:
    return visible(tr(language, QUESTIONS[step.state], **params))


def problem_and_question(problem: str, step, **params) -> str:
    return f"⚠️ {tr('ru', problem, **params)}\n\n{question(step, **params)}"


async def names(db, model, code: str) -> dict[str, str]:
    [row] = await rows(db, model, model.code == code)
    return row.name


async def test_staff_create_a_session_answering_one_question_at_a_time(staff_bot, emulator):
    db = staff_bot.db
    trainer = SimulatedPerson(emulator, user_id=TRAINER, language_code="ky")
    await onboard(trainer, "ky")
    admin = staff_member(emulator, ADMIN, "Нурлан")
    colleague = staff_member(emulator, COLLEAGUE, "Айпери")
    most = {"most": MAX_TRAINERS}

    await admin.send_command("/session", "new")
    asked = admin.screen()
    assert asked.text == question(NewSession.programme, **most)
    programme = (await names(db, Programme, PARENTING))["ru"]
    assert programme in asked.flat_buttons() and len(asked.flat_buttons()) == 9
    assert all(len(data.encode()) <= 64 for row in asked.button_data for data in row if data)

    # A colleague's press and messages do not answer someone else's dialog, even while the
    # colleague is asked the same question in a dialog of their own.
    await colleague.send_command("/session", "new")
    theirs = colleague.screen()
    await colleague.press_on(asked.message_id, programme)
    await colleague.send_text("2027-03-03")
    for message in (asked, theirs):
        [now] = [
            m for m in emulator.chat_messages(STAFF_GROUP) if m.message_id == message.message_id
        ]
        assert (now.text, now.buttons) == (message.text, message.buttons)
    assert admin.screen().message_id == theirs.message_id

    await admin.press_on(asked.message_id, programme)
    assert admin.screen().text == question(NewSession.settlement, **most)
    await admin.press((await names(db, Settlement, AK_ORDO))["ru"])
    assert admin.screen().text == question(NewSession.day, **most)

    # Bad answers: why, and the same question again; nothing answered before is lost.
    await admin.send_text("31.02.2027")
    assert admin.screen().text == problem_and_question(
        "This is not a date I can read.", NewSession.day, **most
    )
    await admin.send_text("2027-02-26")
    assert admin.screen().text == problem_and_question(
        "This day has already passed.", NewSession.day, **most
    )
    await admin.send_text("03.03.2027")
    await admin.send_text("в три часа")
    assert admin.screen().text == problem_and_question(
        "Please write the times like 14:00-16:00.", NewSession.times, **most
    )
    await admin.send_text("17:00-15:00")
    assert admin.screen().text.startswith("⚠️ " + tr(
        "ru", "The session must end after it begins, and last at most {hours} hours.", hours=12
    ))  # fmt: skip
    await admin.send_text("15:00–17:00")
    assert admin.screen().text == question(NewSession.place_kind, **most)
    await admin.press(tr("ru", PLACE_KIND[PlaceKind.SCHOOL]))
    await admin.send_text("Школа № 5\nул. Жибек Жолу, 12")
    await admin.press(tr("ru", AUDIENCE[Audience.PARENTS]))
    assert admin.screen().text == question(NewSession.capacity, most=MAX_CAPACITY)
    for wrong in ("двадцать", "0", "5000"):
        await admin.send_text(wrong)
        assert admin.screen().text.startswith(
            "⚠️ " + tr("ru", "Please send a number from 1 to {most}.", most=MAX_CAPACITY)
        )
    await admin.send_text("20")
    await admin.send_text("Айгуль")
    assert admin.screen().text.startswith("⚠️ ")
    await admin.send_text(str(UNKNOWN))
    summary = admin.screen()
    assert summary.text.splitlines()[0] == visible(tr("ru", "<b>Create this session?</b>"))
    assert "ср, 3 марта, 15:00–17:00" in summary.text
    assert "Школа № 5, ул. Жибек Жолу, 12" in summary.text

    # A trainer Koldo does not know: said, and asked again; the rest is kept.
    await admin.press_on(summary.message_id, tr("ru", "✅ Create"))
    unknown = tr(
        "ru",
        "Koldo does not know the user {user_id}: a trainer must start Koldo once before "
        "being given a session.",
        user_id=UNKNOWN,
    )
    assert admin.screen().text == f"⚠️ {unknown}\n\n{question(NewSession.trainers, **most)}"
    assert await rows(db, TrainingSession) == []
    await admin.send_text(str(TRAINER))
    summary = admin.screen()

    # The press delivered twice makes one session.
    update_id = await admin.press_on(summary.message_id, tr("ru", "✅ Create"))
    again = emulator.push_update(emulator.update_payload(update_id))
    await emulator.settle(again, STAFF_GROUP)
    [made] = await rows(db, TrainingSession)
    assert (made.programme_code, made.settlement_code, made.place_kind, made.audience) == (
        PARENTING, AK_ORDO, "school", "parents"
    )  # fmt: skip
    assert (made.place_name, made.address, made.capacity) == (
        "Школа № 5", "ул. Жибек Жолу, 12", 20
    )  # fmt: skip
    assert made.starts_at.replace(tzinfo=None) == at(day(2), 15).replace(tzinfo=None)
    assert made.created_by == ADMIN and made.import_key.startswith("staff:")
    assert [t.user_id for t in await rows(db, SessionTrainer)] == [TRAINER]
    done = [m.text for m in emulator.chat_messages(STAFF_GROUP) if m.text.startswith("✅ ")]
    assert done == [
        visible(tr(
            "ru",
            "✅ Session #{id} is created. Its trainers and the parents who asked to hear of "
            "such sessions are being told. /sessions {day} lists it.",
            id=made.id, day="2027-03-03",
        ))
    ]  # fmt: skip

    # /cancel stops a dialog; nothing is created.
    await admin.send_command("/session", "new")
    await admin.send_command("/cancel")
    assert admin.screen().text == tr("ru", "Stopped. Nothing was changed.")
    await admin.send_text("2027-03-03")
    assert len(await rows(db, TrainingSession)) == 1


async def parent_signed_up(emulator, db, user_id: int, language: str, session_id: int):
    parent = SimulatedPerson(emulator, user_id=user_id, language_code=language)
    await onboard(parent, language)
    await sign_up(db, user_id=user_id, session_id=session_id)
    return parent


async def test_sessions_listed_moved_and_cancelled_each_parent_told(staff_bot, emulator):
    db = staff_bot.db
    trainer = SimulatedPerson(emulator, user_id=TRAINER, language_code="ky")
    await onboard(trainer, "ky")
    first = await create_session(db, actor_id=ADMIN, draft=draft())
    second = await create_session(
        db, actor_id=ADMIN, draft=draft(starts_at=at(day(2), 10), ends_at=at(day(2), 12))
    )
    ru_parent = await parent_signed_up(emulator, db, RU_PARENT, "ru", first.id)
    ky_parent = await parent_signed_up(emulator, db, KY_PARENT, "ky", first.id)
    admin = staff_member(emulator, ADMIN, "Нурлан")

    # Someone not on the staff list sees nothing and changes nothing; core logs it.
    stranger = staff_member(emulator, STRANGER, "Прохожий")
    for command in ("/sessions", "/session"):
        await stranger.send_command(command, "2027-03-03" if command == "/sessions" else "new")
        assert stranger.screen().text == tr("ru", "⛔ Only CPC staff listed in Koldo can do this.")

    await admin.send_command("/sessions", "03.03.2027")
    listed = admin.screen()
    lines = listed.text.splitlines()
    assert lines[0].startswith(visible(tr("ru", "🎓 <b>Training sessions</b> · {when}",
                                          when="ср, 3 марта")))  # fmt: skip
    programme = (await names(db, Programme, PARENTING))["ru"]
    assert lines[2] == f"#{second.id} · 10:00–12:00 · {programme}"
    assert lines[7] == f"#{first.id} · 15:00–17:00 · {programme}"
    assert tr("ru", "signed up {signed_up} of {capacity}", signed_up=2, capacity=20) in lines[9]
    assert f"{TRAINER} ({tr('ru', 'no answer yet')})" in lines[10]
    move, cancel = (tr("ru", "🔁 Move #{id}", id=first.id), tr("ru", "✖ Cancel #{id}", id=first.id))
    assert [move, cancel] in listed.buttons
    await stranger.press_on(listed.message_id, cancel)
    assert [s.status for s in await rows(db, TrainingSession)] == ["planned", "planned"]
    refusals = await rows(db, AuditEntry, AuditEntry.action == "staff.access_denied")
    assert [(r.actor_id, r.object_id) for r in refusals] == [
        (STRANGER, "training.list"), (STRANGER, "training.create"), (STRANGER, "training.view"),
    ]  # fmt: skip

    # Move: the new date and times typed, a bad one asked again, then "move it?".
    await admin.press_on(listed.message_id, move)
    await admin.send_text("завтра")
    assert admin.screen().text.startswith("⚠️ ")
    await admin.send_text("2027-03-04 10:00-12:00")
    await admin.press(tr("ru", "🔁 Yes, move it"))
    [moved] = await rows(db, TrainingSession, TrainingSession.id == first.id)
    assert moved.status == "moved"
    assert moved.starts_at.replace(tzinfo=None) == at(day(3), 10).replace(tzinfo=None)
    was = {"ru": "3 мар., 15:00", "ky": "3-мар., 15:00"}
    for parent, language in ((ru_parent, "ru"), (ky_parent, "ky")):
        title = visible(
            tr(language, "🔁 <b>A training session has moved</b> (it was on {when}).",
               when=was[language])
        )  # fmt: skip
        await wait_for(emulator, parent.chat_id, lambda p=parent, t=title: any(
            text.startswith(t) for text in p.texts()))  # fmt: skip

    # Cancel: "sure?", then everyone concerned is told.
    await admin.send_command("/sessions", "week")
    week = admin.screen()
    assert "чт, 4 марта, 10:00–12:00" in week.text
    await admin.press_on(week.message_id, cancel)
    sure = admin.screen()
    await stranger.press_on(sure.message_id, tr("ru", "No, keep it"))
    assert admin.screen().buttons == sure.buttons  # refused: the question stays
    await admin.press(tr("ru", "No, keep it"))
    assert admin.screen().buttons == []
    assert (await rows(db, TrainingSession, TrainingSession.id == first.id))[0].status == "moved"
    await admin.press_on(week.message_id, cancel)
    await admin.press(tr("ru", "✖ Yes, cancel it"))
    statuses = {s.id: s.status for s in await rows(db, TrainingSession)}
    assert statuses == {first.id: "cancelled", second.id: "planned"}
    when = {"ru": "4 мар., 10:00", "ky": "4-мар., 10:00"}
    for parent, language in ((ru_parent, "ru"), (ky_parent, "ky")):
        title = visible(tr(language, "❌ <b>The training session on {when} is cancelled.</b>",
                           when=when[language]))  # fmt: skip
        await wait_for(emulator, parent.chat_id, lambda p=parent, t=title: any(
            text.startswith(t) for text in p.texts()))  # fmt: skip
    await outbox_reaches(db, lambda entries: all(
        e.state == "sent" for e in entries if e.kind == "training_changed"))  # fmt: skip
    actions = [e.action for e in await rows(db, AuditEntry, AuditEntry.actor_id == ADMIN)]
    assert actions[-2:] == ["training.moved", "training.cancelled"]


async def test_staff_correct_an_attendance_report(staff_bot, emulator):
    db = staff_bot.db
    trainer = SimulatedPerson(emulator, user_id=TRAINER, language_code="ky")
    await onboard(trainer, "ky")
    session = await create_session(db, actor_id=ADMIN, draft=draft())
    clock.freeze(at(day(2), 18))
    await report_attendance(
        db, user_id=TRAINER, session_id=session.id, note="Хорошо прошло",
        attendance=Attendance(girls=3, boys=4, women=2, men=1, age_6_9=2, age_10_13=3,
                              age_14_16=2, adults=3),
    )  # fmt: skip
    admin = staff_member(emulator, ADMIN, "Нурлан")

    await admin.send_command("/sessions", "2027-03-03")
    listed = admin.screen()
    assert tr("ru", "held") in listed.text
    assert listed.buttons == [[tr("ru", "📝 Report #{id}", id=session.id)]]
    await admin.press_on(listed.message_id, tr("ru", "📝 Report #{id}", id=session.id))
    prompt = tr("ru", NUMBERS_PROMPT, id=session.id, now="3 4 2 1 / 2 3 2 3")
    assert admin.screen().text.endswith(
        prompt.replace("<b>", "").replace("</b>", "").replace("<code>", "").replace("</code>", "")
    )

    await admin.send_text("3 4 2 1")
    assert admin.screen().text.startswith("⚠️ ")
    await admin.send_text("3 5 2 1 / 2 3 2 3")
    assert admin.screen().text == "⚠️ " + tr(
        "ru",
        "The age bands add up to {by_age}, but girls, boys, women and men to {total}: "
        "both must give the same total.",
        by_age=10, total=11,
    )  # fmt: skip
    await admin.send_text("3 5 2 1 / 2 4 2 3")
    await admin.send_text("-")
    assert admin.screen().text == visible(tr(
        "ru", "✅ The report of session #{id} is corrected: {numbers}, {total} people.",
        id=session.id, numbers="3 5 2 1 / 2 4 2 3", total=11,
    ))  # fmt: skip
    [report] = await rows(db, AttendanceReport)
    assert (report.boys, report.age_10_13, report.note) == (5, 4, "Хорошо прошло")
    assert (report.corrected_by, report.reported_by) == (ADMIN, TRAINER)
    [audit] = await rows(db, AuditEntry, AuditEntry.action == "training.report_corrected")
    assert (audit.details["before"]["boys"], audit.details["after"]["boys"]) == (4, 5)

    # /report_fix does the same, here with a new note.
    await admin.send_command("/report_fix", str(session.id))
    await admin.send_text("1 1 1 1 / 1 1 1 1")
    await admin.send_text("Исправлено по журналу")
    [report] = await rows(db, AttendanceReport)
    assert (report.girls, report.note) == (1, "Исправлено по журналу")
    await admin.send_command("/report_fix", "12345")
    assert admin.screen().text == tr("ru", "There is no training session with this number.")


async def test_staff_words_in_kyrgyz(database_url, emulator):
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    settings = staff_settings(database_url, emulator, language="ky")
    async with bot_running(settings) as running:
        trainer = SimulatedPerson(emulator, user_id=TRAINER, language_code="ky")
        await onboard(trainer, "ky")
        session = await create_session(running.db, actor_id=ADMIN, draft=draft())
        admin = staff_member(emulator, ADMIN, "Нурлан")
        await admin.send_command("/sessions", "2027-03-03")
        listed = admin.screen()
        assert tr("ky", "held") != "held"
        assert tr("ky", "planned") in listed.text
        assert [tr("ky", "🔁 Move #{id}", id=session.id),
                tr("ky", "✖ Cancel #{id}", id=session.id)] in listed.buttons  # fmt: skip
        await admin.send_command("/session", "new")
        assert admin.screen().text == question(NewSession.programme, "ky", most=MAX_TRAINERS)


def test_a_long_day_is_paged_within_telegram_limits():
    words = Words(catalogs(), "ru", ZONE)
    long = "Ж" * 200
    sessions = [
        SessionInfo(
            id=number,
            programme_code=PARENTING,
            starts_at=at(day(2), 8),
            ends_at=at(day(2), 9),
            settlement_code=AK_ORDO,
            place_kind=PlaceKind.SCHOOL,
            place_name=long,
            address="<" * 300,
            audience=Audience.CHILDREN,
            capacity=1000,
            signed_up=999,
            status=SessionStatus.PLANNED,
            trainers=tuple(Trainer(10**12 + n, TrainerAnswer.PENDING) for n in range(MAX_TRAINERS)),
        )
        for number in range(1, 3 * PAGE + 2)
    ]
    found = StaffList(sessions, {PARENTING: {"ru": long}}, {AK_ORDO: {"ru": long}})
    messages = list_messages(words, "🎓 Title", found, with_day=True)
    assert len(messages) == 4
    assert max(visible_length(text) for text, _ in messages) > 2000  # long names, all of them
    for text, keyboard in messages:
        assert visible_length(text) <= 4096
        assert keyboard is not None and len(keyboard.inline_keyboard) <= PAGE
        for row in keyboard.inline_keyboard:
            assert all(len((b.callback_data or "").encode()) <= 64 for b in row)


async def test_a_reply_in_a_request_topic_mid_dialog_reaches_the_parent(staff_bot, emulator):
    """Someone half-way through /session new who answers a parent in the request's topic: the
    reply goes to the parent, and the dialog in General still waits for its answer."""
    parent = SimulatedPerson(emulator, user_id=13401, language_code="ru")
    await file_request(parent, "ru")
    admin = staff_member(emulator, ADMIN, "Нурлан")
    await admin.send_command("/session", "new")
    await admin.press((await names(staff_bot.db, Programme, PARENTING))["ru"])
    await admin.press((await names(staff_bot.db, Settlement, AK_ORDO))["ru"])
    asked = admin.screen().text
    assert asked == question(NewSession.day, most=MAX_TRAINERS)

    _topic, _card = await _topic_and_card(emulator, admin)
    await admin.send_text("2027-03-03")  # in the request's topic: meant for the parent
    await wait_for(emulator, parent.chat_id, lambda: "2027-03-03" in parent.screen().text)

    admin.in_topic(None)  # back in General, the dialog still asks for the day
    await admin.send_text("2027-03-03")
    times = question(NewSession.times, most=MAX_TRAINERS)
    await wait_for(emulator, STAFF_GROUP, lambda: any(
        m.text == times for m in emulator.chat_messages(STAFF_GROUP)))  # fmt: skip
