"""Which performance patches a process has, after its entry point installed them as `koldo run`
does: `python -m tests.patch_probe` prints a JSON object, patch name → whether it is in place.

Run in a process of its own by tests/test_patches.py: the patches are process-wide, and the
test process has its own (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import tempfile

from koldo import patches
from koldo.settings import load_settings


async def _inline_sqlite(settings_url: str, api_base_url: str) -> tuple[bool, bool]:
    """Whether Koldo's database runs SQLite on the loop's thread, and its session is Koldo's."""
    from bot.api_session import KoldoSession
    from bot.app import build_bot, build_koldo
    from storage.sqlite_driver import InlineConnection
    from tests.harness import make_settings

    settings = make_settings(settings_url, api_base_url)
    koldo = build_koldo(settings)
    bot = build_bot(settings)
    try:
        async with koldo.db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            inline = isinstance(raw.driver_connection, InlineConnection)
        return inline, type(bot.session) is KoldoSession
    finally:
        await bot.session.close()
        await koldo.conversations.close()
        await koldo.db.dispose()


def main() -> None:
    patches.install(load_settings().performance)
    import aiogram.types
    from pydantic import BaseModel

    from bot import lazy_models, lean_models

    deferred = not aiogram.types.Chat.__pydantic_complete__
    lazy = BaseModel.model_rebuild.__func__ is lazy_models._model_rebuild  # type: ignore[attr-defined]
    message = aiogram.types.Message
    lean = message.model_post_init is lean_models._bind_bot
    sentinel = (
        lean_models.LEGACY_SENTINEL_VALIDATOR in message.__pydantic_decorators__.model_validators
    )
    with tempfile.TemporaryDirectory() as folder:
        inline, session = asyncio.run(
            _inline_sqlite(f"sqlite+aiosqlite:///{folder}/probe.sqlite3", "http://127.0.0.1:1")
        )
    young = gc.get_threshold()[0]
    patches.settle_after_start_up()
    tuned = gc.get_threshold()[0] != young and gc.get_freeze_count() > 0
    json.dump(
        {
            patches.LAZY_MODELS: lazy and deferred,
            patches.LEAN_MODELS: lean and not sentinel,
            patches.API_SESSION: session,
            patches.SQLITE_DRIVER: inline,
            patches.GC_TUNING: tuned,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
