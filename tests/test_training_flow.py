"""A parent finds a training session through the real bot, in Russian and Kyrgyz: the settlement,
the sessions there, one session, Sign up, My trainings and Cancel, hearing of new sessions; a
full session, a forged or stale button, the privacy notice first, and several parents pressing
Sign up for the last place at once. What they see, and what the database then holds.

"Today" is Monday 1 March 2027, 9:00 in Bishkek (tests.test_core_trainings); sessions are made
by a staff member through core, as the staff group will.
"""

from __future__ import annotations

import pytest

from core.clock import freeze
from core.errors import NotFound, TrainingRefused
from core.outbox import Kind
from core.training_sessions import cancel_session
from core.training_signups import session_for_parent, sign_up, subscribe
from storage.models import (
    AuditEntry,
    OutboxEntry,
    TrainingSession,
    TrainingSignup,
    TrainingSubscription,
)
from tests.e2e import onboard, rows, tr, trn
from tests.emulator import SimulatedPerson
from tests.test_core_trainings import (
    AK_ORDO,
    ALA_TOO,
    PARENTING,
    STAFF,
    at,
    day,
    frozen_clock,  # noqa: F401  (the same frozen Monday)
    new_session,
    people,
)

LANGUAGES = ["ru", "ky"]
AK_ORDO_BUTTON = "📍 Ак-Ордо"
PROGRAMME = {"ru": "Позитивное родительство", "ky": "Позитивдүү ата-энелик"}
SUMMARY = {
    "ru": "Курс для родителей: как воспитывать детей спокойно, без крика и наказаний.",
    "ky": "Ата-энелер үчүн курс: баланы кыйкырбай, жазалабай, сабырдуу тарбиялоо.",
}
WEDNESDAY = {"ru": "ср, 3 марта", "ky": "март 3, шарш."}


def session_button(parent: SimulatedPerson, language: str):
    """The list's button of the Wednesday session of Positive parenting (15:00–17:00)."""
    [button] = [
        b
        for row in parent.screen().inline_buttons
        for b in row
        if b.text == f"{WEDNESDAY[language]}, 15:00–17:00 · {PROGRAMME[language]}"
    ]
    return button


async def to_details(parent: SimulatedPerson, language: str) -> None:
    """From the menu to the Wednesday session in Ak-Ordo."""
    await parent.press(tr(language, "🎓 Trainings"))
    await parent.press(AK_ORDO_BUTTON)
    await parent.press(session_button(parent, language).text)


def button_data(parent: SimulatedPerson, text: str) -> str:
    [button] = [b for row in parent.screen().inline_buttons for b in row if b.text == text]
    return button.callback_data


async def signups(koldo) -> list[tuple[int, str]]:
    return [(s.user_id, s.status) for s in await rows(koldo.db, TrainingSignup)]


async def reminders(koldo, user_id: int) -> list[tuple[str, str]]:
    """The person's training reminders: which (a day or an hour before) and their state."""
    entries = await rows(
        koldo.db,
        OutboxEntry,
        OutboxEntry.chat_id == user_id,
        OutboxEntry.kind == Kind.TRAINING_REMINDER.value,
    )
    return sorted((e.payload["which"], e.state) for e in entries)


async def taken(koldo, session_id: int) -> int:
    [session] = await rows(koldo.db, TrainingSession, TrainingSession.id == session_id)
    return session.signed_up


@pytest.mark.parametrize("language", LANGUAGES)
async def test_sign_up_see_it_in_my_trainings_and_cancel(koldo, emulator, language):
    session = await new_session(koldo.db)
    parent = SimulatedPerson(emulator, user_id=13001, language_code=language)
    await onboard(parent, language)
    await parent.press(tr(language, "🎓 Trainings"))
    assert tr(language, "🌍 All settlements") in parent.buttons()
    await parent.press(AK_ORDO_BUTTON)
    listed = parent.screen().text
    assert "Ак-Ордо" in listed
    upcoming = trn(
        language,
        "\nSessions in the next {days} day. Choose one to see it.",
        "\nSessions in the next {days} days. Choose one to see it.",
        30,
        days=30,
    )
    assert upcoming.strip() in listed
    button = session_button(parent, language)
    assert len(button.callback_data.encode()) <= 64
    await parent.press(button.text)

    details = parent.screen().text
    assert PROGRAMME[language] in details and SUMMARY[language] in details
    assert f"{WEDNESDAY[language]}, 15:00–17:00" in details
    assert "Ак-Ордо, School No. 5, 12 Zhibek Zholu" in details
    assert tr(language, "for parents") in details
    assert tr(language, "🪑 Places left: {left}", left=20) in details
    await parent.press(tr(language, "✅ Sign up"))
    assert (
        tr(language, "✅ <b>You are signed up.</b>\n")
        .replace("<b>", "")
        .replace("</b>", "")
        .strip()
        in parent.screen().text
    )
    assert await signups(koldo) == [(13001, "signed_up")]
    assert await taken(koldo, session.id) == 1
    assert await reminders(koldo, 13001) == [("day", "pending"), ("hour", "pending")]

    await parent.press(tr(language, "🎓 My trainings"))
    assert tr(language, "Your next sessions. Press one to cancel it.") in parent.screen().text
    [mine] = [b for b in parent.buttons() if PROGRAMME[language] in b]
    await parent.press(mine)
    assert PROGRAMME[language] in parent.screen().text
    await parent.press(tr(language, "Yes, cancel it"))
    after = parent.screen().text
    assert tr(language, "You are not signed up for any session.") in after
    assert PROGRAMME[language] in after  # the notice names the session cancelled
    assert await signups(koldo) == [(13001, "cancelled")]
    assert await taken(koldo, session.id) == 0
    assert await reminders(koldo, 13001) == [("day", "dropped"), ("hour", "dropped")]

    # Back to the menu and into Trainings again: the settlement is not asked twice.
    await parent.press(tr(language, "⬅️ Back"))
    assert tr(language, "📄 Documents") in parent.buttons()
    await parent.press(tr(language, "🎓 Trainings"))
    assert session_button(parent, language)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_tell_me_about_new_sessions_and_stop(koldo, emulator, language):
    await new_session(koldo.db)
    parent = SimulatedPerson(emulator, user_id=13002, language_code=language)
    await onboard(parent, language)
    await to_details(parent, language)
    tell_me = button_data(parent, tr(language, "🔔 Tell me about new sessions"))
    await parent.press_data(tell_me)
    subscribed = tr(
        language,
        "\n🔔 We will tell you about new sessions of this programme in {settlement}.",
        settlement="Ак-Ордо",
    ).strip()
    assert subscribed in parent.screen().text
    [row] = await rows(koldo.db, TrainingSubscription)
    assert (row.user_id, row.programme_code, row.settlement_code) == (13002, PARENTING, AK_ORDO)
    await parent.press_data(tell_me)  # the same button again (a double tap): one subscription
    assert len(await rows(koldo.db, TrainingSubscription)) == 1

    stop = button_data(parent, tr(language, "🔕 Stop telling me"))
    await parent.press_data(stop)
    assert await rows(koldo.db, TrainingSubscription) == []
    assert subscribed not in parent.screen().text
    assert tr(language, "🔔 Tell me about new sessions") in parent.buttons()
    await parent.press_data(stop)
    assert await rows(koldo.db, TrainingSubscription) == []
    actions = [e.action for e in await rows(koldo.db, AuditEntry)]
    assert [a for a in actions if "subscribed" in a] == [
        "training.subscribed",
        "training.unsubscribed",
    ]


async def test_a_full_session_says_so_and_one_filled_meanwhile_is_refused_politely(koldo, emulator):
    session = await new_session(koldo.db, capacity=1)
    parent = SimulatedPerson(emulator, user_id=13003, language_code="ky")
    await onboard(parent, "ky")
    await to_details(parent, "ky")
    assert tr("ky", "✅ Sign up") in parent.buttons()
    await people(koldo.db, 13999)
    await sign_up(koldo.db, user_id=13999, session_id=session.id)  # the last place, meanwhile
    await parent.press(tr("ky", "✅ Sign up"))
    screen = parent.screen().text
    assert (
        tr(
            "ky",
            "Sorry, the last place in this session has just been taken. Please choose another "
            "session.",
        )
        in screen
    )
    assert session_button(parent, "ky")  # the list again
    assert await signups(koldo) == [(13999, "signed_up")]

    await parent.press(session_button(parent, "ky").text)
    assert tr("ky", "🔴 No places left.") in parent.screen().text
    assert tr("ky", "✅ Sign up") not in parent.buttons()
    assert await taken(koldo, session.id) == 1


async def test_a_forged_or_stale_button_gets_a_polite_answer(koldo, emulator):
    session = await new_session(koldo.db)
    elsewhere = await new_session(koldo.db, settlement_code=ALA_TOO)
    begins_soon = await new_session(koldo.db, starts_at=at(day(0), 10), ends_at=at(day(0), 11))
    cancelled = await new_session(koldo.db, starts_at=at(day(3), 15), ends_at=at(day(3), 17))
    parent = SimulatedPerson(emulator, user_id=13004, language_code="ru")
    await onboard(parent, "ru")
    await parent.press(tr("ru", "🎓 Trainings"))
    await parent.press(AK_ORDO_BUTTON)
    screen = parent.screen()
    prefix = session_button(parent, "ru").callback_data.rsplit(":", 1)[0]
    cannot_open = tr("ru", "This session cannot be opened. Please choose one from the list.")
    for forged in (elsewhere.id, 9999, "x"):
        await parent.press_data(f"{prefix}:{forged}", screen.message_id)
        assert cannot_open in parent.screen().text

    await cancel_session(koldo.db, actor_id=STAFF, session_id=cancelled.id)
    await parent.press_data(f"{prefix}:{cancelled.id}", screen.message_id)
    gone = tr(
        "ru", "Sorry, this session was cancelled or has already begun. Please choose another one."
    )
    assert gone in parent.screen().text

    # A session opened before it began: Sign up after it began is refused, over the list.
    await parent.press_data(f"{prefix}:{begins_soon.id}", screen.message_id)
    assert tr("ru", "✅ Sign up") in parent.buttons()
    freeze(at(day(0), 10, 5))
    await parent.press(tr("ru", "✅ Sign up"))
    assert gone in parent.screen().text
    assert await signups(koldo) == []
    assert parent.unanswered_queries() == []
    assert session_button(parent, "ru").callback_data == f"{prefix}:{session.id}"  # the list


async def test_the_privacy_notice_is_asked_before_a_first_sign_up(koldo, emulator):
    session = await new_session(koldo.db)
    parent = SimulatedPerson(emulator, user_id=13005, language_code="ky")
    await onboard(parent, "ky", agree=False)
    await to_details(parent, "ky")  # the sessions are for everyone to see
    await parent.press(tr("ky", "✅ Sign up"))
    await parent.press(tr("ky", "Not now"))
    assert (
        tr("ky", "To sign up for a training, please first agree to how we use your data.")
        in parent.screen().text
    )
    assert await signups(koldo) == []
    await parent.press(tr("ky", "✅ Sign up"))
    await parent.press(tr("ky", "✅ I agree"))
    assert (
        tr("ky", "✅ <b>You are signed up.</b>\n").replace("<b>", "").replace("</b>", "").strip()
        in parent.screen().text
    )
    assert await signups(koldo) == [(13005, "signed_up")]
    assert await taken(koldo, session.id) == 1

    # "Tell me about new sessions" asks for it too, and is done once the parent agrees.
    other = SimulatedPerson(emulator, user_id=13008, language_code="ky")
    await onboard(other, "ky", agree=False)
    await to_details(other, "ky")
    await other.press(tr("ky", "🔔 Tell me about new sessions"))
    await other.press(tr("ky", "✅ I agree"))
    assert tr("ky", "🔕 Stop telling me") in other.buttons()
    [row] = await rows(koldo.db, TrainingSubscription)
    assert (row.user_id, row.programme_code) == (13008, PARENTING)


async def test_several_parents_press_sign_up_for_the_last_places_at_once(koldo, emulator):
    capacity = 2
    session = await new_session(koldo.db, capacity=capacity)
    parents = [SimulatedPerson(emulator, user_id=13100 + n, language_code="ru") for n in range(6)]
    presses = []
    for parent in parents:
        await onboard(parent, "ru")
        await to_details(parent, "ru")
        screen = parent.screen()
        [button] = [
            b for row in screen.inline_buttons for b in row if b.text == tr("ru", "✅ Sign up")
        ]
        presses.append((parent, button.callback_data, screen.message_id))
    updates = [
        (parent, await parent.press_data(data, message_id, wait=False))
        for parent, data, message_id in presses
    ]
    for parent, update in updates:
        await emulator.settle(update, parent.chat_id)

    assert [status for _, status in await signups(koldo)] == ["signed_up"] * capacity
    assert await taken(koldo, session.id) == capacity
    signed = tr("ru", "✅ <b>You are signed up.</b>\n").replace("<b>", "").replace("</b>", "")
    full = tr(
        "ru",
        "Sorry, the last place in this session has just been taken. Please choose another session.",
    )
    screens = [parent.screen().text for parent in parents]
    assert sum(signed.strip() in text for text in screens) == capacity
    assert sum(full in text for text in screens) == len(parents) - capacity
    assert all(parent.unanswered_queries() == [] for parent in parents)


async def test_all_settlements_in_pages(koldo, emulator):
    for offset in range(1, 9):  # Tuesday 2 to Tuesday 9 March, in Ak-Ordo
        await new_session(koldo.db, starts_at=at(day(offset), 15), ends_at=at(day(offset), 17))
    await new_session(
        koldo.db, settlement_code=ALA_TOO, starts_at=at(day(9), 10), ends_at=at(day(9), 12)
    )
    await new_session(  # beyond the next 30 days: not shown
        koldo.db, starts_at=at(day(31), 15), ends_at=at(day(31), 17)
    )
    parent = SimulatedPerson(emulator, user_id=13006, language_code="ru")
    await onboard(parent, "ru")
    await parent.press(tr("ru", "🎓 Trainings"))
    await parent.press(tr("ru", "🌍 All settlements"))
    assert tr("ru", "All settlements") in parent.screen().text
    first = [b for b in parent.buttons() if PROGRAMME["ru"] in b]
    assert len(first) == 6
    assert first[0] == f"вт, 2 марта, 15:00–17:00 · {PROGRAMME['ru']} · Ак-Ордо"
    assert tr("ru", "⬅️ Earlier") not in parent.buttons()
    await parent.press(tr("ru", "Later ➡️"))
    second = [b for b in parent.buttons() if PROGRAMME["ru"] in b]
    assert second == [
        f"пн, 8 марта, 15:00–17:00 · {PROGRAMME['ru']} · Ак-Ордо",
        f"вт, 9 марта, 15:00–17:00 · {PROGRAMME['ru']} · Ак-Ордо",
        f"ср, 10 марта, 10:00–12:00 · {PROGRAMME['ru']} · Ала-Тоо",
    ]
    assert tr("ru", "Later ➡️") not in parent.buttons()
    await parent.press(tr("ru", "⬅️ Earlier"))
    assert [b for b in parent.buttons() if PROGRAMME["ru"] in b] == first
    for button in parent.screen().inline_buttons:
        assert all(len(b.callback_data.encode()) <= 64 for b in button)


async def test_a_session_as_a_parent_opens_it(db):
    """core.training_signups.session_for_parent, which every button of these screens goes
    through: a session outside the list's settlement is not found, one no longer open is
    refused only when it must be open, and the view says what the person holds."""
    session = await new_session(db)
    await people(db, 13007)
    view = await session_for_parent(db, user_id=13007, session_id=session.id)
    assert (view.open, view.people, view.subscribed) == (True, 0, False)
    await sign_up(db, user_id=13007, session_id=session.id)
    await subscribe(db, user_id=13007, programme_code=PARENTING, settlement_code=AK_ORDO)
    view = await session_for_parent(
        db, user_id=13007, session_id=session.id, settlement_code=AK_ORDO, open_only=True
    )
    assert (view.open, view.people, view.subscribed, view.session.signed_up) == (True, 1, True, 1)
    with pytest.raises(NotFound):
        await session_for_parent(db, user_id=13007, session_id=session.id, settlement_code=ALA_TOO)
    with pytest.raises(NotFound):
        await session_for_parent(db, user_id=13007, session_id=session.id + 100)
    await cancel_session(db, actor_id=STAFF, session_id=session.id)
    view = await session_for_parent(db, user_id=13007, session_id=session.id)
    assert not view.open
    with pytest.raises(TrainingRefused) as refused:
        await session_for_parent(db, user_id=13007, session_id=session.id, open_only=True)
    assert refused.value.code == "not_open"
