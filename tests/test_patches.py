"""The performance patches (koldo.patches): installed only when chosen, all or none or all but
some, and verified against the exact versions of the libraries they reach into."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from koldo import patches
from koldo.settings import PerformanceSettings, Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent

# The versions every patch was read against and measured with. An upgrade is a deliberate step:
# read the patched internals in the new version (bot/lazy_models.py, bot/lean_models.py,
# bot/api_session.py, storage/sqlite_driver.py), run the tests with the patches on and off and
# bench/documents_flow.py with --patches each, then move the version here and in pyproject.toml.
VERIFIED = {
    "aiogram": "3.31.0",
    "aiogram-dialog": "2.6.0",
    "pydantic": "2.13.5",
    "aiosqlite": "0.22.1",
}


@pytest.mark.parametrize("package", sorted(VERIFIED))
def test_the_installed_version_is_the_one_the_patches_were_verified_against(package: str):
    assert version(package) == VERIFIED[package], (
        f"{package} {version(package)} is installed, the patches were verified against "
        f"{VERIFIED[package]}: see the comment above VERIFIED"
    )


@pytest.mark.parametrize("package", sorted(VERIFIED))
def test_pyproject_bounds_each_patched_library_at_the_verified_version(package: str):
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (requirement,) = [d for d in dependencies if d.lower().startswith(package + ">")]
    assert requirement.endswith(f"<={VERIFIED[package]}")


def probe(**environment: str) -> dict[str, bool]:
    """What a freshly started process has in place, with these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOLDO_PERFORMANCE__")}
    answer = subprocess.run(
        [sys.executable, "-m", "tests.patch_probe"],
        env={**env, **environment},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(answer.stdout)


def test_by_default_every_patch_is_in_place():
    assert probe() == dict.fromkeys(patches.PATCHES, True)


def test_with_the_setting_off_the_libraries_run_as_they_come():
    """aiogram's models built at import with their own validators and post-init, aiogram's own
    session, aiosqlite's own thread, CPython's collector thresholds."""
    assert probe(KOLDO_PERFORMANCE__PATCHES="false") == dict.fromkeys(patches.PATCHES, False)


def test_leaving_some_out_installs_the_rest():
    found = probe(KOLDO_PERFORMANCE__LEAVE_OUT="lean_models, gc_tuning")
    assert found == {name: name not in ("lean_models", "gc_tuning") for name in patches.PATCHES}


def test_a_patch_name_that_does_not_exist_is_refused_with_the_list(monkeypatch):
    monkeypatch.setenv("KOLDO_PERFORMANCE__LEAVE_OUT", "lean_models,lazy")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "KOLDO_PERFORMANCE__LEAVE_OUT" in str(error.value)
    assert "lazy" in str(error.value) and "lazy_models" in str(error.value)


def test_off_wins_over_leaving_out():
    settings = Settings(_env_file=None, performance={"patches": False, "leave_out": "gc_tuning"})
    assert settings.performance.chosen() == frozenset()
    assert PerformanceSettings().chosen() == frozenset(patches.PATCHES)


def test_installing_after_aiogram_was_imported_fails_loudly():
    """lazy_models can only act before aiogram is imported: an entry point that got the order
    wrong must not run with half the patches unnoticed."""
    script = (
        "import aiogram\n"
        "from koldo import patches\n"
        "from koldo.settings import PerformanceSettings\n"
        "patches.install(PerformanceSettings())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "PatchesError: aiogram was imported before" in result.stderr


def test_the_test_process_has_the_patches_its_settings_chose():
    chosen = Settings(_env_file=None).performance.chosen()
    assert {name for name in patches.PATCHES if patches.enabled(name)} == chosen
