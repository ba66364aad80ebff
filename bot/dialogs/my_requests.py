"""My requests: the parent's own requests, their history, adding to them and withdrawing.

Button data can be forged, so every request id that comes back from a button goes through core,
which checks ownership (and logs a refusal) before anything is shown.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, SwitchTo

from bot.content import content_of, source_key
from bot.dialogs.problems import ProblemText, clear_problem, explain_problems, set_problem
from bot.dialogs.states import MyRequestsSG
from bot.filters import ContentIs
from bot.i18n import format_day, format_moment, format_short_day, gettext_
from bot.widgets import B, Safe, T, choices, escape
from core.clock import utcnow
from core.requests import (
    Added,
    Author,
    HistoryItem,
    add_parent_message,
    list_my_requests,
    open_my_request,
    withdraw_request,
)
from koldo import labels
from koldo.i18n import N_

HISTORY_SHOWN = 10
AUTHOR = {
    # Translators: author of a line in a request's history: the parent.
    Author.PARENT: N_("You"),
    # Translators: author of a line in a request's history: CPC staff (short).
    Author.STAFF: N_("CPC"),
}
REQUEST_ID = "request_id"


def _user_id(manager: DialogManager) -> int:
    """Whose requests these are. Taken from the middleware data rather than `manager.event`:
    when the error handler redraws this screen after a stale button, the event is the error."""
    return manager.middleware_data["event_from_user"].id


def _zone(manager: DialogManager) -> Any:
    return manager.middleware_data["settings"].locale.zone


async def list_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    data = dialog_manager.middleware_data
    requests = await list_my_requests(data["db"], _user_id(dialog_manager))
    zone, now = _zone(dialog_manager), utcnow()
    return {
        "requests": [
            (
                str(r.id),
                f"{r.reference} · {gettext_(labels.CATEGORY[r.category])} · "
                f"{gettext_(labels.STATUS[r.status])} · "
                f"{format_short_day(r.created_at, zone, now=now)}",
            )
            for r in requests
        ],
        "has_requests": bool(requests),
    }


async def on_open(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    clear_problem(manager)
    if not item.isdigit():
        set_problem(manager, "not_yours")
        return
    await open_my_request(manager.middleware_data["db"], _user_id(manager), int(item))
    manager.dialog_data[REQUEST_ID] = int(item)
    await manager.switch_to(MyRequestsSG.details)


def _history_line(item: HistoryItem, zone: Any) -> str:
    when = format_moment(item.at, zone)
    if item.status is not None:
        return f"{when} — {escape(gettext_(labels.STATUS[item.status]))}"
    who = gettext_(AUTHOR.get(item.author, AUTHOR[Author.STAFF]))
    parts = []
    if item.attachment is not None:
        parts.append(gettext_(labels.ATTACHMENT[item.attachment]))
    if item.text:
        text = item.text if len(item.text) <= 200 else item.text[:200].rstrip() + "…"
        parts.append(text)
    return f"{when} — <b>{escape(who)}:</b> {escape(' '.join(parts))}"


async def details_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    details = await open_my_request(
        dialog_manager.middleware_data["db"],
        _user_id(dialog_manager),
        dialog_manager.dialog_data[REQUEST_ID],
    )
    zone = _zone(dialog_manager)
    summary = details.summary
    history = details.history[-HISTORY_SHOWN:]
    return {
        "reference": summary.reference,
        "category": gettext_(labels.CATEGORY[summary.category]),
        "status": gettext_(labels.STATUS[summary.status]),
        "date": format_day(summary.created_at, zone),
        "history": Safe("\n".join(_history_line(item, zone) for item in history)),
        "can_withdraw": details.can_withdraw,
        "can_add": details.can_add,
    }


async def on_message(message: Message, _widget: Any, manager: DialogManager) -> None:
    content = content_of(message)
    added = await add_parent_message(
        manager.middleware_data["db"],
        user_id=message.from_user.id,
        request_id=manager.dialog_data[REQUEST_ID],
        text=content.text,
        attachment=content.attachment,
        file_id=content.file_id,
        source_key=source_key(message),
        keywords=manager.middleware_data["keywords"],
    )
    clear_problem(manager)
    manager.dialog_data[REQUEST_ID] = added.request_id
    manager.dialog_data["notice"] = added.outcome.value
    await manager.switch_to(MyRequestsSG.details)


async def on_unsupported(message: Message, _widget: Any, manager: DialogManager) -> None:
    set_problem(manager, "not_supported")


async def on_withdraw(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    # The request's page comes next either way; a refusal is explained on top of it.
    await manager.switch_to(MyRequestsSG.details)
    await withdraw_request(
        manager.middleware_data["db"],
        user_id=_user_id(manager),
        request_id=manager.dialog_data[REQUEST_ID],
    )


async def notice_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    notice = dialog_manager.dialog_data.pop("notice", None)
    return {
        "added": notice in (Added.ADDED, Added.DUPLICATE),
        "reopened": notice == Added.REOPENED,
        "follow_up": notice == Added.FOLLOW_UP,
    }


async def details_and_notice(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    return {
        **await details_getter(dialog_manager, **kwargs),
        **await notice_getter(dialog_manager),
    }


TO_LIST = SwitchTo(B("⬅️ Back"), id="to_list", state=MyRequestsSG.list)
TO_DETAILS = SwitchTo(B("⬅️ Back"), id="to_details", state=MyRequestsSG.details)


def my_requests_dialog() -> Dialog:
    """A fresh dialog: aiogram routers can belong to one dispatcher only."""
    dialog = Dialog(
        Window(
            ProblemText(),
            T("📋 <b>My requests</b>\nPress a request to see it.", when="has_requests"),
            T("📋 You have no requests yet.", when=~F["has_requests"]),
            Column(choices("request", "requests", on_open)),
            Cancel(B("⬅️ Back")),
            state=MyRequestsSG.list,
            getter=list_getter,
        ),
        Window(
            ProblemText(),
            T("✅ Your message was added.\n", when="added"),
            T("✅ Your message was added and the request is open again.\n", when="reopened"),
            T(
                "✅ That request was closed long ago, so this is a new request.\n",
                when="follow_up",
            ),
            T("<b>{reference}</b> · {category}\nStatus: {status}\nSent: {date}"),
            T("\n<b>History</b>\n{history}"),
            SwitchTo(
                # Translators: button on a request: add a message (or photo, file, voice) to it.
                B("✍️ Add a message"),
                id="add",
                state=MyRequestsSG.add_message,
                when="can_add",
            ),
            SwitchTo(
                # Translators: button on a request: the parent no longer wants help with it (not
                # "cancel a form").
                B("↩️ Withdraw the request"),
                id="withdraw",
                state=MyRequestsSG.withdraw,
                when="can_withdraw",
            ),
            TO_LIST,
            state=MyRequestsSG.details,
            getter=details_and_notice,
        ),
        Window(
            ProblemText(),
            T("✍️ Write your message. You can also send a photo, a file or a voice message."),
            TO_DETAILS,
            MessageInput(
                on_message,
                filter=ContentIs(
                    ContentType.TEXT, ContentType.PHOTO, ContentType.DOCUMENT, ContentType.VOICE
                ),
            ),
            MessageInput(on_unsupported, content_types=ContentType.ANY),
            state=MyRequestsSG.add_message,
        ),
        Window(
            ProblemText(),
            T("↩️ Withdraw request <b>{reference}</b>?\nCPC will stop working on it."),
            # Translators: button: confirms withdrawing the request.
            Button(B("Yes, withdraw"), id="confirm_withdraw", on_click=on_withdraw),
            # Translators: button: the request is not withdrawn.
            SwitchTo(B("No, keep it"), id="keep", state=MyRequestsSG.details),
            state=MyRequestsSG.withdraw,
            getter=details_getter,
        ),
    )
    return explain_problems(dialog)
