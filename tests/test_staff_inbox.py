"""The staff inbox end to end: a parent files, staff in the forum group take, answer, note and
resolve, and each side sees what it should, over real HTTP through the Bot API emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from core.staff import add_staff, list_staff
from storage.models import AuditEntry, OutboxEntry, Request, RequestMessage
from tests.e2e import fill_documents_form, onboard, rows, tr, trn
from tests.emulator import BotApiEmulator, SimulatedGroupMember, SimulatedPerson
from tests.harness import RunningBot, bot_running, make_settings

STAFF_GROUP = -1001234567890
ADMIN = 500
COLLEAGUE = 501
STRANGER = 502
SLOW = 10.0
TAKE = tr("ru", "🙋 Take")
RESOLVE = tr("ru", "✅ Resolve")


def staff_settings(
    database_url: str,
    emulator: BotApiEmulator,
    *,
    outbox: dict[str, object] | None = None,
    **staff: object,
):
    """Koldo with the forum staff group; the outbox fast unless a test sets its pace."""
    return make_settings(
        database_url,
        emulator.base_url,
        staff={"chat_id": STAFF_GROUP, "admin_id": ADMIN, **staff},
        outbox=outbox or {"group_messages_per_minute": 600, "chat_messages_per_second": 20},
    )


@pytest.fixture
async def inbox(database_url: str, emulator: BotApiEmulator) -> AsyncIterator[RunningBot]:
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    async with bot_running(staff_settings(database_url, emulator)) as running:
        await add_staff(running.db, COLLEAGUE, "Айпери")
        yield running


def staff_member(emulator: BotApiEmulator, user_id: int, name: str) -> SimulatedGroupMember:
    return SimulatedGroupMember(emulator, STAFF_GROUP, user_id, name)


async def file_request(parent: SimulatedPerson, language: str, **form: str) -> None:
    await onboard(parent, language)
    await fill_documents_form(parent, language, **form)
    await parent.press(tr(language, "✅ Send"))


async def wait_for(emulator: BotApiEmulator, chat_id: int, condition, within: float = SLOW):
    await emulator.wait_until(chat_id, condition, within)


def all_done(entries: list[OutboxEntry]) -> bool:
    return all(entry.state in ("sent", "failed") for entry in entries)


async def outbox_reaches(db, condition, within: float = SLOW) -> None:
    """Wait until the outbox rows satisfy `condition` (the sender works in the background)."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition(entries := await rows(db, OutboxEntry)):
        if asyncio.get_running_loop().time() > deadline:
            states = [(e.id, e.kind, e.state, e.attempts) for e in entries]
            raise AssertionError(f"The outbox did not reach the expected state: {states}")
        await asyncio.sleep(0.05)


def texts(messages) -> list[str]:
    return [message.text for message in messages]


@pytest.mark.parametrize("language", ["ru", "ky"])
async def test_request_travels_between_parent_and_staff(inbox, emulator, language):
    parent = SimulatedPerson(emulator, user_id=7001, language_code=language)
    await file_request(parent, language, story="Потеряли свидетельство о рождении <b>сына</b>")
    await parent.send_photo(file_id="ignored-outside-flow")  # outside any flow: shows the way

    # A topic titled with reference, category and settlement, with the card and its buttons.
    await wait_for(emulator, STAFF_GROUP, lambda: len(emulator.topics(STAFF_GROUP)) == 1)
    [topic] = emulator.topics(STAFF_GROUP)
    assert topic.name.startswith(f"K-000001 · {tr('ru', 'Documents')} · ")
    admin = staff_member(emulator, ADMIN, "Нурлан").in_topic(topic.message_thread_id)
    await wait_for(emulator, STAFF_GROUP, lambda: len(admin.topic_messages()) >= 1)
    card = admin.topic_messages()[0]
    assert "K-000001" in card.text
    assert "Потеряли свидетельство о рождении <b>сына</b>" in card.text  # escaped, as typed
    assert "+996 700 123 456" in card.text
    assert card.buttons == [
        [TAKE, RESOLVE],
        [tr("ru", "⏳ Waiting for parent"), tr("ru", "👥 Reassign")],
    ]

    # Take: the card names who took it, the parent hears in their language.
    await admin.press_on(card.message_id, TAKE)
    taken = (
        tr(
            language,
            "🔧 <b>{reference}</b>: a CPC specialist is working on your request.",
            reference="K-000001",
        )
        .replace("<b>", "")
        .replace("</b>", "")
    )
    await wait_for(emulator, parent.chat_id, lambda: parent.screen().text == taken)
    [request] = await rows(inbox.db, Request)
    assert (request.status, request.assignee_id) == ("in_progress", ADMIN)

    # A text and a photo from staff reach the parent with a header in the parent's language.
    await admin.send_text("Здравствуйте! Приходите в центр в среду с копией паспорта.")
    await admin.send_photo(file_id="staff-photo-1", caption="Вот образец заявления")
    header = tr(language, "💬 <b>Reply from CPC on {reference}</b>", reference="K-000001")
    header = header.replace("<b>", "").replace("</b>", "")
    await wait_for(emulator, parent.chat_id, lambda: parent.screen().media == "photo")
    replies = [m for m in parent.messages() if m.text.startswith(header)]
    assert len(replies) == 2
    assert "Приходите в центр в среду" in replies[0].text
    assert replies[1].media == "photo" and "Вот образец заявления" in replies[1].text
    assert replies[1].payload["photo"][-1]["file_id"] == "staff-photo-1"

    # An internal note is stored and never delivered.
    await admin.send_text("/note мама звонила, перезвонить вечером")
    await admin.send_text("! вторая заметка")
    await outbox_reaches(inbox.db, all_done)
    assert not any("перезвонить" in text for text in parent.texts())
    notes = await rows(inbox.db, RequestMessage, RequestMessage.author == "note")
    assert [n.text for n in notes] == ["мама звонила, перезвонить вечером", "вторая заметка"]

    # The parent answers by replying to the staff message: it appears in the topic.
    parent_reply = replies[0]
    parent_msg = await _reply_as_parent(parent, parent_reply.message_id, "Спасибо, придём в среду")
    assert parent_msg
    await wait_for(
        emulator,
        STAFF_GROUP,
        lambda: any("Спасибо, придём в среду" in t for t in texts(admin.topic_messages())),
    )
    # The card shows both replies delivered.
    await wait_for(emulator, STAFF_GROUP, lambda: admin.topic_messages()[0].text.count("✅") >= 2)

    # Resolve: the parent is told and asked whether the problem was solved.
    await admin.press_on(card.message_id, RESOLVE)
    question = tr(language, "❓ <b>{reference}</b>: was your problem solved?", reference="K-000001")
    question = question.replace("<b>", "").replace("</b>", "")
    await wait_for(emulator, parent.chat_id, lambda: parent.screen().text == question)
    await parent.press(tr(language, "🤏 Partly"))
    assert parent.screen().text == tr(language, "🙏 Thank you for your answer!")
    [request] = await rows(inbox.db, Request)
    assert (request.status, request.satisfaction) == ("resolved", "partly")
    await wait_for(
        emulator,
        STAFF_GROUP,
        lambda: any(tr("ru", "partly") in t for t in texts(admin.topic_messages())),
    )
    # Every outbox entry went out (the bookkeeping may trail the last message by a moment).
    await outbox_reaches(inbox.db, lambda entries: {e.state for e in entries} == {"sent"})
    actions = [e.action for e in await rows(inbox.db, AuditEntry)]
    assert actions.count("request.replied") == 2 and "request.resolved" in actions


async def _reply_as_parent(parent: SimulatedPerson, message_id: int, text: str) -> int:
    target = parent.emulator.message_payload(parent.chat_id, message_id)
    message = parent.emulator.store_incoming(
        parent.chat_id, parent.user, {"text": text, "reply_to_message": target}
    )
    return await parent._deliver({"message": message}, wait=True)


async def _topic_and_card(emulator: BotApiEmulator, member: SimulatedGroupMember, n: int = 1):
    await wait_for(emulator, STAFF_GROUP, lambda: len(emulator.topics(STAFF_GROUP)) >= n)
    topic = emulator.topics(STAFF_GROUP)[n - 1]
    member.in_topic(topic.message_thread_id)
    await wait_for(emulator, STAFF_GROUP, lambda: len(member.topic_messages()) >= 1)
    return topic, member.topic_messages()[0]


async def test_only_listed_staff_can_act(inbox, emulator):
    parent = SimulatedPerson(emulator, user_id=7101)
    await file_request(parent, "ru")
    stranger = staff_member(emulator, STRANGER, "Чужой")
    _topic, card = await _topic_and_card(emulator, stranger)

    await stranger.press_on(card.message_id, TAKE)
    assert stranger.alerts()[-1].text == tr("ru", "⛔ Only CPC staff listed in Koldo can do this.")
    await stranger.send_text("Я тоже хочу ответить")
    await stranger.in_topic(None).send_command("/queue")
    [request] = await rows(inbox.db, Request)
    assert request.status == "new" and request.assignee_id is None
    assert not any("Я тоже хочу" in text for text in parent.texts())
    assert await rows(inbox.db, RequestMessage, RequestMessage.author != "parent") == []
    refusals = await rows(inbox.db, AuditEntry, AuditEntry.action == "staff.access_denied")
    assert [(r.actor_id, r.object_id) for r in refusals] == [
        (STRANGER, "request.take"),
        (STRANGER, "request.reply"),
        (STRANGER, "command.queue"),
    ]

    # A parent forging the staff button's data in their own chat gets nothing done.
    await parent.press_data(f"card:take:{request.id}:0")
    assert parent.unanswered_queries() == []
    [request] = await rows(inbox.db, Request)
    assert request.status == "new"


async def test_faults_and_duplicates_deliver_each_message_once_in_order(inbox, emulator):
    parent = SimulatedPerson(emulator, user_id=7201)
    await file_request(parent, "ru")
    admin = staff_member(emulator, ADMIN, "Нурлан")
    await _topic_and_card(emulator, admin)

    emulator.fail("sendMessage", status=429, retry_after=1)
    emulator.fail("sendMessage", status=500, times=2)
    for number in range(1, 4):
        await admin.send_text(f"Ответ номер {number}")
    # Telegram delivers the third message's update twice.
    again = emulator.push_update(emulator.update_payload(admin.last_update_id))
    await emulator.settle(again, STAFF_GROUP)
    await wait_for(
        emulator,
        parent.chat_id,
        lambda: sum("Ответ номер" in t for t in parent.texts()) >= 3,
        within=30,
    )
    await outbox_reaches(inbox.db, all_done)
    answers = [t.split("\n\n")[1] for t in parent.texts() if "Ответ номер" in t]
    assert answers == ["Ответ номер 1", "Ответ номер 2", "Ответ номер 3"]
    stored = await rows(inbox.db, RequestMessage, RequestMessage.author == "staff")
    assert len(stored) == 3


async def test_telegram_timing_out_for_a_while_delivers_each_reply_once(
    database_url, emulator, caplog
):
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    settings = staff_settings(database_url, emulator)
    settings.telegram.request_timeout = 2
    parent = SimulatedPerson(emulator, user_id=7251)
    async with bot_running(settings) as running:
        await file_request(parent, "ky")
        admin = staff_member(emulator, ADMIN, "Нурлан")
        await _topic_and_card(emulator, admin)

        # Two sends time out without effect (the client gives up after 2 s), then three are
        # carried out but answered late: late answers must not turn into second copies.
        before = len(emulator.calls_of("sendMessage"))
        emulator.fail("sendMessage", status=504, times=2)
        emulator.delay("sendMessage", 4, times=2)
        emulator.delay("sendMessage", 1.5, times=3)
        for number in range(1, 4):
            await admin.send_text(f"Жооп {number}")
        await wait_for(
            emulator,
            parent.chat_id,
            lambda: sum("Жооп " in t for t in parent.texts()) >= 3,
            within=40,
        )
        await outbox_reaches(running.db, all_done, within=40)
        answers = [t.split("\n\n")[1] for t in parent.texts() if "Жооп " in t]
        assert answers == ["Жооп 1", "Жооп 2", "Жооп 3"]
        gave_up = [r for r in caplog.records if "Request timeout error" in r.getMessage()]
        assert len(gave_up) == 2  # the client really stopped waiting, twice
        sends = [call.status for call in emulator.calls_of("sendMessage")[before:]]
        # Three replies, the parent's "taken" notice and the group's event: no second copies.
        assert sorted(sends) == [200] * 5 + [504] * 2
        taken = tr("ru", "🔧 {name} took the request.", name="Нурлан")
        assert texts(emulator.chat_messages(STAFF_GROUP))[1:] == [taken]  # after the card, once


async def test_restart_delivers_what_was_left_in_the_outbox(database_url, emulator):
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    emulator.set_blocked(STAFF_GROUP, True)  # the bot was removed from the group
    settings = staff_settings(database_url, emulator)
    parent = SimulatedPerson(emulator, user_id=7301)
    async with bot_running(settings) as running:
        await file_request(parent, "ru")
        await parent.send_command("/start")
        await fill_documents_form(parent, "ru")
        await parent.press(tr("ru", "✅ Send"))
        # The first card was tried and refused; the second waits behind it, in order.
        await outbox_reaches(
            running.db,
            lambda entries: (
                [(e.state, e.attempts > 0) for e in entries]
                == [("pending", True), ("pending", False)]
            ),
        )
    assert emulator.topics(STAFF_GROUP) == []
    emulator.set_blocked(STAFF_GROUP, False)  # back in the group; Koldo restarts
    async with bot_running(settings) as running:
        await wait_for(emulator, STAFF_GROUP, lambda: len(emulator.topics(STAFF_GROUP)) == 2)
        await wait_for(emulator, STAFF_GROUP, lambda: len(emulator.chat_messages(STAFF_GROUP)) >= 2)
        await outbox_reaches(running.db, all_done)
        names = [topic.name.split(" · ")[0] for topic in emulator.topics(STAFF_GROUP)]
        assert names == ["K-000001", "K-000002"]
        assert {e.state for e in await rows(running.db, OutboxEntry)} == {"sent"}


async def test_bot_added_back_to_the_group_sends_what_waited_at_once(inbox, emulator):
    emulator.change_bot_membership(STAFF_GROUP, member=False, by_user_id=ADMIN)
    parent = SimulatedPerson(emulator, user_id=7351)
    await file_request(parent, "ky")
    # Refused by the group: the card waits for the next try, minutes away.
    await outbox_reaches(
        inbox.db, lambda entries: [(e.state, e.attempts) for e in entries] == [("pending", 1)]
    )
    assert emulator.topics(STAFF_GROUP) == []

    back = emulator.change_bot_membership(STAFF_GROUP, member=True, by_user_id=ADMIN)
    await emulator.settle(back, STAFF_GROUP)
    await wait_for(emulator, STAFF_GROUP, lambda: len(emulator.topics(STAFF_GROUP)) == 1)
    await outbox_reaches(inbox.db, all_done)
    [topic] = emulator.topics(STAFF_GROUP)
    assert topic.name.startswith("K-000001 · ")


async def test_burst_of_requests_is_listed_in_digests_then_opened_in_order(
    database_url, emulator, monkeypatch
):
    monkeypatch.setattr("bot.outbox.delivery.DIGEST_SIZE", 2)
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    settings = staff_settings(
        database_url, emulator, outbox={"group_messages_per_minute": 600, "digest_after": 3}
    )
    parents = [SimulatedPerson(emulator, user_id=7360 + number) for number in range(7)]
    async with bot_running(settings) as running:
        emulator.change_bot_membership(STAFF_GROUP, member=False, by_user_id=ADMIN)
        for parent in parents[:4]:
            await file_request(parent, "ru")
        # Back in the group; the first topic takes Telegram a while to open, and meanwhile
        # three more requests arrive: they get a digest of their own before their turn.
        emulator.delay("createForumTopic", 8)
        emulator.change_bot_membership(STAFF_GROUP, member=True, by_user_id=ADMIN)
        await wait_for(emulator, STAFF_GROUP, lambda: emulator.calls_of("createForumTopic"))
        for parent in parents[4:]:
            await file_request(parent, "ru")
        await wait_for(
            emulator, STAFF_GROUP, lambda: len(emulator.topics(STAFF_GROUP)) == 7, within=30
        )
        await outbox_reaches(running.db, all_done)

    outside_topics = [
        m.text for m in emulator.chat_messages(STAFF_GROUP) if m.message_thread_id is None
    ]

    def head(n: int) -> str:
        text = trn(
            "ru",
            "📥 <b>{n} new request</b> is waiting; its topic opens shortly:",
            "📥 <b>{n} new requests</b> are waiting; their topics open one by one:",
            n,
        )
        return text.replace("<b>", "").replace("</b>", "")

    assert [text.splitlines() for text in outside_topics] == [
        [head(4), AnyLine("• K-000001"), AnyLine("• K-000002")],
        [AnyLine("• K-000003"), AnyLine("• K-000004")],
        [head(3), AnyLine("• K-000005"), AnyLine("• K-000006")],
        [AnyLine("• K-000007")],
    ]
    names = [topic.name.split(" · ")[0] for topic in emulator.topics(STAFF_GROUP)]
    assert names == [f"K-00000{n}" for n in range(1, 8)]


class AnyLine(str):
    """Equal to any line that starts with it (the rest of a digest line is the card's headline)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other.startswith(str(self))

    __hash__ = str.__hash__


async def test_deleted_topic_is_opened_again_and_blocked_parent_is_shown(inbox, emulator):
    parent = SimulatedPerson(emulator, user_id=7401)
    await file_request(parent, "ru")
    admin = staff_member(emulator, ADMIN, "Нурлан")
    topic, _card = await _topic_and_card(emulator, admin)
    emulator.delete_topic(STAFF_GROUP, topic.message_thread_id)

    await parent.press(tr("ru", "📋 My requests"))
    await parent.press(parent.buttons()[0])
    await parent.press(tr("ru", "✍️ Add a message"))
    await parent.send_text("Есть новости?")
    await wait_for(emulator, STAFF_GROUP, lambda: len(emulator.topics(STAFF_GROUP)) == 1)
    [new_topic] = emulator.topics(STAFF_GROUP)
    assert new_topic.message_thread_id != topic.message_thread_id
    admin.in_topic(new_topic.message_thread_id)
    await wait_for(
        emulator,
        STAFF_GROUP,
        lambda: any("Есть новости?" in t for t in texts(admin.topic_messages())),
    )
    assert "K-000001" in admin.topic_messages()[0].text  # the card came back first

    parent.blocked = True
    await admin.send_text("Документы готовы")
    reason = tr("ru", "the parent has blocked the bot")
    await wait_for(emulator, STAFF_GROUP, lambda: reason in admin.topic_messages()[0].text)
    # ... and said in the topic, where the one who wrote will look.
    line = tr(
        "ru",
        "⚠️ {name}'s reply did not reach the parent: {reason}.",
        name="Нурлан",
        reason=reason,
    )
    await wait_for(emulator, STAFF_GROUP, lambda: line in texts(admin.topic_messages()))
    [reply] = await rows(inbox.db, RequestMessage, RequestMessage.author == "staff")
    assert (reply.delivery, reply.delivery_error) == ("failed", "blocked")


async def test_group_without_topics_uses_cards_and_replies(database_url, emulator):
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=False)
    emulator.bot_can_manage_topics = True
    async with bot_running(staff_settings(database_url, emulator)) as running:
        parent = SimulatedPerson(emulator, user_id=7501)
        await file_request(parent, "ru")
        await wait_for(emulator, STAFF_GROUP, lambda: len(emulator.chat_messages(STAFF_GROUP)) >= 1)
        card = emulator.chat_messages(STAFF_GROUP)[0]
        assert "K-000001" in card.text and emulator.topics(STAFF_GROUP) == []
        # The card is linked to its request once Telegram's answer is back (a person is slower).
        await outbox_reaches(running.db, all_done)
        admin = staff_member(emulator, ADMIN, "Нурлан").replying_to(card.message_id)
        await admin.send_text("Позвоним завтра")
        await wait_for(emulator, parent.chat_id, lambda: "Позвоним завтра" in parent.screen().text)
        [request] = await rows(running.db, Request)
        assert request.status == "in_progress" and request.staff_thread_id is None


async def test_a_parent_writing_after_resolution_gives_the_card_its_buttons_back(inbox, emulator):
    parent = SimulatedPerson(emulator, user_id=7601)
    await file_request(parent, "ru")
    admin = staff_member(emulator, ADMIN, "Нурлан")
    _topic, card = await _topic_and_card(emulator, admin)
    buttons = card.buttons
    await admin.press_on(card.message_id, RESOLVE)
    question = tr("ru", "❓ <b>{reference}</b>: was your problem solved?", reference="K-000001")
    question = question.replace("<b>", "").replace("</b>", "")
    await wait_for(emulator, parent.chat_id, lambda: parent.screen().text == question)
    await wait_for(emulator, STAFF_GROUP, lambda: admin.topic_messages()[0].buttons == [])
    await outbox_reaches(inbox.db, all_done)  # the question is linked to the request

    await _reply_as_parent(parent, parent.screen().message_id, "Нам снова отказали в ЗАГСе")
    [request] = await rows(inbox.db, Request)
    assert request.status == "reopened"
    # The card is redrawn with the new status and its buttons, so staff can take it again.
    await wait_for(emulator, STAFF_GROUP, lambda: admin.topic_messages()[0].buttons == buttons)
    assert tr("ru", "🔁 Reopened") in admin.topic_messages()[0].text
    await admin.press_on(card.message_id, TAKE)
    [request] = await rows(inbox.db, Request)
    assert (request.status, request.assignee_id) == ("in_progress", ADMIN)


async def test_staff_are_named_as_in_telegram_until_named_by_hand(inbox, emulator):
    parent = SimulatedPerson(emulator, user_id=7701)
    await file_request(parent, "ru")
    admin = SimulatedGroupMember(emulator, STAFF_GROUP, ADMIN, "Нурлан", last_name="Абдыраев")
    colleague = staff_member(emulator, COLLEAGUE, "Aiperi")
    topic, card = await _topic_and_card(emulator, admin)
    colleague.in_topic(topic.message_thread_id)

    # The first admin from the settings has only a placeholder until seen in the group.
    await admin.press_on(card.message_id, TAKE)
    took = tr("ru", "🔧 {name} took the request.", name="Нурлан Абдыраев")
    await wait_for(emulator, STAFF_GROUP, lambda: took in texts(admin.topic_messages()))
    taken_by = tr("ru", "Taken by: {name}", name="Нурлан Абдыраев")
    await wait_for(emulator, STAFF_GROUP, lambda: taken_by in admin.topic_messages()[0].text)

    # A name given with `koldo staff add` wins over the one in Telegram.
    await colleague.press_on(card.message_id, TAKE)
    took = tr("ru", "🔧 {name} took the request.", name="Айпери")
    await wait_for(emulator, STAFF_GROUP, lambda: took in texts(admin.topic_messages()))
    await add_staff(inbox.db, ADMIN, "Нурлан (координатор)", is_admin=True)
    await admin.press_on(card.message_id, TAKE)
    took = tr("ru", "🔧 {name} took the request.", name="Нурлан (координатор)")
    await wait_for(emulator, STAFF_GROUP, lambda: took in texts(admin.topic_messages()))
    names = {member.user_id: member.name for member in await list_staff(inbox.db)}
    assert names == {ADMIN: "Нурлан (координатор)", COLLEAGUE: "Айпери"}


@pytest.mark.parametrize("language", ["ru", "ky"])
async def test_a_parent_saying_a_child_is_in_danger_is_urgent_at_once(inbox, emulator, language):
    """Asked, not guessed: a story without any alarming word (or a voice message) and the
    parent's Yes make the request urgent, show the numbers and alert who is on duty."""
    await add_staff(inbox.db, COLLEAGUE, "Айпери", on_duty=True)
    parent = SimulatedPerson(emulator, user_id=3950, language_code="ru")
    await onboard(parent, language)
    await fill_documents_form(parent, language, story="Ребёнок третий день сидит дома один")
    assert "112" not in parent.screen().text  # the parent answered No
    await parent.press(tr(language, "✏️ Change"))
    await parent.press(tr(language, "A child in danger"))
    await parent.press(tr(language, "🆘 Yes, a child is in danger"))
    summary = parent.screen().text
    assert "112" in summary and "111" in summary  # the numbers at once, before sending
    assert tr(language, "🆘 Yes, a child is in danger") in summary
    await parent.press(tr(language, "✅ Send"))
    assert "112" in parent.screen().text
    [request] = await rows(inbox.db, Request)
    assert request.urgent is True
    reference = f"K-{request.id:06d}"
    await wait_for(
        emulator,
        STAFF_GROUP,
        lambda: any(
            "🚨" in text and reference in text and "Айпери" in text
            for text in texts(emulator.chat_messages(STAFF_GROUP))
        ),
    )
    why = tr("ru", "🚨 <b>URGENT</b>: the parent answered that a child is in danger now.")
    await wait_for(
        emulator,
        STAFF_GROUP,
        lambda: any(
            text.startswith(why.replace("<b>", "").replace("</b>", ""))
            for text in texts(emulator.chat_messages(STAFF_GROUP))
        ),
    )
