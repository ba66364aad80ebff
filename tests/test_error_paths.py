"""Refusals end to end: a step the request's status does not allow, someone not on the staff list,
a parent acting on a request that changed under them. Each person hears why, in their language,
where they acted, and nothing changes."""

from __future__ import annotations

from core.inbox import resolve
from core.requests import withdraw_request
from storage.models import AuditEntry, Request, RequestMessage, StatusChange
from tests.e2e import fill_documents_form, onboard, rows, tr
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.emulator.views import BotMessage
from tests.test_staff_inbox import (
    ADMIN,
    RESOLVE,
    STRANGER,
    TAKE,
    _reply_as_parent,
    _topic_and_card,
    all_done,
    file_request,
    outbox_reaches,
    staff_member,
)
from tests.test_staff_inbox import inbox as inbox  # the fixture

WAIT = tr("ru", "⏳ Waiting for parent")
REFUSED = tr("ru", "⛔ Only CPC staff listed in Koldo can do this.")


def said(emulator: BotApiEmulator, update_id: int) -> list[str]:
    """What the bot wrote in answer to one update (messages, not button pop-ups)."""
    return [
        call.params["text"]
        for call in emulator.replies_to(update_id)
        if call.method == "sendMessage"
    ]


def message(person: SimulatedPerson, message_id: int) -> BotMessage:
    return next(m for m in person.messages() if m.message_id == message_id)


async def test_staff_hear_why_a_step_is_refused_and_nothing_changes(inbox, emulator):
    parent = SimulatedPerson(emulator, user_id=8101)
    await file_request(parent, "ru")
    admin = staff_member(emulator, ADMIN, "Нурлан")
    _topic, card = await _topic_and_card(emulator, admin)
    [request] = await rows(inbox.db, Request)

    async def press(action: str) -> tuple[str, bool]:
        """A card button pressed again, or on a card not yet redrawn: the pop-up it gets."""
        await admin.press_data(f"card:{action}:{request.id}:0", message_id=card.message_id)
        alert = admin.alerts()[-1]
        return alert.text, alert.show_alert

    await admin.press_on(card.message_id, TAKE)
    assert await press("take") == (tr("ru", "You have already taken this request."), True)
    await admin.press_on(card.message_id, WAIT)
    waiting = tr("ru", "This request is already waiting for the parent.")
    assert await press("wait") == (waiting, True)
    await admin.press_on(card.message_id, RESOLVE)
    steps = len(await rows(inbox.db, StatusChange))
    # A closed request refuses every step as closed (waiting for the parent too).
    for action in ("resolve", "take", "wait", "reassign"):
        if action == "reassign":
            await admin.press_data(f"card:to:{request.id}:{ADMIN}", message_id=card.message_id)
            alert = admin.alerts()[-1]
            closed = (alert.text, alert.show_alert)
        else:
            closed = await press(action)
        assert closed == (tr("ru", "This request is already closed."), True), action
    [request] = await rows(inbox.db, Request)
    assert request.status == "resolved" and len(await rows(inbox.db, StatusChange)) == steps
    assert admin.unanswered_queries() == []


async def test_someone_not_on_the_staff_list_is_refused_everything(inbox, emulator):
    parent = SimulatedPerson(emulator, user_id=8201)
    await file_request(parent, "ru")
    stranger = staff_member(emulator, STRANGER, "Чужой")
    _topic, card = await _topic_and_card(emulator, stranger)
    [request] = await rows(inbox.db, Request)
    for action in ("reassign", "back", "wait", "resolve"):
        await stranger.press_data(f"card:{action}:{request.id}:0", message_id=card.message_id)
        alert = stranger.alerts()[-1]
        assert (alert.text, alert.show_alert) == (REFUSED, True), action
    assert message(stranger, card.message_id).buttons == card.buttons  # no staff keyboard shown
    stranger.in_topic(None)
    for command, args in (("my", None), ("find", "K-000001"), ("stats", None), ("duty", None)):
        update_id = await stranger.send_command(command, args)
        assert said(emulator, update_id) == [REFUSED], command
    refusals = await rows(inbox.db, AuditEntry, AuditEntry.action == "staff.access_denied")
    assert [(entry.actor_id, entry.object_id) for entry in refusals] == [
        (STRANGER, name)
        for name in (
            "card.reassign",
            "card.back",
            "request.wait",
            "request.resolve",
            "command.my",
            "command.find",
            "command.stats",
            "staff.duty",
        )
    ]
    [request] = await rows(inbox.db, Request)
    assert request.status == "new" and request.assignee_id is None


async def test_staff_answering_a_withdrawn_request_and_a_bad_search_are_told_why(inbox, emulator):
    parent = SimulatedPerson(emulator, user_id=8301)
    await file_request(parent, "ky")
    admin = staff_member(emulator, ADMIN, "Нурлан")
    _topic, _card = await _topic_and_card(emulator, admin)
    [request] = await rows(inbox.db, Request)
    await withdraw_request(inbox.db, user_id=parent.user_id, request_id=request.id)
    await outbox_reaches(inbox.db, all_done)  # the group has heard of it
    sent_before = len(parent.messages())
    update_id = await admin.send_text("Здравствуйте, вы ещё здесь?")
    assert said(emulator, update_id) == [
        tr("ru", "The parent withdrew this request, so nothing can be sent to them.")
    ]
    update_id = await admin.in_topic(None).send_command("find", "Айгуль")
    assert said(emulator, update_id) == [
        tr("ru", "Send /find K-000123 or /find and a phone number.")
    ]
    await outbox_reaches(inbox.db, all_done)
    assert len(parent.messages()) == sent_before


async def test_a_parent_acting_on_a_request_that_changed_meanwhile_is_told_why(inbox, emulator):
    parent = SimulatedPerson(emulator, user_id=8401)
    await onboard(parent, "en")
    await fill_documents_form(parent, "en")
    await parent.press(tr("en", "✅ Send"))
    await parent.press(tr("en", "📋 My requests"))
    await parent.press(parent.buttons()[0])
    details = parent.screen().message_id
    [request] = await rows(inbox.db, Request)

    # Staff resolve it while the parent reads it; withdrawing then is refused on the page.
    await resolve(inbox.db, staff_id=ADMIN, request_id=request.id)
    await outbox_reaches(inbox.db, all_done)
    await parent.press(tr("en", "↩️ Withdraw the request"))
    await parent.press(tr("en", "Yes, withdraw"))
    page = message(parent, details)
    assert page.text.startswith("⚠️ " + tr("en", "This request is already closed."))
    assert "K-000001" in page.text
    assert tr("en", "↩️ Withdraw the request") not in page.flat_buttons()

    # The parent writes again (the request reopens), then rates it from the old question.
    question = parent.screen()
    assert tr("en", "🤏 Partly") in question.flat_buttons()
    await _reply_as_parent(parent, question.message_id, "They refused us again")
    await parent.press(tr("en", "🤏 Partly"))
    alert = parent.alerts()[-1]
    assert (alert.text, alert.show_alert) == (
        "⚠️ " + tr("en", "This request is not resolved, so there is nothing to rate."),
        True,
    )
    [request] = await rows(inbox.db, Request)
    assert (request.status, request.satisfaction) == ("reopened", None)

    # Withdrawn, it takes nothing more: a reply to a message about it is refused.
    await withdraw_request(inbox.db, user_id=parent.user_id, request_id=request.id)
    await outbox_reaches(inbox.db, all_done)
    update_id = await _reply_as_parent(parent, question.message_id, "One more thing")
    assert said(emulator, update_id) == [
        "⚠️ " + tr("en", "This request was withdrawn, so nothing more can be added to it.")
    ]
    stored = await rows(inbox.db, RequestMessage, RequestMessage.author == "parent")
    assert [m.text for m in stored] == ["They refused us again"]
