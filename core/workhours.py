"""Local time windows: escalation counts only the time CPC's office is open, and messages
nobody asked for just now wait out the night."""

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


@dataclass(frozen=True)
class QuietHours:
    """A nightly window (e.g. 21:00–08:00 local time) in which Koldo sends nobody a message
    they did not just ask for: a reminder or a notice due then waits for the morning.
    `start == end` means no quiet hours at all."""

    zone: ZoneInfo
    start: time
    end: time

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """The first moment after `moment` when the window is over (the next local `end`)."""
        local = moment.astimezone(self.zone)
        end = datetime.combine(local.date(), self.end, self.zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, self.zone)
        return end
