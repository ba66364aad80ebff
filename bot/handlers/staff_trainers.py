"""Peer trainers in the staff group: Approve / Decline under an application, `/trainers` (who
is a trainer, who waits) and `/revoke_trainer USER_ID`.

Core checks that the person is staff; a refusal is answered by the error handlers, and so is
revoking someone who is not a trainer. A command typed wrongly gets its usage.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.outbox import staff_texts
from bot.outbox.delivery import trainer_names
from bot.outbox.words import staff_words
from core import trainers
from core.people import RoleStatus
from koldo.i18n import N_
from koldo.settings import Settings
from storage.database import Database

HELP = N_(
    "/trainers: peer trainers and the applications waiting\n"
    "/revoke_trainer and a person's id: take the trainer role away"
)
REVOKE_USAGE = N_("Send /revoke_trainer and the person's id, as /trainers shows it.")
DECIDED_NOW = {
    # Translators: staff group, pop-up after Approve under an application to be a peer trainer.
    True: N_("✅ Approved. The person is being told."),
    # Translators: staff group, pop-up after Decline under an application to be a peer trainer.
    False: N_("❌ Declined. The person is being told."),
}


async def on_decision(
    callback: CallbackQuery,
    callback_data: staff_texts.TrainerDecision,
    db: Database,
    settings: Settings,
) -> None:
    words = staff_words(settings)
    decided = await trainers.decide(
        db,
        staff_id=callback.from_user.id,
        user_id=callback_data.user_id,
        application=callback_data.application,
        approve=callback_data.approve,
    )
    if decided.now:
        await callback.answer(words.say(DECIDED_NOW[callback_data.approve]))
    elif decided.application.status == RoleStatus.REQUESTED:
        # A newer application of the same person waits under its own message.
        await callback.answer(words.say("This application was replaced by a newer one."))
        return
    else:
        await callback.answer(
            words.say("This application was already decided; see the message."), show_alert=True
        )
    if isinstance(callback.message, Message):
        text, _no_buttons = staff_texts.trainer_application(
            words, decided.application, *await trainer_names(db, words.language)
        )
        try:
            await callback.message.edit_text(text)
        except TelegramBadRequest as error:
            # The colleague who decided first has redrawn it already.
            if "not modified" not in str(error).lower():
                raise


async def on_trainers(message: Message, db: Database, settings: Settings) -> None:
    words = staff_words(settings)
    listed = await trainers.trainers(db, staff_id=message.from_user.id)
    names = await trainer_names(db, words.language)
    for part in staff_texts.trainers_list(words, listed, *names):
        await message.reply(part)


async def on_revoke(
    message: Message, command: CommandObject, db: Database, settings: Settings
) -> None:
    words = staff_words(settings)
    argument = (command.args or "").strip()
    if not argument.isdigit():
        await message.reply(words.say(REVOKE_USAGE))
        return
    revoked = await trainers.revoke_trainer(
        db, staff_id=message.from_user.id, user_id=int(argument)
    )
    await message.reply(
        words.say(
            "🚫 {name} is no longer a peer trainer; they are being told.",
            name=revoked.name or argument,
        )
    )


def register(router: Router) -> None:
    """Onto the staff group's router (bot.handlers.staff), before its catch-alls."""
    router.callback_query.register(on_decision, staff_texts.TrainerDecision.filter())
    router.message.register(on_trainers, Command("trainers"))
    router.message.register(on_revoke, Command("revoke_trainer"))
