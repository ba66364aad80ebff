"""A parent books a visit to a day centre through the real bot, in Russian and Kyrgyz: the
screens they see, the buttons they press, and what the database then holds.

"Today" is Monday 22 February 2027, 8:00 in Bishkek (core.clock.freeze): the booking window
runs to 8 March, with 23 February (Defender of the Fatherland Day) closed, and weekends off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.bookings import book
from core.centres import BookingRules
from core.clock import freeze
from core.consent import answer_notice
from core.users import choose_language
from storage.models import AuditEntry, Booking
from tests.e2e import onboard, rows, tr, trn
from tests.emulator import SimulatedPerson

BISHKEK = ZoneInfo("Asia/Bishkek")
TODAY = datetime(2027, 2, 22, 8, 0, tzinfo=BISHKEK)
CENTRE = {
    "ru": "🏠 Дневной центр у Ошского базара",
    "ky": "🏠 Ош базарынын жанындагы күндүзгү борбор",
}
MEAL = {"ru": "Горячий обед", "ky": "Ысык түшкү тамак"}
PSYCHOLOGIST = {"ru": "Психолог", "ky": "Психолог"}
LANGUAGES = ["ru", "ky"]


@pytest.fixture(autouse=True)
def frozen_clock():
    freeze(TODAY)
    yield
    freeze(None)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of February 2027 in Bishkek, as stored (UTC)."""
    return datetime(2027, 2, day, hour, minute, tzinfo=BISHKEK).astimezone(UTC)


def visible(text: str) -> str:
    return text.replace("<b>", "").replace("</b>", "")


def places(language: str, time: str, n: int) -> str:
    return trn(
        language, "{time} · {places} place", "{time} · {places} places", n, time=time, places=n
    )


async def to_calendar(parent: SimulatedPerson, language: str, service: dict[str, str]) -> None:
    await parent.press(tr(language, "🏠 Day centre"))
    await parent.press(CENTRE[language])
    await parent.press(service[language])


async def to_summary(parent: SimulatedPerson, language: str, *, left: int = 20) -> None:
    """From the menu to the summary of a hot meal on Wednesday 24 at 12:00 for two children
    (`left` places are free then)."""
    await to_calendar(parent, language, MEAL)
    await parent.press("24")
    await parent.press(places(language, "12:00", left))
    await parent.press("2")
    await parent.send_text("7")
    await parent.send_text("9")


async def other_family_books(koldo, user_id: int, starts_at: datetime, **kw) -> None:
    await choose_language(koldo.db, user_id, "ru")
    await answer_notice(koldo.db, user_id, granted=True)
    await book(koldo.db, user_id=user_id, centre_code="osh-bazaar", starts_at=starts_at,
               rules=BookingRules(), **kw)  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
async def test_book_see_it_in_my_bookings_and_cancel(koldo, emulator, language):
    parent = SimulatedPerson(emulator, user_id=12001, language_code=language)
    await onboard(parent, language)
    await parent.press(tr(language, "🏠 Day centre"))
    assert tr(language, "Booking a visit in the bot is coming soon.") not in parent.screen().text
    assert CENTRE[language] in parent.buttons()
    await parent.press(CENTRE[language])
    landmark = {"ru": "🧭 Остановка «Ошский базар»", "ky": "🧭 «Ош базары» аялдамасы"}[language]
    assert landmark in parent.screen().text
    assert MEAL[language] in parent.buttons()
    await parent.press(MEAL[language])

    calendar = parent.screen()
    month = {"ru": "🗓 февраль 2027\u202fг.", "ky": "🗓 2027-ж., февраль"}[language]
    assert calendar.flat_buttons()[0] == month
    weekdays = {"ru": ["пн", "вт", "ср"], "ky": ["дш.", "шш.", "шр."]}[language]
    assert calendar.flat_buttons()[1:4] == weekdays
    assert "22" in calendar.flat_buttons()  # today: the meal is at noon, still ahead
    assert "21" not in calendar.flat_buttons()  # yesterday is not drawn

    await parent.press("24")
    assert parent.buttons()[:4] == [places(language, t, 20) for t in
                                    ("12:00", "12:30", "13:00", "13:30")]  # fmt: skip
    await parent.press(places(language, "12:00", 20))
    assert parent.screen().text == tr(language, "👧 How many children will come?")
    await parent.press("2")
    assert parent.screen().text == tr(
        language,
        "🧒 How old is child {number} of {count}?\nSend a number, for example 9.",
        number=1,
        count=2,
    )
    await parent.send_text("7")
    await parent.send_text("9")
    summary = parent.screen().text
    assert "12:00–12:30" in summary and "7, 9" in summary and MEAL[language] in summary

    await parent.press(tr(language, "✅ Confirm"))
    booked = parent.screen().text
    assert "B-000001" in booked
    booked_title = "✅ <b>Your visit is booked.</b>\nBooking number: <b>{reference}</b>"
    assert visible(tr(language, booked_title, reference="B-000001")) in booked
    [booking] = await rows(koldo.db, Booking)
    assert (booking.user_id, booking.service_code, booking.ages) == (12001, "hot-meal", [7, 9])
    assert booking.starts_at.replace(tzinfo=UTC) == at(24, 12)
    assert booking.status == "booked" and booking.places == 2

    await parent.press(tr(language, "📅 My bookings"))
    [upcoming] = [b for b in parent.buttons() if "12:00–12:30" in b]
    await parent.press(upcoming)
    assert "B-000001" in parent.screen().text
    await parent.press(tr(language, "✖️ Cancel the visit"))
    await parent.press(tr(language, "Yes, cancel it"))
    listed = parent.screen().text
    notice = "✖️ Visit {cancelled} is cancelled. The place will go to another family.\n"
    assert tr(language, notice, cancelled="B-000001").strip() in listed
    assert tr(language, "You have no upcoming visits.") in listed
    [booking] = await rows(koldo.db, Booking)
    assert booking.status == "cancelled"
    actions = [e.action for e in await rows(koldo.db, AuditEntry) if e.object_type == "booking"]
    assert actions == ["booking.booked", "booking.cancelled"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_closed_day_is_shown_but_cannot_be_chosen(koldo, emulator, language):
    parent = SimulatedPerson(emulator, user_id=12002, language_code=language)
    await onboard(parent, language)
    await to_calendar(parent, language, MEAL)
    buttons = parent.buttons()
    assert "23✖" in buttons  # a public holiday
    assert "27✖" in buttons and "28✖" in buttons  # the weekend
    await parent.press("23✖")
    screen = parent.screen()
    assert tr(language, "The centre is closed on this day. Please choose another day.") in (
        screen.text
    )
    assert "23✖" in screen.flat_buttons()  # still the calendar
    assert await rows(koldo.db, Booking) == []


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_time_taken_meanwhile_is_explained_and_the_times_shown_again(
    koldo, emulator, language
):
    parent = SimulatedPerson(emulator, user_id=12003, language_code=language)
    await onboard(parent, language)
    await to_calendar(parent, language, PSYCHOLOGIST)
    await parent.press("24")
    await parent.press(places(language, "10:00", 1))
    await parent.press("0")  # the psychologist's places count families: a parent may come alone
    assert tr(language, "✅ Confirm") in parent.buttons()

    await other_family_books(koldo, 12999, at(24, 10), service_code="psychologist", ages=[])
    await parent.press(tr(language, "✅ Confirm"))
    screen = parent.screen()
    assert tr(language, "Sorry, this time has just been taken. Please choose another time.") in (
        screen.text
    )
    assert tr(language, "{time} · full", time="10:00") in screen.flat_buttons()
    await parent.press(places(language, "11:00", 1))  # the answers given are kept
    await parent.press(tr(language, "✅ Confirm"))
    assert "B-000002" in parent.screen().text
    bookings = await rows(koldo.db, Booking)
    assert [(b.user_id, b.starts_at.replace(tzinfo=UTC)) for b in bookings] == [
        (12999, at(24, 10)),
        (12003, at(24, 11)),
    ]


async def test_confirm_pressed_twice_books_once(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=12004, language_code="ru")
    await onboard(parent, "ru")
    await to_summary(parent, "ru")
    summary = parent.screen()
    [confirm] = [
        b for row in summary.inline_buttons for b in row if b.text == tr("ru", "✅ Confirm")
    ]
    first = await parent.press_data(confirm.callback_data, summary.message_id, wait=False)
    second = await parent.press_data(confirm.callback_data, summary.message_id, wait=False)
    await emulator.settle(first, parent.chat_id)
    await emulator.settle(second, parent.chat_id)
    await parent.press_data(confirm.callback_data, summary.message_id)  # once more, later
    [booking] = await rows(koldo.db, Booking)
    assert booking.places == 2
    assert "B-000001" in parent.screen().text
    assert parent.unanswered_queries() == []


async def test_a_forged_or_stale_button_gets_a_polite_answer(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=12005, language_code="ru")
    await onboard(parent, "ru")
    await other_family_books(koldo, 12998, at(24, 12), service_code="hot-meal", ages=[8])
    await to_summary(parent, "ru", left=19)
    await parent.press(tr("ru", "✅ Confirm"))
    await parent.press(tr("ru", "📅 My bookings"))
    screen = parent.screen()
    [mine] = [b for row in screen.inline_buttons for b in row if "12:00–12:30" in b.text]
    forged = mine.callback_data.rsplit(":", 1)[0] + ":1"  # the other family's booking
    await parent.press_data(forged, screen.message_id)
    assert tr("ru", "This visit cannot be opened. Please choose one from your list.") in (
        parent.screen().text
    )
    refusals = [e for e in await rows(koldo.db, AuditEntry) if e.action.endswith("access_denied")]
    assert [(r.actor_id, r.object_id) for r in refusals] == [(12005, "1")]

    # A calendar left open until a day has passed: the day is refused as past.
    await parent.press(tr("ru", "⬅️ Back"))
    await to_calendar(parent, "ru", MEAL)
    calendar = parent.screen()
    [day_24] = [b for row in calendar.inline_buttons for b in row if b.text == "24"]
    freeze(TODAY + timedelta(days=3))
    await parent.press_data(day_24.callback_data, calendar.message_id)
    assert tr("ru", "This time has already passed. Please choose a day and time ahead.") in (
        parent.screen().text
    )
    assert "24" not in parent.buttons()  # the calendar now starts on the 25th


async def test_consent_is_asked_before_a_first_booking(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=12006, language_code="ky")
    await onboard(parent, "ky", agree=False)
    await parent.press(tr("ky", "🏠 Day centre"))
    assert "📍" in parent.screen().text  # the addresses are for everyone
    await parent.press(CENTRE["ky"])
    await parent.press(tr("ky", "Not now"))
    assert tr("ky", "To book a visit, please first agree to how we use your data.") in (
        parent.screen().text
    )
    await parent.press(CENTRE["ky"])
    await parent.press(tr("ky", "✅ I agree"))
    assert MEAL["ky"] in parent.buttons()
    await parent.press(tr("ky", "⬅️ Back"))
    await parent.press(tr("ky", "📅 My bookings"))
    assert tr("ky", "You have no upcoming visits.") in parent.screen().text
    await parent.press(tr("ky", "⬅️ Back"))  # back to the centres, where it was opened
    assert CENTRE["ky"] in parent.buttons()


async def test_past_visits_say_whether_the_family_came(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=12007, language_code="ru")
    await onboard(parent, "ru")
    await to_summary(parent, "ru")
    await parent.press(tr("ru", "✅ Confirm"))
    async with koldo.db.transaction() as repos:  # as staff marking it in /today would
        booking = await repos.session.get(Booking, 1)
        booking.status = "attended"
    freeze(TODAY + timedelta(days=3))
    await parent.press(tr("ru", "📅 My bookings"))
    screen = parent.screen().text
    assert tr("ru", "You have no upcoming visits.") in screen
    assert f"{tr('ru', MEAL['ru'])} — {tr('ru', '✅ you came')}" in screen
    assert "ср, 24 февраля, 12:00–12:30" in screen


async def test_a_summary_left_open_until_the_day_passed(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=12008, language_code="ky")
    await onboard(parent, "ky")
    await to_summary(parent, "ky")
    freeze(TODAY + timedelta(days=3))
    await parent.press(tr("ky", "✅ Confirm"))
    assert tr("ky", "This time has already passed. Please choose a day and time ahead.") in (
        parent.screen().text
    )
    assert parent.buttons() == [tr("ky", "⬅️ Back")]
    await parent.press(tr("ky", "⬅️ Back"))
    week = parent.buttons()[8:15]  # after the month and the weekdays
    assert week == [" ", " ", " ", "25", "26", "27✖", "28✖"]  # from the new today on
    assert await rows(koldo.db, Booking) == []
