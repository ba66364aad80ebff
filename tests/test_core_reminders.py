"""When a booked visit is reminded of (core.reminders.reminder_times): the evening before at
18:00 and two hours before, never one whose time has passed, and none in quiet hours (an early
visit's two-hours-before reminder is left out when the evening one told the family)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from core.centres import BookingRules
from core.reminders import Which, reminder_times
from core.workhours import QuietHours

BISHKEK = ZoneInfo("Asia/Bishkek")
RULES = BookingRules(zone=BISHKEK, quiet=QuietHours(BISHKEK, time(21), time(8)))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 2, day, hour, minute, tzinfo=BISHKEK)


def test_a_visit_booked_days_ahead_gets_both_reminders():
    assert reminder_times(at(24, 12), at(22, 8), RULES) == {
        Which.EVENING: at(23, 18),
        Which.SOON: at(24, 10),
    }


def test_a_reminder_whose_time_has_passed_is_not_written():
    assert reminder_times(at(24, 12), at(23, 19), RULES) == {Which.SOON: at(24, 10)}
    assert reminder_times(at(24, 12), at(24, 11), RULES) == {}  # booked an hour before


def test_an_early_visit_is_reminded_the_evening_before_only():
    # Two hours before 09:00 is 07:00, in quiet hours: it would arrive at 08:00, too late.
    assert reminder_times(at(24, 9), at(22, 8), RULES) == {Which.EVENING: at(23, 18)}


def test_booked_late_the_evening_before_an_early_visit_the_reminder_waits_for_morning():
    # No evening reminder any more: the 07:00 one stays, and the outbox holds it until 08:00,
    # still before the visit at 09:30.
    assert reminder_times(at(24, 9, 30), at(23, 20), RULES) == {Which.SOON: at(24, 7, 30)}
    # Unless quiet hours end only when the visit begins: then none.
    assert reminder_times(at(24, 8), at(23, 20), RULES) == {}


def test_without_quiet_hours_both_are_kept():
    rules = BookingRules(zone=BISHKEK)
    assert set(reminder_times(at(24, 9), at(22, 8), rules)) == {Which.EVENING, Which.SOON}
