"""Reference data: the public facts the bot shows (settlements, day centres, urgent numbers,
programmes), loaded from the reviewed file `data/reference.toml`."""

from __future__ import annotations

import asyncio
import time
import tomllib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import centres, overflow_notice
from core.bookings import Overflow, overflowing
from core.centres import BookingRules
from core.errors import InvalidInput
from core.languages import SUPPORTED_LANGUAGES
from storage.database import Database
from storage.models import DayCentre, Programme, Settlement, UrgentContact
from storage.repositories.reference import REFERENCE_TABLES

Localized = dict[str, str]

_TRANSLATED = {
    "settlements": ("name",),
    "day_centres": ("name", "address", "landmark", "hours"),
    "urgent_contacts": ("label",),
    "programmes": ("name", "summary"),
    "services": ("name", "description"),
    "closures": ("reason",),
}
# Tables whose `code` alone names a row; a service's code is unique within its centre, and a
# closure is named by its centres and date (both checked in core.centres).
_CODED = ("settlements", "day_centres", "urgent_contacts", "programmes")


@dataclass(frozen=True)
class SettlementInfo:
    code: str
    name: Localized


@dataclass(frozen=True)
class ProgrammeInfo:
    """A CPC programme as parents read of it: its name and what it is, in one plain line."""

    code: str
    name: Localized
    summary: Localized


@dataclass(frozen=True)
class DayCentreInfo:
    code: str
    name: Localized
    address: Localized
    landmark: Localized
    hours: Localized
    phone: str


@dataclass(frozen=True)
class UrgentContactInfo:
    code: str
    number: str
    label: Localized


@dataclass(frozen=True)
class PublicInfo:
    urgent_contacts: list[UrgentContactInfo]
    day_centres: list[DayCentreInfo]


def load_reference_file(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Read and check the reference file; a mistake names the table, row and field."""
    with path.open("rb") as file:
        data = tomllib.load(file)
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, translated in _TRANSLATED.items():
        rows = data.get(table, [])
        codes: set[str] = set()
        for index, row in enumerate(rows):
            where = f"{table}[{index}]"
            if table in _CODED or table == "services":
                code = row.get("code")
                if not isinstance(code, str) or not code:
                    raise InvalidInput("reference_file", where=where, field="code")
                if table in _CODED and code in codes:
                    raise InvalidInput("reference_file", where=where, field="code (duplicate)")
                codes.add(code)
                row.setdefault("sort", index)
            for name in translated:
                texts = row.get(name)
                if not isinstance(texts, dict) or any(
                    not texts.get(lang) for lang in SUPPORTED_LANGUAGES
                ):
                    raise InvalidInput("reference_file", where=where, field=name)
        tables[table] = rows
    centres.check_centres(tables["day_centres"])
    centres.check_services(tables["services"], tables["day_centres"])
    tables["closures"] = centres.expand_closures(tables["closures"], tables["day_centres"])
    return tables


@dataclass(frozen=True)
class SeedReport:
    changed: dict[str, int]
    deactivated: dict[str, int]
    # Upcoming bookings the new data no longer allows (a day closed, fewer places): kept, and
    # the staff group told (core.overflow_notice) when this load changed anything.
    overflows: list[Overflow] = field(default_factory=list)


async def seed(db: Database, path: Path, *, rules: BookingRules | None = None) -> SeedReport:
    """Load the reference file; running it twice changes nothing the second time. Bookings
    are never dropped by a change: those that no longer fit are reported."""
    tables = load_reference_file(path)
    changed: dict[str, int] = {}
    deactivated: dict[str, int] = {}
    async with db.transaction() as repos:
        for table, rows in tables.items():
            changed[table], deactivated[table] = await repos.reference.upsert(
                REFERENCE_TABLES[table], rows
            )
    overflows = await overflowing(db, rules or BookingRules())
    if any(changed.values()) or any(deactivated.values()):
        # Told once, when the change that caused them is loaded (not at every reload).
        await overflow_notice.tell_staff(db, overflows)
    return SeedReport(changed=changed, deactivated=deactivated, overflows=overflows)


async def settlements(db: Database) -> list[SettlementInfo]:
    async with db.transaction() as repos:
        rows = await repos.reference.active(Settlement)
        return [SettlementInfo(code=row.code, name=dict(row.name)) for row in rows]


async def programmes(db: Database) -> list[ProgrammeInfo]:
    """CPC's programmes on offer, in the reference file's order."""
    async with db.transaction() as repos:
        rows = await repos.reference.active(Programme)
        return [ProgrammeInfo(row.code, dict(row.name), dict(row.summary)) for row in rows]


async def public_info(db: Database) -> PublicInfo:
    async with db.transaction() as repos:
        contacts = await repos.reference.active(UrgentContact)
        centres = await repos.reference.active(DayCentre)
        return PublicInfo(
            urgent_contacts=[
                UrgentContactInfo(code=row.code, number=row.number, label=dict(row.label))
                for row in contacts
            ],
            day_centres=[
                DayCentreInfo(
                    code=row.code,
                    name=dict(row.name),
                    address=dict(row.address),
                    landmark=dict(row.landmark),
                    hours=dict(row.hours),
                    phone=row.phone,
                )
                for row in centres
            ],
        )


class ReferenceCache:
    """Reference data for screens, read from the database at most once per `ttl` seconds.

    The data changes only when `koldo seed` loads a reviewed file, so a copy a minute old is
    as good as a fresh one, and the busiest screens (the settlement list, the summary) need no
    query at all.
    """

    def __init__(self, db: Database, *, ttl: float = 60.0) -> None:
        self.db = db
        self.ttl = ttl
        self._copies: dict[Callable[[Database], Awaitable[Any]], tuple[float, Any]] = {}
        # One read at a time: a burst of parents reaching the same screen shares it.
        self._lock = asyncio.Lock()

    async def settlements(self) -> list[SettlementInfo]:
        return await self._copy_of(settlements)  # type: ignore[no-any-return]

    async def programmes(self) -> list[ProgrammeInfo]:
        return await self._copy_of(programmes)  # type: ignore[no-any-return]

    async def public_info(self) -> PublicInfo:
        return await self._copy_of(public_info)  # type: ignore[no-any-return]

    async def _copy_of(self, read: Callable[[Database], Awaitable[Any]]) -> Any:
        if self._stale(read):
            async with self._lock:
                if self._stale(read):
                    self._copies[read] = (time.monotonic(), await read(self.db))
        return self._copies[read][1]

    def _stale(self, read: Callable[[Database], Awaitable[Any]]) -> bool:
        copy = self._copies.get(read)
        return copy is None or time.monotonic() - copy[0] > self.ttl
