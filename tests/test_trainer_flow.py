"""Becoming a peer trainer, end to end through the Bot API emulator, in Russian and Kyrgyz: a
person sends /trainer and answers (name, settlement, programmes), the staff group gets the
application with Approve / Decline, someone not on the staff list is refused, staff approve or
decline, and the person is told in their language; staff list and revoke trainers. Staff words
are in Russian (the staff group's default language)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.outbox import staff_texts
from bot.outbox.fit import visible_length
from bot.outbox.words import Words
from core.people import RoleStatus
from core.staff import add_staff
from core.trainers import Application, apply_as_trainer
from storage.models import AuditEntry, OutboxEntry, PersonRole
from tests.e2e import catalogs, onboard, rows, tr, trn
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.emulator.views import Alert
from tests.test_staff_inbox import (
    ADMIN,
    STAFF_GROUP,
    STRANGER,
    outbox_reaches,
    staff_member,
    wait_for,
)

PERSON = 13301
PROGRAMME = {
    "ru": ("Школа лидерства", "Мой безопасный мир"),
    "ky": ("Лидерлик мектеби", "Менин коопсуз дүйнөм"),
}
APPROVE, DECLINE = tr("ru", "✅ Approve"), tr("ru", "❌ Decline")
ALREADY = tr("ru", "This application was already decided; see the message.")
COLLEAGUE = 501


def visible(text: str) -> str:
    return re.sub(r"</?b>", "", text)


def group_messages(emulator: BotApiEmulator) -> list:
    return emulator.chat_messages(STAFF_GROUP)


async def trainer_role(db) -> PersonRole:
    [found] = await rows(db, PersonRole, PersonRole.role == "trainer")
    return found


async def apply(person: SimulatedPerson, language: str) -> None:
    """/trainer and every answer, with the problems a person may run into on the way."""
    await person.send_command("/trainer")
    intro = tr(
        language,
        "🎓 <b>Become a peer trainer</b>\nIf CPC trained you in one of its programmes, you can "
        "run trainings for others.",
    )
    assert person.screen().text.startswith(visible(intro))
    assert person.buttons() == [tr(language, "⬅️ Back")]
    await person.send_text("12")
    assert person.screen().text.startswith(
        "⚠️ " + tr(language, "Please write your name in letters, for example: Aigul Asanova.")
    )
    await person.send_text("  Асель   Мамытова ")
    assert person.screen().text == tr(language, "📍 In which settlement will you run trainings?")
    await person.press("📍 Ак-Бата")

    leadership, safe_world = PROGRAMME[language]
    question = tr(
        language,
        "📚 Which programmes did CPC train you in?\nPress each one that applies, then “➡️ Next”.",
    )
    assert person.screen().text.startswith(question)
    await person.press(tr(language, "➡️ Next"))
    assert person.screen().text.startswith(
        "⚠️ " + tr(language, "Please choose at least one programme.")
    )
    await person.press(safe_world)
    await person.press(leadership)
    await person.press("✅ " + leadership)  # changed their mind
    await person.press(leadership)
    assert {"✅ " + leadership, "✅ " + safe_world} <= set(person.buttons())
    await person.press(tr(language, "➡️ Next"))

    summary = person.screen()
    assert summary.text == "\n".join([
        visible(tr(language, "📝 <b>Please check your application</b>")),
        tr(language, "👤 {name}\n📍 {settlement}\n📚 Programmes:\n{programmes}",
           name="Асель Мамытова", settlement="Ак-Бата",
           programmes=f"• {leadership}\n• {safe_world}"),
        tr(language, "\nCPC staff will look at it, and we will write to you here."),
    ])  # fmt: skip
    await person.press(tr(language, "✅ Send"))
    assert person.screen().text == visible(tr(
        language,
        "✅ <b>Your application has been sent.</b>\nCPC staff will look at it; we will write to "
        "you here when they decide.",
    ))  # fmt: skip


@pytest.mark.parametrize("language", ["ru", "ky"])
async def test_a_person_applies_and_staff_approve(staff_bot, emulator, language):
    db = staff_bot.db
    person = SimulatedPerson(emulator, user_id=PERSON, language_code=language)
    await onboard(person, language)
    await apply(person, language)

    await wait_for(emulator, STAFF_GROUP, lambda: len(group_messages(emulator)) == 1)
    [application] = group_messages(emulator)
    assert application.text.splitlines()[:4] == [
        visible(tr("ru", "🎓 <b>Application to be a peer trainer</b>")),
        f"👤 Асель Мамытова · {PERSON}",
        "📍 Ак-Бата",
        "📚 Школа лидерства, Мой безопасный мир",
    ]
    assert application.buttons == [[APPROVE, DECLINE]]
    assert all(len(data.encode()) <= 64 for row in application.button_data for data in row)
    role = await trainer_role(db)
    assert (role.status, role.programmes) == ("requested", ["leadership-school", "my-safe-world"])

    # /trainer again while waiting: nothing new is asked or sent.
    await person.send_command("/trainer")
    waiting = "⏳ Your application is already with CPC staff. We will write to you here when "
    assert person.screen().text == tr(language, waiting + "they decide.")
    await outbox_reaches(db, lambda entries: len(entries) == 1 and entries[0].state == "sent")

    # Someone in the group who is not staff cannot decide.
    stranger = staff_member(emulator, STRANGER, "Прохожий")
    await stranger.press_on(application.message_id, APPROVE)
    assert stranger.alerts()[-1].text == tr("ru", "⛔ Only CPC staff listed in Koldo can do this.")
    assert (await trainer_role(db)).status == "requested"
    [refusal] = await rows(db, AuditEntry, AuditEntry.action == "staff.access_denied")
    assert (refusal.actor_id, refusal.object_id) == (STRANGER, "trainer.approve")

    admin = staff_member(emulator, ADMIN, "Нурлан")
    await admin.press_on(application.message_id, APPROVE)
    assert admin.alerts()[-1].text == tr("ru", "✅ Approved. The person is being told.")
    approved = visible(tr(
        language,
        "🎓 <b>CPC has approved your application.</b> You are now a peer trainer. "
        "Thank you for sharing what you learned with others!",
    ))  # fmt: skip
    await wait_for(emulator, person.chat_id, lambda: person.screen().text == approved)
    role = await trainer_role(db)
    assert (role.status, role.decided_by) == ("active", ADMIN)
    [redrawn] = group_messages(emulator)
    assert redrawn.buttons == []
    assert redrawn.text.splitlines()[-1].startswith("✅ Одобрено: Нурлан, ")
    [audit] = await rows(db, AuditEntry, AuditEntry.action == "trainer.approved")
    assert (audit.actor_id, audit.object_id) == (ADMIN, str(PERSON))

    await person.send_command("/trainer")
    assert person.screen().text == tr(language, "🎓 You are already a peer trainer of CPC.")
    assert person.buttons() == [tr(language, "🏠 Main menu")]


async def test_declined_then_revoked_after_a_second_application(staff_bot, emulator):
    db = staff_bot.db
    person = SimulatedPerson(emulator, user_id=PERSON, language_code="ky")
    await onboard(person, "ky")
    await apply(person, "ky")
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_messages(emulator)) == 1)
    [application] = group_messages(emulator)

    admin = staff_member(emulator, ADMIN, "Нурлан")
    await admin.press_on(application.message_id, DECLINE)
    declined = tr("ky", "CPC has not approved your application to be a peer trainer this time. "
                  "If you have questions, please ask at a CPC day centre.")  # fmt: skip
    await wait_for(emulator, person.chat_id, lambda: person.screen().text == declined)
    assert (await trainer_role(db)).status == "declined"
    assert group_messages(emulator)[0].text.splitlines()[-1].startswith("❌ Отклонено: Нурлан, ")

    # Asked again: a new application, approved this time; then the role is revoked.
    await apply(person, "ky")
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_messages(emulator)) == 2)
    second = group_messages(emulator)[1]
    await admin.press_on(second.message_id, APPROVE)
    await wait_for(emulator, STAFF_GROUP, lambda: group_messages(emulator)[1].buttons == [])

    await admin.send_command("/trainers")
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_messages(emulator)) == 3)
    listed = group_messages(emulator)[2].text
    assert listed.startswith(visible(trn("ru", "🎓 <b>{n} peer trainer</b>",
                                         "🎓 <b>{n} peer trainers</b>", 1)))  # fmt: skip
    assert f"👤 Асель Мамытова · {PERSON}" in listed

    await admin.send_command("/revoke_trainer", "abc")
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_messages(emulator)) == 4)
    assert group_messages(emulator)[3].text == tr(
        "ru", "Send /revoke_trainer and the person's id, as /trainers shows it."
    )
    await admin.send_command("/revoke_trainer", str(PERSON))
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_messages(emulator)) == 5)
    assert group_messages(emulator)[4].text == tr(
        "ru", "🚫 {name} is no longer a peer trainer; they are being told.", name="Асель Мамытова"
    )
    revoked = tr("ky", "CPC has ended your role as a peer trainer. "
                 "If you have questions, please ask at a CPC day centre.")  # fmt: skip
    await wait_for(emulator, person.chat_id, lambda: person.screen().text == revoked)
    assert (await trainer_role(db)).status == "revoked"
    # Revoking again: said why, nobody told twice.
    await admin.send_command("/revoke_trainer", str(PERSON))
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_messages(emulator)) == 6)
    assert group_messages(emulator)[5].text == tr("ru", "This person is not a peer trainer now.")
    decisions = await rows(db, OutboxEntry, OutboxEntry.kind == "trainer_decision")
    assert [e.payload["decision"] for e in decisions] == ["declined", "approved", "revoked"]


async def test_the_privacy_notice_comes_first(staff_bot, emulator):
    person = SimulatedPerson(emulator, user_id=PERSON, language_code="ru")
    await onboard(person, "ru", agree=False)
    await person.send_command("/trainer")
    assert tr("ru", "\nDo you agree?") in "\n" + person.screen().text
    await person.press(tr("ru", "✅ I agree"))
    assert tr("ru", "\n👤 What is your name? Please write your first and last name.") in (
        "\n" + person.screen().text
    )
    await person.press(tr("ru", "⬅️ Back"))
    menu = visible(tr("ru", "🏠 <b>Main menu</b>\nWhat do you need help with?"))
    assert person.screen().text == menu
    assert await rows(staff_bot.db, PersonRole, PersonRole.role == "trainer") == []


async def test_two_staff_pressing_at_once_make_one_decision(staff_bot, emulator):
    db = staff_bot.db
    person = SimulatedPerson(emulator, user_id=PERSON, language_code="ru")
    await onboard(person, "ru")
    await apply_as_trainer(db, user_id=PERSON, name="Асель Мамытова", settlement_code="ak-bata",
                           programmes=["my-safe-world"])  # fmt: skip
    await add_staff(db, COLLEAGUE, "Айпери")
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_messages(emulator)) == 1)
    [application] = group_messages(emulator)

    admin = staff_member(emulator, ADMIN, "Нурлан")
    colleague = staff_member(emulator, COLLEAGUE, "Айпери")
    first = await admin.press_on(application.message_id, DECLINE, wait=False)
    second = await colleague.press_on(application.message_id, APPROVE, wait=False)
    await emulator.settle(first, STAFF_GROUP)
    await emulator.settle(second, STAFF_GROUP)

    status = (await trainer_role(db)).status
    winner, loser = (colleague, admin) if status == "active" else (admin, colleague)
    done = "✅ Approved. The person is being told." if status == "active" else (
        "❌ Declined. The person is being told.")  # fmt: skip
    assert winner.alerts()[-1].text == tr("ru", done)
    assert loser.alerts()[-1] == Alert(ALREADY, True, loser.alerts()[-1].callback_query_id)
    decisions = await rows(db, OutboxEntry, OutboxEntry.kind == "trainer_decision")
    assert [e.payload["decision"] for e in decisions] == [
        "approved" if status == "active" else "declined"
    ]
    audited = await rows(db, AuditEntry, AuditEntry.action.in_(("trainer.approved",
                                                                "trainer.declined")))  # fmt: skip
    assert [a.actor_id for a in audited] == [winner.user["id"]]
    # The application redrawn once, with who decided; nothing else said in the group.
    [redrawn] = group_messages(emulator)
    assert redrawn.buttons == [] and redrawn.text.splitlines()[-1].startswith(
        "✅ Одобрено: Айпери, " if status == "active" else "❌ Отклонено: Нурлан, "
    )


def test_trainer_texts_fit_telegram_whatever_they_hold():
    """The longest name, every programme, many trainers: each message within Telegram's
    limits, the buttons' data within 64 bytes."""
    words = Words(catalogs(), "ky", ZoneInfo("Asia/Bishkek"))
    programmes = {f"programme-{n}": "П" * 200 for n in range(9)}
    moment = datetime(2027, 2, 22, 8, 0, tzinfo=UTC)
    longest = Application(
        user_id=9_999_999_999, name="Ы" * 128, settlement_code="ak-bata",
        programmes=tuple(programmes), status=RoleStatus.REQUESTED, application=10_000,
        requested_at=moment, decided_by=None, decided_at=None,
    )  # fmt: skip
    text, keyboard = staff_texts.trainer_application(words, longest, {"ak-bata": "Б" * 200},
                                                     programmes)  # fmt: skip
    assert visible_length(text) <= 4096 and keyboard is not None
    assert all(len(b.callback_data.encode()) <= 64 for row in keyboard.inline_keyboard
               for b in row)  # fmt: skip
    parts = staff_texts.trainers_list(words, [longest] * 300, {}, programmes)
    assert len(parts) > 1 and all(visible_length(part) <= 4096 for part in parts)
    assert sum(part.count("tg://user?id=") for part in parts) == 300
