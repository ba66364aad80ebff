"""Staying under Telegram's limits instead of collecting 429s.

Telegram lets a bot post about 20 messages a minute into one group, about one a second into one
private chat and about 30 a second overall. A sliding window per chat makes a sender wait for
its turn; the bot as a whole sends evenly spaced turns (`Spacing`), a little under 30 a second:
a window of 30 would let 30 calls start in the same instant, and the few milliseconds each then
takes to reach Telegram bunch them with the next second's (a benchmark at 5,000 reminders saw
Telegram answer 429 to half the calls). A tenth of the group's pace (at least one message) is
kept for digests: when cards must wait for their turn, a digest can still say at once that they
came. A 429 all the same holds every turn for as long as Telegram asks (`hold`).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque

GROUP_PERIOD = 60.0  # seconds: Telegram's group limit is per minute
# Turns a second for the whole bot: under Telegram's 30, for the jitter between a turn and the
# request's arrival (at 28, 2 of 5,000 reminders still met a 429 in bench.bookings: 31 calls
# had arrived within one second; 27 leaves them 111 ms of jitter instead of 71).
TOTAL_PER_SECOND = 27


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


class Spacing:
    """Turns at least 1/`rate` seconds apart, first come first served; `hold` pushes the next
    turn back."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    def hold(self, seconds: float) -> None:
        self._next = max(self._next, time.monotonic() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            # A hold may come while this turn waits: look again after each sleep.
            wait = self._next - time.monotonic()
            while wait > 0:
                await asyncio.sleep(wait)
                wait = self._next - time.monotonic()
            self._next = time.monotonic() + self.interval


class Pacer:
    """One window per chat (a group's is wider than a person's) and one for the whole bot."""

    def __init__(
        self, *, group_per_minute: int, chat_per_second: float,
        total_per_second: float = TOTAL_PER_SECOND, remembered_chats: int = 10_000,
    ) -> None:  # fmt: skip
        self.group_per_minute = group_per_minute
        self.group_reserve = max(1, group_per_minute // 10) if group_per_minute > 1 else 0
        self.chat_interval = 1 / chat_per_second
        self.total = Spacing(total_per_second)
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

    def hold(self, seconds: float) -> None:
        """Telegram answered 429: no turn for anyone for `seconds`."""
        self.total.hold(seconds)

    async def wait_turn(self, chat_id: int, *, reserved: bool = False) -> None:
        """Wait for a turn; `reserved` draws on the share of a group's pace kept for digests."""
        await self._window(chat_id).acquire(reserved=reserved)
        await self.total.acquire()
