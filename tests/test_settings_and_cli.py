"""Settings and the `koldo` command: a wrong setting stops start-up with one clear sentence."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from koldo.cli import main
from koldo.settings import Settings, SettingsError, load_settings

KOLDO = Path(sys.executable).with_name("koldo")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No KOLDO_* variables and no .env from the developer's machine."""
    for name in list(__import__("os").environ):
        if name.startswith("KOLDO_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults_are_the_embedded_ones(clean_env):
    settings = load_settings()
    assert settings.database.url == "sqlite+aiosqlite:///koldo.sqlite3"
    assert settings.telegram.api_base_url == "https://api.telegram.org"
    assert settings.locale.default_language == "ru"
    assert settings.locale.timezone == "Asia/Bishkek"
    assert settings.redis.url is None
    assert settings.telegram.token is None


def test_env_file_and_variables_are_read(clean_env, tmp_path):
    (tmp_path / ".env").write_text(
        "KOLDO_TELEGRAM__TOKEN=123:abcdefghijklmnopqrstuvwxyz\n"
        "KOLDO_TELEGRAM__API_BASE_URL=http://127.0.0.1:8081/\n"
    )
    clean_env.setenv("KOLDO_LOCALE__DEFAULT_LANGUAGE", "ky")
    settings = load_settings()
    assert settings.telegram.token.get_secret_value() == "123:abcdefghijklmnopqrstuvwxyz"
    assert settings.telegram.api_base_url == "http://127.0.0.1:8081"
    assert settings.locale.default_language == "ky"
    assert "abcdefghij" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "sentence"),
    [
        ("KOLDO_TELEGRAM__TOKEN", "not-a-token", "Setting KOLDO_TELEGRAM__TOKEN is not valid"),
        ("KOLDO_DATABASE__URL", "mysql://x", "Setting KOLDO_DATABASE__URL is not valid"),
        ("KOLDO_LOCALE__DEFAULT_LANGUAGE", "de", "must be one of ru, ky, en"),
        ("KOLDO_LOCALE__TIMEZONE", "Mars/Base", "Setting KOLDO_LOCALE__TIMEZONE is not valid"),
        ("KOLDO_REDIS__URL", "localhost:6379", "must start with redis://"),
        ("KOLDO_TELEGRAM__API_BASE_URL", "api.telegram.org", "must be an http:// or https:// URL"),
        (
            "KOLDO_PRIVACY__RETENTION_DAYS",
            "10",
            "Setting KOLDO_PRIVACY__RETENTION_DAYS is not valid",
        ),
    ],
)
def test_malformed_setting_is_named_in_one_sentence(clean_env, variable, value, sentence):
    clean_env.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert sentence in message
    assert message.count("\n") == 0 and message.endswith(".")


def test_run_without_a_token_says_which_setting_is_missing(clean_env, capsys):
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "KOLDO_TELEGRAM__TOKEN is missing" in err


def test_migrate_and_seed_on_the_default_database(clean_env, tmp_path, capsys):
    assert main(["migrate"]) == 0
    assert (tmp_path / "koldo.sqlite3").exists()
    assert main(["seed"]) == 0
    first = capsys.readouterr().out
    assert "settlements: 12 added or changed" in first
    assert main(["seed"]) == 0
    assert "settlements: 0 added or changed, 0 no longer listed" in capsys.readouterr().out


def test_help_explains_each_command():
    result = subprocess.run([str(KOLDO), "--help"], capture_output=True, text=True, check=True)
    for word in ("run", "bot", "worker", "migrate", "seed", "long polling", "SIGTERM"):
        assert word in result.stdout


@pytest.mark.parametrize("role", ["bot", "worker"])
def test_a_bot_or_worker_does_not_migrate_and_says_so(clean_env, capsys, role):
    clean_env.setenv("KOLDO_TELEGRAM__TOKEN", "123:abcdefghijklmnopqrstuvwxyz")
    assert main([role]) == 2
    assert "run `koldo migrate` first" in capsys.readouterr().err


def test_a_worker_does_not_start_over_messages_it_cannot_send(clean_env, capsys):
    clean_env.setenv("KOLDO_TELEGRAM__TOKEN", "123:abcdefghijklmnopqrstuvwxyz")
    clean_env.setenv("KOLDO_TELEGRAM__API_BASE_URL", "http://127.0.0.1:9/")
    assert main(["migrate"]) == 0
    database = sqlite3.connect("koldo.sqlite3")
    with database:
        database.execute(
            "INSERT INTO outbox (chat_id, priority, kind, payload, state, attempts, not_before,"
            " created_at) VALUES (1, 1, 'visit_survey', '{}', 'pending', 0,"
            " '2026-12-03 10:00:00', '2026-12-03 10:00:00')"
        )
    database.close()
    assert main(["worker"]) == 2
    assert "kinds this version cannot send: visit_survey" in capsys.readouterr().err


def test_settings_object_is_not_built_at_import_time():
    import bot.app

    assert not any(isinstance(value, Settings) for value in vars(bot.app).values())


def test_the_composition_root_and_core_do_not_import_the_telegram_front():
    """A second front (the staff web inbox) and the worker build on `koldo` and `core` alone."""
    modules = [
        "koldo", "koldo.settings", "koldo.cli", "koldo.roles", "koldo.worker", "koldo.scheduler",
        "koldo.labels", "koldo.catalogs", "koldo.i18n", "core", "core.outbox", "core.inbox",
        "core.inbox_views", "core.requests", "core.erasure", "core.escalation",
    ]  # fmt: skip
    check = (
        f"import sys, {', '.join(modules)}\n"
        "front = {'aiogram', 'aiogram_dialog', 'bot'}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in front)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", check], check=True)


def test_seed_names_the_bookings_a_change_of_the_data_no_longer_allows(clean_env, capsys, tmp_path):
    """Nobody loses a visit to a data change, and whoever ran the seed learns which visits
    need a phone call."""
    from core.clock import freeze
    from storage.database import Database
    from tests.conftest import run_sync
    from tests.test_core_bookings import (
        MONDAY,
        PARENT,
        at,
        book_meal,
        changed_reference,
        consenting,
        day,
    )

    assert main(["migrate"]) == 0 and main(["seed"]) == 0

    async def book() -> str:
        db = Database.from_url(load_settings().database.url)
        try:
            await consenting(db, PARENT)
            return (await book_meal(db, PARENT, at(day(2), 12))).reference
        finally:
            await db.dispose()

    freeze(at(MONDAY, 8))
    try:
        reference = run_sync(book())
        capsys.readouterr()
        assert main(["seed", "--file", str(changed_reference(tmp_path))]) == 0
    finally:
        freeze(None)
    out = capsys.readouterr().out
    expected = (
        f"(closure): osh-bazaar hot-meal 2027-01-06 12:00, 1 booked for 4 places: {reference}"
    )
    assert expected in out
