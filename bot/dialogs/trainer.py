"""Asking to become a peer trainer (/trainer): name → settlement → the programmes CPC trained
them in → summary → Send. One question a screen, a way back from each.

The screens only ask; core.trainers decides (a name that is no name, a settlement or programme
withdrawn meanwhile are refused there and explained on the screen). Send pressed twice, or a
/trainer from someone already waiting or already a trainer, sends nothing new: the last screen
says where they stand.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Data, Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Multiselect, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.dialogs.problems import ProblemText, clear_problem, explain_problems, set_problem
from bot.dialogs.states import TrainerSG
from bot.i18n import pick
from bot.widgets import B, T, choices
from core.trainers import Standing, apply_as_trainer, parse_name

NAME, SETTLEMENT, STANDING = "name", "settlement", "standing"
# What the privacy notice hands back to the menu when /trainer opened it: the menu then opens
# the first question.
AFTER_CONSENT = "trainer"
PROGRAMMES = "programmes"  # the multi-select widget's id
# What this dialog says for codes other screens word otherwise.
OWN_CODES = {"consent_required": "trainer_consent"}


def _chosen(manager: DialogManager) -> list[str]:
    widget: Any = manager.find(PROGRAMMES)
    return list(widget.get_checked())


async def on_trainer_start(start_data: Data, manager: DialogManager) -> None:
    """Opened at the last screen by /trainer when there is nothing to ask."""
    if isinstance(start_data, dict) and STANDING in start_data:
        manager.dialog_data[STANDING] = start_data[STANDING]


async def on_name(message: Message, _widget: Any, manager: DialogManager) -> None:
    manager.dialog_data[NAME] = parse_name(message.text)
    clear_problem(manager)
    await manager.switch_to(TrainerSG.settlement)


async def on_not_text(_message: Message, _widget: Any, manager: DialogManager) -> None:
    set_problem(manager, "not_text")


async def settlements_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    rows = await dialog_manager.middleware_data["reference"].settlements()
    return {"settlements": [(s.code, f"📍 {pick(s.name)}") for s in rows]}


async def on_settlement(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, code: str
) -> None:
    clear_problem(manager)
    known = {s.code for s in await manager.middleware_data["reference"].settlements()}
    if code not in known:
        set_problem(manager, "unknown_settlement")
        return
    manager.dialog_data[SETTLEMENT] = code
    await manager.switch_to(TrainerSG.programmes)


async def programmes_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    rows = await dialog_manager.middleware_data["reference"].programmes()
    return {"programmes": [(p.code, pick(p.name)) for p in rows]}


async def on_programmes_chosen(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager
) -> None:
    if not _chosen(manager):
        set_problem(manager, "no_programme")
        return
    clear_problem(manager)
    await manager.switch_to(TrainerSG.summary)


async def summary_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    reference = dialog_manager.middleware_data["reference"]
    data = dialog_manager.dialog_data
    settlements = {s.code: s.name for s in await reference.settlements()}
    chosen = set(_chosen(dialog_manager))
    programmes = [pick(p.name) for p in await reference.programmes() if p.code in chosen]
    return {
        "name": data[NAME],
        "settlement": pick(settlements.get(data[SETTLEMENT], {})),
        "programmes": "\n".join(f"• {name}" for name in programmes),
    }


async def on_send(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    standing = await apply_as_trainer(
        manager.middleware_data["db"],
        user_id=manager.event.from_user.id,
        name=manager.dialog_data[NAME],
        settlement_code=manager.dialog_data[SETTLEMENT],
        programmes=_chosen(manager),
    )
    manager.dialog_data[STANDING] = standing.value
    await manager.switch_to(TrainerSG.done)


async def on_cancel(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await manager.done({"notice": "cancelled"})


async def done_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    standing = Standing(dialog_manager.dialog_data[STANDING])
    return {state.value: state == standing for state in Standing}


async def on_main_menu(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await manager.done()


BACK = B("⬅️ Back")


def trainer_dialog() -> Dialog:
    """A fresh dialog: aiogram routers can belong to one dispatcher only."""
    dialog = Dialog(
        Window(
            ProblemText(),
            T(
                "🎓 <b>Become a peer trainer</b>\n"
                "If CPC trained you in one of its programmes, you can run trainings for others."
            ),
            T("\n👤 What is your name? Please write your first and last name."),
            MessageInput(on_name, content_types=ContentType.TEXT),
            MessageInput(on_not_text, content_types=ContentType.ANY),
            Cancel(BACK),
            state=TrainerSG.name,
        ),
        Window(
            ProblemText(),
            T("📍 In which settlement will you run trainings?"),
            Column(choices("settlement", "settlements", on_settlement)),
            SwitchTo(BACK, id="to_name", state=TrainerSG.name),
            state=TrainerSG.settlement,
            getter=settlements_getter,
        ),
        Window(
            ProblemText(),
            T(
                "📚 Which programmes did CPC train you in?\n"
                "Press each one that applies, then “➡️ Next”."
            ),
            Column(
                Multiselect(
                    Format("✅ {item[1]}"),
                    Format("{item[1]}"),
                    id=PROGRAMMES,
                    item_id_getter=itemgetter(0),
                    items="programmes",
                )
            ),
            Button(B("➡️ Next"), id="programmes_chosen", on_click=on_programmes_chosen),
            SwitchTo(BACK, id="to_settlement", state=TrainerSG.settlement),
            state=TrainerSG.programmes,
            getter=programmes_getter,
        ),
        Window(
            ProblemText(),
            T("📝 <b>Please check your application</b>"),
            T("👤 {name}\n📍 {settlement}\n📚 Programmes:\n{programmes}"),
            T("\nCPC staff will look at it, and we will write to you here."),
            Button(B("✅ Send"), id="send", on_click=on_send),
            SwitchTo(BACK, id="to_programmes", state=TrainerSG.programmes),
            Button(B("✖️ Cancel"), id="cancel", on_click=on_cancel),
            state=TrainerSG.summary,
            getter=summary_getter,
        ),
        Window(
            T(
                "✅ <b>Your application has been sent.</b>\n"
                "CPC staff will look at it; we will write to you here when they decide.",
                when=Standing.APPLIED.value,
            ),
            T(
                "⏳ Your application is already with CPC staff. "
                "We will write to you here when they decide.",
                when=Standing.PENDING.value,
            ),
            T("🎓 You are already a peer trainer of CPC.", when=Standing.TRAINER.value),
            Button(B("🏠 Main menu"), id="main_menu", on_click=on_main_menu),
            state=TrainerSG.done,
            getter=done_getter,
        ),
        on_start=on_trainer_start,
    )
    return explain_problems(dialog, OWN_CODES)
