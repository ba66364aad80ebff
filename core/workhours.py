"""Working hours: escalation counts only the time CPC's office is open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class WorkingCalendar:
    zone: ZoneInfo
    days: frozenset[int]  # Monday is 0
    opens: time
    closes: time

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time between two moments, walking day by day in local time."""
        if end <= start:
            return timedelta()
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        total = timedelta()
        day = local_start.date()
        while day <= local_end.date():
            if day.weekday() in self.days:
                opens = datetime.combine(day, self.opens, self.zone)
                closes = datetime.combine(day, self.closes, self.zone)
                lower, upper = max(opens, local_start), min(closes, local_end)
                if upper > lower:
                    total += upper - lower
            day += timedelta(days=1)
        return total

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.weekday() in self.days and self.opens <= local.time() < self.closes
