"""Staying under Telegram's limits instead of collecting 429s.

Telegram lets a bot post about 20 messages a minute into one group, about one a second into one
private chat and about 30 a second overall. A sliding window per chat (and one for everything)
makes a sender wait for its turn. A tenth of the group's pace (at least one message) is kept
for digests: when cards must wait for their turn, a digest can still say at once that they
came.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque

GROUP_PERIOD = 60.0  # seconds: Telegram's group limit is per minute


class SlidingWindow:
    """At most `count` acquisitions in any `period` seconds, of which `reserve` only for
    those that ask for the reserved share."""

    def __init__(self, count: int, period: float, *, reserve: int = 0) -> None:
        self.count = count
        self.period = period
        self.reserve = reserve
        self._times: deque[float] = deque()
        self._lock = asyncio.Lock()  # first come, first served among ordinary turns

    def _prune(self, now: float) -> None:
        while self._times and now - self._times[0] >= self.period:
            self._times.popleft()

    def full(self) -> bool:
        """Whether an ordinary turn would have to wait now."""
        self._prune(time.monotonic())
        return len(self._times) >= self.count - self.reserve

    async def acquire(self, *, reserved: bool = False) -> None:
        if reserved:
            await self._take(self.count)
            return
        async with self._lock:
            await self._take(self.count - self.reserve)

    async def _take(self, limit: int) -> None:
        while True:
            now = time.monotonic()
            self._prune(now)
            if len(self._times) < limit:
                self._times.append(now)
                return
            # Enough of the oldest turns must age out of the window to get under the limit.
            await asyncio.sleep(self._times[len(self._times) - limit] + self.period - now)


class Pacer:
    """One window per chat (a group's is wider than a person's) and one for the whole bot."""

    def __init__(
        self, *, group_per_minute: int, chat_per_second: float, total_per_second: int = 30,
        remembered_chats: int = 10_000,
    ) -> None:  # fmt: skip
        self.group_per_minute = group_per_minute
        self.group_reserve = max(1, group_per_minute // 10) if group_per_minute > 1 else 0
        self.chat_interval = 1 / chat_per_second
        self.total = SlidingWindow(total_per_second, 1.0)
        self._chats: OrderedDict[int, SlidingWindow] = OrderedDict()
        self._remembered = remembered_chats

    def _window(self, chat_id: int) -> SlidingWindow:
        window = self._chats.get(chat_id)
        if window is None:
            window = (
                SlidingWindow(self.group_per_minute, GROUP_PERIOD, reserve=self.group_reserve)
                if chat_id < 0
                else SlidingWindow(1, self.chat_interval)
            )
            self._chats[chat_id] = window
            if len(self._chats) > self._remembered:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat_id)
        return window

    def must_wait(self, chat_id: int) -> bool:
        """Whether the next ordinary message into this chat has to wait for its turn."""
        return self._window(chat_id).full()

    async def wait_turn(self, chat_id: int, *, reserved: bool = False) -> None:
        """Wait for a turn; `reserved` draws on the share of a group's pace kept for digests."""
        await self._window(chat_id).acquire(reserved=reserved)
        await self.total.acquire()
