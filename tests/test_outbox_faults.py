"""The outbox under strain, end to end through the Bot API emulator: texts longer than Telegram
takes, a database that fails right after a send, a topic deleted by hand, a group whose
per-minute quota is used up, and a message Telegram refuses outright."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from core.staff import add_staff
from storage.models import OutboxEntry, RequestMessage
from tests.e2e import fill_documents_form, onboard, rows, start_documents_form, tr, trn
from tests.emulator import BotApiEmulator, SimulatedPerson
from tests.harness import RunningBot, bot_running
from tests.test_staff_inbox import (
    ADMIN,
    COLLEAGUE,
    STAFF_GROUP,
    TAKE,
    _topic_and_card,
    all_done,
    file_request,
    outbox_reaches,
    staff_member,
    staff_settings,
    texts,
    wait_for,
)


@pytest.fixture
async def inbox(database_url: str, emulator: BotApiEmulator) -> AsyncIterator[RunningBot]:
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    async with bot_running(staff_settings(database_url, emulator)) as running:
        await add_staff(running.db, COLLEAGUE, "Айпери")
        yield running


# Two messages of a long story (the form takes 2,000 characters a message, 4,000 in all),
# with what HTML needs escaped and characters Telegram counts twice.
STORY = [
    " ".join(f"Часть {n}: ждали <документы> & справки 👨‍👩‍👧 уже {n} месяцев." for n in range(31)),
    " ".join(f"Потом {n}: в ЦОНе сказали прийти снова, очередь «длинная»." for n in range(34)),
]
PLACE = "Жилмассив " + "Ак-Ордо-" * 11  # near the form's limit for a settlement's name


def _story_chunks(messages, reference: str) -> list[str]:
    """The story as it arrived after the card: each follow-up's text below its header line."""
    heads = [m.text.split("\n", 1)[0] for m in messages]
    chunks = [m.text.split("\n", 1)[1] for m in messages if m.text.startswith("📝")]
    expected = [
        tr("ru", "📝 <b>{reference}</b> · the parent's story, part {part} of {parts}:",
           reference=reference, part=part, parts=len(chunks)).replace("<b>", "").replace("</b>", "")
        for part in range(1, len(chunks) + 1)
    ]  # fmt: skip
    assert [head for head in heads if head.startswith("📝")] == expected
    return chunks


async def _file_long_story(parent: SimulatedPerson) -> None:
    await onboard(parent, "ru")
    await parent.press(tr("ru", "📄 Documents"))
    await parent.press(tr("ru", "👶 Birth certificate"))
    await parent.press(tr("ru", "🧒 For a child"))
    await parent.send_text("9")
    await parent.press(tr("ru", "✏️ Another place"))
    await parent.send_text(PLACE)
    for part in STORY:
        await parent.send_text(part)
    await parent.send_photo(file_id="form-photo-1")
    await parent.press(tr("ru", "➡️ Next"))
    await parent.press(tr("ru", "📱 Share my number"))
    await parent.press(tr("ru", "✅ No"))
    await parent.press(tr("ru", "✅ Send"))


async def _add_message(parent: SimulatedPerson, text: str) -> None:
    """From the menu, or from the request's screen where the parent already is."""
    if tr("ru", "✍️ Add a message") not in parent.buttons():
        await parent.press(tr("ru", "📋 My requests"))
        await parent.press(parent.buttons()[0])
    await parent.press(tr("ru", "✍️ Add a message"))
    await parent.send_text(text)


async def test_a_long_story_reaches_the_topic_whole_and_later_messages_follow(inbox, emulator):
    assert 3_800 < len("\n\n".join(STORY)) <= 4_000
    parent = SimulatedPerson(emulator, user_id=7601)
    await _file_long_story(parent)
    admin = staff_member(emulator, ADMIN, "Нурлан")
    topic, card = await _topic_and_card(emulator, admin)
    assert "K-000001" in card.text and "+996 700 123 456" in card.text and PLACE in card.text
    assert card.buttons[0] == [tr("ru", "🙋 Take"), tr("ru", "✅ Resolve")]

    # The whole story follows the card, in order, in as many messages as it needs.
    await wait_for(
        emulator, STAFF_GROUP, lambda: admin.topic_messages()[-1].media == "photo", within=15
    )
    chunks = _story_chunks(admin.topic_messages(), "K-000001")
    assert chunks
    assert " ".join(chunks).split() == "\n\n".join(STORY).split()
    assert all(len(message.text) <= 4_096 for message in admin.topic_messages())

    await _add_message(parent, "Есть новости?")
    await wait_for(
        emulator, STAFF_GROUP, lambda: "Есть новости?" in admin.topic_messages()[-1].text
    )
    await outbox_reaches(inbox.db, lambda entries: {e.state for e in entries} == {"sent"})
    assert [t.name for t in emulator.topics(STAFF_GROUP)] == [topic.name]


async def test_long_replies_and_captions_are_passed_on_in_parts(inbox, emulator):
    parent = SimulatedPerson(emulator, user_id=7602)
    await file_request(parent, "ru")
    admin = staff_member(emulator, ADMIN, "Нурлан")
    await _topic_and_card(emulator, admin)

    # The longest reply Koldo takes, and a caption as long as Telegram allows: with the header,
    # the caption is too long for the parent's copy of the photo.
    words = ("Приходите в центр со справкой & копией <паспорта> 📄. " * 80)[:2_000].strip()
    caption = ("Образец заявления, заполните разборчиво. " * 30)[:1_024].strip()
    await admin.send_text(words)
    await admin.send_photo(file_id="staff-photo-9", caption=caption)
    await outbox_reaches(inbox.db, all_done)
    header = tr("ru", "💬 <b>Reply from CPC on {reference}</b>", reference="K-000001")
    header = header.replace("<b>", "").replace("</b>", "")
    start = next(n for n, text in enumerate(parent.texts()) if text.startswith(header))
    replies = parent.messages()[start:]
    joined = " ".join(" ".join(message.text for message in replies).split())
    assert joined.count(" ".join(words.split())) == 1
    assert joined.count(" ".join(caption.split())) == 1
    [photo] = [message for message in replies if message.media == "photo"]
    assert photo.payload["photo"][-1]["file_id"] == "staff-photo-9"
    stored = await rows(inbox.db, RequestMessage, RequestMessage.author == "staff")
    assert [m.delivery for m in stored] == ["delivered", "delivered"]


async def test_a_database_outage_right_after_a_send_delivers_once_and_the_lane_goes_on(
    inbox, emulator, caplog, db
):
    parent = SimulatedPerson(emulator, user_id=7611)
    await file_request(parent, "ru")
    admin = staff_member(emulator, ADMIN, "Нурлан")
    _topic, card = await _topic_and_card(emulator, admin)
    await admin.press_on(card.message_id, TAKE)
    await outbox_reaches(inbox.db, all_done)

    # The database goes away for a moment just as the sender writes down that the first reply
    # went out (the reply's answer is held back until both replies are stored).
    loop = asyncio.get_running_loop()
    outage: dict = {"entry": None, "until": None, "failed": 0}

    def database_down(_conn, _cursor, statement, parameters, _context, _many):
        words = statement.lstrip().upper()
        values = list(parameters.values() if isinstance(parameters, dict) else parameters)
        if (
            outage["until"] is None
            and outage["entry"] is not None
            and words.startswith("UPDATE OUTBOX")
            and "sent" in values
            and outage["entry"] in values
        ):
            outage["until"] = loop.time() + 1.5
        if outage["until"] and loop.time() < outage["until"] and "OUTBOX" in words:
            outage["failed"] += 1
            raise OperationalError(statement, parameters, ConnectionResetError("reset by peer"))

    engine = inbox.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", database_down)
    emulator.delay("sendMessage", 1.0)
    try:
        with caplog.at_level(logging.INFO):
            await admin.send_text("Ответ номер 1")
            await admin.send_text("Ответ номер 2")
            replies = await rows(db, OutboxEntry, OutboxEntry.kind == "staff_reply")
            outage["entry"] = replies[0].id
            await outbox_reaches(db, all_done, within=20)  # read through a healthy connection
    finally:
        event.remove(engine, "before_cursor_execute", database_down)
    assert outage["failed"] >= 1
    answers = [t.split("\n\n")[1] for t in parent.texts() if "Ответ номер" in t]
    assert answers == ["Ответ номер 1", "Ответ номер 2"]
    calls = [c for c in emulator.calls_of("sendMessage") if c.chat_id == parent.chat_id]
    assert sum("Ответ номер" in str(c.params.get("text")) for c in calls) == 2
    assert {e.state for e in await rows(inbox.db, OutboxEntry)} == {"sent"}
    assert not [r for r in caplog.records if "may already have been sent" in r.getMessage()]
    # One line when the database went away, one when it came back: no traceback per retry.
    lines = [r for r in caplog.records if r.name.startswith("bot.outbox")]
    assert ["unreachable" in r.getMessage() or "answers again" in r.getMessage()
            for r in lines if r.levelno >= logging.WARNING] == [True, True]  # fmt: skip
    assert not any(r.exc_info for r in lines)


async def test_a_topic_deleted_by_hand_gets_the_card_the_story_and_the_files_again(inbox, emulator):
    parent = SimulatedPerson(emulator, user_id=7621)
    await onboard(parent, "ru")
    await start_documents_form(parent, "ru")
    for part in STORY:
        await parent.send_text(part)
    await parent.send_photo(file_id="form-photo-2")
    await parent.send_voice(file_id="form-voice-2")
    await parent.press(tr("ru", "➡️ Next"))
    await parent.press(tr("ru", "📱 Share my number"))
    await parent.press(tr("ru", "✅ No"))
    await parent.press(tr("ru", "✅ Send"))
    admin = staff_member(emulator, ADMIN, "Нурлан")
    topic, _card = await _topic_and_card(emulator, admin)
    await outbox_reaches(inbox.db, all_done)
    first = admin.topic_messages()
    assert [m.media for m in first][-2:] == ["photo", "voice"]

    emulator.delete_topic(STAFF_GROUP, topic.message_thread_id)
    await _add_message(parent, "Есть новости?")
    await wait_for(emulator, STAFF_GROUP, lambda: len(emulator.topics(STAFF_GROUP)) == 1)
    [again] = emulator.topics(STAFF_GROUP)
    assert again.message_thread_id != topic.message_thread_id
    admin.in_topic(again.message_thread_id)
    await wait_for(
        emulator,
        STAFF_GROUP,
        lambda: any("Есть новости?" in t for t in texts(admin.topic_messages())),
    )
    await outbox_reaches(inbox.db, all_done)
    shown = admin.topic_messages()
    # The card, its story and the form's files, as before; then what the parent added.
    assert [(m.media, m.text) for m in shown[:-1]] == [(m.media, m.text) for m in first]
    assert shown[-1].media is None and "Есть новости?" in shown[-1].text


async def test_a_request_is_listed_within_seconds_when_the_group_quota_is_used_up(
    database_url, emulator, monkeypatch
):
    monkeypatch.setattr("bot.outbox.pacing.GROUP_PERIOD", 8.0)
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    settings = staff_settings(
        database_url, emulator, outbox={"group_messages_per_minute": 4, "digest_after": 5}
    )
    first, second = SimulatedPerson(emulator, user_id=7631), SimulatedPerson(emulator, 7632)
    async with bot_running(settings) as running:
        await add_staff(running.db, COLLEAGUE, "Айпери")
        await file_request(first, "ru")
        await wait_for(emulator, STAFF_GROUP, lambda: len(emulator.chat_messages(STAFF_GROUP)) >= 1)
        await file_request(second, "ru")
        # Its topic waits for the group's pace, but a digest line lists it at once.
        head = (
            trn(
                "ru",
                "📥 <b>{n} new request</b> is waiting; its topic opens shortly:",
                "📥 <b>{n} new requests</b> are waiting; their topics open one by one:",
                1,
            )
            .replace("<b>", "")
            .replace("</b>", "")
        )
        await wait_for(
            emulator,
            STAFF_GROUP,
            lambda: any(
                t.startswith(head) and "K-000002" in t
                for t in texts(emulator.chat_messages(STAFF_GROUP, message_thread_id=None))
            ),
            within=3,
        )
        await wait_for(
            emulator, STAFF_GROUP, lambda: len(emulator.topics(STAFF_GROUP)) == 2, within=20
        )
        await outbox_reaches(running.db, all_done, within=20)
    # The digest came before the card it announced.
    shown = texts(emulator.chat_messages(STAFF_GROUP))
    digest = next(n for n, text in enumerate(shown) if text.startswith(head))
    card = next(n for n, text in enumerate(shown) if text.startswith("K-000002 ·"))
    assert digest < card


async def test_a_group_message_telegram_refuses_is_said_in_the_topic(inbox, emulator):
    parent = SimulatedPerson(emulator, user_id=7641)
    await file_request(parent, "ru")
    admin = staff_member(emulator, ADMIN, "Нурлан")
    await _topic_and_card(emulator, admin)
    await outbox_reaches(inbox.db, all_done)

    emulator.fail(
        "sendMessage",
        status=400,
        description="Bad Request: MESSAGE_TOO_STRANGE",
        chat_id=STAFF_GROUP,
    )
    await _add_message(parent, "Первое сообщение")
    await _add_message(parent, "Второе сообщение")
    await outbox_reaches(inbox.db, all_done)
    shown = texts(admin.topic_messages())
    refused = [t for t in shown if "MESSAGE_TOO_STRANGE" in t]
    assert len(refused) == 1 and "K-000001" in refused[0]
    assert "Второе сообщение" in shown[-1]
    failed = await rows(inbox.db, OutboxEntry, OutboxEntry.state == "failed")
    assert [e.kind for e in failed] == ["parent_message"]
    assert str(failed[0].id) in refused[0]


async def test_a_card_telegram_refuses_leaves_the_request_reachable(database_url, emulator):
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    async with bot_running(staff_settings(database_url, emulator)) as running:
        parent = SimulatedPerson(emulator, user_id=7651)
        await onboard(parent, "ru")
        await fill_documents_form(parent, "ru")
        emulator.fail(
            "sendMessage", status=400, description="Bad Request: CARD_REFUSED", chat_id=STAFF_GROUP
        )
        await parent.press(tr("ru", "✅ Send"))
        admin = staff_member(emulator, ADMIN, "Нурлан")
        await wait_for(emulator, STAFF_GROUP, lambda: len(emulator.topics(STAFF_GROUP)) == 1)
        admin.in_topic(emulator.topics(STAFF_GROUP)[0].message_thread_id)
        await wait_for(emulator, STAFF_GROUP, lambda: len(admin.topic_messages()) >= 1)
        assert "CARD_REFUSED" in admin.topic_messages()[0].text
        await _add_message(parent, "Вы получили?")
        await wait_for(
            emulator, STAFF_GROUP, lambda: "Вы получили?" in admin.topic_messages()[-1].text
        )
        await outbox_reaches(running.db, all_done)
        assert len(emulator.topics(STAFF_GROUP)) == 1
