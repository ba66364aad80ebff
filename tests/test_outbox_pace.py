"""The outbox keeps to Telegram's limits by itself: evenly spaced turns for the whole bot, a
429 that holds every turn, and a burst of reminders to many chats delivered without a single
429 from an emulator that enforces Telegram's limits."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from itertools import pairwise

from bot.outbox.pacing import TOTAL_PER_SECOND, Pacer, Spacing
from core import clock
from core.bookings import book
from core.centres import BookingRules
from core.consent import answer_notice
from core.users import choose_language
from storage.models import OutboxEntry
from tests.e2e import rows
from tests.emulator import BotApiEmulator
from tests.harness import bot_running
from tests.test_booking_flow import BISHKEK, TODAY, at
from tests.test_booking_reminders import settings_for
from tests.test_staff_inbox import outbox_reaches

FAMILIES = 80  # the hot meal's four times on Wednesday 24, twenty children each


async def test_turns_for_the_whole_bot_are_evenly_spaced():
    spacing = Spacing(20)
    moments = []

    async def turn() -> None:
        await spacing.acquire()
        moments.append(time.monotonic())

    await asyncio.gather(*(turn() for _ in range(10)))
    gaps = [later - earlier for earlier, later in pairwise(moments)]
    assert min(gaps) >= 0.05 * 0.95  # never two turns in the same instant, as a window allows


async def test_a_429_holds_every_turn_for_as_long_as_telegram_asks():
    pacer = Pacer(group_per_minute=20, chat_per_second=1)
    await pacer.wait_turn(1)
    pacer.hold(0.3)
    started = time.monotonic()
    await pacer.wait_turn(2)  # another chat: held all the same
    assert time.monotonic() - started >= 0.29


async def test_reminders_falling_due_together_meet_telegrams_limits(
    database_url: str, emulator: BotApiEmulator
):
    clock.freeze(TODAY)
    try:
        async with bot_running(settings_for(database_url, emulator)) as running:
            for n in range(FAMILIES):
                user_id = 30_000 + n
                await choose_language(running.db, user_id, "ru")
                await answer_notice(running.db, user_id, granted=True)
                await book(
                    running.db, user_id=user_id, centre_code="osh-bazaar",
                    service_code="hot-meal", ages=[7], rules=BookingRules(),
                    starts_at=at(24, 12) + timedelta(minutes=30 * (n % 4)),
                )  # fmt: skip
            emulator.limit_rate()
            clock.freeze(datetime(2027, 2, 23, 18, 0, tzinfo=BISHKEK))  # every evening reminder
            started = time.monotonic()

            def evening_sent(entries: list[OutboxEntry]) -> bool:
                evening = [e for e in entries if e.payload.get("which") == "evening"]
                return len(evening) == FAMILIES and all(e.state == "sent" for e in evening)

            await outbox_reaches(running.db, evening_sent, within=60)
            took = time.monotonic() - started
    finally:
        clock.freeze(None)
    assert sum(emulator.rate_limited.values()) == 0
    sent = [c.chat_id for c in emulator.calls_of("sendMessage") if c.ok]
    assert sorted(sent) == list(range(30_000, 30_000 + FAMILIES))  # each once
    assert took >= (FAMILIES - 1) / TOTAL_PER_SECOND * 0.9  # at the pace, not faster
    assert await rows(running.db, OutboxEntry, OutboxEntry.attempts > 1) == []
