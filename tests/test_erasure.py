"""/forget end to end: after it, nothing in the database leads to the parent, and the staff group
no longer shows what they told CPC."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from core.erasure import pseudonym
from storage.database import Database
from storage.models import AuditEntry, Base, OutboxEntry, Request, RequestMessage
from tests.e2e import onboard, rows, start_documents_form, tr, trn
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.harness import bot_running
from tests.test_staff_inbox import (
    ADMIN,
    STAFF_GROUP,
    _reply_as_parent,
    _topic_and_card,
    outbox_reaches,
    staff_member,
    staff_settings,
    texts,
    wait_for,
)

# Unlike any other number the tests store, so that any trace of it is found wherever it hides.
PARENT = 918_273_645
# Every table that ever held the parent's id, a person-keyed row, or their words.
TABLES_THAT_HELD_THE_PARENT = {
    "users",
    "consents",
    "requests",
    "request_messages",
    "request_status_changes",
    "message_links",
    "outbox",
    "audit_log",
    "fsm_records",
}
STORY = "Сына зовут Бакыт, свидетельство сгорело при пожаре"


async def traces_of(db: Database, value: int) -> dict[str, list[dict[str, Any]]]:
    """Rows of every table holding `value`, as a number or inside text or JSON."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with db.transaction() as repos:
        for table in Base.metadata.sorted_tables:
            for row in (await repos.session.execute(select(table))).mappings():
                if any(_holds(cell, value) for cell in row.values()):
                    found.setdefault(table.name, []).append(dict(row))
    return found


def _holds(cell: Any, value: int) -> bool:
    if isinstance(cell, bool) or cell is None:
        return False
    if isinstance(cell, int):
        return cell == value
    text = json.dumps(cell, default=str) if isinstance(cell, dict | list) else str(cell)
    return str(value) in text


async def file_with_photo(parent: SimulatedPerson) -> None:
    await onboard(parent, "ru")
    await start_documents_form(parent, "ru")
    await parent.send_text(STORY)
    await parent.send_photo(file_id="parent-photo")
    await parent.press(tr("ru", "➡️ Next"))
    await parent.press(tr("ru", "📱 Share my number"))
    await parent.press(tr("ru", "✅ No"))
    await parent.press(tr("ru", "✅ Send"))


async def forget(parent: SimulatedPerson) -> None:
    await parent.send_command("/forget")
    await parent.press(tr("ru", "🗑 Yes, erase"))


def erased_line(reference: str) -> str:
    return tr(
        "ru",
        "🗑 Request {reference}: the parent's data was erased at their request.",
        reference=reference,
    )


async def test_forget_leaves_no_trace_of_the_parent(database_url, emulator: BotApiEmulator):
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    settings = staff_settings(database_url, emulator)
    parent = SimulatedPerson(emulator, user_id=PARENT)
    async with bot_running(settings) as running:
        await file_with_photo(parent)
        admin = staff_member(emulator, ADMIN, "Нурлан")
        topic, _card = await _topic_and_card(emulator, admin)
        await wait_for(emulator, STAFF_GROUP, lambda: any(m.media for m in admin.topic_messages()))
        await admin.send_text("Бакыт может прийти в среду?")
        await wait_for(emulator, parent.chat_id, lambda: "в среду" in parent.screen().text)
        # The reply is linked to the request once the sender has recorded it.
        await outbox_reaches(running.db, lambda es: all(e.state == "sent" for e in es))
        await _reply_as_parent(parent, parent.screen().message_id, "Да, придём с Бакытом")
        await wait_for(
            emulator, STAFF_GROUP, lambda: "Да, придём" in " ".join(texts(admin.topic_messages()))
        )
        await outbox_reaches(running.db, lambda es: all(e.state == "sent" for e in es))
        assert (await traces_of(running.db, PARENT)).keys() >= TABLES_THAT_HELD_THE_PARENT

        await forget(parent)
        assert tr("ru", "✅ Done. Your language choice and consent were erased.") in (
            parent.screen().text
        )
        # The topic goes with the card, the photo, the story and the replies; a line is left.
        await wait_for(emulator, STAFF_GROUP, lambda: emulator.topics(STAFF_GROUP) == [])
        await wait_for(
            emulator,
            STAFF_GROUP,
            lambda: texts(emulator.chat_messages(STAFF_GROUP)) == [erased_line("K-000001")],
        )
        assert emulator.calls_of("deleteForumTopic")[0].params["message_thread_id"] == (
            topic.message_thread_id
        )
        await outbox_reaches(
            running.db, lambda es: [(e.kind, e.state) for e in es] == [("group_erasure", "sent")]
        )
        db = running.db
        [request] = await rows(db, Request)
        assert (request.status, request.category, request.settlement_code) == (
            "withdrawn",
            "documents",
            "ak-bata",
        )
        assert request.staff_thread_id is None and request.staff_card_message_id is None
        messages = await rows(db, RequestMessage)
        assert {(m.author, m.file_id) for m in messages} == {("parent", None), ("staff", None)}
        assert not any(STORY in (m.text or "") or "Бакыт" in (m.text or "") for m in messages)
    # Stopped: the conversation state is all written out.
    db = Database.from_url(database_url)
    try:
        assert await traces_of(db, PARENT) == {}
        # Who did what stays countable: the parent's entries share one pseudonym.
        entries = await rows(db, AuditEntry)
        alias = pseudonym(settings.pseudonym_key(), PARENT)
        theirs = [e.action for e in entries if e.actor_pseudonym == alias]
        assert theirs == [
            "consent.granted",
            "request.filed",
            "request.message_added",
            "user.forgotten",
        ]
        assert [e.actor_id for e in entries if e.action == "request.replied"] == [ADMIN]
    finally:
        await db.dispose()


async def test_forget_without_topics_deletes_what_the_bot_posted(database_url, emulator):
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=False)
    emulator.bot_can_manage_topics = True
    parent = SimulatedPerson(emulator, user_id=PARENT)
    async with bot_running(staff_settings(database_url, emulator)) as running:
        await file_with_photo(parent)
        await wait_for(emulator, STAFF_GROUP, lambda: len(emulator.chat_messages(STAFF_GROUP)) == 2)
        card, photo = emulator.chat_messages(STAFF_GROUP)
        assert STORY in card.text and photo.media == "photo"
        admin = staff_member(emulator, ADMIN, "Нурлан").replying_to(card.message_id)
        await admin.send_text("Позвоним завтра")
        await wait_for(emulator, parent.chat_id, lambda: "Позвоним завтра" in parent.screen().text)

        await forget(parent)
        await wait_for(
            emulator,
            STAFF_GROUP,
            lambda: texts(emulator.chat_messages(STAFF_GROUP)) == [erased_line("K-000001")],
        )
        # What staff wrote themselves stays: the bot deletes only its own messages.
        everything = emulator.chat_messages(STAFF_GROUP, include_incoming=True)
        assert texts(everything) == ["Позвоним завтра", erased_line("K-000001")]
        await outbox_reaches(running.db, lambda es: {e.state for e in es} == {"sent"})
        assert await traces_of(running.db, PARENT) == {}


async def test_forget_with_nothing_filed_does_not_count_requests(koldo, emulator):
    parent = SimulatedPerson(emulator, user_id=PARENT)
    await onboard(parent, "ru")
    await forget(parent)
    no_requests = trn(
        "ru",
        "Personal data was removed from {requests} request.",
        "Personal data was removed from {requests} requests.",
        0,
        requests=0,
    )
    assert parent.screen().text == "\n".join(
        [
            tr("ru", "✅ Done. Your language choice and consent were erased."),
            tr("ru", "\nPress /start if you want to use the bot again."),
        ]
    )
    assert no_requests not in parent.screen().text
    assert await rows(koldo.db, OutboxEntry) == []
