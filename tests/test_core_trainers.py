"""Peer trainers and roles in core, on SQLite and PostgreSQL: asking for the role, staff
approving, declining and revoking it, what is told and audited, idempotency under repeated and
concurrent presses, refusals, and what erasure leaves."""

from __future__ import annotations

import asyncio

import pytest

from core import trainers
from core.consent import answer_notice
from core.erasure import forget_user
from core.errors import AccessDenied, ConsentRequired, InvalidInput, InvalidTransition
from core.people import RoleStatus
from core.staff import add_staff, list_staff, remove_staff
from core.trainers import Standing, apply_as_trainer, decide, revoke_trainer
from core.training_sessions import is_trainer
from core.users import choose_language
from storage.models import AuditEntry, OutboxEntry, Person, PersonRole
from tests.e2e import rows

STAFF, COLLEAGUE, STRANGER = 700, 701, 702
ASEL = 9001
AK_BATA = "ak-bata"
SAFE_WORLD, LEADERSHIP = "my-safe-world", "leadership-school"
KEY = b"k" * 32


async def person_agreed(db, user_id: int = ASEL, language: str = "ky") -> None:
    await choose_language(db, user_id, language)
    await answer_notice(db, user_id, granted=True)


async def applied(db, user_id: int = ASEL, **changes) -> Standing:
    form = {
        "name": "  Асель   Мамытова ",
        "settlement_code": AK_BATA,
        "programmes": [SAFE_WORLD, LEADERSHIP],
        **changes,
    }
    return await apply_as_trainer(db, user_id=user_id, **form)


async def trainer_role(db, user_id: int = ASEL) -> PersonRole:
    [found] = await rows(db, PersonRole, PersonRole.user_id == user_id,
                         PersonRole.role == "trainer")  # fmt: skip
    return found


async def outbox_kinds(db) -> list[tuple[int, str, dict]]:
    return [(e.chat_id, e.kind, e.payload) for e in await rows(db, OutboxEntry)]


async def test_an_application_goes_to_staff_once(db):
    await person_agreed(db)
    assert await trainers.standing(db, ASEL) is None
    assert await applied(db) == Standing.APPLIED
    # A second press, or the update delivered again: nothing new.
    assert await applied(db, programmes=[SAFE_WORLD]) == Standing.PENDING
    assert await trainers.standing(db, ASEL) == Standing.PENDING

    [person] = await rows(db, Person)
    assert (person.user_id, person.name, person.settlement_code) == (ASEL, "Асель Мамытова",
                                                                     AK_BATA)  # fmt: skip
    role = await trainer_role(db)
    # Kept in the reference file's order, whatever order they were pressed in.
    assert (role.status, role.programmes, role.application) == (
        "requested", [LEADERSHIP, SAFE_WORLD], 1,
    )  # fmt: skip
    assert await outbox_kinds(db) == [
        (0, "trainer_application", {"user_id": ASEL, "application": 1})
    ]
    [audit] = await rows(db, AuditEntry, AuditEntry.action == "trainer.applied")
    assert (audit.actor_id, audit.object_type, audit.object_id) == (ASEL, "trainer", str(ASEL))


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"name": "7"}, "trainer_name"),
        ({"name": "  "}, "trainer_name"),
        ({"name": "А" * 129}, "too_long"),
        ({"settlement_code": "atlantis"}, "unknown_settlement"),
        ({"programmes": []}, "no_programme"),
        ({"programmes": [SAFE_WORLD, "astrology"]}, "unknown_programme"),
    ],
)
async def test_a_bad_application_is_refused_and_nothing_is_kept(db, changes, code):
    await person_agreed(db)
    with pytest.raises(InvalidInput) as refused:
        await applied(db, **changes)
    assert refused.value.code == code
    assert await rows(db, Person) == [] and await outbox_kinds(db) == []


async def test_no_application_without_consent(db):
    await choose_language(db, ASEL, "ru")
    with pytest.raises(ConsentRequired):
        await applied(db)
    assert await rows(db, PersonRole) == []


async def test_staff_approve_and_the_person_is_told(db):
    await add_staff(db, STAFF, "Нурлан")
    await person_agreed(db)
    await applied(db)
    decided = await decide(db, staff_id=STAFF, user_id=ASEL, application=1, approve=True)
    assert decided.now and decided.application.status == RoleStatus.ACTIVE
    assert decided.application.decided_by == "Нурлан"
    assert await trainers.standing(db, ASEL) == Standing.TRAINER
    assert await applied(db) == Standing.TRAINER
    role = await trainer_role(db)
    assert (role.status, role.decided_by) == ("active", STAFF)
    assert (await outbox_kinds(db))[-1] == (ASEL, "trainer_decision", {"decision": "approved"})
    [audit] = await rows(db, AuditEntry, AuditEntry.action == "trainer.approved")
    assert (audit.actor_id, audit.object_id) == (STAFF, str(ASEL))
    listed = await trainers.trainers(db, staff_id=STAFF)
    assert [(t.user_id, t.name, t.programmes) for t in listed] == [
        (ASEL, "Асель Мамытова", (LEADERSHIP, SAFE_WORLD))
    ]


async def test_a_decision_is_made_once_even_when_two_press_at_once(db):
    await add_staff(db, STAFF, "Нурлан")
    await add_staff(db, COLLEAGUE, "Айпери")
    await person_agreed(db)
    await applied(db)
    first, second = await asyncio.gather(
        decide(db, staff_id=STAFF, user_id=ASEL, application=1, approve=True),
        decide(db, staff_id=COLLEAGUE, user_id=ASEL, application=1, approve=False),
    )
    assert sorted([first.now, second.now]) == [False, True]
    winner = first if first.now else second
    assert first.application.status == second.application.status == winner.application.status
    assert first.application.decided_by == second.application.decided_by
    decisions = [k for k in await outbox_kinds(db) if k[1] == "trainer_decision"]
    assert len(decisions) == 1
    decided = await rows(db, AuditEntry, AuditEntry.action.in_(("trainer.approved",
                                                                "trainer.declined")))  # fmt: skip
    assert len(decided) == 1
    # Pressed again later: still the one decision.
    again = await decide(db, staff_id=STAFF, user_id=ASEL, application=1, approve=True)
    assert not again.now and again.application.status == winner.application.status


async def test_declined_then_asked_again_an_old_button_decides_nothing(db):
    await add_staff(db, STAFF, "Нурлан")
    await person_agreed(db)
    await applied(db)
    declined = await decide(db, staff_id=STAFF, user_id=ASEL, application=1, approve=False)
    assert declined.application.status == RoleStatus.DECLINED
    assert (await outbox_kinds(db))[-1] == (ASEL, "trainer_decision", {"decision": "declined"})
    assert await trainers.standing(db, ASEL) is None

    assert await applied(db, programmes=[SAFE_WORLD]) == Standing.APPLIED
    assert (await outbox_kinds(db))[-1] == (
        0, "trainer_application", {"user_id": ASEL, "application": 2},
    )  # fmt: skip
    stale = await decide(db, staff_id=STAFF, user_id=ASEL, application=1, approve=True)
    assert not stale.now and stale.application.status == RoleStatus.REQUESTED
    assert (await trainer_role(db)).status == "requested"


async def test_revoking_tells_the_person_once(db):
    await add_staff(db, STAFF, "Нурлан")
    await person_agreed(db)
    await applied(db)
    await decide(db, staff_id=STAFF, user_id=ASEL, application=1, approve=True)
    revoked = await revoke_trainer(db, staff_id=STAFF, user_id=ASEL)
    assert revoked.status == RoleStatus.REVOKED and revoked.decided_by == "Нурлан"
    with pytest.raises(InvalidTransition) as again:
        await revoke_trainer(db, staff_id=STAFF, user_id=ASEL)
    assert again.value.code == "not_trainer"
    decisions = [k[2] for k in await outbox_kinds(db) if k[1] == "trainer_decision"]
    assert decisions == [{"decision": "approved"}, {"decision": "revoked"}]
    assert await trainers.trainers(db, staff_id=STAFF) == []
    [audit] = await rows(db, AuditEntry, AuditEntry.action == "trainer.revoked")
    assert (audit.actor_id, audit.object_id) == (STAFF, str(ASEL))


async def test_only_staff_decide_and_refusals_are_audited(db):
    await add_staff(db, STAFF, "Нурлан")
    await person_agreed(db)
    await applied(db)
    with pytest.raises(AccessDenied):
        await decide(db, staff_id=STRANGER, user_id=ASEL, application=1, approve=True)
    with pytest.raises(AccessDenied):
        await revoke_trainer(db, staff_id=STRANGER, user_id=ASEL)
    with pytest.raises(AccessDenied):
        await trainers.trainers(db, staff_id=ASEL)  # the applicant is no staff either
    assert (await trainer_role(db)).status == "requested"
    refusals = await rows(db, AuditEntry, AuditEntry.action == "staff.access_denied")
    assert [(r.actor_id, r.object_id) for r in refusals] == [
        (STRANGER, "trainer.approve"), (STRANGER, "trainer.revoke"), (ASEL, "command.trainers"),
    ]  # fmt: skip


async def test_a_person_may_be_staff_and_trainer(db):
    await add_staff(db, STAFF, "Нурлан")
    await person_agreed(db, STAFF)
    await applied(db, user_id=STAFF, name="Нурлан Осмонов")
    await decide(db, staff_id=STAFF, user_id=STAFF, application=1, approve=True)
    roles = {r.role: r.status for r in await rows(db, PersonRole, PersonRole.user_id == STAFF)}
    assert roles == {"staff": "active", "trainer": "active"}
    assert [m.name for m in await list_staff(db)] == ["Нурлан Осмонов"]
    await remove_staff(db, STAFF)
    roles = {r.role: r.status for r in await rows(db, PersonRole, PersonRole.user_id == STAFF)}
    assert roles == {"staff": "revoked", "trainer": "active"}


@pytest.mark.parametrize("approved", [True, False])
async def test_erasure_takes_name_and_settlement_and_keeps_the_roles(db, approved):
    await add_staff(db, STAFF, "Нурлан")
    await person_agreed(db)
    await applied(db)
    if approved:
        await decide(db, staff_id=STAFF, user_id=ASEL, application=1, approve=True)
    await forget_user(db, ASEL, key=KEY)

    [person] = await rows(db, Person, Person.user_id == ASEL)
    assert (person.name, person.settlement_code) == (None, None)
    role = await trainer_role(db)
    assert role.status == ("revoked" if approved else "withdrawn")
    assert role.programmes == [LEADERSHIP, SAFE_WORLD]  # what CPC trained them in
    ended = await rows(db, AuditEntry, AuditEntry.action == f"trainer.{role.status}")
    assert [(e.actor_id, e.object_id, e.details["erased"]) for e in ended] == [
        (None, str(ASEL), True)
    ]
    # Nothing is owed to them any more, and a late press in the group decides nothing.
    assert all(chat != ASEL for chat, _kind, _p in await outbox_kinds(db))
    late = await decide(db, staff_id=STAFF, user_id=ASEL, application=1, approve=True)
    assert not late.now and late.application.name is None
    assert await trainers.trainers(db, staff_id=STAFF) == []


async def test_erasing_a_staff_member_keeps_them_staff(db):
    await add_staff(db, STAFF, "Нурлан", on_duty=True)
    await forget_user(db, STAFF, key=KEY)
    [member] = await list_staff(db)
    assert (member.user_id, member.name, member.on_duty) == (STAFF, f"Admin {STAFF}", True)


async def test_a_first_application_sent_twice_at_once_goes_once(db):
    await person_agreed(db)
    answers = await asyncio.gather(*(applied(db) for _ in range(8)))  # Send on 8 devices
    assert sorted(answers) == [Standing.APPLIED] + [Standing.PENDING] * 7
    assert len([k for k in await outbox_kinds(db) if k[1] == "trainer_application"]) == 1


async def test_an_approved_trainer_sees_the_trainer_screens_before_any_session(db):
    await add_staff(db, STAFF, "Нурлан")
    await person_agreed(db)
    await applied(db)
    assert not await is_trainer(db, ASEL)  # waiting is not enough
    await decide(db, staff_id=STAFF, user_id=ASEL, application=1, approve=True)
    assert await is_trainer(db, ASEL)
    await revoke_trainer(db, staff_id=STAFF, user_id=ASEL)
    assert not await is_trainer(db, ASEL)
