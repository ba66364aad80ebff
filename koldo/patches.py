"""Koldo's patches of library internals, in quarantine: installed here, by the entry points
(`koldo`'s main(), tests/conftest.py), never as a side effect of importing a module.

Each patch reaches into aiogram, aiogram-dialog, pydantic or aiosqlite beyond their public
interfaces to save memory or CPU (bench/README.md has what each one earns); a new release of
any of them may break one, which is why pyproject.toml bounds their versions from above and
tests/test_patches.py names the versions they were verified against. The setting
`KOLDO_PERFORMANCE__PATCHES=false` turns them all off, so that a strange fault can be ruled out
as theirs in one step; `KOLDO_PERFORMANCE__LEAVE_OUT` leaves single ones out, to measure them.

- `lazy_models` (bot.lazy_models): aiogram's models built on first use, not at import;
- `lean_models` (bot.lean_models): aiogram's objects validated with less Python per object;
- `api_session` (bot.api_session.KoldoSession): calls sent as JSON, answers parsed from JSON text;
- `sqlite_driver` (storage.sqlite_driver): SQLite's calls made on the event loop's thread;
- `gc_tuning` (bot.gc_tuning): the garbage collector freezes start-up's objects and runs less often.

This module imports nothing of aiogram at import time: `koldo` is the composition root of every
front. Patches that need aiogram import it when they are installed.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from koldo.settings import PerformanceSettings

LAZY_MODELS = "lazy_models"
LEAN_MODELS = "lean_models"
API_SESSION = "api_session"
SQLITE_DRIVER = "sqlite_driver"
GC_TUNING = "gc_tuning"
PATCHES = (LAZY_MODELS, LEAN_MODELS, API_SESSION, SQLITE_DRIVER, GC_TUNING)

_enabled: frozenset[str] | None = None


class PatchesError(RuntimeError):
    """The patches were installed too late or twice with different choices: a mistake in an
    entry point, which should fail loudly rather than run with half of them."""


def install(performance: PerformanceSettings) -> frozenset[str]:
    """Install the patches the settings choose, and return their names. Call it once, first
    thing in the entry point: `lazy_models` must be in place before anything imports aiogram.
    The others are choices read when the bot is assembled (`enabled`)."""
    global _enabled
    chosen = performance.chosen()
    if _enabled is not None:
        if chosen != _enabled:
            raise PatchesError(f"patches installed already as {sorted(_enabled)}")
        return _enabled
    if LAZY_MODELS in chosen:
        if "aiogram" in sys.modules:
            raise PatchesError("aiogram was imported before the patches were installed")
        from bot import lazy_models

        lazy_models.install()
    if LEAN_MODELS in chosen:
        _install_lean_models()
    _enabled = chosen
    return chosen


def _install_lean_models() -> None:
    # aiogram-dialog's update event is one of aiogram's types too: load it before patching.
    import aiogram_dialog  # noqa: F401

    from bot import lean_models

    lean_models.install()


def settle_after_start_up() -> None:
    """Called once by a long-running process when it has built everything it keeps and is
    about to serve: the garbage-collector tuning, when it is chosen."""
    if enabled(GC_TUNING):
        from bot import gc_tuning

        gc_tuning.settle_after_start_up()


def enabled(name: str) -> bool:
    """Whether the entry point installed patch `name`. Before `install` nothing is: code that
    forgets to install runs on the libraries as they come."""
    if name not in PATCHES:
        raise ValueError(f"no patch is called {name!r}")
    return _enabled is not None and name in _enabled
