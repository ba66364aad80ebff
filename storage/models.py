"""Database tables.

Times are stored as timezone-aware UTC (`UtcDateTime`); the fronts convert them to
Asia/Bishkek for display. Columns that hold a parent's personal data are listed in
`PERSONAL_REQUEST_FIELDS` so that erasure and retention anonymise exactly those.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Telegram ids exceed 32 bits; SQLite only autoincrements a plain INTEGER primary key.
TelegramId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, written as UTC whatever zone it comes in. SQLite keeps no zone: without this
    08:00 in Bishkek would be stored as 08:00 and read back as 08:00 UTC, six hours late.
    A naive value is taken as UTC already (what SQLite hands back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    """A person who talks to the bot. Deleted when they ask to be forgotten."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(TelegramId, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(8))
    # The latest answer to the privacy notice, copied from `consents` (which keeps them all)
    # so that knowing where a person stands costs one primary-key read per update.
    notice_version: Mapped[int | None] = mapped_column(Integer)
    notice_granted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())

    consents: Mapped[list[Consent]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class Consent(Base):
    """One answer to one version of the privacy notice; the newest row is the one in force."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        TelegramId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    notice_version: Mapped[int] = mapped_column(Integer)
    granted: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime())

    user: Mapped[User] = relationship(back_populates="consents")


class Request(Base):
    """A parent's request for help.

    The primary key is the reference number (`K-000123`). SQLite's AUTOINCREMENT and PostgreSQL's
    identity both guarantee an id is never handed out twice, even after a row disappears.
    """

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_user_created", "user_id", "created_at"),
        Index("ix_requests_status_created", "status", "created_at"),
        Index("ix_requests_staff_thread", "staff_chat_id", "staff_thread_id"),
        Index("ix_requests_phone", "phone"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(
        TelegramId, ForeignKey("users.id", ondelete="SET NULL")
    )
    category: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8))
    # The form's answers; which of them a category asks for is decided in core.forms.
    document_type: Mapped[str | None] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(16))
    child_age: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[int | None] = mapped_column(Integer)
    obstacle: Mapped[str | None] = mapped_column(String(32))
    settlement_code: Mapped[str | None] = mapped_column(String(64))
    settlement_other: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    anonymised_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Staff side (routing to the staff group comes with the staff inbox).
    assignee_id: Mapped[int | None] = mapped_column(TelegramId)
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    first_answer_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    staff_chat_id: Mapped[int | None] = mapped_column(TelegramId)
    staff_thread_id: Mapped[int | None] = mapped_column(Integer)
    staff_card_message_id: Mapped[int | None] = mapped_column(Integer)
    # The parent's answer to "was the problem solved?" after resolution.
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    satisfaction_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When the group was last reminded that nobody has taken the request.
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A request filed because the parent wrote again long after this one was resolved.
    follow_up_of: Mapped[int | None] = mapped_column(Integer)
    # The filled-in form this request was filed from: sending the same form again (a press
    # repeated after a crash, a double tap) finds this request instead of filing a second one.
    form_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Why it is urgent, for staff: the parent's answer to "Is a child in danger right now?"
    # ("yes"/"no") and the words of theirs that speak of danger (one per line).
    danger: Mapped[str | None] = mapped_column(String(8))
    urgent_words: Mapped[str | None] = mapped_column(Text)

    messages: Mapped[list[RequestMessage]] = relationship(
        back_populates="request", order_by="RequestMessage.id"
    )
    status_changes: Mapped[list[StatusChange]] = relationship(
        back_populates="request", order_by="StatusChange.id"
    )


PERSONAL_REQUEST_FIELDS = (
    "urgent_words",
    "child_age",
    "grade",
    "settlement_other",
    "description",
    "phone",
)


class RequestMessage(Base):
    """Something said on a request: by the parent, by staff, or an internal staff note.

    `source_key` makes delivery of the same Telegram update twice harmless: it is unique.
    """

    __tablename__ = "request_messages"
    __table_args__ = (UniqueConstraint("source_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    author: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int | None] = mapped_column(TelegramId)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(255))
    source_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # For a staff reply: whether it reached the parent, and if not, why (shown on the card).
    delivery: Mapped[str | None] = mapped_column(String(16))
    delivery_error: Mapped[str | None] = mapped_column(String(32))

    request: Mapped[Request] = relationship(back_populates="messages")


class StatusChange(Base):
    """One step of a request's life, shown to the parent as its history."""

    __tablename__ = "request_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    old_status: Mapped[str | None] = mapped_column(String(24))
    new_status: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(TelegramId)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())

    request: Mapped[Request] = relationship(back_populates="status_changes")


class AuditEntry(Base):
    """Who saw or changed what, and refused attempts. Never holds personal data itself.

    When a parent is erased, their Telegram id gives way to a pseudonym (a keyed hash, see
    core.erasure) in `actor_pseudonym`, and in `object_id` where they were the object: who did
    what stays countable, but nothing leads back to the person."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(TelegramId)
    actor_pseudonym: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(48))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Person(Base):
    """Someone CPC knows by name: a staff member, or a peer trainer (or someone who asked to
    be one). A parent needs no row: whoever writes to the bot in a private chat is served as a
    parent. Erasure (core.erasure) blanks the name and settlement and keeps the row, which the
    roles below hang on."""

    __tablename__ = "people"

    user_id: Mapped[int] = mapped_column(TelegramId, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(128))
    settlement_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PersonRole(Base):
    """One role of a person (core.people.Role), one row per role: applying again after a
    decline reuses it with the next `application` number, so a button under an old
    application cannot decide a new one. `status` is requested → active | declined | withdrawn,
    active → revoked (core.people.RoleStatus); a role taken away is kept as revoked, so who
    held which role, and who decided, can be answered later. `is_admin` and `on_duty` mean
    something for staff, `programmes` (codes from the `programmes` table) for trainers."""

    __tablename__ = "person_roles"
    __table_args__ = (Index("ix_person_roles_role_status", "role", "status"),)

    user_id: Mapped[int] = mapped_column(
        TelegramId, ForeignKey("people.user_id"), primary_key=True, autoincrement=False
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    programmes: Mapped[list[str]] = mapped_column(JSON, default=list)
    application: Mapped[int] = mapped_column(Integer, default=1)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[int | None] = mapped_column(TelegramId)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class OutboxEntry(Base):
    """Something that must reach Telegram, written in the same transaction as the change that
    caused it and delivered later by the sender, in `id` order within a chat.

    `chat_id` is the addressee: a person's user id, or 0 for the staff group. `payload` names
    what to say (kinds and ids, never rendered text), so that texts are made in the reader's
    language at sending time and erasure needs no outbox rewrite. `state` is
    pending → sending → sent | failed, or pending → dropped when the entry fell due and
    `wanted_while` no longer held. `not_before` is when it is due (later for a reminder, or a
    retry). A sender holds an entry in `sending` under `claim` until `claimed_until` (renewed
    while it works); nobody else may send it before that, and an entry whose lease ran out (its
    sender died) is in doubt and may be claimed again. `error` is a reason code, never
    Telegram's wording.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_chat", "state", "chat_id", "priority", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(TelegramId)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    error: Mapped[str | None] = mapped_column(String(255))
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    wanted_while: Mapped[str | None] = mapped_column(String(32))
    # The booking this entry is about (a reminder): it moves with the booking and is dropped
    # with it.
    booking_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Set on an entry that must exist once whoever writes it (a centre's morning summary: a
    # job run again after a restart, or by another worker, finds it there); unique.
    dedupe_key: Mapped[str | None] = mapped_column(String(96), unique=True, index=True)
    # The training session this entry is about (a reminder, a notice): likewise.
    training_session_id: Mapped[int | None] = mapped_column(Integer, index=True)


class WorkerLease(Base):
    """Who does the background work (the sender, the scheduled jobs): the one process holding
    the row's lease, renewed every few seconds; when it stops renewing, another takes over."""

    __tablename__ = "worker_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime] = mapped_column(UtcDateTime())


class MessageLink(Base):
    """Which request a message in a chat belongs to: a reply to it continues that request."""

    __tablename__ = "message_links"

    chat_id: Mapped[int] = mapped_column(TelegramId, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    request_id: Mapped[int] = mapped_column(Integer, index=True)


class Settlement(Base):
    __tablename__ = "settlements"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    sort: Mapped[int] = mapped_column(Integer)
    name: Mapped[dict[str, str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DayCentre(Base):
    __tablename__ = "day_centres"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    sort: Mapped[int] = mapped_column(Integer)
    name: Mapped[dict[str, str]] = mapped_column(JSON)
    address: Mapped[dict[str, str]] = mapped_column(JSON)
    # What a parent new to the area looks for to find the door (a stop, a gate).
    landmark: Mapped[dict[str, str]] = mapped_column(JSON, server_default=text("'{}'"))
    hours: Mapped[dict[str, str]] = mapped_column(JSON)
    phone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the centre is open (local time; `hours` above is the same said in words) and how
    # many days ahead a visit may be booked.
    open_days: Mapped[list[str]] = mapped_column(
        JSON, server_default=text('\'["mon", "tue", "wed", "thu", "fri"]\'')
    )
    opens: Mapped[time] = mapped_column(Time, server_default=text("'09:00:00'"))
    closes: Mapped[time] = mapped_column(Time, server_default=text("'18:00:00'"))
    book_days_ahead: Mapped[int] = mapped_column(Integer, server_default=text("14"))


class CentreClosure(Base):
    """A day a centre is closed besides its usual days off: a public holiday or CPC's own.
    `confirmed` is false for a date still to be confirmed (holidays that move every year).
    `by_staff` marks a day closed from the staff group (/close): the reference file does not
    list it, and loading the file again must not reopen it."""

    __tablename__ = "centre_closures"

    centre_code: Mapped[str] = mapped_column(ForeignKey("day_centres.code"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[dict[str, str]] = mapped_column(JSON)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    by_staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class Service(Base):
    """What a day centre offers by appointment: a hot meal, a doctor... `places` per slot
    count children, or families (`counted_in`) where the service is for the adults."""

    __tablename__ = "services"

    centre_code: Mapped[str] = mapped_column(ForeignKey("day_centres.code"), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    sort: Mapped[int] = mapped_column(Integer)
    name: Mapped[dict[str, str]] = mapped_column(JSON)
    description: Mapped[dict[str, str]] = mapped_column(JSON)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    places: Mapped[int] = mapped_column(Integer)
    counted_in: Mapped[str] = mapped_column(String(16))
    days: Mapped[list[str]] = mapped_column(JSON)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    age_min: Mapped[int] = mapped_column(Integer)
    age_max: Mapped[int] = mapped_column(Integer)
    adult_required: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class BookingSlot(Base):
    """The counter of one slot (a service at a start time): places booked, and places held for
    a parent from the waiting list while their offer is open. A booking takes places by a
    conditional UPDATE of this row (see storage.repositories.bookings), so two parents can never
    both take the last place, whatever the database's isolation level."""

    __tablename__ = "booking_slots"
    __table_args__ = (UniqueConstraint("centre_code", "service_code", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_code: Mapped[str] = mapped_column(String(64))
    service_code: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    taken: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0)


class Booking(Base):
    """A parent's visit to a day centre; the reference number is `B-` and the id. A booking
    keeps its own end (`ends_at`) and the places it took, so a later change of the service's
    slot length or places changes neither."""

    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_user_starts", "user_id", "starts_at"),
        Index("ix_bookings_slot_status", "slot_id", "status"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(
        TelegramId, ForeignKey("users.id", ondelete="SET NULL")
    )
    centre_code: Mapped[str] = mapped_column(String(64))
    service_code: Mapped[str] = mapped_column(String(64))
    slot_id: Mapped[int] = mapped_column(ForeignKey("booking_slots.id"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    places: Mapped[int] = mapped_column(Integer)
    children: Mapped[int] = mapped_column(Integer)
    ages: Mapped[list[int]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    # The Confirm press it was made by: the same press again finds this booking.
    confirm_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WaitingEntry(Base):
    """A parent waiting for a place at a full slot. `state` is waiting → offered (a place is
    held for them until `offer_until`) → taken | expired, or left."""

    __tablename__ = "waiting_list"
    __table_args__ = (
        UniqueConstraint("slot_id", "user_id"),
        Index("ix_waiting_list_state_until", "state", "offer_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("booking_slots.id"))
    user_id: Mapped[int] = mapped_column(TelegramId, ForeignKey("users.id", ondelete="CASCADE"))
    places: Mapped[int] = mapped_column(Integer)
    ages: Mapped[list[int]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12))
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime())
    offered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    offer_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))


class UrgentContact(Base):
    __tablename__ = "urgent_contacts"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    sort: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(32))
    label: Mapped[dict[str, str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Programme(Base):
    __tablename__ = "programmes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    sort: Mapped[int] = mapped_column(Integer)
    name: Mapped[dict[str, str]] = mapped_column(JSON)
    summary: Mapped[dict[str, str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TrainingSession(Base):
    """One session of a CPC programme, led by peer trainers (`SessionTrainer`) in a settlement.
    `signed_up` counts the people signed up: it is raised only by a conditional UPDATE
    (storage.repositories.trainings), so a session never holds more than `capacity`.
    `import_key` names the line of an imported file it came from: the same line imported again
    finds it instead of making a second session."""

    __tablename__ = "training_sessions"
    __table_args__ = (
        Index("ix_training_sessions_starts", "starts_at"),
        Index("ix_training_sessions_settlement_starts", "settlement_code", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_code: Mapped[str] = mapped_column(ForeignKey("programmes.code"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    settlement_code: Mapped[str] = mapped_column(String(64))
    place_kind: Mapped[str] = mapped_column(String(16))  # school, day_centre, settlement, other
    place_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    audience: Mapped[str] = mapped_column(String(16))  # children, parents, teachers
    capacity: Mapped[int] = mapped_column(Integer)
    signed_up: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))  # planned, moved, cancelled, held
    import_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(TelegramId)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SessionTrainer(Base):
    """A peer trainer named for a session, and their answer: pending → leading | declined."""

    __tablename__ = "session_trainers"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        TelegramId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    answer: Mapped[str] = mapped_column(String(12))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TrainingSignup(Base):
    """A person signed up for a session with `people` places (themselves, or their children).
    One row per person and session: signing up again after cancelling reuses it. The user id
    is cleared when the person is erased; the counts stay."""

    __tablename__ = "training_signups"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        Index("ix_training_signups_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        TelegramId, ForeignKey("users.id", ondelete="SET NULL")
    )
    people: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # signed_up, cancelled
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AttendanceReport(Base):
    """Who came to a held session, by gender and by age band, as its trainer reported it;
    a staff correction overwrites the numbers and says who and when (the audit log keeps the
    numbers before)."""

    __tablename__ = "attendance_reports"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    girls: Mapped[int] = mapped_column(Integer)
    boys: Mapped[int] = mapped_column(Integer)
    women: Mapped[int] = mapped_column(Integer)
    men: Mapped[int] = mapped_column(Integer)
    age_6_9: Mapped[int] = mapped_column(Integer)
    age_10_13: Mapped[int] = mapped_column(Integer)
    age_14_16: Mapped[int] = mapped_column(Integer)
    adults: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    reported_by: Mapped[int | None] = mapped_column(TelegramId)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    corrected_by: Mapped[int | None] = mapped_column(TelegramId)
    corrected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TrainingSubscription(Base):
    """A person who wants to hear of new sessions of a programme in a settlement (or in any:
    `settlement_code` is "*")."""

    __tablename__ = "training_subscriptions"
    __table_args__ = (
        Index("ix_training_subscriptions_programme", "programme_code", "settlement_code"),
    )

    user_id: Mapped[int] = mapped_column(
        TelegramId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    programme_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    settlement_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReceivedUpdate(Base):
    """A Telegram update, written down before Telegram is told it arrived, and marked handled
    once its effects are saved: a process killed mid-update handles it again at start-up
    instead of losing it, and an update Telegram delivers twice is recognised by its id.

    The raw update holds what a person wrote, so it is dropped as soon as the update is
    handled; the bare id stays a couple of days (longer than Telegram keeps an update) to
    recognise a repeat.
    """

    __tablename__ = "received_updates"

    update_id: Mapped[int] = mapped_column(TelegramId, primary_key=True, autoincrement=False)
    payload: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)


class FsmRecord(Base):
    """Conversation state of aiogram and aiogram-dialog, so a restart loses no flow."""

    __tablename__ = "fsm_records"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
