"""Staff run a day at the centres from the staff group, end to end through the Bot API emulator:
`/today` shows the roster and marks who came; `/close` closes a day and each parent (one in
Russian, one in Kyrgyz) is told, with a button that opens the calendar again. Staff words are
in Russian (the staff group's default language).

"Today" is Monday 22 February 2027, 8:00 in Bishkek (core.clock.freeze).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.handlers.staff_days import PAGE, roster_messages
from bot.outbox.fit import visible_length
from bot.outbox.words import Words
from core.booking_rules import BookingInfo, BookingStatus
from core.bookings import book
from core.centres import BookingRules
from core.clock import freeze
from core.day_roster import CentreRoster, RosterLine
from core.reference import seed
from storage.models import AuditEntry, Booking, CentreClosure
from tests.e2e import catalogs, onboard, rows, tr, trn
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.harness import REFERENCE_FILE
from tests.test_staff_inbox import (
    ADMIN,
    STAFF_GROUP,
    STRANGER,
    outbox_reaches,
    staff_member,
    wait_for,
)

BISHKEK = ZoneInfo("Asia/Bishkek")
TODAY = datetime(2027, 2, 22, 8, 0, tzinfo=BISHKEK)
RULES = BookingRules()
OSH, MEAL = "osh-bazaar", "hot-meal"
RU_PARENT, KY_PARENT = 12201, 12202


@pytest.fixture(autouse=True)
def frozen_clock():
    freeze(TODAY)
    yield
    freeze(None)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 2, day, hour, minute, tzinfo=BISHKEK).astimezone(UTC)


def visible(text: str) -> str:
    return text.replace("<b>", "").replace("</b>", "")


async def parent_books(
    emulator, db, user_id: int, language: str, starts_at: datetime, ages: list[int]
) -> tuple[SimulatedPerson, BookingInfo]:
    """A parent who talks to the bot in `language`, with a hot meal booked (set up in core)."""
    parent = SimulatedPerson(emulator, user_id=user_id, language_code=language)
    await onboard(parent, language)
    booking = await book(
        db, user_id=user_id, centre_code=OSH, service_code=MEAL, starts_at=starts_at,
        ages=ages, rules=RULES,
    )  # fmt: skip
    return parent, booking


def group_replies(emulator: BotApiEmulator) -> list:
    return emulator.chat_messages(STAFF_GROUP)


async def test_roster_shows_the_day_and_staff_mark_who_came(staff_bot, emulator):
    db = staff_bot.db
    _, first = await parent_books(emulator, db, RU_PARENT, "ru", at(22, 12), [7, 9])
    _, second = await parent_books(emulator, db, KY_PARENT, "ky", at(22, 12, 30), [8])
    # Another day: not on today's roster.
    await book(db, user_id=RU_PARENT, centre_code=OSH, service_code=MEAL, starts_at=at(24, 12),
               ages=[7], rules=RULES)  # fmt: skip

    admin = staff_member(emulator, ADMIN, "Нурлан")
    await admin.send_command("/today")
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_replies(emulator)) == 2)
    osh, dordoi = group_replies(emulator)
    assert osh.text.startswith("📋 Дневной центр у Ошского базара · ")
    lines = osh.text.splitlines()[1:]
    children = trn("ru", "{n} child", "{n} children", 2)
    assert lines[0] == f"🕘 12:00 · B-000001 · Горячий обед · 👧 {children} (7, 9) · 👪 {RU_PARENT}"
    assert lines[1].startswith("🕘 12:30 · B-000002 · Горячий обед · 👧 ")
    assert "B-000003" not in osh.text
    came = tr("ru", "✅ Came · {reference}", reference=first.reference)
    absent = tr("ru", "🚫 Did not come · {reference}", reference=second.reference)
    assert osh.buttons[0] == [came, tr("ru", "🚫 Did not come · {reference}",
                                        reference=first.reference)]  # fmt: skip
    assert all(len(data.encode()) <= 64 for row in osh.button_data for data in row if data)
    assert dordoi.text.endswith(tr("ru", "No visits booked.")) and not dordoi.buttons

    await admin.press_on(osh.message_id, came)
    await admin.press_on(osh.message_id, absent)
    statuses = {b.id: b.status for b in await rows(db, Booking)}
    assert (statuses[first.id], statuses[second.id]) == ("attended", "no_show")
    marks = await rows(db, AuditEntry, AuditEntry.action.in_(("booking.attended",
                                                              "booking.no_show")))  # fmt: skip
    assert [(m.action, m.actor_id, m.object_id) for m in marks] == [
        ("booking.attended", ADMIN, str(first.id)), ("booking.no_show", ADMIN, str(second.id)),
    ]  # fmt: skip
    [redrawn] = [m for m in group_replies(emulator) if m.message_id == osh.message_id]
    assert redrawn.buttons[0][0] == "● " + came and redrawn.buttons[1][1] == "● " + absent

    # Someone in the group who is not on the staff list sees no roster and marks nothing.
    stranger = staff_member(emulator, STRANGER, "Прохожий")
    await stranger.send_command("/today")
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_replies(emulator)) == 3)
    assert group_replies(emulator)[-1].text == tr(
        "ru", "⛔ Only CPC staff listed in Koldo can do this."
    )
    await stranger.press_on(osh.message_id, tr("ru", "✅ Came · {reference}",
                                                reference=second.reference))  # fmt: skip
    [kept] = await rows(db, Booking, Booking.id == second.id)
    assert kept.status == "no_show"
    refusals = await rows(db, AuditEntry, AuditEntry.action == "staff.access_denied")
    assert [(r.actor_id, r.object_id) for r in refusals] == [
        (STRANGER, "command.today"), (STRANGER, "booking.attendance"),
    ]  # fmt: skip


async def test_closing_a_day_tells_each_parent_in_their_language(staff_bot, emulator):
    db = staff_bot.db
    ru_parent, ru_booking = await parent_books(emulator, db, RU_PARENT, "ru", at(24, 12), [7, 9])
    ky_parent, ky_booking = await parent_books(emulator, db, KY_PARENT, "ky", at(24, 13), [8])
    admin = staff_member(emulator, ADMIN, "Нурлан")

    await admin.send_command("/close", "osh-bazaar 2027-02-24 Ремонт труб")
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_replies(emulator)) == 1)
    answer = group_replies(emulator)[0].text
    assert answer.startswith("🔒 Дневной центр у Ошского базара")
    assert answer.endswith("B-000001, B-000002")
    statuses = [b.status for b in await rows(db, Booking)]
    assert statuses == ["cancelled", "cancelled"]

    for parent, language, booking in (
        (ru_parent, "ru", ru_booking), (ky_parent, "ky", ky_booking),
    ):  # fmt: skip
        headline = visible(tr(
            language,
            "❌ <b>{reference}</b>: your visit on {when} is cancelled because the centre is "
            "closed that day.",
            reference=booking.reference,
            when=Words(catalogs(), language, BISHKEK).moment(booking.starts_at),
        ))  # fmt: skip
        await wait_for(emulator, parent.chat_id, lambda p=parent, h=headline: p.screen().text
                       .startswith(h))  # fmt: skip
        notice = parent.screen()
        assert tr(language, "Reason: {reason}", reason="Ремонт труб") in notice.text
        assert tr(language, "Sorry for the trouble. Please choose another day.") in notice.text
        assert notice.buttons == [[tr(language, "📅 Choose another day")]]
    await outbox_reaches(db, lambda entries: all(e.state == "sent" for e in entries
                                                 if e.kind == "day_closed"))  # fmt: skip

    # The button opens the calendar of the same centre and service, the closed day marked.
    await ky_parent.press(tr("ky", "📅 Choose another day"))
    calendar = ky_parent.screen()
    assert tr("ky", "\n📅 Choose a day.\n✖ — closed, 🔴 — no places left.") in "\n" + calendar.text
    assert "Ысык түшкү тамак" in calendar.text
    assert calendar.flat_buttons()[0] == "🗓 2027-ж., февраль"
    assert "24✖" in calendar.flat_buttons() and "25" in calendar.flat_buttons()
    await ky_parent.press("25")
    free = trn("ky", "{time} · {places} place", "{time} · {places} places", 20, time="12:00",
               places=20)  # fmt: skip
    assert free in ky_parent.buttons()


async def test_a_day_the_reference_file_closes_is_reported_and_closed_with_close(
    staff_bot, emulator, tmp_path
):
    db = staff_bot.db
    ru_parent, _ = await parent_books(emulator, db, RU_PARENT, "ru", at(24, 12), [7])
    text = REFERENCE_FILE.read_text(encoding="utf-8") + (
        '\n[[closures]]\ndate = 2027-02-24\ncentres = ["osh-bazaar"]\n'
        'reason = { ru = "Санитарный день", ky = "Санитардык күн", en = "Cleaning day" }\n'
    )
    changed = tmp_path / "reference.toml"
    changed.write_text(text, encoding="utf-8")
    await seed(db, changed)

    # Staff are told; the booking is kept and the family not told until staff decide.
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_replies(emulator)) == 1)
    report = group_replies(emulator)[0].text
    assert report.startswith("⚠️ Новые справочные данные больше не допускают некоторые записи.")
    assert (
        "• Дневной центр у Ошского базара · Горячий обед · ср, 24 февраля 12:00: "
        "центр в этот день теперь закрыт — B-000001"
    ) in report
    [kept] = await rows(db, Booking)
    assert kept.status == "booked"
    assert not [t for t in ru_parent.texts() if "B-000001" in t]

    admin = staff_member(emulator, ADMIN, "Нурлан")
    await admin.send_command("/close", "osh-bazaar 2027-02-24 Ремонт")
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_replies(emulator)) == 2)
    [cancelled] = await rows(db, Booking)
    assert cancelled.status == "cancelled"
    await wait_for(emulator, ru_parent.chat_id, lambda: "B-000001" in ru_parent.screen().text)
    # The parent reads the file's reason; the day stays the file's to reopen.
    assert tr("ru", "Reason: {reason}", reason="Санитарный день") in ru_parent.screen().text
    [closure] = await rows(db, CentreClosure, CentreClosure.day == date(2027, 2, 24))
    assert (closure.by_staff, closure.reason["en"]) == (False, "Cleaning day")


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ("", None),
        ("osh-bazaar 2027-02-24", None),
        ("osh-bazaar 24-02-2027 Ремонт", None),
        ("nowhere 2027-02-24 Ремонт", "There is no day centre with this code."),
        ("osh-bazaar 2027-02-19 Ремонт", "This day has already passed."),
    ],
)
async def test_a_bad_close_gets_its_usage(staff_bot, emulator, args, problem):
    db = staff_bot.db
    await parent_books(emulator, db, RU_PARENT, "ru", at(24, 12), [7])
    admin = staff_member(emulator, ADMIN, "Нурлан")
    await admin.send_command("/close", args or None)
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_replies(emulator)) == 1)
    usage = tr(
        "ru",
        "Send /close, the centre's code, the date and the reason, for example:\n"
        "/close {example} 2027-03-01 Repairs\nCentres: {centres}",
        example=OSH,
        centres="osh-bazaar, dordoi-bazaar",
    )
    expected = usage if problem is None else tr("ru", problem) + "\n\n" + usage
    assert group_replies(emulator)[0].text == expected
    [booking] = await rows(db, Booking)
    assert booking.status == "booked"


def test_a_long_roster_is_split_into_messages_that_fit():
    """Whatever a day holds, each message stays within Telegram's limits."""
    words = Words(catalogs(), "ky", BISHKEK)
    moment = at(22, 12)
    lines = [
        RosterLine(
            booking=BookingInfo(
                id=900_000 + n,
                reference=f"B-{900_000 + n:06d}",
                centre_code=OSH,
                service_code=MEAL,
                starts_at=moment,
                ends_at=moment,
                children=10,
                ages=tuple([17] * 10),
                status=BookingStatus.BOOKED,
                created_at=moment,
                changed_at=moment,
            ),
            user_id=9_999_999_999,
            service_name={"ky": "Ы" * 500},
        )
        for n in range(PAGE * 3 + 1)
    ]
    roster = CentreRoster(OSH, {"ky": "Б" * 200}, lines)
    messages = roster_messages(words, date(2027, 2, 22), [roster])
    assert len(messages) == 4
    for text, keyboard in messages:
        assert visible_length(text) <= 4096
        assert keyboard is not None and sum(len(row) for row in keyboard.inline_keyboard) <= 100
        assert all(len(b.callback_data.encode()) <= 64 for row in keyboard.inline_keyboard
                   for b in row)  # fmt: skip
    shown = [line for text, _ in messages for line in text.splitlines()[1:]]
    assert len(shown) == len(lines)


async def test_today_for_one_centre_or_its_usage(staff_bot, emulator):
    db = staff_bot.db
    await parent_books(emulator, db, RU_PARENT, "ru", at(22, 12), [7])
    admin = staff_member(emulator, ADMIN, "Нурлан")
    await admin.send_command("/today", "Osh-Bazaar")
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_replies(emulator)) == 1)
    [roster] = group_replies(emulator)
    assert roster.text.startswith("📋 Дневной центр у Ошского базара") and "B-000001" in roster.text
    await admin.send_command("/today", "nowhere")
    await wait_for(emulator, STAFF_GROUP, lambda: len(group_replies(emulator)) == 2)
    assert group_replies(emulator)[1].text == tr(
        "ru",
        "Send /today, or /today and a centre's code.\nCentres: {centres}",
        centres="osh-bazaar, dordoi-bazaar",
    )


def test_a_name_with_html_characters_is_escaped_once_in_the_roster():
    words = Words(catalogs(), "ru", BISHKEK)
    line = RosterLine(
        booking=BookingInfo(
            id=1, reference="B-000001", centre_code=OSH, service_code=MEAL,
            starts_at=at(22, 12), ends_at=at(22, 12, 30), children=1, ages=(7,),
            status=BookingStatus.BOOKED, created_at=at(22, 8), changed_at=at(22, 8),
        ),
        user_id=RU_PARENT, service_name={"ru": "Обед & чай <горячий>"},
    )  # fmt: skip
    [(text, _)] = roster_messages(
        words, date(2027, 2, 22), [CentreRoster(OSH, {"ru": "Центр «А&Б»"}, [line])]
    )
    assert "Центр «А&amp;Б»" in text and "Обед &amp; чай &lt;горячий&gt;" in text
    assert "&amp;amp;" not in text
