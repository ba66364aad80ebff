"""Telling staff which booked visits a change of the reference data no longer allows.

`koldo seed` never drops a booking (core.bookings.overflowing finds those that no longer fit:
a day now closed, fewer places, a time the service no longer has); the staff group is told in
one message, so that someone decides: a closed day's visits are cancelled, and each family told,
with /close. The entry's payload holds plain facts (codes, times, booking numbers: nothing about
a person); names are read in the staff language when it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.bookings import Overflow
from core.clock import utcnow
from core.outbox import STAFF_CHAT, Kind, enqueue
from storage.database import Database
from storage.models import DayCentre

Localized = dict[str, str]


@dataclass(frozen=True)
class OverflowLine:
    centre_name: Localized
    service_name: Localized
    starts_at: datetime
    why: str  # a core.centres.DayClosed or core.bookings.Overbooked value
    booked: int
    places: int
    references: tuple[str, ...]


async def tell_staff(db: Database, overflows: list[Overflow]) -> None:
    """One message to the staff group listing every slot whose bookings no longer fit."""
    if not overflows:
        return
    async with db.transaction() as repos:
        enqueue(
            repos,
            chat_id=STAFF_CHAT,
            kind=Kind.DATA_OVERFLOW,
            now=utcnow(),
            overflows=[
                {
                    "centre": o.centre_code,
                    "service": o.service_code,
                    "starts_at": o.starts_at.isoformat(),
                    "why": o.why.value,
                    "booked": o.booked,
                    "places": o.places,
                    "references": list(o.references),
                }
                for o in overflows
            ],
        )


async def overflow_lines(db: Database, payload: dict) -> list[OverflowLine]:
    """The entry's facts with the centres' and services' names (withdrawn ones too)."""
    lines = []
    async with db.transaction() as repos:
        for item in payload.get("overflows", []):
            centre = await repos.reference.get(DayCentre, item["centre"])
            service = await repos.reference.service(item["centre"], item["service"])
            lines.append(
                OverflowLine(
                    centre_name=dict(centre.name) if centre else {},
                    service_name=dict(service.name) if service else {},
                    starts_at=datetime.fromisoformat(item["starts_at"]),
                    why=item["why"],
                    booked=item["booked"],
                    places=item["places"],
                    references=tuple(item["references"]),
                )
            )
    return lines
