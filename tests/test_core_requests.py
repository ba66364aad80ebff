"""Core use cases against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from core import reference
from core.clock import utcnow
from core.consent import NOTICE_VERSION, answer_notice
from core.erasure import ERASED, forget_user, pseudonym, purge_expired
from core.errors import AccessDenied, ConsentRequired, InvalidInput, InvalidTransition, NotFound
from core.forms import Answers, AttachmentKind, Category, Danger, DocumentType, Subject
from core.requests import (
    Added,
    Author,
    Status,
    add_parent_message,
    file_request,
    format_reference,
    list_my_requests,
    open_my_request,
    withdraw_request,
)
from core.urgency import UrgencyKeywords
from core.users import choose_language, load_profile
from koldo.settings import DataSettings
from storage.models import OutboxEntry
from tests.e2e import AuditEntry, Request, RequestMessage, StatusChange, User, rows

PARENT = 7001
OTHER = 7002
KEY = b"a key kept out of the database"


@pytest.fixture(scope="module")
def keywords() -> UrgencyKeywords:
    return UrgencyKeywords.load(DataSettings().urgent_keywords_file)


def documents(**changes) -> Answers:
    answers = Answers(
        category=Category.DOCUMENTS,
        document_type=DocumentType.BIRTH_CERTIFICATE,
        subject=Subject.CHILD,
        child_age=8,
        settlement_code="ak-ordo",
        description="Нет свидетельства о рождении",
        attachments=[{"kind": "photo", "file_id": "ph-1"}],
        phone="+996700123456",
        danger=Danger.NO,
    )
    for key, value in changes.items():
        setattr(answers, key, value)
    return answers


async def consenting_parent(db, user_id: int = PARENT) -> None:
    await choose_language(db, user_id, "ru")
    await answer_notice(db, user_id, granted=True)


async def test_profile_of_a_newcomer_and_after_consent(db):
    profile = await load_profile(db, PARENT)
    assert (profile.language, profile.consented, profile.needs_notice) == (None, False, True)
    await choose_language(db, PARENT, "ky")
    [newcomer] = await rows(db, User)
    assert (newcomer.notice_version, newcomer.notice_granted) == (None, False)
    await answer_notice(db, PARENT, granted=False)
    profile = await load_profile(db, PARENT)
    assert (profile.language, profile.consented, profile.needs_notice) == ("ky", False, False)
    await answer_notice(db, PARENT, granted=True)
    assert (await load_profile(db, PARENT)).consented


async def test_a_person_is_one_row_that_keeps_when_they_came_and_moves_when_last_seen(db, keywords):
    await consenting_parent(db)
    await choose_language(db, PARENT, "en")  # changing the language keeps the consent
    [person] = await rows(db, User)
    assert (person.language, person.notice_version, person.notice_granted) == (
        "en",
        NOTICE_VERSION,
        True,
    )
    await file_request(db, user_id=PARENT, answers=documents(), language="en", keywords=keywords)
    [later] = await rows(db, User)
    assert later.created_at == person.created_at and later.last_seen_at > person.last_seen_at
    assert (later.language, later.notice_granted) == ("en", True)


async def test_an_older_notice_version_asks_again(db):
    await consenting_parent(db)
    async with db.transaction() as repos:
        await repos.session.execute(update(User).values(notice_version=NOTICE_VERSION - 1))
    profile = await load_profile(db, PARENT)
    assert not profile.consented and profile.needs_notice


async def test_unknown_language_is_refused(db):
    with pytest.raises(InvalidInput):
        await choose_language(db, PARENT, "de")


async def test_filing_needs_consent(db, keywords):
    await choose_language(db, PARENT, "ru")
    with pytest.raises(ConsentRequired):
        await file_request(
            db, user_id=PARENT, answers=documents(), language="ru", keywords=keywords
        )
    assert await rows(db, Request) == []


async def test_filing_stores_request_attachments_history_and_audit(db, keywords):
    await consenting_parent(db)
    filed = await file_request(
        db, user_id=PARENT, answers=documents(), language="ru", keywords=keywords
    )
    assert filed.reference == "K-000001" and not filed.urgent
    [request] = await rows(db, Request)
    assert request.status == Status.NEW and request.child_age == 8
    [message] = await rows(db, RequestMessage)
    assert (message.author, message.kind, message.file_id) == ("parent", "photo", "ph-1")
    actions = [entry.action for entry in await rows(db, AuditEntry)]
    assert actions == ["consent.granted", "request.filed"]


async def test_incomplete_or_unknown_settlement_is_refused(db, keywords):
    await consenting_parent(db)
    with pytest.raises(InvalidInput) as error:
        await file_request(
            db, user_id=PARENT, answers=documents(phone=None), language="ru", keywords=keywords
        )
    assert error.value.params["fields"] == ["phone"]
    with pytest.raises(InvalidInput) as error:
        await file_request(
            db,
            user_id=PARENT,
            answers=documents(settlement_code="atlantis"),
            language="ru",
            keywords=keywords,
        )
    assert error.value.code == "unknown_settlement"


async def test_urgent_words_mark_the_request(db, keywords):
    await consenting_parent(db)
    filed = await file_request(
        db,
        user_id=PARENT,
        answers=documents(description="Муж бьет ребенка каждый день"),
        language="ru",
        keywords=keywords,
    )
    assert filed.urgent
    [request] = await rows(db, Request)
    assert request.danger == "no" and request.urgent_words  # staff see why: the words
    assert request.urgent_words.splitlines()[0] in "Муж бьет ребенка каждый день"


async def test_the_parents_yes_marks_a_request_urgent_whatever_it_says(db, keywords):
    await consenting_parent(db)
    voice_only = documents(description="", danger=Danger.YES)
    said_yes = await file_request(
        db, user_id=PARENT, answers=voice_only, language="ru", keywords=keywords
    )
    said_no = await file_request(
        db, user_id=PARENT, answers=documents(), language="ru", keywords=keywords
    )
    assert (said_yes.urgent, said_no.urgent) == (True, False)
    with pytest.raises(InvalidInput):  # the question must be answered
        await file_request(
            db, user_id=PARENT, answers=documents(danger=None), language="ru", keywords=keywords
        )


async def test_references_never_repeat(db, keywords):
    await consenting_parent(db)
    references = [
        (
            await file_request(
                db, user_id=PARENT, answers=documents(), language="ru", keywords=keywords
            )
        ).reference
        for _ in range(3)
    ]
    assert references == ["K-000001", "K-000002", "K-000003"]
    assert format_reference(123) == "K-000123"


async def test_a_parent_sees_only_their_own_requests(db, keywords):
    await consenting_parent(db)
    await consenting_parent(db, OTHER)
    mine = await file_request(
        db, user_id=PARENT, answers=documents(), language="ru", keywords=keywords
    )
    await file_request(db, user_id=OTHER, answers=documents(), language="ru", keywords=keywords)
    assert [r.reference for r in await list_my_requests(db, PARENT)] == [mine.reference]
    with pytest.raises(AccessDenied):
        await open_my_request(db, OTHER, mine.id)
    with pytest.raises(AccessDenied):
        await withdraw_request(db, user_id=OTHER, request_id=mine.id)
    with pytest.raises(NotFound):
        await open_my_request(db, OTHER, 999)
    denied = [e for e in await rows(db, AuditEntry) if e.action == "request.access_denied"]
    assert [(e.actor_id, e.object_id) for e in denied] == [
        (OTHER, "1"),
        (OTHER, "1"),
        (OTHER, "999"),
    ]
    [request] = await rows(db, Request, Request.id == mine.id)
    assert request.status == Status.NEW


async def test_messages_history_and_withdrawal(db, keywords):
    await consenting_parent(db)
    filed = await file_request(
        db, user_id=PARENT, answers=documents(), language="ru", keywords=keywords
    )
    first = await add_parent_message(
        db, user_id=PARENT, request_id=filed.id, text="Ещё вопрос", source_key="tg:1:10"
    )
    assert first.outcome == Added.ADDED
    # The same Telegram message delivered twice is stored once.
    again = await add_parent_message(
        db, user_id=PARENT, request_id=filed.id, text="Ещё вопрос", source_key="tg:1:10"
    )
    assert again.outcome == Added.DUPLICATE
    await add_parent_message(
        db,
        user_id=PARENT,
        request_id=filed.id,
        attachment=AttachmentKind.VOICE,
        file_id="voice-2",
        source_key="tg:1:11",
    )
    with pytest.raises(InvalidInput):
        await add_parent_message(db, user_id=PARENT, request_id=filed.id, text="  ")
    details = await open_my_request(db, PARENT, filed.id)
    assert [(h.author, h.status, h.text, h.attachment) for h in details.history] == [
        (Author.PARENT, Status.NEW, None, None),
        (Author.PARENT, None, None, AttachmentKind.PHOTO),
        (Author.PARENT, None, "Ещё вопрос", None),
        (Author.PARENT, None, None, AttachmentKind.VOICE),
    ]
    summary = await withdraw_request(db, user_id=PARENT, request_id=filed.id)
    assert summary.status == Status.WITHDRAWN
    with pytest.raises(InvalidTransition):
        await withdraw_request(db, user_id=PARENT, request_id=filed.id)
    with pytest.raises(InvalidTransition):
        await add_parent_message(db, user_id=PARENT, request_id=filed.id, text="ещё")


async def test_forget_anonymises_requests_and_deletes_the_account(db, keywords):
    await consenting_parent(db)
    await consenting_parent(db, OTHER)
    await file_request(db, user_id=PARENT, answers=documents(), language="ru", keywords=keywords)
    kept = await file_request(
        db, user_id=OTHER, answers=documents(), language="ru", keywords=keywords
    )
    report = await forget_user(db, PARENT, key=KEY)
    assert report.requests_anonymised == 1 and report.account_deleted
    erased, other = await rows(db, Request)
    assert erased.user_id is None and erased.phone is None and erased.description is None
    # Nobody can answer an open request of an erased parent: it is withdrawn.
    assert erased.category == "documents" and erased.status == "withdrawn"
    assert other.id == kept.id and other.phone == "+996700123456"
    messages = await rows(db, RequestMessage)
    assert [(m.request_id, m.file_id, m.text) for m in messages] == [
        (erased.id, None, ERASED),
        (other.id, "ph-1", None),
    ]
    assert (await load_profile(db, PARENT)).language is None


async def test_retention_anonymises_only_long_closed_requests(db, keywords):
    await consenting_parent(db)
    old = await file_request(
        db, user_id=PARENT, answers=documents(), language="ru", keywords=keywords
    )
    recent = await file_request(
        db, user_id=PARENT, answers=documents(), language="ru", keywords=keywords
    )
    await withdraw_request(db, user_id=PARENT, request_id=old.id)
    await withdraw_request(db, user_id=PARENT, request_id=recent.id)
    async with db.transaction() as repos:
        await repos.session.execute(
            update(Request)
            .where(Request.id == old.id)
            .values(closed_at=utcnow() - timedelta(days=400))
        )
    assert await purge_expired(db, retention_days=365, key=KEY) == 1
    assert await purge_expired(db, retention_days=365, key=KEY) == 0
    first, second = await rows(db, Request)
    assert first.phone is None and second.phone == "+996700123456"
    # Nothing ties the parent to the old request any more; the recent one is still theirs.
    messages = await rows(db, RequestMessage)
    assert [(m.request_id, m.author_id, m.file_id) for m in messages] == [
        (old.id, None, None),
        (recent.id, PARENT, "ph-1"),
    ]
    changes = await rows(db, StatusChange)
    assert {c.request_id for c in changes if c.actor_id == PARENT} == {recent.id}
    entries = await rows(db, AuditEntry, AuditEntry.object_type == "request")
    alias = pseudonym(KEY, PARENT)
    assert {(e.object_id, e.actor_id, e.actor_pseudonym) for e in entries} == {
        (str(old.id), None, alias),
        (str(recent.id), PARENT, None),
        (None, None, None),  # the retention run itself
    }
    # The staff group is asked to delete the old request's topic; nothing else goes out for it.
    outbox = await rows(db, OutboxEntry, OutboxEntry.request_id == old.id)
    assert [(e.kind, e.payload) for e in outbox] == [("group_erasure", {"reason": "retention"})]


async def test_seed_is_idempotent_and_deactivates_removed_codes(db, tmp_path: Path):
    source = DataSettings().reference_file
    again = await reference.seed(db, source)
    assert sum(again.changed.values()) == 0 and sum(again.deactivated.values()) == 0
    text = source.read_text(encoding="utf-8")
    trimmed = tmp_path / "reference.toml"
    start = text.index('[[settlements]]\ncode = "ak-ordo"')
    end = text.index("[[settlements]]", start + 10)
    trimmed.write_text(text[:start] + text[end:], encoding="utf-8")
    report = await reference.seed(db, trimmed)
    assert report.deactivated["settlements"] == 1
    codes = [s.code for s in await reference.settlements(db)]
    assert "ak-ordo" not in codes and len(codes) >= 10
    info = await reference.public_info(db)
    assert {c.number for c in info.urgent_contacts} >= {"112", "102", "103", "111"}
    assert len(info.day_centres) == 2


def test_a_broken_reference_file_names_the_place(tmp_path: Path):
    broken = tmp_path / "reference.toml"
    broken.write_text('[[settlements]]\ncode = "x"\nname = { ru = "Икс", en = "X" }\n')
    with pytest.raises(InvalidInput) as error:
        reference.load_reference_file(broken)
    assert error.value.params == {"where": "settlements[0]", "field": "name"}


async def test_the_same_form_sent_twice_at_once_files_one_request(db, keywords):
    """Two presses of Send handled at the same moment (two processes): one request, and both
    get its reference (on PostgreSQL the second insert meets the unique form key)."""
    await consenting_parent(db)
    form = documents(key="form-at-once")
    first, second = await asyncio.gather(
        *(
            file_request(db, user_id=PARENT, answers=form, language="ru", keywords=keywords)
            for _ in range(2)
        )
    )
    assert first == second
    assert len(await rows(db, Request)) == 1
