"""A local Telegram Bot API emulator and simulated people for end-to-end tests.

Typical use::

    async with BotApiEmulator() as emulator:
        bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url)))
        ...start the bot's polling...
        person = SimulatedPerson(emulator, user_id=1001)
        await person.send_command("/start")
        assert "Здравствуйте" in person.screen().text
        await person.press("Помощь")
"""

from .aiogram_support import UpdateHandledReporter, report_handled_updates
from .group import SimulatedGroupMember
from .person import SimulatedPerson
from .server import ApiError, BotApiEmulator
from .views import Alert, ApiCall, BotMessage, ForumTopic, InlineButton

__all__ = [
    "Alert",
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "BotMessage",
    "ForumTopic",
    "InlineButton",
    "SimulatedGroupMember",
    "SimulatedPerson",
    "UpdateHandledReporter",
    "report_handled_updates",
]
