"""The forum staff group that the staff benchmarks run Koldo with (shared by bench.staff_inbox
and bench.faults, so both measure the same set-up)."""

from __future__ import annotations

import re

from tests.emulator import BotApiEmulator

STAFF_GROUP = -1001000000001
ADMIN = 900_000
REFERENCE = re.compile(r"K-\d{6}")


def open_staff_group(emulator: BotApiEmulator, *, group_per_minute: int) -> dict[str, str]:
    """Create the forum group in the emulator; returns the settings that point Koldo at it,
    with `ADMIN` on the staff list and the given pace of messages into the group."""
    emulator.add_chat(STAFF_GROUP, title="CPC staff", is_forum=True)
    return {
        "KOLDO_STAFF__CHAT_ID": str(STAFF_GROUP),
        "KOLDO_STAFF__ADMIN_ID": str(ADMIN),
        "KOLDO_OUTBOX__GROUP_MESSAGES_PER_MINUTE": str(group_per_minute),
    }
