"""Assembling the Telegram front: the dispatcher (no network), the Bot client, the polling
intake and the outbox sender. Which of them a process runs is decided in `koldo.roles`."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot, Dispatcher, Router, methods, types
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.types import BotCommand
from aiogram_dialog import DIALOG_EVENT_NAME, setup_dialogs

from bot import lazy_models
from bot.api_session import KoldoSession, PlainSession
from bot.conversations import Conversations
from bot.dialog_ids import install_unique_intent_ids
from bot.dialogs.booking import booking_dialog
from bot.dialogs.consent import consent_dialog
from bot.dialogs.forget import forget_dialog
from bot.dialogs.form import form_dialog
from bot.dialogs.info import info_dialog
from bot.dialogs.language import language_dialog
from bot.dialogs.menu import menu_dialog
from bot.dialogs.my_bookings import my_bookings_dialog
from bot.dialogs.my_requests import my_requests_dialog
from bot.dialogs.trainer import trainer_dialog
from bot.dialogs.trainer_sessions import trainer_sessions_dialog
from bot.dialogs.trainings import trainings_dialog
from bot.filters import InPrivateChat
from bot.flood import FloodGuard, FloodMiddleware
from bot.handlers import booking_answers, commands, errors, fallback, parent_replies, staff
from bot.i18n import PoI18n, ProfileLocaleMiddleware, build_i18n
from bot.intake import UpdateIntake
from bot.message_manager import KoldoMessageManager
from bot.middlewares import HiddenButtonDataMiddleware, ProfileMiddleware, Profiles
from bot.outbox.delivery import Deliverer, check_renderers
from bot.outbox.pacing import Pacer
from bot.outbox.sender import OutboxSender, OutboxSignal
from core.languages import SUPPORTED_LANGUAGES
from core.reference import ReferenceCache
from core.urgency import UrgencyKeywords
from koldo import patches
from koldo.i18n import N_
from koldo.settings import Settings
from storage.database import Database
from storage.journal import UpdateJournal

COMMANDS = {
    # Translators: Telegram's command menu: what /start does (opens the main menu).
    "start": N_("Main menu"),
    # Translators: Telegram's command menu: what /language does.
    "language": N_("Change the language"),
    # Translators: Telegram's command menu: /cancel stops the form being filled in and goes back to
    # the main menu.
    "cancel": N_("Stop and go to the menu"),
    # Translators: Telegram's command menu: what /forget does (erases the parent's personal data).
    "forget": N_("Erase my data"),
    # Translators: Telegram's command menu: what /trainer does (ask CPC to become a peer trainer).
    "trainer": N_("Become a peer trainer"),
}

# Shown in the chat before the first /start (Telegram allows 512 characters).
DESCRIPTION = N_(
    "Koldo is the bot of the Center for the Protection of Children in Bishkek.\n\n"
    "Ask for help with a child's documents or school, follow your request and find urgent "
    "help numbers. In Kyrgyz, Russian or English.\n\nPress the button below to begin."
)
# In the bot's profile and in search (Telegram allows 120 characters).
SHORT_DESCRIPTION = N_(
    "Help with children's documents and school from the Center for the Protection of Children."
)


# What every update and screen needs (the rest of aiogram's models are built when first met).
EVERY_UPDATE_NEEDS = (
    types.Update,
    types.Message,
    types.CallbackQuery,
    methods.GetUpdates,
    methods.SendMessage,
    methods.EditMessageText,
    methods.EditMessageReplyMarkup,
    methods.AnswerCallbackQuery,
    methods.DeleteMessage,
)


@dataclass
class Koldo:
    """Everything one running bot needs, built once from the settings."""

    settings: Settings
    db: Database
    conversations: Conversations
    i18n: PoI18n
    keywords: UrgencyKeywords
    signal: OutboxSignal
    journal: UpdateJournal


def build_koldo(settings: Settings) -> Koldo:
    db = Database.from_url(
        settings.database.url, inline_sqlite=patches.enabled(patches.SQLITE_DRIVER)
    )
    signal = OutboxSignal()
    db.outbox_listeners.append(signal.poke)
    conversations = Conversations.build(db, settings.redis.url)
    return Koldo(
        settings=settings,
        db=db,
        conversations=conversations,
        i18n=build_i18n(settings.locale.default_language),
        keywords=UrgencyKeywords.load(settings.data.urgent_keywords_file),
        signal=signal,
        journal=UpdateJournal(db.engine, before_marking=conversations.save),
    )


def build_intake(
    koldo: Koldo, dispatcher: Dispatcher, bot: Bot, *, concurrent: bool
) -> UpdateIntake:
    """Polling as `koldo run` does it (the tests handle one update at a time)."""
    telegram = koldo.settings.telegram
    return UpdateIntake(
        dispatcher,
        bot,
        koldo.journal,
        koldo.i18n,
        polling_timeout=telegram.polling_timeout,
        allowed_updates=dispatcher.resolve_used_update_types(),
        concurrent=concurrent,
        max_concurrent=telegram.max_concurrent_updates,
    )


def build_dispatcher(koldo: Koldo) -> Dispatcher:
    """The whole update pipeline; makes no network calls, so tests can reuse it."""
    install_unique_intent_ids()
    lazy_models.build(*EVERY_UPDATE_NEEDS)
    profiles = Profiles(koldo.db, keep=koldo.settings.redis.url is None)
    dp = Dispatcher(
        storage=koldo.conversations.storage,
        events_isolation=koldo.conversations.isolation,
        db=koldo.db,
        settings=koldo.settings,
        keywords=koldo.keywords,
        profiles=profiles,
        reference=ReferenceCache(koldo.db),
    )
    profile = ProfileMiddleware(profiles)
    locale = ProfileLocaleMiddleware(koldo.i18n)
    dp.update.outer_middleware(profile)
    dp.update.outer_middleware(locale)
    # After the locale: its one answer to a flood speaks the person's language.
    flood = FloodGuard(koldo.settings.flood)
    dp.update.outer_middleware(FloodMiddleware(flood, koldo.settings.staff.chat_id))
    # Errors surface after the update's middlewares have exited: speak the person's language.
    dp.errors.outer_middleware(locale)
    # Before aiogram-dialog's own message middleware (setup_dialogs below adds it).
    dp.message.outer_middleware(HiddenButtonDataMiddleware())
    # Every update walks the routers in this order until one handles it (about 15 µs a router):
    # the staff group's, then the parents' (only for private chats), then an empty answer to a
    # button pressed anywhere else, and the router with nothing but error handlers, which no
    # update needs to pass, last.
    dp.include_routers(
        staff.build_router(koldo.settings.staff.chat_id),
        parents_router(),
        fallback.build_elsewhere_router(),
        errors.build_router(koldo.settings.staff.chat_id),
    )
    setup_dialogs(
        dp,
        events_isolation=koldo.conversations.isolation,
        message_manager=KoldoMessageManager(),
    )
    # Updates that aiogram-dialog makes itself (background managers) skip the update level.
    dp.observers[DIALOG_EVENT_NAME].outer_middleware(profile)
    dp.observers[DIALOG_EVENT_NAME].outer_middleware(locale)
    dp["koldo"] = koldo
    return dp


def parents_router() -> Router:
    """Everything parents see, answering only in private chats (messages and button presses
    alike): a button forged in some group must not open a parent's screen there.

    Commands come before the dialogs so that /start and /cancel leave any flow; the dialogs
    (each answers only its own screens) go busiest first."""
    parents = Router(name="parents")
    parents.message.filter(InPrivateChat())
    parents.callback_query.filter(InPrivateChat())
    parents.include_routers(
        commands.build_router(),
        parent_replies.build_router(),
        booking_answers.build_router(),
        form_dialog(),
        menu_dialog(),
        consent_dialog(),
        language_dialog(),
        my_requests_dialog(),
        booking_dialog(),
        my_bookings_dialog(),
        trainings_dialog(),
        trainer_sessions_dialog(),
        info_dialog(),
        trainer_dialog(),
        forget_dialog(),
        fallback.build_router(),
    )
    return parents


async def start_sender(koldo: Koldo, bot: Bot) -> OutboxSender:
    """The outbox sender, as the worker runs it; refuses to start when a kind of message has
    no renderer (it would otherwise never be said)."""
    check_renderers()
    settings = koldo.settings
    pacer = Pacer(
        group_per_minute=settings.outbox.group_messages_per_minute,
        chat_per_second=settings.outbox.chat_messages_per_second,
    )
    deliverer = Deliverer(
        db=koldo.db,
        bot=bot,
        pacer=pacer,
        i18n=koldo.i18n,
        staff_chat_id=settings.staff.chat_id,
        staff_language=settings.staff.language,
        zone=settings.locale.zone,
        digest_after=settings.outbox.digest_after,
    )
    sender = OutboxSender(
        koldo.db,
        deliverer,
        pacer,
        koldo.signal,
        quiet=settings.outbox.quiet(settings.locale.zone),
        poll_seconds=settings.outbox.poll_seconds,
    )
    sender.start()
    return sender


def build_bot(settings: Settings) -> Bot:
    if settings.telegram.token is None:
        raise ValueError("KOLDO_TELEGRAM__TOKEN is required")
    session_class = KoldoSession if patches.enabled(patches.API_SESSION) else PlainSession
    session = session_class(
        settings.telegram.api_base_url, timeout=settings.telegram.request_timeout
    )
    return Bot(
        token=settings.telegram.token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


async def publish_profile(bot: Bot, i18n: PoI18n) -> None:
    """The command menu and what a person reads before pressing Start (the bot's description
    and short description), in each language and in the default language for everyone else."""
    for language in (None, *SUPPORTED_LANGUAGES):
        locale = language or i18n.default_locale
        commands_list = [
            BotCommand(command=name, description=i18n.gettext(text, locale=locale))
            for name, text in COMMANDS.items()
        ]
        await bot.set_my_commands(commands_list, language_code=language)
        await bot.set_my_description(
            i18n.gettext(DESCRIPTION, locale=locale), language_code=language
        )
        await bot.set_my_short_description(
            i18n.gettext(SHORT_DESCRIPTION, locale=locale), language_code=language
        )
