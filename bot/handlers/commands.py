"""Commands a parent can type at any moment; each leaves whatever flow was open cleanly."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message
from aiogram_dialog import DialogManager, ShowMode, StartMode

from bot.dialogs.language import ONBOARDING
from bot.dialogs.states import (
    ConsentSG,
    ForgetSG,
    LanguageSG,
    MenuSG,
    TrainerSessionsSG,
    TrainerSG,
)
from bot.dialogs.trainer import AFTER_CONSENT
from bot.i18n import gettext_
from core.trainers import standing
from core.training_sessions import is_trainer
from core.users import Profile
from koldo.i18n import N_
from storage.database import Database

NOT_A_TRAINER = N_(
    "🧑‍🏫 My sessions is for peer trainers. When CPC staff add you to a training session, "
    "it will appear here and in the menu."
)


async def show_home(manager: DialogManager, profile: Profile, notice: str | None = None) -> None:
    """Language picker for a newcomer; otherwise the menu, with the notice on top if it is
    new to them."""
    if profile.language is None:
        await manager.start(
            LanguageSG.pick,
            data={"then": ONBOARDING},
            mode=StartMode.RESET_STACK,
            show_mode=ShowMode.SEND,
        )
        return
    await manager.start(
        MenuSG.main,
        data={"notice": notice} if notice else None,
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )
    if profile.needs_notice:
        await manager.start(ConsentSG.notice, show_mode=ShowMode.SEND)


async def on_start(message: Message, dialog_manager: DialogManager, profile: Profile) -> None:
    await show_home(dialog_manager, profile)


async def on_cancel(message: Message, dialog_manager: DialogManager, profile: Profile) -> None:
    await show_home(dialog_manager, profile, notice="cancelled")


async def on_language(message: Message, dialog_manager: DialogManager, profile: Profile) -> None:
    then = ONBOARDING if profile.language is None or not dialog_manager.has_context() else "back"
    await dialog_manager.start(LanguageSG.pick, data={"then": then}, show_mode=ShowMode.SEND)


async def on_forget(message: Message, dialog_manager: DialogManager, profile: Profile) -> None:
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
    await dialog_manager.start(ForgetSG.confirm, show_mode=ShowMode.SEND)


async def on_trainer(
    message: Message, dialog_manager: DialogManager, profile: Profile, db: Database
) -> None:
    """Ask to become a peer trainer, above the menu: the privacy notice first for someone who
    has not agreed to it (the menu then opens the questions), and no questions for someone
    already waiting or already a trainer."""
    if profile.language is None:
        await show_home(dialog_manager, profile)
        return
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
    if not profile.consented:
        await dialog_manager.start(
            ConsentSG.notice, data={"then": AFTER_CONSENT}, show_mode=ShowMode.SEND
        )
        return
    already = await standing(db, profile.user_id)
    if already is None:
        await dialog_manager.start(TrainerSG.name, show_mode=ShowMode.SEND)
    else:
        await dialog_manager.start(
            TrainerSG.done, data={"standing": already.value}, show_mode=ShowMode.SEND
        )


async def on_my_sessions(
    message: Message, dialog_manager: DialogManager, profile: Profile, db: Database
) -> None:
    """A peer trainer's sessions, over the menu (their Back leads there)."""
    if profile.language is None or profile.needs_notice:
        await show_home(dialog_manager, profile)
        return
    if not await is_trainer(db, profile.user_id):
        await message.answer(gettext_(NOT_A_TRAINER))
        return
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
    await dialog_manager.start(TrainerSessionsSG.list, show_mode=ShowMode.SEND)


def build_router() -> Router:
    """For parents' private chats (the caller filters the chat)."""
    router = Router(name="parent-commands")
    router.message.register(on_start, CommandStart())
    router.message.register(on_cancel, Command("cancel"))
    router.message.register(on_language, Command("language"))
    router.message.register(on_forget, Command("forget"))
    router.message.register(on_trainer, Command("trainer"))
    router.message.register(on_my_sessions, Command("mysessions"))
    return router
