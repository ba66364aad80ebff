"""Generated updates against the real bot: odd text (random unicode, zero-width and control
characters, lengths around every limit), random and forged button data, files, places and
contacts where they do not fit, and updates from other groups and strangers in the staff group.

Nothing may fail unhandled (no error logged by the bot, aiogram or aiogram-dialog, the emulator
saw no bad call), every update in a private chat gets some answer (a message, an edit or a
button answer), and in a group the bot does not serve nothing is posted and every button press
is answered, so no spinner is left turning. Derandomized, so CI sees the same examples.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiogram_dialog.utils import encode_reply_callback
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e import onboard
from tests.emulator import BotApiEmulator, SimulatedGroupMember, SimulatedPerson
from tests.emulator.server import NOT_MODIFIED, ApiCall
from tests.harness import RunningBot, bot_running, make_settings

STAFF_GROUP = -1001234567890
OTHER_GROUP = -1009876543210
# Where the form's limits are (core.forms) and Telegram's own (4096 per message).
LENGTHS = [1, 99, 100, 101, 1999, 2000, 2001, 3999, 4000, 4001, 4095, 4096]
ODD = [
    "\x00", "\x01", "\x1d", "\x7f", "\t", "\r", "\n", " ", "\u00ad", "\u200b", "\u200c", "\u200d",
    "\u2060", "\u2063", "\u202e", "\ufeff", "\U0001d173", "\U0001d17a", "<", ">", "&", "</b>",
    "🙂", "👨\u200d👩\u200d👧",
]  # fmt: skip
TYPED = [
    "9", "17", "0", "100", "0700 123 456", "+996 700 123 456", "Ак-Орго", "/start", "/cancel",
    "/language", "/help", "/start@koldo_test_bot", "/start payload", "/unknown", "/find K-000001",
    "/queue", "/note test",
]  # fmt: skip
ERROR_LOGGERS = ("bot", "core", "storage", "aiogram", "aiogram_dialog")

odd_piece = st.one_of(st.sampled_from(ODD), st.characters(exclude_categories=("Cs",)))


def odd_text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.lists(odd_piece, min_size=min_size, max_size=max_size).map("".join)


texts = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40),
    odd_text(1, 12),
    st.builds(
        lambda fill, length, tail: fill * length + tail,
        st.sampled_from(["а", "z", "9", " ", "🙂", "\u200c"]),
        st.sampled_from(LENGTHS),
        st.lists(st.sampled_from(ODD), max_size=3).map("".join),
    ),
    st.builds(lambda word, tail: word + tail, st.sampled_from(TYPED), odd_text(0, 3)),
)
callback_data = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=64),
    st.builds(lambda tail: "\x1d" + tail, st.text(max_size=20)),
)


@dataclass(frozen=True)
class Act:
    """One thing a generated person does: `kind` and what it carries."""

    kind: str
    value: object = None


private_acts = st.one_of(
    st.builds(Act, st.just("text"), texts),
    st.builds(Act, st.just("press"), st.integers(0, 20)),
    st.builds(Act, st.just("press"), st.integers(0, 20)),
    st.builds(Act, st.just("forge"), callback_data),
    st.builds(Act, st.just("forge_on_screen"), callback_data),
    st.builds(Act, st.just("forge_reply_button"), callback_data),
    st.builds(Act, st.just("photo"), st.one_of(st.none(), texts)),
    st.builds(Act, st.sampled_from(["sticker", "document", "voice", "location"])),
    st.builds(Act, st.just("contact"), st.booleans()),
)
group_acts = st.builds(Act, st.sampled_from(["group_text", "staff_text"]), texts) | st.builds(
    Act, st.sampled_from(["group_forge", "staff_forge"]), callback_data
)
scenarios = st.tuples(
    st.sampled_from(["ru", "ky", "en", "de", None]),
    st.booleans(),  # onboarded first, so that the deeper screens get their share
    st.lists(st.one_of(private_acts, private_acts, group_acts), min_size=1, max_size=8),
)
user_ids = itertools.count(700_001)


@pytest.fixture
async def fuzzed(database_url: str, emulator: BotApiEmulator) -> AsyncIterator[RunningBot]:
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    emulator.add_chat(OTHER_GROUP, title="Someone's group")
    settings_ = make_settings(
        database_url, emulator.base_url, staff={"chat_id": STAFF_GROUP}, flood={}
    )
    async with bot_running(settings_) as running:
        yield running


class Scenario:
    """A generated person acting out `acts`, checking the bot's answer to each."""

    def __init__(self, emulator: BotApiEmulator, language: str | None) -> None:
        user_id = next(user_ids)
        kwargs = {"language_code": language} if language else {}
        self.emulator = emulator
        self.parent = SimulatedPerson(emulator, user_id, quiet=0, **kwargs)
        self.stranger = SimulatedGroupMember(emulator, OTHER_GROUP, user_id, "Прохожий", quiet=0)
        self.intruder = SimulatedGroupMember(emulator, STAFF_GROUP, user_id, "Чужой", quiet=0)

    async def play(self, act: Act) -> None:
        if act.kind.startswith("group_"):
            await self._in_group(self.stranger, act)
            assert self.emulator.chat_messages(OTHER_GROUP) == [], "the bot spoke in a group"
        elif act.kind.startswith("staff_"):
            await self._in_group(self.intruder, act)
        else:
            update_id = await self._private(act)
            replies = self.emulator.replies_to(update_id)
            assert replies, f"no answer to {act!r}\n" + self.parent.transcript()
            assert not _failed(replies), _failed(replies)

    async def _private(self, act: Act) -> int:
        parent = self.parent
        match act.kind:
            case "text":
                return await parent.send_text(str(act.value))
            case "press":
                buttons = parent.buttons() or [
                    text for row in parent.reply_keyboard() or [] for text in row
                ]
                if not buttons:
                    return await parent.send_command("/start")
                return await parent.press(buttons[int(act.value) % len(buttons)])
            case "forge":
                return await _forge(parent, str(act.value))
            case "forge_on_screen":  # data of a live dialog with the rest made up
                intent = (_first_data(parent) or "").split("\x1d")[0]
                return await _forge(parent, f"{intent}\x1d{act.value}")
            case "forge_reply_button":  # a reply-keyboard text hiding made-up data
                intent = (_first_data(parent) or "").split("\x1d")[0]
                return await parent.send_text(
                    "⬅️" + encode_reply_callback(f"{intent}\x1d{act.value}")
                )
            case "photo":
                return await parent.send_photo(caption=act.value if act.value else None)
            case "contact":
                if act.value:
                    return await parent.send_contact(parent.phone, user_id=parent.user_id)
                return await parent.send_contact("+996555000111", first_name="Друг")
            case "location":
                return await parent.send_location(42.87, 74.59)
            case kind:
                return await getattr(parent, f"send_{kind}")()

    async def _in_group(self, member: SimulatedGroupMember, act: Act) -> None:
        if act.kind.endswith("_text"):
            await member.send_text(str(act.value))
            return
        await member.press_data(str(act.value), message_id=1)
        assert member.unanswered_queries() == [], "a button press in a group was not answered"


async def _forge(parent: SimulatedPerson, data: str) -> int:
    """A press on the newest screen or, before there is one, on a message the bot cannot see."""
    return await parent.press_data(data, None if parent.messages() else 1)


def _first_data(parent: SimulatedPerson) -> str | None:
    newest = next(parent.emulator.bot_messages_newest_first(parent.chat_id), None)
    if newest is None:
        return None
    return next((data for row in newest.button_data for data in row if data), None)


def _failed(calls: list[ApiCall]) -> str:
    return "\n".join(
        call.summary()
        for call in calls
        # Telegram refuses an edit that changes nothing; aiogram-dialog expects that.
        if not call.ok and call.description != NOT_MODIFIED
    )


@settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)
@given(scenario=scenarios)
async def test_generated_updates_are_all_handled(fuzzed, emulator, caplog, scenario):
    language, onboarded, acts = scenario
    caplog.set_level(logging.ERROR)
    already_logged = len(caplog.records)
    play = Scenario(emulator, language)
    if onboarded:
        await onboard(play.parent, language if language in ("ru", "ky", "en") else "ru")
    for act in acts:
        await play.play(act)
    errors = [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records[already_logged:]
        if record.levelno >= logging.ERROR and record.name.split(".")[0] in ERROR_LOGGERS
    ]
    assert errors == []
    assert emulator.internal_errors == []
