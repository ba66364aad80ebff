"""Every screen of the private chats (parents, peer trainers), one StatesGroup per dialog."""

from aiogram.fsm.state import State, StatesGroup


class LanguageSG(StatesGroup):
    pick = State()


class ConsentSG(StatesGroup):
    notice = State()


class MenuSG(StatesGroup):
    main = State()


class InfoSG(StatesGroup):
    urgent = State()


class FormSG(StatesGroup):
    document_type = State()
    subject = State()
    child_age = State()
    grade = State()
    settlement = State()
    settlement_other = State()
    obstacle = State()
    description = State()
    phone = State()
    danger = State()
    summary = State()
    edit = State()
    sent = State()


class MyRequestsSG(StatesGroup):
    list = State()
    details = State()
    add_message = State()
    withdraw = State()


class ForgetSG(StatesGroup):
    confirm = State()


class BookingSG(StatesGroup):
    centres = State()
    services = State()
    day = State()
    time = State()
    children = State()
    age = State()
    summary = State()
    booked = State()
    waiting = State()  # in line for a full time
    move_summary = State()  # a booked visit's new time, before it moves


class MyBookingsSG(StatesGroup):
    list = State()
    details = State()
    cancel = State()


class TrainerSG(StatesGroup):
    name = State()
    settlement = State()
    programmes = State()
    summary = State()
    done = State()  # sent, or nothing to ask (waiting already, or a trainer already)


class TrainingsSG(StatesGroup):
    settlement = State()
    sessions = State()
    details = State()
    signed_up = State()
    mine = State()  # My trainings
    cancel = State()  # a sign-up, before it is cancelled


class TrainerSessionsSG(StatesGroup):
    """A peer trainer's screens: their sessions, the whole schedule, the attendance report."""

    list = State()
    details = State()
    decline = State()  # "I can't": asked once more before staff are told
    schedule_by = State()
    schedule_pick = State()
    schedule_list = State()
    count = State()  # one number of the report per screen
    note = State()
    summary = State()
