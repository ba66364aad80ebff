"""A simulated parent uses the real bot over HTTP: what they see, and what the database holds."""

from __future__ import annotations

import pytest

from core.consent import NOTICE_VERSION
from tests.e2e import (
    AuditEntry,
    Consent,
    Request,
    RequestMessage,
    StatusChange,
    User,
    fill_documents_form,
    onboard,
    rows,
    tr,
    trn,
)
from tests.emulator import SimulatedPerson

LANGUAGES = ["ru", "ky", "en"]
SETTLEMENT_NAME = {"ru": "Ак-Ордо", "ky": "Ак-Ордо", "en": "Ak-Ordo"}
# Whatever Telegram's language, the picker asks in all three, Kyrgyz first.
PICKER = "🌐 Тилди тандаңыз / Выберите язык / Choose your language"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_language_picker_preselects_telegram_language(koldo, emulator, language):
    parent = SimulatedPerson(emulator, user_id=2001, language_code=language)
    await parent.send_command("/start")
    screen = parent.screen()
    assert screen.text == PICKER
    ticked = [b for b in screen.flat_buttons() if b.startswith("✅")]
    assert ticked == ["✅ " + {"ru": "Русский", "ky": "Кыргызча", "en": "English"}[language]]
    assert len(screen.flat_buttons()) == 3


async def test_unknown_telegram_language_falls_back_to_default(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=2002, language_code="de")
    await parent.send_command("/start")
    assert parent.screen().text == PICKER
    assert "✅ Русский" in parent.buttons()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_documents_request_end_to_end(koldo, emulator, language):
    parent = SimulatedPerson(emulator, user_id=3001, language_code="ru")
    await onboard(parent, language)
    assert tr(language, "📄 Documents") in parent.buttons()
    assert (
        tr(language, "🏠 <b>Main menu</b>\nWhat do you need help with?")
        .replace("<b>", "")
        .replace("</b>", "")
        in parent.screen().text
    )

    await parent.press(tr(language, "📄 Documents"))
    assert parent.screen().text == tr(language, "📄 Which document do you need help with?")
    await parent.press(tr(language, "🪪 Passport / ID card"))
    assert parent.screen().text == tr(language, "Who is the document for?")
    await parent.press(tr(language, "🧒 For a child"))
    assert parent.screen().text == tr(
        language, "🧒 How old is the child?\nSend a number, for example 9."
    )
    await parent.send_text("12")
    assert parent.screen().text == tr(language, "📍 Where do you live? Choose your settlement.")
    await parent.press(SETTLEMENT_NAME[language])
    await parent.send_text("Паспорт сгорел при пожаре, нужен новый")
    await parent.send_photo(file_id="photo-passport-1")
    await parent.send_voice(file_id="voice-1")
    story_screen = parent.screen().text
    assert tr(language, "✅ Received.") in story_screen
    assert trn(language, "📎 {files} file attached.", "📎 {files} files attached.", 2, files=2) in (
        story_screen
    )
    await parent.press(tr(language, "➡️ Next"))
    assert parent.reply_keyboard() is not None
    await parent.press(tr(language, "📱 Share my number"))
    assert parent.reply_keyboard() is None
    thanks = tr(language, "📞 Thank you, we have your number: {phone}", phone="+996 700 123 456")
    assert parent.texts()[-2:-1] == [thanks]  # it closed the keyboard; the next screen follows
    assert parent.screen().text == tr(language, "🆘 Is a child in danger right now?")
    await parent.press(tr(language, "✅ No"))

    summary = parent.screen().text
    assert SETTLEMENT_NAME[language] in summary
    assert "+996 700 123 456" in summary
    assert tr(language, "🪪 Passport / ID card") in summary
    assert parent.buttons() == [
        tr(language, "✅ Send"),
        tr(language, "✏️ Change"),
        tr(language, "✖️ Cancel"),
    ]

    await parent.press(tr(language, "✅ Send"))
    sent = parent.screen().text
    assert "K-000001" in sent
    assert tr(language, "You can follow the request in “📋 My requests”.") in sent
    assert tr(language, "📋 My requests") in parent.buttons()

    [request] = await rows(koldo.db, Request)
    assert request.category == "documents"
    assert request.document_type == "passport"
    assert request.subject == "child"
    assert request.child_age == 12
    assert request.grade is None
    assert request.settlement_code == "ak-ordo"
    assert request.description == "Паспорт сгорел при пожаре, нужен новый"
    assert request.phone == "+996700123456"
    assert request.language == language
    assert request.status == "new"
    assert request.urgent is False
    attachments = await rows(koldo.db, RequestMessage, RequestMessage.request_id == request.id)
    assert [(m.kind, m.file_id) for m in attachments] == [
        ("photo", "photo-passport-1"),
        ("voice", "voice-1"),
    ]
    [change] = await rows(koldo.db, StatusChange)
    assert (change.old_status, change.new_status, change.actor) == (None, "new", "parent")
    [consent] = await rows(koldo.db, Consent)
    assert consent.granted and consent.notice_version == NOTICE_VERSION
    [user] = await rows(koldo.db, User)
    assert user.language == language
    actions = [entry.action for entry in await rows(koldo.db, AuditEntry)]
    assert actions == ["consent.granted", "request.filed"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_school_request_end_to_end(koldo, emulator, language):
    parent = SimulatedPerson(emulator, user_id=3101, language_code=language)
    await onboard(parent, language)
    await parent.press(tr(language, "🏫 School"))
    assert parent.screen().text == tr(
        language, "🧒 How old is the child?\nSend a number, for example 9."
    )
    await parent.send_text("10")
    assert parent.screen().text == tr(
        language, "🏫 Which grade should the child go to?\nPress a number."
    )
    assert parent.buttons()[:11] == [str(n) for n in range(1, 12)]
    await parent.press("4")
    await parent.press(tr(language, "✏️ Another place"))
    await parent.send_text("Жилмассив Калыс-Ордо, ул. 5")
    assert parent.screen().text == tr(language, "What is keeping the child from school?")
    await parent.press(tr(language, "🧰 The child works"))
    await parent.send_text("Сын помогает отцу на рынке Дордой")
    await parent.press(tr(language, "➡️ Next"))
    await parent.send_text("0555 12-34-56")
    await parent.press(tr(language, "✅ No"))
    summary = parent.screen().text
    assert "Жилмассив Калыс-Ордо, ул. 5" in summary
    assert "+996 555 123 456" in summary
    await parent.press(tr(language, "✅ Send"))
    assert "K-000001" in parent.screen().text

    [request] = await rows(koldo.db, Request)
    assert (request.category, request.child_age, request.grade) == ("school", 10, 4)
    assert request.obstacle == "child_works"
    assert request.settlement_code == "other"
    assert request.settlement_other == "Жилмассив Калыс-Ордо, ул. 5"
    assert request.phone == "+996555123456"
    assert request.document_type is None


async def test_documents_for_myself_skip_the_childs_age(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=3201)
    await onboard(parent, "ru")
    await parent.press(tr("ru", "📄 Documents"))
    await parent.press(tr("ru", "🏠 Registration (propiska)"))
    await parent.press(tr("ru", "🙋 For me"))
    assert parent.screen().text == tr("ru", "📍 Where do you live? Choose your settlement.")
    await parent.press(tr("ru", "⬅️ Back"))
    assert parent.screen().text == tr("ru", "Who is the document for?")


async def test_references_are_sequential(koldo, emulator):
    for number, user_id in enumerate((3301, 3302, 3303), start=1):
        parent = SimulatedPerson(emulator, user_id=user_id)
        await onboard(parent, "ru")
        await fill_documents_form(parent, "ru")
        await parent.press(tr("ru", "✅ Send"))
        assert f"K-{number:06d}" in parent.screen().text


async def test_edit_from_summary_changes_one_answer_and_returns(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=3401)
    await onboard(parent, "ru")
    await fill_documents_form(parent, "ru")
    await parent.press(tr("ru", "✏️ Change"))
    await parent.press(tr("ru", "Child's age"))
    await parent.send_text("7")
    summary = parent.screen().text
    assert tr("ru", "Child's age") + ": 7" in summary
    assert tr("ru", "✅ Send") in parent.buttons()
    # Switching to "for me" drops the child's age: only what the flow needs is kept.
    await parent.press(tr("ru", "✏️ Change"))
    await parent.press(tr("ru", "For whom"))
    await parent.press(tr("ru", "🙋 For me"))
    assert tr("ru", "Child's age") not in parent.screen().text
    await parent.press(tr("ru", "✅ Send"))
    [request] = await rows(koldo.db, Request)
    assert request.subject == "self" and request.child_age is None


async def test_back_walks_the_questions_and_cancel_sends_nothing(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=3501)
    await onboard(parent, "ky")
    await parent.press(tr("ky", "📄 Documents"))
    await parent.press(tr("ky", "👶 Birth certificate"))
    await parent.press(tr("ky", "🧒 For a child"))
    await parent.press(tr("ky", "⬅️ Back"))
    assert parent.screen().text == tr("ky", "Who is the document for?")
    await parent.press(tr("ky", "⬅️ Back"))
    assert parent.screen().text == tr("ky", "📄 Which document do you need help with?")
    await parent.press(tr("ky", "✖️ Cancel"))
    assert tr("ky", "✖️ Cancelled. Nothing was sent.") in parent.screen().text
    assert tr("ky", "📄 Documents") in parent.buttons()
    assert await rows(koldo.db, Request) == []


async def test_cancel_on_the_phone_screen_takes_the_keyboard_away(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=3502)
    await onboard(parent, "ru")
    await parent.press(tr("ru", "📄 Documents"))
    await parent.press(tr("ru", "👶 Birth certificate"))
    await parent.press(tr("ru", "🧒 For a child"))
    await parent.send_text("9")
    await parent.press(parent.buttons()[0])
    await parent.send_text("История")
    await parent.press(tr("ru", "➡️ Next"))
    assert parent.reply_keyboard() is not None
    await parent.press(tr("ru", "✖️ Cancel"))
    assert parent.reply_keyboard() is None
    assert tr("ru", "✖️ Cancelled. Nothing was sent.") in parent.screen().text


async def test_without_consent_public_help_works_but_requests_ask_for_consent(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=3601, language_code="ky")
    await onboard(parent, "ky", agree=False)
    assert tr(
        "ky", "All right. You can still see the urgent numbers and the day centres' addresses."
    ) in (parent.screen().text)
    await parent.press(tr("ky", "🆘 Urgent help"))
    urgent = parent.screen().text
    assert "112" in urgent and "111" in urgent
    await parent.press(tr("ky", "⬅️ Back"))
    await parent.press(tr("ky", "📄 Documents"))
    assert tr("ky", "\nDo you agree?").strip() in parent.screen().text
    await parent.press(tr("ky", "✅ I agree"))
    assert parent.screen().text == tr("ky", "📄 Which document do you need help with?")
    consents = await rows(koldo.db, Consent)
    assert [c.granted for c in consents] == [False, True]


async def test_language_command_changes_every_following_screen(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=3801)
    await onboard(parent, "ru")
    await parent.send_command("/language")
    await parent.press("English")
    assert "English" in [b.removeprefix("✅ ") for b in parent.buttons()] or (
        tr("en", "📄 Documents") in parent.buttons()
    )
    await parent.send_command("/start")
    assert tr("en", "📄 Documents") in parent.buttons()
    [user] = await rows(koldo.db, User)
    assert user.language == "en"


async def test_urgent_words_mark_the_request_and_show_numbers_at_once(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=3901)
    await onboard(parent, "ru")
    await fill_documents_form(
        parent, "ru", story="Отчим избивает дочь, мы ушли из дома без документов"
    )
    await parent.press(tr("ru", "✅ Send"))
    screen = parent.screen().text
    assert "112" in screen and "111" in screen
    [request] = await rows(koldo.db, Request)
    assert request.urgent is True


async def test_my_requests_history_message_and_withdraw(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=4001)
    await onboard(parent, "ru")
    await fill_documents_form(parent, "ru")
    await parent.press(tr("ru", "✅ Send"))
    await parent.press(tr("ru", "📋 My requests"))
    [entry] = parent.buttons()[:1]
    assert entry.startswith("K-000001")
    assert tr("ru", "🆕 New") in entry
    await parent.press(entry)
    details = parent.screen().text
    assert "K-000001" in details and tr("ru", "🆕 New") in details
    await parent.press(tr("ru", "✍️ Add a message"))
    await parent.send_text("Нашли копию <script>alert(1)</script>")
    screen = parent.screen()
    assert tr("ru", "✅ Your message was added.\n").strip() in screen.text
    assert "Нашли копию <script>alert(1)</script>" in screen.text
    assert "&lt;script&gt;" in screen.raw_text
    await parent.press(tr("ru", "↩️ Withdraw the request"))
    await parent.press(tr("ru", "Yes, withdraw"))
    assert tr("ru", "↩️ Withdrawn") in parent.screen().text
    assert tr("ru", "✍️ Add a message") not in parent.buttons()
    [request] = await rows(koldo.db, Request)
    assert request.status == "withdrawn" and request.closed_at is not None
    texts = [m.text for m in await rows(koldo.db, RequestMessage)]
    assert texts == ["Нашли копию <script>alert(1)</script>"]


async def test_my_requests_when_there_are_none(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=4101)
    await onboard(parent, "en")
    await parent.press(tr("en", "📋 My requests"))
    assert parent.screen().text == tr("en", "📋 You have no requests yet.")


async def test_forget_erases_personal_data_after_confirmation(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=4201)
    await onboard(parent, "ru")
    await fill_documents_form(parent, "ru")
    await parent.press(tr("ru", "✅ Send"))
    await parent.send_command("/forget")
    assert tr("ru", "🗑 Yes, erase") in parent.buttons()
    await parent.press(tr("ru", "🗑 Yes, erase"))
    done = parent.screen().text
    assert tr("ru", "✅ Done. Your language choice and consent were erased.") in done
    assert (
        trn(
            "ru",
            "Personal data was removed from {requests} request.",
            "Personal data was removed from {requests} requests.",
            1,
            requests=1,
        )
        in done
    )
    [request] = await rows(koldo.db, Request)
    assert request.user_id is None
    assert request.phone is None and request.description is None and request.child_age is None
    assert request.anonymised_at is not None
    assert [m.file_id for m in await rows(koldo.db, RequestMessage)] == []
    assert await rows(koldo.db, User) == []
    assert await rows(koldo.db, Consent) == []
    assert "user.forgotten" in [e.action for e in await rows(koldo.db, AuditEntry)]
    # They are a newcomer again.
    await parent.send_command("/start")
    assert parent.screen().text == PICKER


async def test_forget_can_be_refused(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=4301)
    await onboard(parent, "ru")
    await parent.send_command("/forget")
    await parent.press(tr("ru", "✖️ No, keep my data"))
    assert tr("ru", "📄 Documents") in parent.buttons()
    assert len(await rows(koldo.db, User)) == 1
