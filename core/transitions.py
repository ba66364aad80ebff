"""Which states a thing may move between, and by which action: one table per kind of thing.

A request declares its table in core.requests (REQUEST_STATUSES); bookings and training
sessions will declare theirs the same way. Use cases ask their table what an action does from
the current state instead of each testing statuses of its own, so a step the table does not
list is refused in one place, with the code a front turns into words, and the table reads as
the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from core.errors import InvalidTransition

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class Move(Generic[S]):
    """`action` is allowed from each of `sources` and leads to `target`; a target of None
    allows the action but leaves the state as it is (e.g. a reply on a request already taken).
    A target equal to the source is a move all the same: it is kept in the history."""

    action: str
    sources: tuple[S, ...]
    target: S | None


class Transitions(Generic[S]):
    """The legal moves of one kind of thing between the states `S`.

    `refusals` names the error code of an action tried from a state it is not allowed in; a
    key `(action, state)` gives that one state a code of its own (e.g. "already waiting" rather
    than "closed"). A mistake in the declaration (an action listed twice from one state, an
    action without a refusal code) fails at import, not when a person meets it."""

    def __init__(
        self,
        *,
        initial: S,
        moves: Iterable[Move[S]],
        refusals: Mapping[str | tuple[str, S], str],
    ) -> None:
        self.initial = initial
        self._moves: dict[tuple[str, S], S | None] = {}
        for move in moves:
            for source in move.sources:
                if (move.action, source) in self._moves:
                    raise ValueError(f"{move.action!r} from {source!r} is declared twice")
                self._moves[move.action, source] = move.target
        self.actions = frozenset(action for action, _source in self._moves)
        self._refusals = dict(refusals)
        for key in self._refusals:
            if isinstance(key, tuple) and key in self._moves:
                raise ValueError(f"{key[0]!r} is allowed from {key[1]!r} yet has a refusal")
        if missing := sorted(action for action in self.actions if action not in self._refusals):
            raise ValueError(f"No refusal code for {', '.join(missing)}")

    def allows(self, current: S, action: str) -> bool:
        return (action, current) in self._moves

    def move(self, current: S, action: str) -> S | None:
        """The state `action` leads to from `current` (None: it stays as it is); an action not
        allowed from `current` raises InvalidTransition with the declared code."""
        try:
            return self._moves[action, current]
        except KeyError:
            raise self._refusal(current, action) from None

    def check(self, current: S, action: str) -> None:
        """Refuse `action` before anything else is done, when `current` does not allow it."""
        if not self.allows(current, action):
            raise self._refusal(current, action)

    def _refusal(self, current: S, action: str) -> InvalidTransition:
        if action not in self.actions:
            raise ValueError(f"Unknown action {action!r}")
        code = self._refusals.get((action, current)) or self._refusals[action]
        return InvalidTransition(code, status=current.value, action=action)
