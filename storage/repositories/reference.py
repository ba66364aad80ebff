"""Reference data: settlements, day centres, urgent numbers, programmes."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Base,
    CentreClosure,
    DayCentre,
    Programme,
    Service,
    Settlement,
    UrgentContact,
)

Row = TypeVar("Row", Settlement, DayCentre, UrgentContact, Programme)

# In the order they are loaded: a centre before its services and closures.
REFERENCE_TABLES: dict[str, type[Base]] = {
    "settlements": Settlement,
    "day_centres": DayCentre,
    "urgent_contacts": UrgentContact,
    "programmes": Programme,
    "services": Service,
    "closures": CentreClosure,
}


class ReferenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active(self, model: type[Row]) -> list[Row]:
        return list(
            await self.session.scalars(
                select(model).where(model.active.is_(True)).order_by(model.sort, model.code)
            )
        )

    async def every(self, model: type[Row]) -> list[Row]:
        """Active or not: old requests still name settlements no longer offered."""
        return list(await self.session.scalars(select(model).order_by(model.sort, model.code)))

    async def get(self, model: type[Row], code: str) -> Row | None:
        return await self.session.get(model, code)

    async def service(self, centre_code: str, code: str) -> Service | None:
        """Active or not: a booking keeps the service it was made for."""
        return await self.session.get(Service, (centre_code, code))

    async def services(self, centre_code: str) -> list[Service]:
        return list(
            await self.session.scalars(
                select(Service)
                .where(Service.centre_code == centre_code)
                .where(Service.active.is_(True))
                .order_by(Service.sort, Service.code)
            )
        )

    async def closures(self, centre_code: str) -> list[CentreClosure]:
        return list(
            await self.session.scalars(
                select(CentreClosure)
                .where(CentreClosure.centre_code == centre_code)
                .where(CentreClosure.active.is_(True))
            )
        )

    async def close_day(self, centre_code: str, day: date, reason: dict[str, str]) -> None:
        """A day closed by staff: a new closure, or one known but inactive made active with
        the new reason. A day the reference file closes already stays as the file has it
        (its reason in every language, and the file's to reopen)."""
        closure = await self.session.get(CentreClosure, (centre_code, day))
        if closure is None:
            self.session.add(
                CentreClosure(
                    centre_code=centre_code,
                    day=day,
                    reason=reason,
                    confirmed=True,
                    active=True,
                    by_staff=True,
                )
            )
        elif not closure.active:
            closure.reason, closure.confirmed, closure.active = reason, True, True
            closure.by_staff = True

    async def upsert(self, model: type[Base], rows: list[dict[str, Any]]) -> tuple[int, int]:
        """Insert new rows, update known ones, deactivate those no longer listed; a row is
        known by its primary key (a code, or a centre's code and a service's or a date).

        Returns (inserted or changed, deactivated). Rows are never deleted: old requests
        still point at a settlement's code, bookings at a service. A row staff made in the
        bot (`by_staff`, a day closed with /close) is not the file's to deactivate."""
        primary = [column.key for column in model.__mapper__.primary_key]
        existing = {
            tuple(getattr(row, name) for name in primary): row
            for row in await self.session.scalars(select(model))
        }
        changed = 0
        for values in rows:
            row = existing.pop(tuple(values[name] for name in primary), None)
            if row is None:
                self.session.add(model(active=True, **values))
                changed += 1
                continue
            updates = {k: v for k, v in values.items() if getattr(row, k) != v}
            if not row.active:
                updates["active"] = True
            for key, value in updates.items():
                setattr(row, key, value)
            changed += bool(updates)
        deactivated = 0
        for row in existing.values():
            if row.active and not getattr(row, "by_staff", False):
                row.active = False
                deactivated += 1
        return changed, deactivated
