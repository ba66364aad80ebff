"""Living through an outage of the database (or Redis) without flooding the log.

A loop that keeps retrying something that depends on a server (the outbox sender, the writer of
conversation state, the update intake) reports each failure and each success here. The log gets
one line when the server becomes unreachable and one when it answers again, with how long it
was gone, instead of a traceback every few milliseconds (an hour-long outage once wrote over a
gigabyte). The delay before the next try grows while the outage lasts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

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
