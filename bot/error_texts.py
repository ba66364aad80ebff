"""Every problem the Telegram front explains, in words: one table from core's error codes (and the
few codes of the front's own, such as "use the buttons") to the text a person reads.

Core raises errors that carry a code and plain parameters (core.errors); this table is the only
place that turns them into words. Parents and staff read different words for some codes
(a parent withdrew *their* request; for staff, *the parent* withdrew it), so each code has a
column per audience; a code one audience never meets has no text in its column. Parents read
their problems in their own language, staff in the staff group's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.i18n import format_number, gettext_
from bot.outbox.words import Words
from bot.widgets import escape
from core.errors import CoreError
from koldo.i18n import N_

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Said:
    """What parents and what staff read for one error code."""

    parents: str | None = None
    staff: str | None = None


SORRY = N_("Sorry, something went wrong on our side. Please try again.")
# Someone else's request and one that does not exist read the same to a parent: nothing to
# learn from it.
NOT_YOURS = N_("This request cannot be opened. Please choose one from your list.")
CLOSED = N_("This request is already closed.")

ERROR_TEXTS: dict[str, Said] = {
    # core.errors' own codes
    "access_denied": Said(
        parents=NOT_YOURS, staff=N_("⛔ Only CPC staff listed in Koldo can do this.")
    ),
    "not_found": Said(parents=NOT_YOURS, staff=N_("This request or person was not found.")),
    "consent_required": Said(
        parents=N_("To file a request, please first accept the privacy notice: press /start.")
    ),
    # a request's status does not allow the step (core.requests.REQUEST_STATUSES)
    "closed": Said(staff=CLOSED),
    "not_waiting": Said(staff=N_("This request is already waiting for the parent.")),
    "already_yours": Said(staff=N_("You have already taken this request.")),
    "withdrawn": Said(
        parents=N_("This request was withdrawn, so nothing more can be added to it."),
        staff=N_("The parent withdrew this request, so nothing can be sent to them."),
    ),
    "no_parent": Said(staff=N_("The parent's data was erased, so nothing can be sent to them.")),
    "not_resolved": Said(parents=N_("This request is not resolved, so there is nothing to rate.")),
    # what someone typed or sent does not fit
    "empty": Said(
        parents=N_("The message was empty. Please write a few words."),
        staff=N_("The message is empty."),
    ),
    "too_long": Said(
        parents=N_(
            "That is too long: {length} characters. Please send at most {limit} characters."
        ),
        staff=N_("That is too long for one message: at most {limit} characters."),
    ),
    "not_a_number": Said(parents=N_("Please send only a number, for example 9.")),
    "age_out_of_range": Said(parents=N_("The age must be a number from {low} to {high}.")),
    "grade_out_of_range": Said(parents=N_("The grade must be a number from {low} to {high}.")),
    "invalid_phone": Said(
        parents=N_(
            "This does not look like a Kyrgyz phone number. Please send it like 0700 123 456 "
            "or +996 700 123 456."
        )
    ),
    "too_many_files": Said(
        parents=N_("One request can hold up to {limit} files. The rest were not added.")
    ),
    "unknown_settlement": Said(
        parents=N_("This settlement is no longer on the list. Please choose again.")
    ),
    "bad_query": Said(staff=N_("Send /find K-000123 or /find and a phone number.")),
    # asking to be a peer trainer (core.trainers)
    "trainer_name": Said(
        parents=N_("Please write your name in letters, for example: Aigul Asanova.")
    ),
    "no_programme": Said(parents=N_("Please choose at least one programme.")),
    "unknown_programme": Said(
        parents=N_("This programme is no longer on the list. Please choose again.")
    ),
    "trainer_consent": Said(parents=N_("To apply, please first agree to how we use your data.")),
    "trainer": Said(staff=N_("This person has not asked to be a peer trainer.")),
    "not_trainer": Said(staff=N_("This person is not a peer trainer now.")),
    # the front's own: what was sent cannot be used on this screen
    "not_text": Said(
        parents=N_(
            "Please answer with a text message. Stickers, locations and files cannot be used here."
        )
    ),
    "not_supported": Said(
        parents=N_(
            "This cannot be added here. Please send text, a photo, a file or a voice message."
        )
    ),
    "use_buttons": Said(parents=N_("Please choose one of the buttons below.")),
    "not_yours": Said(parents=NOT_YOURS),
    # booking a visit to a day centre (core.bookings); the parent is shown where to choose again
    "slot_full": Said(
        parents=N_("Sorry, this time has just been taken. Please choose another time.")
    ),
    "too_few_places": Said(
        parents=N_(
            "Not enough places are left at this time for everyone in your booking "
            "(free now: {left}). Please choose another time."
        )
    ),
    "day_full": Said(parents=N_("All times on this day are taken. Please choose another day.")),
    "day_full_wait": Said(
        parents=N_(
            "All times on this day are taken. Choose another day, "
            "or press a time to join its waiting list."
        )
    ),
    "move_full": Said(
        parents=N_("There are no places left at this time. Please choose another time.")
    ),
    "day_closed": Said(parents=N_("The centre is closed on this day. Please choose another day.")),
    "beyond_window": Said(
        parents=N_("This day is too far ahead. Please choose a day in the calendar.")
    ),
    "in_the_past": Said(
        parents=N_("This time has already passed. Please choose a day and time ahead."),
        staff=N_("This day has already passed."),
    ),
    "not_a_slot": Said(parents=N_("This time cannot be booked. Please choose one from the list.")),
    "too_many_bookings": Said(
        parents=N_(
            "You already have as many upcoming visits as one family may book ({most}). "
            "To book another, cancel one in “📅 My bookings” or wait until one has passed."
        )
    ),
    "overlapping": Said(
        parents=N_(
            "You already have a visit at this time: {reference}. Please choose another time."
        )
    ),
    "children": Said(parents=N_("Please choose how many children will come.")),
    "age": Said(parents=N_("For this service, a child's age must be from {youngest} to {oldest}.")),
    "service": Said(
        parents=N_("This service can no longer be booked here. Please choose another one.")
    ),
    "not_booked": Said(
        parents=N_("This visit was already cancelled or has taken place."),
        staff=N_("This visit was cancelled."),
    ),
    "booking_not_yours": Said(
        parents=N_("This visit cannot be opened. Please choose one from your list.")
    ),
    # running the day centres in the staff group (core.day_roster)
    "centre": Said(staff=N_("There is no day centre with this code.")),
    "booking": Said(staff=N_("This visit was not found.")),
    "closing_reason": Said(staff=N_("Please write why the centre is closed.")),
    "not_yet": Said(staff=N_("This visit is on a later day: mark it on the day itself.")),
    # training sessions run from the staff group (core.training_sessions, core.training_reports)
    "training_session": Said(staff=N_("There is no training session with this number.")),
    "not_open": Said(
        parents=CLOSED,
        staff=N_("This session was cancelled, has taken place or has already begun."),
    ),
    "not_ended": Said(
        parents=N_("The session is not over yet: please report after it ends."),
        staff=N_("This session has not ended yet: its report can wait until then."),
    ),
    "ends": Said(staff=N_("The session must end after it begins, and last at most {hours} hours.")),
    "time": Said(staff=N_("Please write the times like 14:00-16:00.")),
    "trainers": Said(staff=N_("A session needs from {low} to {high} trainers.")),
    "unknown_trainer": Said(
        staff=N_(
            "Koldo does not know the user {user_id}: a trainer must start Koldo once before "
            "being given a session."
        )
    ),
    "capacity": Said(staff=N_("Please send a number from {low} to {high}.")),
    "programme": Said(staff=N_("This programme is no longer offered.")),
    "settlement": Said(staff=N_("This settlement is no longer on the list.")),
    "count": Said(
        parents=N_("Please send a whole number, 0 or more."),
        staff=N_("Each number must be from 0 to 10000."),
    ),
    "age_bands_total": Said(
        parents=N_(
            "The age groups add up to {by_age}, but girls, boys, women and men make {total}. "
            "Please count the ages again."
        ),
        staff=N_(
            "The age bands add up to {by_age}, but girls, boys, women and men to {total}: "
            "both must give the same total."
        ),
    ),
    "note": Said(staff=N_("The note may have at most {most} characters.")),
    # the waiting list (core.waiting_list)
    "not_full": Said(parents=N_("A place at this time has just become free: you can book it now.")),
    "offer_ended": Said(
        parents=N_(
            "Sorry, this place is no longer held for you: the time to take it has run out "
            "or it was taken. You can book another time in “🏠 Day centre”."
        )
    ),
    "offer_not_yours": Said(parents=N_("This offer cannot be opened.")),
    "booking_consent": Said(
        parents=N_("To book a visit, please first agree to how we use your data.")
    ),
    # training sessions (core.training_signups); the parent is shown where to choose again
    "training_not_found": Said(
        parents=N_("This session cannot be opened. Please choose one from the list.")
    ),
    "training_not_open": Said(
        parents=N_(
            "Sorry, this session was cancelled or has already begun. Please choose another one."
        )
    ),
    "training_full": Said(
        parents=N_(
            "Sorry, the last place in this session has just been taken. Please choose "
            "another session."
        )
    ),
    "training_not_signed_up": Said(
        parents=N_("You are not signed up for this session. Please choose one from your list.")
    ),
    "training_begun": Said(
        parents=N_("This session has already begun, so the sign-up cannot be cancelled.")
    ),
    "training_consent": Said(
        parents=N_("To sign up for a training, please first agree to how we use your data.")
    ),
    "training_programme_gone": Said(parents=N_("Sorry, this programme is no longer offered.")),
    # a peer trainer's sessions (bot.dialogs.trainer_sessions)
    "session_not_yours": Said(
        parents=N_("This session cannot be opened. Please choose one from the list.")
    ),
    "session_not_open": Said(
        parents=N_("This session has begun, was cancelled or is over, so the answer can't change.")
    ),
    "already_reported": Said(
        parents=N_("This session is already reported. To correct it, please write to the staff.")
    ),
    "declined": Said(
        parents=N_("You said you can't lead this session, so there is nothing to report.")
    ),
}


def _template(codes: tuple[str, ...], audience: str) -> str:
    """The first code with words for this audience; a code without any is our omission, not
    the person's mistake, so they are told so rather than sent to press a button that may not
    be there."""
    for code in codes:
        template = getattr(ERROR_TEXTS.get(code, Said()), audience)
        if template is not None:
            return template
    logger.warning("No words for the error code %r (%s)", codes[0], audience)
    return SORRY


def problem_text(code: str, params: dict[str, Any]) -> str:
    """A parent's problem in the current language, values escaped (numbers as the language
    writes them)."""
    return "⚠️ " + gettext_(_template((code,), "parents")).format_map(
        {key: _format_param(value) for key, value in params.items() if key != "fields"}
    )


def staff_problem_text(words: Words, error: CoreError) -> str:
    """A staff member's problem in the staff group's language. An error whose own code has no
    words is said by its kind (e.g. NotFound("staff") as "not found")."""
    template = _template((error.code, type(error).code), "staff")
    return words.say(
        template, **{k: v for k, v in error.params.items() if isinstance(v, int | str)}
    )


def _format_param(value: Any) -> str:
    return format_number(value) if isinstance(value, int) else escape(value)
