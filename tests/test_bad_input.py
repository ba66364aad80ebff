"""Bad input gets a clear, polite answer in the parent's language and loses nothing."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.error_texts import problem_text
from tests.e2e import (
    AuditEntry,
    Request,
    catalogs,
    fill_documents_form,
    onboard,
    rows,
    start_documents_form,
    tr,
    trn,
)
from tests.emulator import SimulatedGroupMember, SimulatedPerson
from tests.harness import bot_running, make_settings

AGE_QUESTION = "🧒 How old is the child?\nSend a number, for example 9."


async def reach_age_question(parent: SimulatedPerson, language: str = "ru") -> None:
    await onboard(parent, language)
    await parent.press(tr(language, "📄 Documents"))
    await parent.press(tr(language, "👶 Birth certificate"))
    await parent.press(tr(language, "🧒 For a child"))


async def reach_story_question(parent: SimulatedPerson, language: str = "ru") -> None:
    await onboard(parent, language)
    await start_documents_form(parent, language)


async def test_text_over_4096_characters_is_refused_and_the_form_kept(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5001)
    await reach_story_question(parent)
    await parent.send_text("а" * 5000)
    screen = parent.screen().text
    assert screen.startswith(
        "⚠️ "
        + tr(
            "ru",
            "That is too long: {length} characters. Please send at most {limit} characters.",
            length="5\xa0000",
            limit="2\xa0000",
        )
    )
    await parent.send_text("Короткая история")
    await parent.press(tr("ru", "➡️ Next"))
    await parent.press(tr("ru", "📱 Share my number"))
    await parent.press(tr("ru", "✅ No"))
    summary = parent.screen().text
    assert tr("ru", "Child's age") + ": 9" in summary
    assert "Короткая история" in summary


async def test_empty_text_is_asked_again(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5002)
    await reach_age_question(parent, "ky")
    await parent.send_text("   ")
    screen = parent.screen().text
    assert screen.startswith("⚠️ " + tr("ky", "The message was empty. Please write a few words."))
    assert tr("ky", AGE_QUESTION) in screen


async def test_sticker_and_location_where_text_is_expected(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5003)
    await reach_age_question(parent, "en")
    await parent.send_sticker()
    assert parent.screen().text.startswith(
        "⚠️ "
        + tr(
            "en",
            "Please answer with a text message. Stickers, locations and files cannot be used here.",
        )
    )
    await parent.send_location(42.87, 74.59)
    assert tr("en", AGE_QUESTION) in parent.screen().text
    await parent.send_text("9")
    assert parent.screen().text == tr("en", "📍 Where do you live? Choose your settlement.")


async def test_sticker_in_the_story_step(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5004)
    await reach_story_question(parent)
    await parent.send_sticker()
    assert parent.screen().text.startswith(
        "⚠️ "
        + tr(
            "ru", "This cannot be added here. Please send text, a photo, a file or a voice message."
        )
    )
    assert tr("ru", "➡️ Next") not in parent.buttons()


async def test_html_in_text_is_shown_escaped_and_stored_as_typed(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5005)
    await onboard(parent, "ru")
    typed = "<b>жирный</b> & <script>alert('x')</script>"
    await fill_documents_form(parent, "ru", story=typed)
    screen = parent.screen()
    assert typed in screen.text
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in screen.raw_text
    assert "&lt;b&gt;жирный&lt;/b&gt; &amp;" in screen.raw_text
    await parent.press(tr("ru", "✅ Send"))
    [request] = await rows(koldo.db, Request)
    assert request.description == typed


async def test_invalid_phone_is_explained_and_a_good_one_accepted(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5006)
    await reach_story_question(parent)
    await parent.send_text("История")
    await parent.press(tr("ru", "➡️ Next"))
    for wrong in ("12345", "+7 916 123 45 67", "телефон"):
        await parent.send_text(wrong)
        assert parent.screen().text.startswith(
            "⚠️ "
            + tr(
                "ru",
                "This does not look like a Kyrgyz phone number. Please send it like 0700 123 456 "
                "or +996 700 123 456.",
            )
        )
        assert parent.reply_keyboard() is not None
    await parent.send_text("+996 (770) 55-44-33")
    await parent.press(tr("ru", "✅ No"))
    assert "+996 770 554 433" in parent.screen().text


async def test_age_out_of_range_and_not_a_number(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5007)
    await reach_age_question(parent)
    await parent.send_text("25")
    assert parent.screen().text.startswith(
        "⚠️ " + tr("ru", "The age must be a number from {low} to {high}.", low=0, high=17)
    )
    await parent.send_text("девять")
    assert parent.screen().text.startswith(
        "⚠️ " + tr("ru", "Please send only a number, for example 9.")
    )
    await parent.send_text("9")
    assert parent.screen().text == tr("ru", "📍 Where do you live? Choose your settlement.")


async def test_school_age_below_six_is_refused(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5008)
    await onboard(parent, "ru")
    await parent.press(tr("ru", "🏫 School"))
    await parent.send_text("4")
    assert parent.screen().text.startswith(
        "⚠️ " + tr("ru", "The age must be a number from {low} to {high}.", low=6, high=17)
    )


async def test_text_where_a_button_is_expected(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5009)
    await onboard(parent, "ru")
    await parent.press(tr("ru", "📄 Documents"))
    await parent.send_text("паспорт")
    assert parent.screen().text.startswith(
        "⚠️ " + tr("ru", "Please choose one of the buttons below.")
    )
    assert tr("ru", "🪪 Passport / ID card") in parent.buttons()


async def test_stale_button_from_an_old_message(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5010)
    await onboard(parent, "ru")
    await parent.press(tr("ru", "📄 Documents"))
    old_screen = parent.screen()
    await parent.press(tr("ru", "👶 Birth certificate"))
    await parent.send_text("/cancel")  # the old form's intent is gone now
    await parent.press_data(old_screen.button_data[0][0], message_id=old_screen.message_id)
    assert [alert.text for alert in parent.alerts()][-1] == tr(
        "ru", "This button is out of date. Please use the new message below."
    )
    assert tr("ru", "📄 Documents") in parent.buttons()


async def test_forged_button_asking_for_someone_elses_request(koldo, emulator):
    victim = SimulatedPerson(emulator, user_id=5011)
    await onboard(victim, "ru")
    await fill_documents_form(victim, "ru")
    await victim.press(tr("ru", "✅ Send"))

    intruder = SimulatedPerson(emulator, user_id=5012)
    await onboard(intruder, "ru")
    await fill_documents_form(intruder, "ru")
    await intruder.press(tr("ru", "✅ Send"))
    await intruder.press(tr("ru", "📋 My requests"))
    own = intruder.screen()
    data = own.button_data[0][0]
    assert data.endswith(":2")  # the intruder's own request K-000002
    await intruder.press_data(data[: -len("2")] + "1", message_id=own.message_id)
    assert intruder.screen().text.startswith(
        "⚠️ " + tr("ru", "This request cannot be opened. Please choose one from your list.")
    )
    assert "K-000001" not in intruder.screen().text
    denied = [e for e in await rows(koldo.db, AuditEntry) if e.action == "request.access_denied"]
    assert [(e.actor_id, e.object_id) for e in denied] == [(5012, "1")]


async def test_start_in_the_middle_of_a_flow_leaves_it_cleanly(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5013)
    await reach_story_question(parent)
    await parent.send_command("/start")
    assert tr("ru", "📄 Documents") in parent.buttons()
    await parent.press(tr("ru", "📄 Documents"))
    assert parent.screen().text == tr("ru", "📄 Which document do you need help with?")
    assert await rows(koldo.db, Request) == []


async def test_start_on_the_phone_screen_removes_the_keyboard(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5014)
    await reach_story_question(parent)
    await parent.send_text("История")
    await parent.press(tr("ru", "➡️ Next"))
    assert parent.reply_keyboard() is not None
    await parent.send_command("/start")
    assert parent.reply_keyboard() is None
    assert tr("ru", "📄 Documents") in parent.buttons()


async def test_bot_api_429_and_500_are_retried(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5015)
    await onboard(parent, "ru")
    emulator.fail("*", status=429, retry_after=1, times=1)
    await parent.press(tr("ru", "📄 Documents"))
    assert parent.screen().text == tr("ru", "📄 Which document do you need help with?")
    emulator.fail("*", status=500, times=1)
    await parent.press(tr("ru", "👶 Birth certificate"))
    assert parent.screen().text == tr("ru", "Who is the document for?")
    failed = [call.status for call in emulator.calls if call.status >= 400]
    assert failed == [429, 500]


# Two or more of these at the end of a text are how aiogram-dialog hides a reply button's data.
ZWNJ, ZWJ, INVISIBLE_SIX = "\u200c", "\u200d", "\U0001d17a"


async def test_text_ending_in_invisible_characters_is_a_story_not_a_button(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5016)
    await reach_story_question(parent)
    await parent.send_text("Потеряли документы" + ZWNJ + ZWJ)
    assert parent.screen().text.startswith(tr("ru", "✅ Received."))
    await parent.send_text("Сын учится в школе" + ZWNJ + INVISIBLE_SIX)  # no valid button data
    assert not parent.screen().text.startswith("⚠️")
    await parent.press(tr("ru", "➡️ Next"))
    await parent.press(tr("ru", "⬅️ Back"))  # a real reply-keyboard button still works
    assert parent.screen().text.startswith(tr("ru", "✅ Received."))
    await parent.press(tr("ru", "➡️ Next"))
    await parent.press(tr("ru", "📱 Share my number"))
    await parent.press(tr("ru", "✅ No"))
    await parent.press(tr("ru", "✅ Send"))
    [request] = await rows(koldo.db, Request)
    assert request.description == "Потеряли документы\n\nСын учится в школе"


async def test_a_story_of_only_invisible_characters_is_empty(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5017)
    await reach_story_question(parent, "en")
    for invisible in (ZWNJ + ZWJ, "\u200b", ZWJ + " \ufeff"):
        await parent.send_text(invisible)
        assert parent.screen().text.startswith(
            "⚠️ " + tr("en", "The message was empty. Please write a few words.")
        )
    assert tr("en", "➡️ Next") not in parent.buttons()


async def test_nul_characters_are_left_out_of_what_is_stored(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5018)
    await onboard(parent, "ru")
    await fill_documents_form(parent, "ru", story="Сын\x00 потерял\x00\x00 паспорт")
    await parent.press(tr("ru", "✅ Send"))
    assert tr("ru", "📋 My requests") in parent.buttons()
    [request] = await rows(koldo.db, Request)
    assert request.description == "Сын потерял паспорт"


async def test_stale_and_forged_buttons_on_my_requests_redraw_the_screen(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5019)
    await onboard(parent, "ru")
    await fill_documents_form(parent, "ru")
    await parent.press(tr("ru", "✅ Send"))
    sent = parent.screen()  # the "request received" screen of a form that is finished below
    await parent.press(tr("ru", "📋 My requests"))
    listing = parent.screen()
    stale = tr("ru", "This button is out of date. Please use the new message below.")
    for data in (sent.button_data[0][0], "Zz9Zz9Zz\x1drequest:1"):
        await parent.press_data(data, message_id=sent.message_id)
        assert parent.alerts()[-1].text == stale
        assert parent.screen().message_id > listing.message_id
        assert parent.screen().text == listing.text
        listing = parent.screen()
    await parent.press(listing.buttons[0][0])
    details = parent.screen()
    await parent.press_data(sent.button_data[0][0], message_id=sent.message_id)
    assert parent.screen().message_id > details.message_id
    assert parent.screen().text == details.text


async def test_a_forged_button_in_another_group_gets_no_screen(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=5020)
    await onboard(parent, "ru")
    intent = parent.screen().button_data[0][0].split("\x1d")[0]
    group = -100777
    emulator.add_chat(group, title="Someone's group")
    member = SimulatedGroupMember(emulator, group, 5021, "Прохожий")
    await member.send_text("/start")
    for data in (f"{intent}\x1ddocuments", "Zz9Zz9Zz\x1dlanguage:ru", "anything"):
        await member.press_data(data, message_id=1)
    assert emulator.chat_messages(group) == []
    assert member.unanswered_queries() == []
    assert [alert.text for alert in member.alerts()] == []


def test_an_error_without_words_of_its_own_is_not_blamed_on_the_buttons():
    i18n = catalogs()
    with i18n.context(), i18n.use_locale("ky"):
        assert problem_text("incomplete", {"fields": ["phone"]}) == "⚠️ " + tr(
            "ky", "Sorry, something went wrong on our side. Please try again."
        )
        assert problem_text("access_denied", {}) == "⚠️ " + tr(
            "ky", "This request cannot be opened. Please choose one from your list."
        )


SLOW_DOWN = (
    "⏳ You are sending messages very fast. I will read them again in {minutes} minute.",
    "⏳ You are sending messages very fast. I will read them again in {minutes} minutes.",
)


def sent_to(emulator, chat_id: int, since: int) -> list[str]:
    """Texts of the messages the bot sent into a chat, from the `since`-th API call on."""
    return [
        call.params.get("text", "")
        for call in emulator.calls[since:]
        if call.chat_id == chat_id and call.method == "sendMessage"
    ]


@pytest.fixture
async def guarded(database_url: str, emulator):
    """The bot with flood control at its defaults."""
    async with bot_running(make_settings(database_url, emulator.base_url, flood={})) as running:
        yield running


async def test_a_flooding_chat_is_answered_once_and_others_stay_quick(guarded, emulator, caplog):
    flooder = SimulatedPerson(emulator, user_id=5022)
    await onboard(flooder, "ky")
    since = len(emulator.calls)
    last = 0
    for n in range(200):
        last = await flooder.send_text(f"билдирүү {n}", wait=False)
    other = SimulatedPerson(emulator, user_id=5023)
    started = time.monotonic()
    await onboard(other, "ru")  # its updates queue up behind the whole flood
    onboarding = time.monotonic() - started
    await emulator.settle(last, flooder.chat_id)

    assert tr("ru", "📄 Documents") in other.buttons()
    assert onboarding < 2.5
    replies = sent_to(emulator, flooder.chat_id, since)
    notice = trn("ky", *SLOW_DOWN, 1, minutes=1)
    assert replies.count(notice) == 1
    assert len(replies) <= guarded.settings.flood.updates + 1
    flood_logs = [r for r in caplog.records if r.name == "bot.flood" and r.levelname == "WARNING"]
    assert len(flood_logs) == 1


async def test_albums_count_as_one_message_each(guarded, emulator):
    parent = SimulatedPerson(emulator, user_id=5024)
    await reach_story_question(parent)
    since = len(emulator.calls)
    for album in range(3):
        for _photo in range(10):
            await parent.send_photo(media_group_id=f"album-{album}")
    assert not any(text.startswith("⏳") for text in sent_to(emulator, parent.chat_id, since))
    assert parent.screen().text.startswith(
        "⚠️ "
        + tr("ru", "One request can hold up to {limit} files. The rest were not added.", limit=10)
    )


async def test_after_the_pause_a_flooding_chat_is_read_again(database_url, emulator):
    settings = make_settings(
        database_url, emulator.base_url, flood={"pause_seconds": 1}
    )  # else defaults
    async with bot_running(settings):
        parent = SimulatedPerson(emulator, user_id=5025)
        await onboard(parent, "en")
        since = len(emulator.calls)
        for n in range(settings.flood.updates + 5):
            await parent.send_text(f"message {n}")
        assert sent_to(emulator, parent.chat_id, since)[-1] == trn("en", *SLOW_DOWN, 1, minutes=1)
        await asyncio.sleep(1)  # the pause itself, not a wait for the bot
        await parent.send_command("/start")
        assert tr("en", "📄 Documents") in parent.buttons()
