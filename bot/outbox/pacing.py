"""Staying under Telegram's limits instead of collecting 429s.

Telegram lets a bot post about 20 messages a minute into one group, about one a second into one
private chat and about 30 a second overall. A sliding window per chat (and one for everything)
makes a sender wait for its turn.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque


class SlidingWindow:
    """At most `count` acquisitions in any `period` seconds."""

    def __init__(self, count: int, period: float) -> None:
        self.count = count
        self.period = period
        self._times: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._times and now - self._times[0] >= self.period:
                    self._times.popleft()
                if len(self._times) < self.count:
                    self._times.append(now)
                    return
                await asyncio.sleep(self.period - (now - self._times[0]))


class Pacer:
    """One window per chat (a group's is wider than a person's) and one for the whole bot."""

    def __init__(
        self, *, group_per_minute: int, chat_per_second: float, total_per_second: int = 30,
        remembered_chats: int = 10_000,
    ) -> None:  # fmt: skip
        self.group_per_minute = group_per_minute
        self.chat_interval = 1 / chat_per_second
        self.total = SlidingWindow(total_per_second, 1.0)
        self._chats: OrderedDict[int, SlidingWindow] = OrderedDict()
        self._remembered = remembered_chats

    def _window(self, chat_id: int) -> SlidingWindow:
        window = self._chats.get(chat_id)
        if window is None:
            window = (
                SlidingWindow(self.group_per_minute, 60.0)
                if chat_id < 0
                else SlidingWindow(1, self.chat_interval)
            )
            self._chats[chat_id] = window
            if len(self._chats) > self._remembered:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat_id)
        return window

    async def wait_turn(self, chat_id: int) -> None:
        await self._window(chat_id).acquire()
        await self.total.acquire()
