"""Errors that core raises. They carry a code and plain parameters, never display text:
each front turns the code into words in the person's language."""

from __future__ import annotations

from typing import Any


class CoreError(Exception):
    code = "error"

    def __init__(self, code: str | None = None, **params: Any) -> None:
        self.code = code or type(self).code
        self.params = params
        super().__init__(self.code, params)


class InvalidInput(CoreError):
    """A value a person typed does not fit the field (empty, too long, out of range...)."""

    code = "invalid_input"


class ConsentRequired(CoreError):
    """Personal data may not be stored before the current privacy notice is accepted."""

    code = "consent_required"


class NotFound(CoreError):
    code = "not_found"


class AccessDenied(CoreError):
    """Someone asked for what is not theirs; the attempt is already in the audit log."""

    code = "access_denied"


class InvalidTransition(CoreError):
    """The request's status does not allow this step (e.g. withdrawing a resolved request)."""

    code = "invalid_transition"


class BookingRefused(CoreError):
    """A booking, move or waiting-list step the rules do not allow; the code says which:
    slot_full, too_few_places (some left, fewer than needed), day_closed, beyond_window,
    in_the_past, too_many_bookings, overlapping,
    not_full (join the waiting list of a time that has places), offer_ended."""

    code = "booking_refused"


class TrainingRefused(CoreError):
    """A training-session step the rules do not allow; the code says which: full (no places
    left), not_open (cancelled, held or begun), in_the_past, not_ended (a report before the
    end), already_reported, declined (a trainer who said they can't)."""

    code = "training_refused"
