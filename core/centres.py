"""When the day centres can be booked: their opening days and hours, closures and services, as
the reference file gives them (checked here before `koldo seed` stores them) and as the booking
rules read them back (which days are open, which slots a service has on a day).

Times in the file are local (the centres are in Bishkek); slots are handed on as UTC moments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import InvalidInput
from core.workhours import QuietHours

CENTRE_ZONE = ZoneInfo("Asia/Bishkek")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_DAYS_AHEAD = 14
MAX_DAYS_AHEAD = 90
MAX_AGE = 17  # a child, for every service

Localized = dict[str, str]


class CountedIn(StrEnum):
    """What a service's places count: children, or families (a service for the adults)."""

    CHILDREN = "children"
    FAMILIES = "families"


@dataclass(frozen=True)
class BookingRules:
    """The rules of booking that are settings rather than reference data."""

    zone: ZoneInfo = CENTRE_ZONE
    max_upcoming: int = 3  # upcoming bookings one parent may hold at once
    offer_minutes: int = 30  # how long a freed place is held for the first on a waiting list
    quiet: QuietHours | None = None  # when reminders wait (core.reminders decides which to keep)

    @property
    def offer_time(self) -> timedelta:
        return timedelta(minutes=self.offer_minutes)


@dataclass(frozen=True)
class CentreHours:
    code: str
    open_days: frozenset[int]  # Monday is 0
    opens: time
    closes: time
    days_ahead: int
    closures: dict[date, Localized]  # day → why it is closed


@dataclass(frozen=True)
class ServiceInfo:
    centre_code: str
    code: str
    name: Localized
    description: Localized
    slot_minutes: int
    places: int
    counted_in: CountedIn
    days: frozenset[int]
    starts: time
    ends: time
    age_min: int
    age_max: int
    adult_required: bool
    active: bool

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    def places_for(self, children: int) -> int:
        """How many of a slot's places a visit with this many children takes."""
        return 1 if self.counted_in == CountedIn.FAMILIES else children

    def slot_starts(self, day: date, zone: ZoneInfo) -> list[datetime]:
        """The UTC start of every slot of `day` (local), whether or not the service runs then."""
        start, end = (
            datetime.combine(day, self.starts, zone),
            datetime.combine(day, self.ends, zone),
        )
        slots = []
        while start + self.length <= end:
            slots.append(start.astimezone(UTC))
            start += self.length
        return slots


class DayClosed(StrEnum):
    """Why nothing can be booked on a day."""

    CLOSURE = "closure"  # a holiday or a day CPC closes (see CentreHours.closures)
    DAY_OFF = "day_off"  # the centre is not open on that weekday
    NOT_RUNNING = "not_running"  # the centre is open, the service does not run that day
    SERVICE_WITHDRAWN = "service_withdrawn"  # no longer in the reference data


def why_closed(centre: CentreHours, service: ServiceInfo, day: date) -> DayClosed | None:
    if not service.active:
        return DayClosed.SERVICE_WITHDRAWN
    if day in centre.closures:
        return DayClosed.CLOSURE
    if day.weekday() not in centre.open_days:
        return DayClosed.DAY_OFF
    if day.weekday() not in service.days:
        return DayClosed.NOT_RUNNING
    return None


def weekdays(names: Iterable[str]) -> frozenset[int]:
    """["mon", "wed"] → {0, 2}."""
    return frozenset(WEEKDAYS.index(name) for name in names)


# --- checking the reference file ---------------------------------------------------------------


def _refuse(where: str, field: str) -> InvalidInput:
    return InvalidInput("reference_file", where=where, field=field)


def _days(row: dict[str, Any], key: str, where: str) -> list[str]:
    days = row.get(key)
    if (
        not isinstance(days, list)
        or not days
        or any(day not in WEEKDAYS for day in days)
        or len(set(days)) != len(days)
    ):
        raise _refuse(where, f'{key} (a list of days such as ["mon", "tue"])')
    return sorted(days, key=WEEKDAYS.index)


def _time(row: dict[str, Any], key: str, where: str) -> time:
    value = row.get(key)
    if not isinstance(value, time) or value.tzinfo is not None:
        raise _refuse(where, f"{key} (a local time such as 09:00:00, without quotes)")
    return value


def _int(row: dict[str, Any], key: str, where: str, low: int, high: int) -> int:
    value = row.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _refuse(where, f"{key} (a whole number from {low} to {high})")
    return value


def check_centres(rows: list[dict[str, Any]]) -> None:
    """Opening days and hours of each day centre, in place (defaults filled in)."""
    for index, row in enumerate(rows):
        where = f"day_centres[{index}]"
        row["open_days"] = _days(row, "open_days", where)
        row["opens"], row["closes"] = _time(row, "opens", where), _time(row, "closes", where)
        if row["closes"] <= row["opens"]:
            raise _refuse(where, "closes (must be after opens)")
        row.setdefault("book_days_ahead", DEFAULT_DAYS_AHEAD)
        row["book_days_ahead"] = _int(row, "book_days_ahead", where, 1, MAX_DAYS_AHEAD)


def check_services(rows: list[dict[str, Any]], centres: list[dict[str, Any]]) -> None:
    """Each service against its centre, in place: `centre` becomes `centre_code`, `ages` two
    columns. A service must run within its centre's days and hours."""
    by_code = {centre["code"]: centre for centre in centres}
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(rows):
        where = f"services[{index}]"
        centre = by_code.get(row.get("centre"))  # type: ignore[arg-type]
        if centre is None:
            raise _refuse(where, "centre (not the code of a day centre above)")
        key = (centre["code"], row["code"])
        if key in seen:
            raise _refuse(where, "code (twice for the same centre)")
        seen.add(key)
        row["centre_code"] = row.pop("centre")
        row["days"] = _days(row, "days", where)
        closed = [day for day in row["days"] if day not in centre["open_days"]]
        if closed:
            raise _refuse(where, f"days (the centre is not open on {', '.join(closed)})")
        row["starts"], row["ends"] = _time(row, "starts", where), _time(row, "ends", where)
        if row["starts"] < centre["opens"] or row["ends"] > centre["closes"]:
            raise _refuse(where, "starts/ends (outside the centre's opening hours)")
        row["slot_minutes"] = _int(row, "slot_minutes", where, 5, 480)
        span = datetime.combine(date.min, row["ends"]) - datetime.combine(date.min, row["starts"])
        if span < timedelta(minutes=row["slot_minutes"]):
            raise _refuse(where, "ends (not even one slot fits between starts and ends)")
        row["places"] = _int(row, "places", where, 1, 500)
        if row.get("counted_in") not in set(CountedIn):
            raise _refuse(where, 'counted_in ("children" or "families")')
        ages = row.pop("ages", None)
        if (
            not isinstance(ages, list)
            or len(ages) != 2
            or not all(isinstance(age, int) and 0 <= age <= MAX_AGE for age in ages)
            or ages[0] > ages[1]
        ):
            raise _refuse(where, f"ages ([youngest, oldest], from 0 to {MAX_AGE})")
        row["age_min"], row["age_max"] = ages
        if not isinstance(row.get("adult_required"), bool):
            raise _refuse(where, "adult_required (true or false)")


def expand_closures(
    rows: list[dict[str, Any]], centres: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One stored row per centre a closure applies to (every centre when none are listed)."""
    codes = [centre["code"] for centre in centres]
    expanded: dict[tuple[str, date], dict[str, Any]] = {}
    for index, row in enumerate(rows):
        where = f"closures[{index}]"
        day = row.get("date")
        if not isinstance(day, date) or isinstance(day, datetime):
            raise _refuse(where, "date (a date such as 2027-01-01, without quotes)")
        listed = row.get("centres", codes)
        if not isinstance(listed, list) or not listed or any(c not in codes for c in listed):
            raise _refuse(where, "centres (codes of the day centres above)")
        confirmed = row.get("confirmed", True)
        if not isinstance(confirmed, bool):
            raise _refuse(where, "confirmed (true or false)")
        for code in listed:
            if (code, day) in expanded:
                raise _refuse(where, f"date (closed twice for {code})")
            expanded[code, day] = {
                "centre_code": code,
                "day": day,
                "reason": row["reason"],
                "confirmed": confirmed,
            }
    return list(expanded.values())
