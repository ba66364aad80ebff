"""Public information, open to everyone without consent: urgent numbers (with the day centres'
addresses). The day centres' own screen is the first of booking.
"""

from __future__ import annotations

from typing import Any

from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Cancel

from bot.dialogs.problems import explain_problems
from bot.dialogs.states import InfoSG
from bot.i18n import pick
from bot.widgets import B, Safe, T, escape
from core.reference import DayCentreInfo, PublicInfo


def urgent_numbers_html(info: PublicInfo) -> Safe:
    return Safe(
        "\n".join(
            f"☎️ <b>{escape(contact.number)}</b> — {escape(pick(contact.label))}"
            for contact in info.urgent_contacts
        )
    )


def day_centre_html(centre: DayCentreInfo) -> Safe:
    """A day centre's name, address, landmark, hours and phone, as every screen shows them."""
    lines = [
        f"🏠 <b>{escape(pick(centre.name))}</b>",
        f"📍 {escape(pick(centre.address))}",
        f"🧭 {escape(pick(centre.landmark))}",
        f"🕘 {escape(pick(centre.hours))}",
    ]
    if centre.phone:
        lines.append(f"☎️ {escape(centre.phone)}")
    return Safe("\n".join(lines))


def day_centres_html(info: PublicInfo) -> Safe:
    return Safe("\n\n".join(day_centre_html(centre) for centre in info.day_centres))


async def info_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    info = await dialog_manager.middleware_data["reference"].public_info()
    return {"numbers": urgent_numbers_html(info), "centres": day_centres_html(info)}


BACK = Cancel(B("⬅️ Back"))


def info_dialog() -> Dialog:
    """A fresh dialog: aiogram routers can belong to one dispatcher only."""
    dialog = Dialog(
        Window(
            T("🆘 <b>Urgent help</b>\nIf a child is in danger, call right away:\n\n{numbers}"),
            T("\n<b>CPC day centres</b>\n\n{centres}"),
            BACK,
            state=InfoSG.urgent,
            getter=info_getter,
        ),
    )
    return explain_problems(dialog)
