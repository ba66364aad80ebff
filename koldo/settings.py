"""Settings, from the environment and an optional `.env` file.

Loaded once in `main()` and passed down; nothing reads the environment at import time.
Every variable starts with KOLDO_; groups are separated by a double underscore, e.g.
KOLDO_TELEGRAM__TOKEN.
"""

from __future__ import annotations

import hashlib
import re
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.centres import BookingRules
from core.languages import SUPPORTED_LANGUAGES
from core.workhours import QuietHours, WorkingCalendar
from koldo.patches import PATCHES

ENV_PREFIX = "KOLDO_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class TelegramSettings(BaseModel):
    token: SecretStr | None = Field(
        default=None, description="Bot token from @BotFather (needed by `koldo run`)."
    )
    api_base_url: str = Field(
        default="https://api.telegram.org",
        description="Base URL of the Bot API server (Telegram's, or a local one).",
    )
    polling_timeout: int = Field(default=30, ge=0, le=60)
    request_timeout: int = Field(
        default=60,
        ge=1,
        le=600,
        description="Seconds to wait for the Bot API's answer to a call before giving it up.",
    )
    max_concurrent_updates: int = Field(
        default=64,
        ge=1,
        description="Updates handled at once; more wait at Telegram, keeping memory bounded.",
    )

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"\d+:[\w-]{20,}", value.get_secret_value()):
            raise ValueError("does not look like a bot token (digits, a colon, then the secret)")
        return value

    @field_validator("api_base_url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")


class DatabaseSettings(BaseModel):
    url: str = Field(
        default="sqlite+aiosqlite:///koldo.sqlite3",
        description="SQLAlchemy URL: sqlite+aiosqlite:///file or postgresql+asyncpg://...",
    )

    @field_validator("url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as error:
            raise ValueError("is not a database URL") from error
        if url.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value


class LocaleSettings(BaseModel):
    default_language: str = Field(default="ru", description="Language before a person picks one.")
    timezone: str = Field(default="Asia/Bishkek")

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError("is not a known time zone (e.g. Asia/Bishkek)") from error
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class RedisSettings(BaseModel):
    url: str | None = Field(
        default=None, description="redis://host:port/db; when set, conversation state lives there."
    )

    @field_validator("url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"rediss?://\S+", value):
            raise ValueError("must start with redis:// or rediss://")
        return value


class PrivacySettings(BaseModel):
    retention_days: int = Field(
        default=1095,
        ge=365,
        description="Days after a request is closed before its personal data is erased.",
    )
    pseudonym_key: SecretStr | None = Field(
        default=None,
        description="Secret keying the pseudonyms that replace an erased person's id in the "
        "audit log; keep it out of the database and its backups. Unset, one is derived from "
        "the bot token.",
    )


class StaffSettings(BaseModel):
    chat_id: int | None = Field(
        default=None,
        description="Id of the staff supergroup (negative, e.g. -1001234567890); with topics "
        "enabled each request gets its own topic. Without it requests wait in the database.",
    )
    admin_id: int | None = Field(
        default=None, gt=0, description="Telegram user id of the first admin, always staff."
    )
    language: str = Field(default="ru", description="Language of the texts in the staff group.")
    escalation_hours: float = Field(
        default=4,
        gt=0,
        description="Working hours a request may wait untaken before it is "
        "raised again in the group (and again after each such period).",
    )
    working_days: str = Field(
        default="mon-fri", description="Office days, e.g. mon-fri or mon,wed."
    )
    working_hours: str = Field(default="09:00-18:00", description="Office hours, local time.")

    @field_validator("chat_id")
    @classmethod
    def _group_id(cls, value: int | None) -> int | None:
        if value is not None and value >= 0:
            raise ValueError("must be a group id, which is negative (e.g. -1001234567890)")
        return value

    @field_validator("language")
    @classmethod
    def _staff_language(cls, value: str) -> str:
        return LocaleSettings._known_language(value)

    @field_validator("working_days")
    @classmethod
    def _days(cls, value: str) -> str:
        parse_days(value)
        return value

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_hours(value)
        return value

    def calendar(self, zone: ZoneInfo) -> WorkingCalendar:
        opens, closes = parse_hours(self.working_hours)
        return WorkingCalendar(zone, parse_days(self.working_days), opens, closes)


DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_days(value: str) -> frozenset[int]:
    """ "mon-fri" or "mon,wed,fri" → weekday numbers (Monday 0)."""
    days: set[int] = set()
    for part in value.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError("must name days like mon-fri or mon,wed,fri")
        start, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        if end < start:
            raise ValueError("a range of days must run forwards, like mon-fri")
        days.update(range(start, end + 1))
    return frozenset(days)


def parse_hours(value: str, *, across_midnight: bool = False) -> tuple[time, time]:
    """ "09:00-18:00" → (09:00, 18:00); with `across_midnight`, "21:00-08:00" is a night."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", value.replace(" ", ""))
    if not match:
        raise ValueError("must look like 09:00-18:00")
    h1, m1, h2, m2 = (int(group) for group in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or ((h2, m2) <= (h1, m1) and not across_midnight):
        raise ValueError("must be a real span of the day, like 09:00-18:00")
    return time(h1, m1), time(h2, m2)


class OutboxSettings(BaseModel):
    group_messages_per_minute: int = Field(
        default=20, ge=1, description="Pace of messages into the staff group (Telegram: ~20)."
    )
    chat_messages_per_second: float = Field(
        default=1, gt=0, description="Pace of messages into one parent's chat (Telegram: ~1)."
    )
    digest_after: int = Field(
        default=5,
        ge=2,
        description="New requests waiting for the group before they are listed in one digest.",
    )
    quiet_hours: str = Field(
        default="21:00-08:00",
        description="Local hours in which notices, questions and reminders wait for the "
        "morning (replies and staff messages do not); 00:00-00:00 for none.",
    )
    poll_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often the worker looks for messages due, besides being woken by "
        "commits in its own process (a separate `koldo worker` relies on this).",
    )

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        parse_hours(value, across_midnight=True)
        return value

    def quiet(self, zone: ZoneInfo) -> QuietHours:
        start, end = parse_hours(self.quiet_hours, across_midnight=True)
        return QuietHours(zone, start, end)


class FloodSettings(BaseModel):
    """One person sending more than `updates` messages or button presses within
    `window_seconds` is answered once and ignored for `pause_seconds` (an album counts as one).
    Nobody typing or tapping by hand comes near the defaults."""

    updates: int = Field(default=20, ge=5, description="Updates one person may send per window.")
    window_seconds: float = Field(default=10, gt=0, description="Length of that window.")
    pause_seconds: float = Field(
        default=60, gt=0, description="How long a flooding person is then ignored."
    )


class BookingSettings(BaseModel):
    """Day centre bookings; the centres' days, hours and services are reference data."""

    max_upcoming: int = Field(
        default=3, ge=1, le=20, description="Upcoming bookings one parent may hold at once."
    )
    offer_minutes: int = Field(
        default=30,
        ge=5,
        le=1440,
        description="Minutes a freed place is held for the first on the waiting list before "
        "it is offered to the next.",
    )
    morning_summary: bool = Field(
        default=True,
        description="Post each day centre's summary of the day to the staff group when it opens.",
    )

    def rules(self, zone: ZoneInfo, quiet: QuietHours | None = None) -> BookingRules:
        return BookingRules(
            zone=zone,
            max_upcoming=self.max_upcoming,
            offer_minutes=self.offer_minutes,
            quiet=quiet,
        )


class PerformanceSettings(BaseModel):
    """Koldo's patches of library internals (koldo.patches), read once by the entry point."""

    patches: bool = Field(
        default=True,
        description="Install the performance patches; false runs aiogram, pydantic and "
        "aiosqlite exactly as they come (to rule the patches out when something is odd).",
    )
    leave_out: str = Field(
        default="",
        description="Patches to leave out, comma-separated, e.g. lean_models,gc_tuning "
        f"(to measure what one earns): {', '.join(PATCHES)}.",
    )

    @field_validator("leave_out")
    @classmethod
    def _known_patches(cls, value: str) -> str:
        unknown = _names(value) - set(PATCHES)
        if unknown:
            raise ValueError(
                f"names no patch: {', '.join(sorted(unknown))} (the patches: {', '.join(PATCHES)})"
            )
        return value

    def chosen(self) -> frozenset[str]:
        """The names of the patches to install."""
        if not self.patches:
            return frozenset()
        return frozenset(PATCHES) - _names(self.leave_out)


def _names(value: str) -> frozenset[str]:
    return frozenset(name.strip() for name in value.split(",") if name.strip())


class DataSettings(BaseModel):
    reference_file: Path = PROJECT_ROOT / "data" / "reference.toml"
    urgent_keywords_file: Path = PROJECT_ROOT / "data" / "urgent_keywords.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    telegram: TelegramSettings = TelegramSettings()
    database: DatabaseSettings = DatabaseSettings()
    locale: LocaleSettings = LocaleSettings()
    redis: RedisSettings = RedisSettings()
    privacy: PrivacySettings = PrivacySettings()
    staff: StaffSettings = StaffSettings()
    outbox: OutboxSettings = OutboxSettings()
    flood: FloodSettings = FloodSettings()
    performance: PerformanceSettings = PerformanceSettings()
    data: DataSettings = DataSettings()
    booking: BookingSettings = BookingSettings()

    def pseudonym_key(self) -> bytes:
        """The key of core.erasure.pseudonym. A new bot token changes the derived key, so that
        people erased afterwards get other pseudonyms than before; set the key to avoid that."""
        secret = self.privacy.pseudonym_key or self.telegram.token
        if secret is None:
            raise SettingsError(
                "Erasing data needs KOLDO_PRIVACY__PSEUDONYM_KEY or KOLDO_TELEGRAM__TOKEN."
            )
        material = b"koldo audit pseudonyms\0" + secret.get_secret_value().encode()
        return hashlib.sha256(material).digest()


class SettingsError(Exception):
    """One sentence naming the setting that is wrong, for the person starting Koldo."""


def describe_error(error: ValidationError) -> str:
    first = error.errors()[0]
    name = ENV_PREFIX + "__".join(str(part) for part in first["loc"]).upper()
    reason = str(first["msg"]).removeprefix("Value error, ")
    return f"Setting {name} is not valid: {reason}."


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(describe_error(error)) from error
