"""My sessions: a peer trainer's sessions to come (each opened to say "I will lead it" or "I
can't"), the whole schedule by settlement or by programme, and, once a session is over, the
attendance report, asked one number per screen.

Button data can be forged, so a session id from a button goes through core, which answers and
takes reports only from the session's own trainers (and logs a refusal). Numbers come from
buttons carrying the step they answer, so a press delivered twice fills one step, not two.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Group, ScrollingGroup, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.dialogs.booking import on_not_text
from bot.dialogs.problems import ProblemText, clear_problem, explain_problems, set_problem
from bot.dialogs.states import TrainerSessionsSG
from bot.dialogs.visits import db, rules, user_id
from bot.i18n import format_clock, format_moment, format_weekday_date, gettext_, pick
from bot.outbox.training_texts import AUDIENCE
from bot.widgets import B, Safe, T, choices, escape
from core.clock import utcnow
from core.forms import parse_number
from core.training_reports import MAX_NOTE, Attendance, report_attendance
from core.training_rules import OPEN_STATUSES, SessionInfo, SessionStatus, TrainerAnswer
from core.training_sessions import (
    answer_as_trainer,
    answer_of,
    get_session,
    trainer_sessions,
    upcoming_sessions,
)
from koldo.i18n import N_

SESSION_ID, BACK_TO, NOTICE = "session_id", "back_to", "notice"
BY, CHOSEN = "by", "chosen"  # the schedule: by settlement or programme, and which one
STEP, COUNTS, NOTE = "step", "counts", "note"
PAST_SHOWN = 10
PAGE = 8  # sessions per page of a list
PENDING = TrainerAnswer.PENDING
NUMBERS = 11  # number buttons 0–10; more is typed
FIELDS = ("girls", "boys", "women", "men", "age_6_9", "age_10_13", "age_14_16", "adults")
BANDS_FROM = FIELDS.index("age_6_9")
# Another trainer's session and one that does not exist read the same: nothing to learn.
OWN_CODES = {
    "not_your_session": "session_not_yours",
    "training_session": "session_not_yours",
    "not_open": "session_not_open",
}

QUESTIONS = {
    "girls": N_("👧 How many <b>girls</b> came?"),
    "boys": N_("👦 How many <b>boys</b> came?"),
    "women": N_("👩 How many <b>women</b> came?"),
    "men": N_("👨 How many <b>men</b> came?"),
    "age_6_9": N_("How many of them were <b>6 to 9</b> years old?"),
    "age_10_13": N_("How many were <b>10 to 13</b> years old?"),
    "age_14_16": N_("How many were <b>14 to 16</b> years old?"),
    "adults": N_("How many were <b>adults</b> (17 and older)?"),
}
LABELS = {
    # Translators: a line of the attendance report's summary: "Girls: 5".
    "girls": N_("Girls"),
    # Translators: a line of the attendance report's summary.
    "boys": N_("Boys"),
    # Translators: a line of the attendance report's summary.
    "women": N_("Women"),
    # Translators: a line of the attendance report's summary.
    "men": N_("Men"),
    # Translators: a line of the attendance report's summary: children aged 6 to 9.
    "age_6_9": N_("Aged 6–9"),
    # Translators: a line of the attendance report's summary.
    "age_10_13": N_("Aged 10–13"),
    # Translators: a line of the attendance report's summary.
    "age_14_16": N_("Aged 14–16"),
    # Translators: a line of the attendance report's summary: people 17 and older.
    "adults": N_("Adults"),
}
ANSWER_MARK = {
    TrainerAnswer.LEADING: "✅",
    TrainerAnswer.PENDING: "⏳",
    TrainerAnswer.DECLINED: "❌",
}
ANSWER_TEXT = {
    TrainerAnswer.LEADING: N_("✅ You will lead it."),
    TrainerAnswer.PENDING: N_("⏳ You have not answered yet: will you lead it?"),
    TrainerAnswer.DECLINED: N_("❌ You said you can't lead it."),
}
CO_TRAINER_ANSWER = {
    # Translators: after a co-trainer's name on a session's screen.
    TrainerAnswer.LEADING: N_("will lead it"),
    # Translators: after a co-trainer's name on a session's screen.
    TrainerAnswer.PENDING: N_("has not answered yet"),
    # Translators: after a co-trainer's name on a session's screen.
    TrainerAnswer.DECLINED: N_("can't lead it"),
}
NOTICES = {
    "leading": N_("✅ Thank you! You will lead this session. We will remind you before it."),
    "declined": N_("❌ Noted: you can't lead this session. The staff have been told."),
    "reported": N_("📝 Thank you! Your report is sent."),
}


async def _names(manager: DialogManager) -> tuple[dict[str, str], dict[str, str]]:
    """Settlements' and programmes' names in the person's language, by code."""
    reference = manager.middleware_data["reference"]
    settlements = {s.code: pick(s.name) for s in await reference.settlements()}
    programmes = {p.code: pick(p.name) for p in await reference.programmes()}
    return settlements, programmes


def _when(session: SessionInfo, manager: DialogManager) -> str:
    """«пн, 1 марта, 15:00–17:00»."""
    zone = rules(manager).zone
    day = session.starts_at.astimezone(zone).date()
    start, end = format_clock(session.starts_at, zone), format_clock(session.ends_at, zone)
    return f"{format_weekday_date(day)}, {start}–{end}"


def _item(
    session: SessionInfo, manager: DialogManager, place: str, mark: str = ""
) -> tuple[str, str]:
    """A session's button: «✅ 3 мар., 15:00 · Ак-Ордо · 5/20»."""
    moment = format_moment(session.starts_at, rules(manager).zone)
    label = f"{moment} · {place} · {session.signed_up}/{session.capacity}"
    return str(session.id), f"{mark} {label}" if mark else label


def _open_to_answer(session: SessionInfo) -> bool:
    return session.status in OPEN_STATUSES and session.starts_at > utcnow()


def _to_report(session: SessionInfo, uid: int) -> bool:
    answer = answer_of(session, uid)
    return (
        answer is not None
        and answer != TrainerAnswer.DECLINED
        and session.status in OPEN_STATUSES
        and session.ends_at <= utcnow()
    )


# --- my sessions ----------------------------------------------------------------------------------


async def list_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    uid = user_id(dialog_manager)
    mine = await trainer_sessions(db(dialog_manager), uid)
    settlements, _ = await _names(dialog_manager)

    def place(session: SessionInfo) -> str:
        return settlements.get(session.settlement_code, session.settlement_code)

    past = mine.past[:PAST_SHOWN]
    return {
        "upcoming": [
            _item(s, dialog_manager, place(s), ANSWER_MARK[answer_of(s, uid) or PENDING])
            for s in mine.upcoming
        ],
        "has_upcoming": bool(mine.upcoming),
        "past": [_item(s, dialog_manager, place(s), _past_mark(s)) for s in past],
        "has_past": bool(past),
    }


def _past_mark(session: SessionInfo) -> str:
    return "✔️" if session.status == SessionStatus.HELD else "📝"


async def on_open(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    clear_problem(manager)
    if not item.isdigit():
        set_problem(manager, "session_not_yours")
        return
    await get_session(db(manager), int(item))
    manager.dialog_data[SESSION_ID] = int(item)
    manager.dialog_data[BACK_TO] = manager.current_context().state.state
    await manager.switch_to(TrainerSessionsSG.details)


async def on_back(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    """To the list the session was opened from: mine or the schedule's."""
    clear_problem(manager)
    from_schedule = manager.dialog_data.get(BACK_TO) == TrainerSessionsSG.schedule_list.state
    await manager.switch_to(
        TrainerSessionsSG.schedule_list if from_schedule else TrainerSessionsSG.list
    )


# --- a session ------------------------------------------------------------------------------------


async def details_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    uid = user_id(dialog_manager)
    session = await get_session(db(dialog_manager), dialog_manager.dialog_data[SESSION_ID])
    settlements, programmes = await _names(dialog_manager)
    answer = answer_of(session, uid)
    open_ = answer is not None and _open_to_answer(session)
    notice = dialog_manager.dialog_data.pop(NOTICE, None)
    return {
        "notice": gettext_(NOTICES[notice]) if notice in NOTICES else "",
        "has_notice": notice in NOTICES,
        "session_html": _session_html(session, dialog_manager, settlements, programmes),
        "co_trainers": _co_trainers(session, uid),
        "has_co_trainers": len(session.trainers) > 1,
        "answer": gettext_(ANSWER_TEXT[answer]) if answer else "",
        "show_answer": answer is not None and session.ends_at > utcnow(),
        "moved": session.status == SessionStatus.MOVED,
        "can_lead": open_ and answer != TrainerAnswer.LEADING,
        "can_decline": open_ and answer != TrainerAnswer.DECLINED,
        "can_report": _to_report(session, uid),
        "reported": answer is not None and session.status == SessionStatus.HELD,
        "when": _when(session, dialog_manager),
        "programme": programmes.get(session.programme_code, session.programme_code),
    }


def _session_html(
    session: SessionInfo,
    manager: DialogManager,
    settlements: dict[str, str],
    programmes: dict[str, str],
) -> Safe:
    """Programme, time, place, address, audience and sign-ups, one line each."""
    place = ", ".join(
        part
        for part in (settlements.get(session.settlement_code, session.settlement_code),
                     session.place_name)
        if part
    )  # fmt: skip
    lines = [
        f"🎓 <b>{escape(programmes.get(session.programme_code, session.programme_code))}</b>",
        f"📅 {escape(_when(session, manager))}",
        f"📍 {escape(place)}",
    ]
    if session.address:
        lines.append(f"🏠 {escape(session.address)}")
    lines.append(f"👥 {escape(gettext_(AUDIENCE[session.audience]))}")
    signed = gettext_("🙋 Signed up: {signed} of {capacity}").format(
        signed=session.signed_up, capacity=session.capacity
    )
    lines.append(escape(signed))
    return Safe("\n".join(lines))


def _co_trainers(session: SessionInfo, uid: int) -> Safe:
    """The other trainers, each a link to their Telegram account, with their answer."""
    lines = [
        f'• <a href="tg://user?id={int(t.user_id)}">{int(t.user_id)}</a> '
        f"{ANSWER_MARK[t.answer]} {escape(gettext_(CO_TRAINER_ANSWER[t.answer]))}"
        for t in session.trainers
        if t.user_id != uid
    ]
    return Safe("\n".join(lines))


async def _answer(manager: DialogManager, *, leading: bool) -> None:
    clear_problem(manager)
    await manager.switch_to(TrainerSessionsSG.details)
    await answer_as_trainer(
        db(manager),
        user_id=user_id(manager),
        session_id=manager.dialog_data[SESSION_ID],
        leading=leading,
    )
    manager.dialog_data[NOTICE] = "leading" if leading else "declined"


async def on_lead(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _answer(manager, leading=True)


async def on_decline(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await _answer(manager, leading=False)


# --- the whole schedule ---------------------------------------------------------------------------


async def on_by(_callback: CallbackQuery, widget: Any, manager: DialogManager) -> None:
    manager.dialog_data[BY] = widget.widget_id
    await manager.switch_to(TrainerSessionsSG.schedule_pick)


async def pick_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    settlements, programmes = await _names(dialog_manager)
    by_settlement = dialog_manager.dialog_data.get(BY) == "settlement"
    return {
        "options": list((settlements if by_settlement else programmes).items()),
        "by_settlement": by_settlement,
    }


async def on_pick(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    settlements, programmes = await _names(manager)
    known = settlements if manager.dialog_data.get(BY) == "settlement" else programmes
    if item not in known:
        set_problem(manager, "use_buttons")
        return
    clear_problem(manager)
    manager.dialog_data[CHOSEN] = item
    await manager.switch_to(TrainerSessionsSG.schedule_list)


async def schedule_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    by_settlement = data.get(BY) == "settlement"
    chosen = data.get(CHOSEN, "")
    if by_settlement:
        found = await upcoming_sessions(db(dialog_manager), settlement_code=chosen)
    else:
        found = await upcoming_sessions(db(dialog_manager), programme_code=chosen)
    settlements, programmes = await _names(dialog_manager)
    uid = user_id(dialog_manager)

    def label(session: SessionInfo) -> str:
        if by_settlement:
            return programmes.get(session.programme_code, session.programme_code)
        return settlements.get(session.settlement_code, session.settlement_code)

    names = settlements if by_settlement else programmes
    return {
        "sessions": [
            _item(s, dialog_manager, label(s), ANSWER_MARK.get(answer_of(s, uid) or "", ""))
            for s in found
        ],
        "has_sessions": bool(found),
        "chosen": escape(names.get(chosen, chosen)),
    }


# --- the attendance report ------------------------------------------------------------------------


async def on_report(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    clear_problem(manager)
    manager.dialog_data[STEP], manager.dialog_data[COUNTS] = 0, {}
    manager.dialog_data[NOTE] = ""
    await manager.switch_to(TrainerSessionsSG.count)


async def count_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    step = dialog_manager.dialog_data[STEP]
    counts = dialog_manager.dialog_data[COUNTS]
    total = sum(counts.get(name, 0) for name in FIELDS[:BANDS_FROM])
    return {
        "step": step + 1,
        "steps": len(FIELDS),
        "question": Safe(gettext_(QUESTIONS[FIELDS[step]])),
        "bands": step >= BANDS_FROM,
        "total": total,
        "numbers": [(f"{step}-{n}", str(n)) for n in range(NUMBERS)],
    }


async def on_number(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    step, _, number = item.partition("-")
    if step != str(manager.dialog_data[STEP]) or not number.isdigit():
        return  # a press meant for a step already answered (delivered twice, or stale)
    await _take(manager, int(number))


async def on_typed_number(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _take(manager, parse_number(message.text))


async def _take(manager: DialogManager, number: int) -> None:
    """One number in; the next question. After the last age band, the bands must add up to
    the count by gender: if not, core's refusal is explained on the first band's screen."""
    clear_problem(manager)
    data = manager.dialog_data
    data[COUNTS] = {**data[COUNTS], FIELDS[data[STEP]]: number}
    if data[STEP] + 1 < len(FIELDS):
        data[STEP] += 1
        return
    data[STEP] = BANDS_FROM  # where a refusal sends them back
    Attendance(**data[COUNTS]).check()
    data[STEP] = len(FIELDS) - 1
    await manager.switch_to(TrainerSessionsSG.note)


async def on_count_back(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    clear_problem(manager)
    if manager.dialog_data[STEP] == 0:
        await manager.switch_to(TrainerSessionsSG.details)
    else:
        manager.dialog_data[STEP] -= 1


async def on_note(message: Message, _widget: Any, manager: DialogManager) -> None:
    note = (message.text or "").strip()
    if len(note) > MAX_NOTE:
        set_problem(manager, "too_long", length=len(note), limit=MAX_NOTE)
        return
    clear_problem(manager)
    manager.dialog_data[NOTE] = note
    await manager.switch_to(TrainerSessionsSG.summary)


async def on_skip_note(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    clear_problem(manager)
    manager.dialog_data[NOTE] = ""
    await manager.switch_to(TrainerSessionsSG.summary)


async def summary_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    counts = dialog_manager.dialog_data[COUNTS]
    attendance = Attendance(**counts)
    lines = [f"{escape(gettext_(LABELS[name]))}: {counts[name]}" for name in FIELDS]
    lines.insert(BANDS_FROM, "")
    note = dialog_manager.dialog_data[NOTE]
    return {
        "counts": Safe("\n".join(lines)),
        "total": attendance.total,
        "note": escape(note),
        "has_note": bool(note),
    }


async def on_send(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    data = manager.dialog_data
    await report_attendance(
        db(manager),
        user_id=user_id(manager),
        session_id=data[SESSION_ID],
        attendance=Attendance(**data[COUNTS]),
        note=data[NOTE],
    )
    clear_problem(manager)
    data[NOTICE] = "reported"
    await manager.switch_to(TrainerSessionsSG.details)


BACK = B("⬅️ Back")


def trainer_sessions_dialog() -> Dialog:
    """A fresh dialog: aiogram routers can belong to one dispatcher only."""
    dialog = Dialog(
        Window(
            ProblemText(),
            # Translators: the title of a peer trainer's list of their sessions.
            T("🧑‍🏫 <b>My sessions</b>"),
            T(
                "Your next sessions: ✅ you lead it, ⏳ you have not answered yet, ❌ you can't. "
                "Press one to see it and answer.",
                when="has_upcoming",
            ),
            T("You have no sessions coming up.", when=~F["has_upcoming"]),
            T(
                "\n<b>Past sessions</b>: 📝 not reported yet, ✔️ reported. "
                "Press one to report who came.",
                when="has_past",
            ),
            ScrollingGroup(
                choices("mine", "upcoming", on_open),
                id="mine_pages",
                width=1,
                height=PAGE,
                hide_on_single_page=True,
            ),
            Column(choices("past", "past", on_open)),
            # Translators: button: every session to come, by settlement or by programme.
            SwitchTo(
                B("📅 The whole schedule"), id="schedule", state=TrainerSessionsSG.schedule_by
            ),
            Cancel(BACK),
            state=TrainerSessionsSG.list,
            getter=list_getter,
        ),
        Window(
            ProblemText(),
            Format("{notice}\n", when="has_notice"),
            Format("{session_html}"),
            T("🔁 This session has moved to a new time.", when="moved"),
            T("\n🤝 <b>Co-trainers</b>\n{co_trainers}", when="has_co_trainers"),
            Format("\n{answer}", when="show_answer"),
            T(
                "\n📝 The session is over. Please tell us who came.",
                when="can_report",
            ),
            T("\n✔️ Attendance is reported. Thank you!", when="reported"),
            Button(B("✅ I will lead it"), id="lead", on_click=on_lead, when="can_lead"),
            SwitchTo(
                # Translators: button on a session: the trainer cannot lead it (asked once more).
                B("❌ I can't"),
                id="decline",
                state=TrainerSessionsSG.decline,
                when="can_decline",
            ),
            # Translators: button: fill in who came to a session that is over.
            Button(B("📝 Report attendance"), id="report", on_click=on_report, when="can_report"),
            Button(BACK, id="back", on_click=on_back),
            state=TrainerSessionsSG.details,
            getter=details_getter,
        ),
        Window(
            ProblemText(),
            T(
                "❌ You can't lead <b>{programme}</b> on {when}?\n"
                "The staff will be told at once, so they can find someone else."
            ),
            # Translators: button: confirm that the trainer cannot lead the session.
            Button(B("Yes, I can't lead it"), id="confirm_decline", on_click=on_decline),
            # Translators: button: the trainer changed their mind and keeps the session.
            SwitchTo(B("No, go back"), id="keep", state=TrainerSessionsSG.details),
            state=TrainerSessionsSG.decline,
            getter=details_getter,
        ),
        Window(
            ProblemText(),
            T(
                "📅 <b>The whole schedule</b>\n"
                "Sessions in the next 30 days. How shall we sort them?"
            ),
            # Translators: button: the schedule of sessions, settlement by settlement.
            Button(B("📍 By settlement"), id="settlement", on_click=on_by),
            # Translators: button: the schedule of sessions, programme by programme.
            Button(B("🎓 By programme"), id="programme", on_click=on_by),
            SwitchTo(BACK, id="to_mine", state=TrainerSessionsSG.list),
            state=TrainerSessionsSG.schedule_by,
        ),
        Window(
            ProblemText(),
            T("📍 Choose a settlement.", when="by_settlement"),
            T("🎓 Choose a programme.", when=~F["by_settlement"]),
            ScrollingGroup(
                choices("option", "options", on_pick),
                id="option_pages",
                width=2,
                height=6,
                hide_on_single_page=True,
            ),
            SwitchTo(BACK, id="to_by", state=TrainerSessionsSG.schedule_by),
            state=TrainerSessionsSG.schedule_pick,
            getter=pick_getter,
        ),
        Window(
            ProblemText(),
            Format("📅 <b>{chosen}</b>"),
            T("Sessions in the next 30 days. Press one to see it.", when="has_sessions"),
            T("No sessions in the next 30 days.", when=~F["has_sessions"]),
            ScrollingGroup(
                choices("session", "sessions", on_open),
                id="session_pages",
                width=1,
                height=PAGE,
                hide_on_single_page=True,
            ),
            SwitchTo(BACK, id="to_pick", state=TrainerSessionsSG.schedule_pick),
            state=TrainerSessionsSG.schedule_list,
            getter=schedule_getter,
        ),
        Window(
            ProblemText(),
            T("📝 <b>Who came</b> · step {step} of {steps}"),
            Format("{question}"),
            T("Together the age groups should make {total}.", when="bands"),
            T("Press a number or send it as a message."),
            Group(choices("n", "numbers", on_number), width=6),
            Button(BACK, id="count_back", on_click=on_count_back),
            MessageInput(on_typed_number, content_types=ContentType.TEXT),
            MessageInput(on_not_text, content_types=ContentType.ANY),
            state=TrainerSessionsSG.count,
            getter=count_getter,
        ),
        Window(
            ProblemText(),
            T(
                "📝 <b>Who came</b> · a note\nAnything staff should know about the session? "
                "Send it as a message, or press Skip."
            ),
            # Translators: button: send the attendance report without a note.
            Button(B("➡️ Skip"), id="skip_note", on_click=on_skip_note),
            SwitchTo(BACK, id="note_back", state=TrainerSessionsSG.count),
            MessageInput(on_note, content_types=ContentType.TEXT),
            MessageInput(on_not_text, content_types=ContentType.ANY),
            state=TrainerSessionsSG.note,
        ),
        Window(
            ProblemText(),
            T("📝 <b>Please check your report</b>\n\n{counts}\n\nCame in all: {total}"),
            Format("💬 {note}", when="has_note"),
            # Translators: button: send the attendance report to the staff.
            Button(B("✅ Send"), id="send", on_click=on_send),
            SwitchTo(BACK, id="summary_back", state=TrainerSessionsSG.note),
            state=TrainerSessionsSG.summary,
            getter=summary_getter,
        ),
    )
    return explain_problems(dialog, OWN_CODES)
