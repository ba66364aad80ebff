"""What the booking screens share: who is asking, the booking rules, and a visit in words
(the centre's and the service's names in the parent's language, the day and the time)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiogram_dialog import DialogManager

from bot.i18n import format_clock, format_weekday_date, pick
from bot.widgets import Safe, escape
from core.bookings import BookingInfo, services_of
from core.centres import BookingRules, ServiceInfo
from core.reference import DayCentreInfo


def user_id(manager: DialogManager) -> int:
    """Whose bookings these are. From the middleware data rather than `manager.event`: when
    the error handler redraws a screen after a stale button, the event is the error."""
    return manager.middleware_data["event_from_user"].id


def rules(manager: DialogManager) -> BookingRules:
    settings = manager.middleware_data["settings"]
    zone = settings.locale.zone
    return settings.booking.rules(zone, settings.outbox.quiet(zone))


def db(manager: DialogManager) -> Any:
    return manager.middleware_data["db"]


async def centres(manager: DialogManager) -> dict[str, DayCentreInfo]:
    info = await manager.middleware_data["reference"].public_info()
    return {centre.code: centre for centre in info.day_centres}


async def services(manager: DialogManager, centre_code: str) -> dict[str, ServiceInfo]:
    return {service.code: service for service in await services_of(db(manager), centre_code)}


@dataclass(frozen=True)
class Names:
    """The names of the centres and services some bookings are at."""

    centres: dict[str, DayCentreInfo]
    services: dict[tuple[str, str], ServiceInfo]

    def centre(self, code: str) -> str:
        centre = self.centres.get(code)
        return pick(centre.name) if centre else code

    def service(self, centre_code: str, code: str) -> str:
        service = self.services.get((centre_code, code))
        return pick(service.name) if service else code


async def names_of(manager: DialogManager, centre_codes: Iterable[str]) -> Names:
    by_key = {}
    for code in set(centre_codes):
        for service in (await services(manager, code)).values():
            by_key[code, service.code] = service
    return Names(await centres(manager), by_key)


def when(booking: BookingInfo, manager: DialogManager) -> str:
    """«пн, 22 февраля, 10:00–10:30»."""
    zone = rules(manager).zone
    day = booking.starts_at.astimezone(zone).date()
    start, end = format_clock(booking.starts_at, zone), format_clock(booking.ends_at, zone)
    return f"{format_weekday_date(day)}, {start}–{end}"


def visit_html(*, centre: str, address: str | None, service: str, when: str) -> Safe:
    """Where and when a visit is, one line each (the address where it helps to find it)."""
    lines = [f"🏠 {escape(centre)}"]
    if address:
        lines.append(f"📍 {escape(address)}")
    lines += [f"🩺 {escape(service)}", f"📅 {escape(when)}"]
    return Safe("\n".join(lines))


def service_html(service: ServiceInfo) -> Safe:
    """A service's name and its one-line description."""
    return Safe(f"<b>{escape(pick(service.name))}</b>\n{escape(pick(service.description))}")
