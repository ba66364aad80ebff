"""The request form: Documents and School share one dialog.

Which questions are asked, and in which order, is core's decision (`core.forms.fields_for`);
this dialog only maps each question to a screen, so Back and Next always agree with core, and
the Edit screen can send the parent to any answer and bring them back to the summary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import F
from aiogram.enums import ContentType
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.api.entities import Data
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Column, Group, RequestContact, Row, Select
from aiogram_dialog.widgets.markup.reply_keyboard import ReplyKeyboardFactory
from aiogram_dialog.widgets.text import Case, Format

from bot.content import content_of, source_key
from bot.dialogs.info import urgent_numbers_html
from bot.dialogs.problems import ProblemText, clear_problem, explain_problems, set_problem
from bot.dialogs.states import FormSG
from bot.filters import ContentIs
from bot.i18n import format_number, gettext_, pick
from bot.message_manager import close_reply_keyboard_with
from bot.widgets import TP, B, Safe, T, choices, escape
from core.errors import ConsentRequired
from core.forms import (
    GRADE_RANGE,
    OTHER_SETTLEMENT,
    Answers,
    Category,
    Danger,
    DocumentType,
    Field,
    Obstacle,
    Subject,
    add_story_message,
    fields_for,
    missing_fields,
    new_form,
    next_field,
    normalize_phone,
    parse_child_age,
    parse_grade,
    parse_settlement_name,
    pretty_phone,
    previous_field,
)
from core.requests import file_request
from koldo import labels

STATE_OF = {
    Field.DOCUMENT_TYPE: FormSG.document_type,
    Field.SUBJECT: FormSG.subject,
    Field.CHILD_AGE: FormSG.child_age,
    Field.GRADE: FormSG.grade,
    Field.SETTLEMENT: FormSG.settlement,
    Field.OBSTACLE: FormSG.obstacle,
    Field.DESCRIPTION: FormSG.description,
    Field.PHONE: FormSG.phone,
    Field.DANGER: FormSG.danger,
}
FIELD_OF = {state.state: field for field, state in STATE_OF.items()}
FIELD_OF[FormSG.settlement_other.state] = Field.SETTLEMENT

# --- state helpers -------------------------------------------------------------------------


def answers_of(manager: DialogManager) -> Answers:
    return Answers.from_json(manager.dialog_data["answers"])


def save_answers(manager: DialogManager, answers: Answers) -> None:
    manager.dialog_data["answers"] = answers.to_json()


def current_field(manager: DialogManager) -> Field | None:
    return FIELD_OF.get(manager.current_context().state.state)


async def advance(manager: DialogManager) -> None:
    """After an answer: the next question, or back to the summary when editing."""
    clear_problem(manager)
    answers = answers_of(manager)
    if manager.dialog_data.get("editing"):
        missing = missing_fields(answers)
        following = missing[0] if missing else None
    else:
        following = next_field(answers, current_field(manager))
    await manager.switch_to(STATE_OF[following] if following else FormSG.summary)


def first_question(category: Category) -> State:
    """The screen a new form of this category opens on."""
    first = next_field(Answers(category=category), None)
    return STATE_OF[first] if first else FormSG.summary


async def on_start(start_data: Data, manager: DialogManager) -> None:
    category = Category(start_data["category"])  # type: ignore[index]
    save_answers(manager, new_form(category))


# --- buttons shared by every question --------------------------------------------------------


def leave_phone_screen(manager: DialogManager, text: str) -> None:
    """Leaving the phone screen, take its reply keyboard off the parent's phone with `text`;
    the next screen follows as a new message (one with buttons cannot close the keyboard)."""
    if manager.current_context().state != FormSG.phone:
        return
    close_reply_keyboard_with(text)
    manager.show_mode = ShowMode.SEND


async def on_back(_event: Any, _widget: Any, manager: DialogManager) -> None:
    clear_problem(manager)
    leave_phone_screen(manager, gettext_("⬅️ Back to the previous question."))
    state = manager.current_context().state
    if state == FormSG.settlement_other:
        await manager.switch_to(FormSG.settlement)
        return
    if manager.dialog_data.get("editing") or state == FormSG.edit:
        await manager.switch_to(FormSG.summary)
        return
    answers = answers_of(manager)
    previous = previous_field(answers, None if state == FormSG.summary else current_field(manager))
    if previous is None:
        await manager.done()
    else:
        await manager.switch_to(STATE_OF[previous])


async def on_cancel(_event: Any, _widget: Any, manager: DialogManager) -> None:
    leave_phone_screen(manager, gettext_("👌 OK"))
    await manager.done({"notice": "cancelled"})


NAVIGATION = Row(
    # Translators: button in a form: go back to the previous question (or screen).
    Button(B("⬅️ Back"), id="back", on_click=on_back),
    # Translators: button in a form: drop the whole form; nothing is sent (glossary: cancel).
    Button(B("✖️ Cancel"), id="cancel", on_click=on_cancel),
)


async def on_wrong_content(message: Message, _widget: Any, manager: DialogManager) -> None:
    set_problem(manager, "not_text")


WRONG_CONTENT = MessageInput(on_wrong_content, content_types=ContentType.ANY)


def choice_getter(options: dict[Any, str]) -> Any:
    async def getter(**_kwargs: Any) -> dict[str, Any]:
        return {"options": [(code.value, gettext_(label)) for code, label in options.items()]}

    return getter


def choice_select(field: Field, kind: type, *, width: int = 1) -> Group:
    """Big buttons for an enum answer; data that is not one of the options is refused."""

    async def on_pick(
        _callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
    ) -> None:
        try:
            value = kind(item)
        except ValueError:
            set_problem(manager, "use_buttons")
            return
        answers = answers_of(manager)
        setattr(answers, field.value, value)
        save_answers(manager, answers)
        await advance(manager)

    return Group(
        choices(f"pick_{field.value}", "options", on_pick),
        width=width,
    )


async def refuse_choice_text(message: Message, _widget: Any, manager: DialogManager) -> None:
    set_problem(manager, "use_buttons")


CHOICE_INPUT = MessageInput(refuse_choice_text, content_types=ContentType.ANY)

# --- typed answers --------------------------------------------------------------------------


def store_typed(manager: DialogManager, parse: Callable[[Answers], None]) -> Answers:
    """Apply one typed answer; a value that does not fit raises InvalidInput, which the dialog
    explains on the same screen (bot.dialogs.problems), and nothing is stored."""
    answers = answers_of(manager)
    parse(answers)
    save_answers(manager, answers)
    return answers


async def on_age(message: Message, _widget: Any, manager: DialogManager) -> None:
    def parse(answers: Answers) -> None:
        answers.child_age = parse_child_age(answers.category, message.text)

    store_typed(manager, parse)
    await advance(manager)


async def on_grade_text(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _set_grade(manager, message.text)


async def on_grade_button(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    await _set_grade(manager, item)


async def _set_grade(manager: DialogManager, text: str | None) -> None:
    def parse(answers: Answers) -> None:
        answers.grade = parse_grade(text)

    store_typed(manager, parse)
    await advance(manager)


async def on_settlement(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    known = {s.code for s in await manager.middleware_data["reference"].settlements()}
    if item not in known:
        set_problem(manager, "unknown_settlement")
        return
    answers = answers_of(manager)
    answers.settlement_code, answers.settlement_other = item, None
    save_answers(manager, answers)
    await advance(manager)


async def on_other_settlement(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager
) -> None:
    clear_problem(manager)
    await manager.switch_to(FormSG.settlement_other)


async def on_settlement_name(message: Message, _widget: Any, manager: DialogManager) -> None:
    def parse(answers: Answers) -> None:
        answers.settlement_other = parse_settlement_name(message.text)
        answers.settlement_code = OTHER_SETTLEMENT

    store_typed(manager, parse)
    await advance(manager)


async def on_story_part(message: Message, _widget: Any, manager: DialogManager) -> None:
    """Text, photos, files and voice all add to the story; the parent presses Next when done."""
    answers = answers_of(manager)
    clear_problem(manager)
    content = content_of(message)
    add_story_message(
        answers,
        source=source_key(message),
        text=content.text,
        attachment=content.attachment,
        file_id=content.file_id,
    )
    save_answers(manager, answers)


async def on_story_unsupported(message: Message, _widget: Any, manager: DialogManager) -> None:
    set_problem(manager, "not_supported")


async def on_story_done(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await advance(manager)


async def on_phone_text(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _set_phone(manager, message.text)


async def on_contact(message: Message, _widget: Any, manager: DialogManager) -> None:
    await _set_phone(manager, message.contact.phone_number if message.contact else None)


async def _set_phone(manager: DialogManager, text: str | None) -> None:
    def parse(answers: Answers) -> None:
        answers.phone = normalize_phone(text)

    answers = store_typed(manager, parse)
    leave_phone_screen(
        manager,
        gettext_("📞 Thank you, we have your number: {phone}").format(
            phone=pretty_phone(answers.phone or "")
        ),
    )
    await advance(manager)


# --- summary, edit, send ---------------------------------------------------------------------


def _settlement_name(answers: Answers, names: dict[str, dict[str, str]]) -> str:
    if answers.settlement_code == OTHER_SETTLEMENT:
        return answers.settlement_other or ""
    return pick(names.get(answers.settlement_code or "", {})) or (answers.settlement_code or "")


def _value_text(field: Field, answers: Answers, names: dict[str, dict[str, str]]) -> str:
    if field is Field.DOCUMENT_TYPE and answers.document_type:
        return gettext_(labels.DOCUMENT_TYPE[answers.document_type])
    if field is Field.SUBJECT and answers.subject:
        return gettext_(labels.SUBJECT[answers.subject])
    if field is Field.OBSTACLE and answers.obstacle:
        return gettext_(labels.OBSTACLE[answers.obstacle])
    if field is Field.DANGER and answers.danger:
        return gettext_(labels.DANGER[answers.danger])
    if field is Field.CHILD_AGE and answers.child_age is not None:
        return format_number(answers.child_age)
    if field is Field.GRADE and answers.grade is not None:
        return format_number(answers.grade)
    if field is Field.SETTLEMENT:
        return _settlement_name(answers, names)
    if field is Field.DESCRIPTION:
        return _story_preview(answers)
    if field is Field.PHONE:
        return pretty_phone(answers.phone or "")
    return ""


STORY_PREVIEW = 300
CALLBACK_WORKING_DAYS = 2  # what CPC promises parents about the first call


def _story_preview(answers: Answers) -> str:
    text = answers.description
    if len(text) > STORY_PREVIEW:
        text = text[:STORY_PREVIEW].rstrip() + "…"
    files = len(answers.attachments)
    if files:
        # Translators: under the story in the summary: how many files the parent attached.
        attached = gettext_("📎 files: {count}").format(count=format_number(files))
        text = f"{text}\n{attached}" if text else attached
    return text


async def summary_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    answers = answers_of(dialog_manager)
    names = {
        s.code: s.name for s in await dialog_manager.middleware_data["reference"].settlements()
    }
    lines = [
        f"<b>{escape(gettext_(labels.FIELD[field]))}:</b> "
        f"{escape(_value_text(field, answers, names))}"
        for field in fields_for(answers)
    ]
    danger = answers.danger is Danger.YES
    info = await dialog_manager.middleware_data["reference"].public_info() if danger else None
    return {
        "category": gettext_(labels.CATEGORY[answers.category]),
        "summary": Safe("\n".join(lines)),
        "danger": danger,
        "numbers": urgent_numbers_html(info) if info else "",
        "edit_options": [
            (field.value, gettext_(labels.FIELD[field])) for field in fields_for(answers)
        ],
    }


async def on_change(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    clear_problem(manager)
    await manager.switch_to(FormSG.edit)


async def on_edit_field(
    _callback: CallbackQuery, _widget: Any, manager: DialogManager, item: str
) -> None:
    try:
        field = Field(item)
    except ValueError:
        set_problem(manager, "use_buttons")
        return
    if field not in fields_for(answers_of(manager)):
        set_problem(manager, "use_buttons")
        return
    manager.dialog_data["editing"] = True
    clear_problem(manager)
    await manager.switch_to(STATE_OF[field])


async def on_send(callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    data = manager.middleware_data
    try:
        filed = await file_request(
            data["db"],
            user_id=callback.from_user.id,
            answers=answers_of(manager),
            language=data["i18n"].current_locale,
            keywords=data["keywords"],
        )
    except ConsentRequired:
        # Not a problem with the form: the menu says what to do, with the privacy notice.
        await manager.done({"notice": "consent_required"})
        return
    manager.dialog_data["filed"] = {
        "reference": filed.reference,
        "urgent": filed.urgent,
        "phone": pretty_phone(filed.phone),
    }
    await manager.switch_to(FormSG.sent)


async def sent_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    filed = dialog_manager.dialog_data["filed"]
    info = await dialog_manager.middleware_data["reference"].public_info()
    return {**filed, "numbers": urgent_numbers_html(info), "days": CALLBACK_WORKING_DAYS}


async def on_finish(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await manager.done()


async def on_my_requests(_callback: CallbackQuery, _widget: Any, manager: DialogManager) -> None:
    await manager.done({"open": "my_requests"})


# --- screens -----------------------------------------------------------------------------


async def grades_getter(**_kwargs: Any) -> dict[str, Any]:
    low, high = GRADE_RANGE
    return {"grades": list(range(low, high + 1))}


async def settlements_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    rows = await dialog_manager.middleware_data["reference"].settlements()
    return {"options": [(s.code, pick(s.name)) for s in rows]}


async def story_getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    answers = answers_of(dialog_manager)
    return {
        "has_story": bool(answers.description or answers.attachments),
        "texts": len(answers.description),
        "files": len(answers.attachments),
        "category": answers.category.value,
    }


def question(state: Any, *widgets: Any, getter: Any = None, **kwargs: Any) -> Window:
    return Window(ProblemText(), *widgets, state=state, getter=getter, **kwargs)


def choice_question(
    state: State, text: T, field: Field, kind: type, options: dict[Any, str], *, width: int = 1
) -> Window:
    """A question answered by pressing one of the enum's buttons."""
    return question(
        state,
        text,
        choice_select(field, kind, width=width),
        NAVIGATION,
        CHOICE_INPUT,
        getter=choice_getter(options),
    )


def form_dialog() -> Dialog:
    """A fresh dialog: aiogram routers can belong to one dispatcher only."""
    dialog = Dialog(
        choice_question(
            FormSG.document_type,
            T("📄 Which document do you need help with?"),
            Field.DOCUMENT_TYPE,
            DocumentType,
            labels.DOCUMENT_TYPE,
        ),
        choice_question(
            FormSG.subject,
            T("Who is the document for?"),
            Field.SUBJECT,
            Subject,
            labels.SUBJECT,
            width=2,
        ),
        question(
            FormSG.child_age,
            T("🧒 How old is the child?\nSend a number, for example 9."),
            NAVIGATION,
            MessageInput(on_age, filter=ContentIs(ContentType.TEXT)),
            WRONG_CONTENT,
        ),
        question(
            FormSG.grade,
            T("🏫 Which grade should the child go to?\nPress a number."),
            Group(
                Select(
                    Format("{item}"),
                    id="grade",
                    item_id_getter=str,
                    items="grades",
                    on_click=on_grade_button,
                ),
                width=4,
            ),
            NAVIGATION,
            MessageInput(on_grade_text, filter=ContentIs(ContentType.TEXT)),
            WRONG_CONTENT,
            getter=grades_getter,
        ),
        question(
            FormSG.settlement,
            T("📍 Where do you live? Choose your settlement."),
            Group(
                choices("settlement", "options", on_settlement),
                width=2,
            ),
            # Translators: button under the list of settlements: the parent's place is not listed
            # and they will type it.
            Button(B("✏️ Another place"), id="other_settlement", on_click=on_other_settlement),
            NAVIGATION,
            CHOICE_INPUT,
            getter=settlements_getter,
        ),
        question(
            FormSG.settlement_other,
            T("✏️ Write the name of your settlement or street."),
            NAVIGATION,
            MessageInput(on_settlement_name, filter=ContentIs(ContentType.TEXT)),
            WRONG_CONTENT,
        ),
        choice_question(
            FormSG.obstacle,
            T("What is keeping the child from school?"),
            Field.OBSTACLE,
            Obstacle,
            labels.OBSTACLE,
        ),
        question(
            FormSG.description,
            Case(
                {
                    "documents": T("✍️ Tell us what happened, in your own words."),
                    "school": T("✍️ Tell us a little more about the child and the school."),
                },
                selector="category",
                when=~F["has_story"],
            ),
            T(
                "You can write, send a voice message, or send photos of documents.\n"
                "💡 Send photos as a file (📎 → File): then the text stays readable.",
                when=~F["has_story"],
            ),
            # Translators: shown while the parent tells what happened: what they sent has arrived.
            T("✅ Received.", when="has_story"),
            TP(
                "📝 Text: {texts} character.",
                "📝 Text: {texts} characters.",
                "texts",
                when=F["texts"] > 0,
            ),
            TP(
                "📎 {files} file attached.",
                "📎 {files} files attached.",
                "files",
                when=F["files"] > 0,
            ),
            T("Send more, or press Next.", when="has_story"),
            # Translators: button: the parent has finished telling what happened and goes on to the
            # next question.
            Button(B("➡️ Next"), id="story_done", on_click=on_story_done, when="has_story"),
            NAVIGATION,
            MessageInput(
                on_story_part,
                filter=ContentIs(
                    ContentType.TEXT, ContentType.PHOTO, ContentType.DOCUMENT, ContentType.VOICE
                ),
            ),
            MessageInput(on_story_unsupported, content_types=ContentType.ANY),
            getter=story_getter,
        ),
        question(
            FormSG.phone,
            T(
                "📞 Which number can CPC call you on?\n"
                "Press “📱 Share my number” below, or type it, for example 0700 123 456."
            ),
            # Translators: button that sends the parent's own Telegram phone number to the bot.
            RequestContact(B("📱 Share my number")),
            NAVIGATION,
            MessageInput(on_contact, filter=ContentIs(ContentType.CONTACT)),
            MessageInput(on_phone_text, filter=ContentIs(ContentType.TEXT)),
            WRONG_CONTENT,
            markup_factory=ReplyKeyboardFactory(resize_keyboard=True, one_time_keyboard=False),
        ),
        choice_question(
            FormSG.danger,
            T("🆘 Is a child in danger right now?"),
            Field.DANGER,
            Danger,
            labels.DANGER,
        ),
        question(
            FormSG.summary,
            T(
                "🆘 If a child is in danger, call at once:\n{numbers}\n"
                "Then send the request: CPC staff will see it first.\n",
                when="danger",
            ),
            T("<b>{category}</b> — please check:\n\n{summary}\n\nIs everything right?"),
            # Translators: button under the summary: send the request to CPC.
            Button(B("✅ Send"), id="send", on_click=on_send),
            Row(
                # Translators: button under the summary: change one of the answers before sending.
                Button(B("✏️ Change"), id="edit", on_click=on_change),
                Button(B("✖️ Cancel"), id="cancel", on_click=on_cancel),
            ),
            CHOICE_INPUT,
            getter=summary_getter,
        ),
        question(
            FormSG.edit,
            T("✏️ What do you want to change?"),
            Column(
                choices("edit_field", "edit_options", on_edit_field),
            ),
            Button(B("⬅️ Back"), id="back", on_click=on_back),
            CHOICE_INPUT,
            getter=summary_getter,
        ),
        Window(
            T("✅ Your request <b>{reference}</b> has been received.\n"),
            TP(
                "A CPC staff member will call you at {phone}, usually within {days} working day.",
                "A CPC staff member will call you at {phone}, usually within {days} working days.",
                "days",
            ),
            T("You can follow the request in “📋 My requests”."),
            T(
                "\n🆘 If a child is in danger right now, call at once:\n{numbers}",
                when="urgent",
            ),
            Button(B("📋 My requests"), id="my_requests", on_click=on_my_requests),
            # Translators: button after a request is sent or a visit booked: back to the main menu.
            Button(B("🏠 Main menu"), id="finish", on_click=on_finish),
            state=FormSG.sent,
            getter=sent_getter,
        ),
        on_start=on_start,
    )
    return explain_problems(dialog)
