"""A bare aiogram echo bot: the yardstick the benchmark measures Koldo against.

Run as `python -m bench.echo_bot BASE_URL TOKEN`; it answers every text with the same text.
"""

from __future__ import annotations

import asyncio
import sys

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def echo(message: Message) -> None:
    await message.answer(message.text or "?")


async def main(base_url: str, token: str) -> None:
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))
    dispatcher = Dispatcher()
    dispatcher.message.register(echo)
    await dispatcher.start_polling(bot, polling_timeout=1)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
