"""Living through an outage of the database (or Redis) without flooding the log.

A loop that keeps retrying something that depends on a server (the outbox sender, the writer of
conversation state, the update intake) reports each failure and each success here. The log gets
one line when the server becomes unreachable and one when it answers again, with how long it
was gone, instead of a traceback every few milliseconds (an hour-long outage once wrote over a
gigabyte). The delay before the next try grows while the outage lasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError


def is_outage(error: BaseException) -> bool:
    """Whether `error` says the server could not be reached or stopped answering, as opposed
    to a fault in what was asked (which retrying would not mend). An error raised while
    handling such a failure (a library tidying up after it) counts as the outage too."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if _says_unreachable(cause):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _says_unreachable(error: BaseException) -> bool:
    if isinstance(error, (OperationalError, InterfaceError, ConnectionError, TimeoutError)):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    kind = type(error)
    return kind.__module__.startswith("redis") and "Connection" in kind.__name__


class Outage:
    """The state of one dependency as seen by one retrying loop; `transient` tells an outage
    (waited out quietly) from a fault (logged in full every time)."""

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        *,
        first_delay: float = 0.5,
        max_delay: float = 30.0,
        transient: Callable[[BaseException], bool] = is_outage,
    ) -> None:
        self.logger = logger
        self.transient = transient
        self.what = what
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.failures = 0
        self._since: float | None = None

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException) -> float:
        """Note a failure; returns how many seconds to wait before the next try. Only the
        first failure of an outage is logged (with its cause); an error that is not an outage
        is logged with its traceback, since it needs a person to look at it."""
        self.failures += 1
        if not self.transient(error):
            self.logger.error("%s failed", self.what, exc_info=error)
        elif self._since is None:
            self._since = time.monotonic()
            self.logger.error(
                "%s: the server is unreachable (%s: %s); retrying quietly until it is back",
                self.what,
                type(error).__name__,
                str(error).splitlines()[0] if str(error) else "",
            )
        return min(self.max_delay, self.first_delay * 2 ** min(self.failures - 1, 16))

    def succeeded(self) -> None:
        """Note a success: logs the end of an outage, and the next failure starts afresh."""
        if self._since is not None:
            self.logger.warning(
                "%s: the server answers again after %.0f s",
                self.what,
                time.monotonic() - self._since,
            )
            self._since = None
        self.failures = 0


class DelayedFlush:
    """Writes a batch a moment after its first change, in one background task, so that changes
    made meanwhile share one transaction; while the database is away it keeps the batch and
    tries again less and less often (see `Outage`), and goes back to the short delay after."""

    def __init__(
        self,
        flush: Callable[[], Awaitable[None]],
        pending: Callable[[], bool],
        *,
        delay: float,
        outage: Outage,
    ) -> None:
        self._flush = flush
        self._pending = pending
        self._delay = delay
        self._outage = outage
        self._task: asyncio.Task[None] | None = None

    def soon(self) -> None:
        """Something changed: write it within the delay (one task however many changes)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        delay = self._delay
        while self._pending():
            await asyncio.sleep(delay)
            try:
                await self._flush()
            except Exception as error:
                delay = self._outage.failed(error)
            else:
                self._outage.succeeded()
                delay = self._delay

    async def stop(self) -> None:
        """Stop waiting (at shutdown); the owner writes what is left itself."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
