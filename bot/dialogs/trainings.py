"""Trainings for parents: the settlement (asked once per conversation, or all) → the sessions of
the next 30 days there → a session (what the programme is, when, where, for whom, places left)
→ Sign up → the confirmation. "My trainings": the sign-ups to come, each cancelled after a
question. On a session, one button asks to hear of new sessions of its programme in its
settlement, and the same place stops it.

The screens only ask; core.training_signups decides. A session id from a button goes back
through core, which refuses one that does not exist, is in another settlement than the list
the parent looks at, or is cancelled or begun; the refusal is explained over the list, drawn
afresh. A full session is refused the same way. Sign up pressed twice signs up once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F
from aiogram.types import CallbackQuery
from aiogram_dialog import Data, Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import (
    Button,
    Column,
    NextPage,
    PrevPage,
    Row,
    ScrollingGroup,
    SwitchTo,
)
from aiogram_dialog.widgets.text import Format

from bot.dialogs.problems import ProblemText, clear_problem, explain_problems, set_problem
from bot.dialogs.states import ConsentSG, TrainingsSG
from bot.dialogs.visits import db, user_id
from bot.i18n import format_clock, format_weekday_date, gettext_, pick
from bot.outbox.training_texts import AUDIENCE
from bot.widgets import TP, B, Safe, T, choices, escape
from core.reference import ProgrammeInfo
from core.training_rules import ANY_SETTLEMENT, UPCOMING_DAYS, SessionInfo, SessionStatus
from core.training_sessions import upcoming_sessions
from core.training_signups import (
    ParentView,
    cancel_signup,
    my_trainings,
    session_for_parent,
    sign_up,
    subscribe,
    unsubscribe,
)

SETTLEMENT, SESSION, AFTER_CONSENT, NOTICE = "settlement", "session", "after_consent", "notice"
# The programme and settlement of the session open: what "Tell me about new sessions" is about.
PROGRAMME, ITS_SETTLEMENT = "programme", "its_settlement"
SESSIONS_PER_PAGE = 6
PAGES = "pages"  # the list's pages, turned by "Earlier" and "Later"
# What this dialog says for codes other screens word otherwise.
OWN_CODES = {
    "not_open": "training_not_open",
    "full": "training_full",
    "training_session": "training_not_found",
    "not_signed_up": "training_not_signed_up",
    "in_the_past": "training_begun",
    "consent_required": "training_consent",
    "programme": "training_programme_gone",
    "settlement": "unknown_settlement",
}


# --- where the parent looks ------------------------------------------------------------------


def _settlement(manager: DialogManager) -> str | None:
    """The settlement chosen (None: all of them)."""
    chosen = manager.dialog_data.get(SETTLEMENT, ANY_SETTLEMENT)
    return None if chosen == ANY_SETTLEMENT else chosen


async def _settlement_names(manager: DialogManager) -> dict[str, dict[str, str]]:
    return {s.code: s.name for s in await manager.middleware_data["reference"].settlements()}


async def start_trainings(manager: DialogManager, settlement: str | None) -> None:
    """Trainings from the menu: the settlement chosen earlier in the conversation (the menu
    keeps it) is not asked again."""
    if settlement:
        await manager.start(TrainingsSG.sessions, data={SETTLEMENT: settlement})
    else:
        await manager.start(TrainingsSG.settlement)


def _name(code: str, settlements: dict[str, dict[str, str]]) -> str:
    """A settlement's name in the person's language (its code, if it is no longer listed)."""
    return pick(settlements.get(code, {})) or code


async def on_trainings_start(start_data: Data, manager: DialogManager) -> None:
    if isinstance(start_data, dict) and start_data.get(SETTLEMENT):
        manager.dialog_data[SETTLEMENT] = start_data[SETTLEMENT]


async def on_leave(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    """Back to the menu, which keeps the settlement for the next time."""
    await manager.done({SETTLEMENT: manager.dialog_data.get(SETTLEMENT)})


async def settlements_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    names = await _settlement_names(dialog_manager)
    return {
        "settlements": [
            # Translators: the first button of the settlements list on the Trainings screen.
            (ANY_SETTLEMENT, gettext_("🌍 All settlements")),
            *((code, f"📍 {pick(name)}") for code, name in names.items()),
        ]
    }


async def on_settlement(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, code: str
) -> None:
    clear_problem(manager)
    if code != ANY_SETTLEMENT and code not in await _settlement_names(manager):
        set_problem(manager, "unknown_settlement")
        return
    manager.dialog_data[SETTLEMENT] = code
    await manager.switch_to(TrainingsSG.sessions)


# --- the sessions ----------------------------------------------------------------------------


async def _programmes(manager: DialogManager) -> dict[str, ProgrammeInfo]:
    return {p.code: p for p in await manager.middleware_data["reference"].programmes()}


def _when(session: SessionInfo, manager: DialogManager) -> str:
    """«пт, 5 марта, 15:00–17:00»."""
    zone = manager.middleware_data["settings"].locale.zone
    day = format_weekday_date(session.starts_at.astimezone(zone).date())
    return f"{day}, {format_clock(session.starts_at, zone)}–{format_clock(session.ends_at, zone)}"


def _programme_name(session: SessionInfo, programmes: dict[str, ProgrammeInfo]) -> str:
    programme = programmes.get(session.programme_code)
    return pick(programme.name) if programme else session.programme_code


def _session_label(
    session: SessionInfo,
    manager: DialogManager,
    programmes: dict[str, ProgrammeInfo],
    settlements: dict[str, dict[str, str]] | None = None,
) -> str:
    """A session's button: «ср, 3 марта, 15:00–17:00 · Позитивное родительство», and where
    it is when the list is of every settlement («… · Ак-Ордо»)."""
    label = f"{_when(session, manager)} · {_programme_name(session, programmes)}"
    if settlements is None:
        return label
    return f"{label} · {_name(session.settlement_code, settlements)}"


async def sessions_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    settlement = _settlement(dialog_manager)
    found = await upcoming_sessions(db(dialog_manager), settlement_code=settlement)
    programmes = await _programmes(dialog_manager)
    names = await _settlement_names(dialog_manager)
    # Translators: on the list of training sessions, instead of a settlement's name.
    place = _name(settlement, names) if settlement else gettext_("All settlements")
    page = await dialog_manager.find(PAGES).get_page()
    return {
        "place": place,
        "days": UPCOMING_DAYS,
        "any": bool(found),
        "earlier": page > 0,
        "later": (page + 1) * SESSIONS_PER_PAGE < len(found),
        "sessions": [
            (
                str(s.id),
                _session_label(s, dialog_manager, programmes, None if settlement else names),
            )
            for s in found
        ],
    }


async def on_session(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    clear_problem(manager)
    if not item.isdigit():
        set_problem(manager, "training_not_found")
        return
    view = await session_for_parent(
        db(manager), user_id=user_id(manager), session_id=int(item),
        settlement_code=_settlement(manager), open_only=True,
    )  # fmt: skip
    manager.dialog_data[SESSION] = int(item)
    manager.dialog_data[PROGRAMME] = view.session.programme_code
    manager.dialog_data[ITS_SETTLEMENT] = view.session.settlement_code
    await manager.switch_to(TrainingsSG.details)


# --- one session -----------------------------------------------------------------------------


async def _view(manager: DialogManager) -> ParentView:
    return await session_for_parent(
        db(manager), user_id=user_id(manager), session_id=manager.dialog_data[SESSION]
    )


def _place(session: SessionInfo, settlements: dict[str, dict[str, str]]) -> str:
    """«Ак-Ордо, School No. 5, 12 Zhibek Zholu»."""
    settlement = _name(session.settlement_code, settlements)
    return ", ".join(part for part in (settlement, session.place_name, session.address) if part)


async def details_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    view = await _view(dialog_manager)
    session = view.session
    programmes = await _programmes(dialog_manager)
    settlements = await _settlement_names(dialog_manager)
    return {
        "programme_html": _programme_html(session, programmes),
        "lines_html": Safe(
            f"📅 {escape(_when(session, dialog_manager))}\n"
            f"📍 {escape(_place(session, settlements))}\n"
            f"👥 {escape(gettext_(AUDIENCE[session.audience]))}"
        ),
        "left": session.places_left,
        "cancelled": session.status == SessionStatus.CANCELLED,
        "closed": not view.open and session.status != SessionStatus.CANCELLED,
        "signed_up": view.open and bool(view.people),
        "can_sign_up": view.open and not view.people and session.places_left > 0,
        "full": view.open and not view.people and session.places_left == 0,
        "subscribed": view.subscribed,
        "settlement": _name(session.settlement_code, settlements),
    }


def _programme_html(session: SessionInfo, programmes: dict[str, ProgrammeInfo]) -> Safe:
    """The programme in two plain lines: its name and what it is."""
    programme = programmes.get(session.programme_code)
    lines = [f"🎓 <b>{escape(_programme_name(session, programmes))}</b>"]
    if programme and pick(programme.summary):
        lines.append(escape(pick(programme.summary)))
    return Safe("\n".join(lines))


def _consented(manager: DialogManager) -> bool:
    return bool(manager.middleware_data["profile"].consented)


async def _sign_up(manager: DialogManager) -> None:
    # A refusal (the session filled, was cancelled or began meanwhile; a forged button) is
    # explained over the list, drawn afresh, where the parent can choose again.
    await manager.switch_to(TrainingsSG.sessions)
    await sign_up(db(manager), user_id=user_id(manager), session_id=manager.dialog_data[SESSION])
    await manager.switch_to(TrainingsSG.signed_up)


async def _subscribe(manager: DialogManager) -> None:
    await subscribe(db(manager), **_about(manager))


def _about(manager: DialogManager) -> dict[str, Any]:
    """Whose subscription, to which programme in which settlement: the session's."""
    data = manager.dialog_data
    return {
        "user_id": user_id(manager),
        "programme_code": data[PROGRAMME],
        "settlement_code": data[ITS_SETTLEMENT],
    }


async def _after_consent(manager: DialogManager, then: str) -> None:
    """Do `then` (a key of AFTER_CONSENT_DOES) now, or once the parent agrees to the privacy
    notice (see on_consent)."""
    clear_problem(manager)
    if _consented(manager):
        await AFTER_CONSENT_DOES[then](manager)
        return
    manager.dialog_data[AFTER_CONSENT] = then
    await manager.start(ConsentSG.notice, data={"then": "training"})


async def on_sign_up(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _after_consent(manager, "sign_up")


async def on_subscribe(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _after_consent(manager, "subscribe")


async def on_unsubscribe(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    clear_problem(manager)
    await unsubscribe(db(manager), **_about(manager))


async def on_consent(_start_data: Data, result: Any, manager: DialogManager) -> None:
    """Back from the privacy notice asked for before a first sign-up or subscription: what
    the parent pressed is done once they agree."""
    then = manager.dialog_data.pop(AFTER_CONSENT, None)
    if not isinstance(result, dict) or "consented" not in result:
        return
    if not result["consented"]:
        set_problem(manager, "training_consent")
    elif then in AFTER_CONSENT_DOES:
        await AFTER_CONSENT_DOES[then](manager)


# What a press that waited for the privacy notice does once the parent agrees.
AFTER_CONSENT_DOES: dict[str, Callable[[DialogManager], Awaitable[None]]] = {
    "sign_up": _sign_up,
    "subscribe": _subscribe,
}


# --- my trainings ----------------------------------------------------------------------------


async def mine_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    signups = await my_trainings(db(dialog_manager), user_id(dialog_manager))
    programmes = await _programmes(dialog_manager)
    notice = dialog_manager.dialog_data.pop(NOTICE, None)
    return {
        "signups": [
            (str(s.session.id), _session_label(s.session, dialog_manager, programmes))
            for s in signups
        ],
        "any": bool(signups),
        "cancelled": notice or "",
        "has_notice": notice is not None,
    }


async def on_mine(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    """A sign-up pressed: the question whether to cancel it."""
    clear_problem(manager)
    if not item.isdigit():
        set_problem(manager, "training_not_signed_up")
        return
    view = await session_for_parent(db(manager), user_id=user_id(manager), session_id=int(item))
    if not view.people:
        set_problem(manager, "training_not_signed_up")
        return
    manager.dialog_data[SESSION] = int(item)
    await manager.switch_to(TrainingsSG.cancel)


async def on_cancel(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    # My trainings come next either way; a refusal (the session began meanwhile) is explained
    # there.
    await manager.switch_to(TrainingsSG.mine)
    signup = await cancel_signup(
        db(manager), user_id=user_id(manager), session_id=manager.dialog_data[SESSION]
    )
    programmes = await _programmes(manager)
    manager.dialog_data[NOTICE] = _session_label(signup.session, manager, programmes)


# --- screens ---------------------------------------------------------------------------------

BACK = B("⬅️ Back")
# Translators: button on the Trainings screens: the parent's own sign-ups.
MY_TRAININGS = B("🎓 My trainings")


def _session_lines() -> tuple[T, ...]:
    return (
        Format("{programme_html}"),
        Format("\n{lines_html}"),
    )


def trainings_dialog() -> Dialog:
    """A fresh dialog: aiogram routers can belong to one dispatcher only."""
    dialog = Dialog(
        Window(
            ProblemText(),
            T("🎓 <b>Trainings</b>\n📍 Where do you live? Choose your settlement."),
            Column(choices("settlement", "settlements", on_settlement)),
            SwitchTo(MY_TRAININGS, id="to_mine", state=TrainingsSG.mine),
            Button(BACK, id="leave", on_click=on_leave),
            state=TrainingsSG.settlement,
            getter=settlements_getter,
        ),
        Window(
            ProblemText(),
            T("🎓 <b>Trainings</b>\n📍 {place}"),
            TP(
                "\nSessions in the next {days} day. Choose one to see it.",
                "\nSessions in the next {days} days. Choose one to see it.",
                "days",
                when="any",
            ),
            TP(
                "\nNo sessions are planned here in the next {days} day. "
                "Please look again later or choose another settlement.",
                "\nNo sessions are planned here in the next {days} days. "
                "Please look again later or choose another settlement.",
                "days",
                when=~F["any"],
            ),
            ScrollingGroup(
                choices("session", "sessions", on_session),
                id=PAGES,
                width=1,
                height=SESSIONS_PER_PAGE,
                hide_pager=True,
            ),
            # A pager button's `when` reads its own data, the window's under "data".
            Row(
                # Translators: button under a list of training sessions: the previous page.
                PrevPage(PAGES, id="earlier", text=B("⬅️ Earlier"), when=F["data"]["earlier"]),
                # Translators: button under a list of training sessions: the next page.
                NextPage(PAGES, id="later", text=B("Later ➡️"), when=F["data"]["later"]),
            ),
            # Translators: button on the list of training sessions: look in another settlement.
            SwitchTo(B("📍 Another settlement"), id="to_settlement", state=TrainingsSG.settlement),
            SwitchTo(MY_TRAININGS, id="list_mine", state=TrainingsSG.mine),
            Button(BACK, id="list_leave", on_click=on_leave),
            state=TrainingsSG.sessions,
            getter=sessions_getter,
        ),
        Window(
            ProblemText(),
            *_session_lines(),
            T("🪑 Places left: {left}", when="can_sign_up"),
            T("🔴 No places left.", when="full"),
            T("\n✅ You are signed up.", when="signed_up"),
            T("\n❌ This session is cancelled.", when="cancelled"),
            T("\nThis session has already begun.", when="closed"),
            T(
                "\n🔔 We will tell you about new sessions of this programme in {settlement}.",
                when="subscribed",
            ),
            # Translators: button on a training session: take a place in it.
            Button(B("✅ Sign up"), id="sign_up", on_click=on_sign_up, when="can_sign_up"),
            Button(
                # Translators: button on a training session: a message when the same programme
                # has a new session in this settlement.
                B("🔔 Tell me about new sessions"),
                id="subscribe",
                on_click=on_subscribe,
                when=~F["subscribed"],
            ),
            Button(
                # Translators: button on a training session: no more messages about new sessions
                # of this programme.
                B("🔕 Stop telling me"),
                id="unsubscribe",
                on_click=on_unsubscribe,
                when="subscribed",
            ),
            SwitchTo(MY_TRAININGS, id="details_mine", state=TrainingsSG.mine, when="signed_up"),
            SwitchTo(BACK, id="to_sessions", state=TrainingsSG.sessions),
            state=TrainingsSG.details,
            getter=details_getter,
        ),
        Window(
            T("✅ <b>You are signed up.</b>\n"),
            *_session_lines(),
            T(
                "\n⏰ We will remind you a day and an hour before. If you cannot come, please "
                "cancel in “🎓 My trainings”, so the place goes to others."
            ),
            SwitchTo(MY_TRAININGS, id="signed_mine", state=TrainingsSG.mine),
            # Translators: button after signing up: back to the list of training sessions.
            SwitchTo(B("🎓 Other sessions"), id="signed_sessions", state=TrainingsSG.sessions),
            Button(B("🏠 Main menu"), id="signed_leave", on_click=on_leave),
            state=TrainingsSG.signed_up,
            getter=details_getter,
        ),
        Window(
            ProblemText(),
            T("✖️ Your sign-up is cancelled: {cancelled}\n", when="has_notice"),
            T("🎓 <b>My trainings</b>"),
            T("Your next sessions. Press one to cancel it.", when="any"),
            T("You are not signed up for any session.", when=~F["any"]),
            Column(choices("signup", "signups", on_mine)),
            SwitchTo(
                # Translators: button in My trainings: the list of sessions to sign up for.
                B("🎓 Sessions to sign up for"),
                id="mine_sessions",
                state=TrainingsSG.sessions,
                when=F["dialog_data"]["settlement"],
            ),
            SwitchTo(
                B("🎓 Sessions to sign up for"),
                id="mine_settlement",
                state=TrainingsSG.settlement,
                when=~F["dialog_data"]["settlement"],
            ),
            Button(BACK, id="mine_leave", on_click=on_leave),
            state=TrainingsSG.mine,
            getter=mine_getter,
        ),
        Window(
            ProblemText(),
            T("✖️ <b>Cancel your sign-up?</b>\n"),
            *_session_lines(),
            # Translators: button: yes, cancel the sign-up for the training session.
            Button(B("Yes, cancel it"), id="confirm_cancel", on_click=on_cancel),
            # Translators: button: the sign-up for the training session stays.
            SwitchTo(B("No, keep it"), id="keep", state=TrainingsSG.mine),
            state=TrainingsSG.cancel,
            getter=details_getter,
        ),
        on_start=on_trainings_start,
        on_process_result=on_consent,
    )
    return explain_problems(dialog, OWN_CODES)
