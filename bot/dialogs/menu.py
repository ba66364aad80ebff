"""The main menu: big buttons, short words, every one leads somewhere."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Data, Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Row, Start
from aiogram_dialog.widgets.text import Format

from bot.dialogs.form import first_question
from bot.dialogs.problems import explain_problems
from bot.dialogs.states import (
    BookingSG,
    ConsentSG,
    InfoSG,
    LanguageSG,
    MenuSG,
    MyBookingsSG,
    MyRequestsSG,
    TrainerSessionsSG,
    TrainerSG,
)
from bot.dialogs.trainer import AFTER_CONSENT
from bot.dialogs.trainings import SETTLEMENT, start_trainings
from bot.dialogs.visits import db, user_id
from bot.i18n import gettext_
from bot.widgets import B, T
from core.forms import Category
from core.training_sessions import is_trainer
from koldo.i18n import N_

NOTICES = {
    "cancelled": N_("✖️ Cancelled. Nothing was sent."),
    "consent_required": N_("To send a request, please agree to how we use your data first."),
    "not_booked": N_("✖️ Cancelled. Nothing was booked."),
    "declined": N_(
        "All right. You can still see the urgent numbers and the day centres' addresses."
    ),
}


async def menu_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    notice = dialog_manager.dialog_data.pop("notice", None) or (
        dialog_manager.start_data or {}
    ).pop("notice", None)
    return {
        "notice": gettext_(NOTICES[notice]) if notice in NOTICES else "",
        "has_notice": notice in NOTICES,
        "is_trainer": await is_trainer(db(dialog_manager), user_id(dialog_manager)),
    }


async def start_form(manager: DialogManager, category: Category) -> None:
    if manager.middleware_data["profile"].consented:
        await manager.start(first_question(category), data={"category": category.value})
    else:
        await manager.start(ConsentSG.notice, data={"then": category.value})


async def on_documents(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await start_form(manager, Category.DOCUMENTS)


async def on_school(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await start_form(manager, Category.SCHOOL)


async def on_trainings(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await start_trainings(manager, manager.dialog_data.get(SETTLEMENT))


async def on_result(_start_data: Data, result: Any, manager: DialogManager) -> None:
    """What a finished sub-dialog asks the menu to do next."""
    if not isinstance(result, dict):
        return
    if result.get(SETTLEMENT):  # the Trainings screens' settlement, kept for the next time
        manager.dialog_data[SETTLEMENT] = result[SETTLEMENT]
        return
    if result.get("open") == "my_requests":
        await manager.start(MyRequestsSG.list)
        return
    if result.get("open") == "my_bookings":
        await manager.start(MyBookingsSG.list)
        return
    if "consented" in result:
        then = result.get("then")
        if result["consented"] and then in {c.value for c in Category}:
            await manager.start(first_question(Category(then)), data={"category": then})
            return
        if result["consented"] and then == AFTER_CONSENT:
            await manager.start(TrainerSG.name)
            return
        if not result["consented"]:
            manager.dialog_data["notice"] = "declined"
        return
    if result.get("notice"):
        manager.dialog_data["notice"] = result["notice"]


def menu_dialog() -> Dialog:
    """A fresh dialog: aiogram routers can belong to one dispatcher only."""
    dialog = Dialog(
        Window(
            Format("{notice}\n", when="has_notice"),
            T("🏠 <b>Main menu</b>\nWhat do you need help with?"),
            Row(
                Button(B("📄 Documents"), id="documents", on_click=on_documents),
                Button(B("🏫 School"), id="school", on_click=on_school),
            ),
            Row(
                # Translators: main menu button: CPC's day centres (addresses, booking a visit).
                Start(B("🏠 Day centre"), id="day_centre", state=BookingSG.centres),
                # Translators: main menu button: trainings for parents and children.
                Button(B("🎓 Trainings"), id="trainings", on_click=on_trainings),
            ),
            Start(
                # Translators: main menu button, for peer trainers only: the sessions they lead.
                B("🧑‍🏫 My sessions"),
                id="my_sessions",
                state=TrainerSessionsSG.list,
                when="is_trainer",
            ),
            # Translators: main menu button: the list of the parent's requests and their status.
            Start(B("📋 My requests"), id="my_requests", state=MyRequestsSG.list),
            # Translators: main menu button: emergency and helpline numbers.
            Start(B("🆘 Urgent help"), id="urgent", state=InfoSG.urgent),
            # Translators: main menu button: choose the bot's language.
            Start(B("🌐 Language"), id="language", state=LanguageSG.pick),
            state=MenuSG.main,
            getter=menu_getter,
        ),
        on_process_result=on_result,
    )
    return explain_problems(dialog)
