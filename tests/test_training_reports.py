"""After a session: the trainer's attendance report (checked numbers, once), the reminder to
report, staff's audited correction, and `koldo report trainings` whose figures are checked
against the sessions and reports made here. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from core.clock import freeze
from core.errors import AccessDenied, InvalidInput, TrainingRefused
from core.outbox import Kind, claim_head
from core.staff import add_staff
from core.training_reports import Attendance, correct_report, report_attendance, trainings_report
from core.training_rules import SessionStatus
from core.training_sessions import answer_as_trainer, cancel_session, create_session
from koldo.cli import main
from koldo.trainings_cli import report_rows
from storage.database import Database
from storage.models import AttendanceReport, AuditEntry, OutboxEntry, TrainingSession
from tests.e2e import rows
from tests.test_core_trainings import (
    CO_TRAINER,
    MONDAY,
    STAFF,
    TRAINER,
    at,
    day,
    draft,
    frozen_clock,  # noqa: F401  (the same frozen Monday, 1 March 2027)
    new_session,
    people,
)
from tests.test_settings_and_cli import clean_env  # noqa: F401

CAME = Attendance(girls=4, boys=3, women=6, men=1, age_6_9=2, age_10_13=3, age_14_16=2, adults=7)


async def test_a_trainer_reports_once_the_session_is_over_and_it_is_held(db):
    session = await new_session(db)
    with pytest.raises(TrainingRefused) as early:
        await report_attendance(db, user_id=TRAINER, session_id=session.id, attendance=CAME)
    assert early.value.code == "not_ended"
    freeze(at(day(2), 17, 5))
    report = await report_attendance(
        db, user_id=TRAINER, session_id=session.id, attendance=CAME, note=" Rain, fewer came "
    )
    assert (report.attendance.total, report.note, report.reported_by) == (
        14,
        "Rain, fewer came",
        TRAINER,
    )
    [training] = await rows(db, TrainingSession)
    assert training.status == SessionStatus.HELD
    [report_due] = await rows(db, OutboxEntry, OutboxEntry.kind == Kind.TRAINING_REPORT_DUE.value)
    assert (report_due.state, report_due.error) == ("dropped", "reported")
    # The same report again (a repeated press) is the one stored; another is for staff.
    again = await report_attendance(
        db, user_id=TRAINER, session_id=session.id, attendance=CAME, note="Rain, fewer came"
    )
    assert again == report
    with pytest.raises(TrainingRefused) as twice:
        await report_attendance(
            db, user_id=TRAINER, session_id=session.id, attendance=Attendance(girls=1, age_6_9=1)
        )
    assert twice.value.code == "already_reported"
    [audit] = await rows(db, AuditEntry, AuditEntry.action == "training.reported")
    assert (audit.actor_id, audit.details["girls"]) == (TRAINER, 4)


@pytest.mark.parametrize(
    ("attendance", "code"),
    [
        (Attendance(girls=-1, age_6_9=-1), "count"),
        (Attendance(girls=3, boys=2, age_6_9=4), "age_bands_total"),
        (Attendance(women=2, adults=1, age_14_16=2), "age_bands_total"),
        (Attendance(girls=True, age_6_9=1), "count"),  # type: ignore[arg-type]
    ],
)
async def test_numbers_that_do_not_add_up_are_refused(db, attendance, code):
    session = await new_session(db)
    freeze(at(day(3), 9))
    with pytest.raises(InvalidInput) as refused:
        await report_attendance(db, user_id=TRAINER, session_id=session.id, attendance=attendance)
    assert refused.value.code == code
    assert await rows(db, AttendanceReport) == []


async def test_only_a_trainer_of_the_session_who_did_not_decline_reports(db):
    session = await new_session(db, trainer_ids=(TRAINER, CO_TRAINER))
    await answer_as_trainer(db, user_id=CO_TRAINER, session_id=session.id, leading=False)
    await people(db, 7199)
    freeze(at(day(3), 9))
    with pytest.raises(AccessDenied):
        await report_attendance(db, user_id=7199, session_id=session.id, attendance=CAME)
    with pytest.raises(TrainingRefused) as declined:
        await report_attendance(db, user_id=CO_TRAINER, session_id=session.id, attendance=CAME)
    assert declined.value.code == "declined"
    refusals = await rows(db, AuditEntry, AuditEntry.action == "training.access_denied")
    assert [r.actor_id for r in refusals] == [7199]


async def test_a_trainer_who_has_not_reported_is_reminded_once_a_day_after_the_end(db):
    session = await new_session(db, trainer_ids=(TRAINER, CO_TRAINER))
    freeze(at(day(3), 16, 59))
    assert await claim_head(db, TRAINER) is None  # the session's reminders went long ago
    await _drain(db, TRAINER, CO_TRAINER, before=at(day(3), 16, 59))
    freeze(at(day(3), 17))
    asked = await claim_head(db, TRAINER)
    assert (asked.kind, asked.training_session_id) == (Kind.TRAINING_REPORT_DUE, session.id)
    # The co-trainer reports meanwhile: their reminder, due the same minute, is dropped.
    await report_attendance(db, user_id=CO_TRAINER, session_id=session.id, attendance=CAME)
    assert await claim_head(db, CO_TRAINER) is None
    states = {
        e.chat_id: e.state
        for e in await rows(db, OutboxEntry, OutboxEntry.kind == Kind.TRAINING_REPORT_DUE.value)
    }
    assert states == {TRAINER: "sending", CO_TRAINER: "dropped"}


async def _drain(db, *chats: int, before) -> None:
    """The reminders before the session, as the worker would have sent them."""
    from core.outbox import mark_sent

    for chat in chats:
        while (entry := await claim_head(db, chat, now=before)) is not None:
            await mark_sent(db, entry, message_ids=[])


async def test_staff_correct_a_report_and_the_audit_keeps_the_numbers_before(db):
    session = await new_session(db)
    freeze(at(day(3), 9))
    with pytest.raises(AccessDenied):
        await correct_report(db, actor_id=TRAINER, session_id=session.id, attendance=CAME)
    await report_attendance(db, user_id=TRAINER, session_id=session.id, attendance=CAME)
    fixed = Attendance(
        girls=5, boys=3, women=6, men=1, age_6_9=3, age_10_13=3, age_14_16=2, adults=7
    )
    corrected = await correct_report(
        db, actor_id=STAFF, session_id=session.id, attendance=fixed, note="Counted again"
    )
    assert (corrected.attendance, corrected.note) == (fixed, "Counted again")
    assert (corrected.reported_by, corrected.corrected_by) == (TRAINER, STAFF)
    assert corrected.corrected_at == at(day(3), 9)
    [audit] = await rows(db, AuditEntry, AuditEntry.action == "training.report_corrected")
    assert (audit.actor_id, audit.details["before"]["girls"], audit.details["after"]["girls"]) == (
        STAFF,
        4,
        5,
    )


async def test_staff_file_the_report_of_a_session_nobody_reported(db):
    session = await new_session(db)
    freeze(at(day(4), 9))
    report = await correct_report(db, actor_id=STAFF, session_id=session.id, attendance=CAME)
    assert (report.reported_by, report.corrected_by) == (None, STAFF)
    [training] = await rows(db, TrainingSession)
    assert training.status == SessionStatus.HELD


# --- the figures for donors -------------------------------------------------------------------


async def _a_month_of_sessions(db) -> None:
    """Four sessions held (two programmes, two settlements, three trainers), one cancelled,
    one not reported, one held after the period."""
    await add_staff(db, STAFF, "Айгуль")
    await people(db, TRAINER, CO_TRAINER, 7003)
    made = []
    for offset, programme, settlement, trainers in [
        (1, "positive-parenting", "ak-ordo", (TRAINER,)),
        (2, "positive-parenting", "ak-ordo", (TRAINER, CO_TRAINER)),
        (3, "positive-parenting", "ala-too", (CO_TRAINER,)),
        (4, "gals", "ak-ordo", (7003,)),
        (5, "gals", "ak-ordo", (7003,)),  # cancelled
        (6, "gals", "ala-too", (7003,)),  # not reported
        (40, "gals", "ala-too", (7003,)),  # after the period
    ]:
        made.append(
            await create_session(
                db,
                actor_id=STAFF,
                draft=draft(
                    programme_code=programme,
                    settlement_code=settlement,
                    trainer_ids=trainers,
                    starts_at=at(day(offset), 10),
                    ends_at=at(day(offset), 12),
                ),
            )
        )
    await answer_as_trainer(db, user_id=CO_TRAINER, session_id=made[1].id, leading=True)
    await cancel_session(db, actor_id=STAFF, session_id=made[4].id)
    counts = [
        Attendance(girls=4, boys=3, women=6, men=1, age_6_9=2, age_10_13=3, age_14_16=2, adults=7),
        Attendance(girls=1, boys=1, women=2, men=2, age_6_9=1, age_10_13=1, adults=4),
        Attendance(women=5, men=5, adults=10),
        Attendance(girls=8, boys=2, age_14_16=10),
    ]
    freeze(at(day(41), 9))
    for session, attendance in zip(made[:4], counts, strict=True):
        reporter = session.trainers[0].user_id
        await report_attendance(db, user_id=reporter, session_id=session.id, attendance=attendance)
    await report_attendance(db, user_id=7003, session_id=made[6].id, attendance=counts[3])


async def test_the_report_counts_held_sessions_by_programme_settlement_gender_and_age(db):
    await _a_month_of_sessions(db)
    report = await trainings_report(db, start=at(MONDAY, 0), end=at(day(31), 0))
    assert report.total.sessions == 4
    assert report.total.attendance == Attendance(
        girls=13, boys=6, women=13, men=8, age_6_9=3, age_10_13=4, age_14_16=12, adults=21
    )
    assert report.total.attendance.total == 40 and report.total.trainers == 3
    parenting = report.by_programme["positive-parenting"]
    assert (parenting.sessions, parenting.attendance.total, parenting.trainers) == (3, 30, 2)
    assert report.by_programme["gals"].attendance.total == 10
    assert {k: (f.sessions, f.attendance.total) for k, f in report.by_settlement.items()} == {
        "ak-ordo": (3, 30),
        "ala-too": (1, 10),
    }
    assert report.by_both[("positive-parenting", "ak-ordo")].trainers == 2
    assert report_rows(report)[-1] == ["(all)", "(all)", 4, 13, 6, 13, 8, 3, 4, 12, 21, 40, 3]


def test_the_command_prints_the_figures_and_writes_csv_and_xlsx(clean_env, tmp_path, capsys):  # noqa: F811
    assert main(["migrate"]) == 0 and main(["seed"]) == 0

    async def month() -> None:
        db = Database.from_url("sqlite+aiosqlite:///koldo.sqlite3")
        await _a_month_of_sessions(db)
        await db.dispose()

    asyncio.run(month())
    capsys.readouterr()
    march = ["report", "trainings", "--from", "2027-03-01", "--to", "2027-03-31"]
    assert main([*march, "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "Training sessions held from 2027-03-01 to 2027-03-31" in out
    printed = [line.split() for line in out.splitlines()]
    total = ["(all)", "(all)", "4", "13", "6", "13", "8", "3", "4", "12", "21", "40", "3"]
    assert total in printed
    assert printed[1][:3] == ["programme", "settlement", "sessions"]
    with (tmp_path / "trainings-2027-03-01-to-2027-03-31.csv").open() as file:
        written = list(csv.reader(file))
    assert written[0][:3] == ["programme", "settlement", "sessions"]
    assert written[-1] == total
    parenting = ["positive-parenting", "ak-ordo", "2", "5", "4", "8", "3", "3", "4", "2", "11"]
    assert [*parenting, "20", "2"] in written
    xlsx = tmp_path / "march.xlsx"
    spring = ["report", "trainings", "--from", "2027-03-01", "--to", "2027-04-30"]
    assert main([*spring, "--output", str(xlsx)]) == 0
    sheet = load_workbook(xlsx).active
    last = [cell.value for cell in sheet[sheet.max_row]]
    assert last == ["(all)", "(all)", 5, 21, 8, 13, 8, 3, 4, 22, 21, 50, 3]
    assert main(["report", "trainings", "--from", "2027-03-31", "--to", "2027-03-01"]) == 2


def test_a_period_without_sessions_reports_zeros():
    from core.training_reports import Figures, TrainingsReport

    empty = Figures(0, Attendance(), 0)
    report = TrainingsReport(at(MONDAY, 0), at(MONDAY, 0) + timedelta(days=1), empty, {}, {}, {})
    assert report_rows(report) == [["(all)", "(all)", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]
