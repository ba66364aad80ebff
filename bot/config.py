"""Settings, from the environment and an optional `.env` file.

Loaded once in `main()` and passed down; nothing reads the environment at import time.
Every variable starts with KOLDO_; groups are separated by a double underscore, e.g.
KOLDO_TELEGRAM__TOKEN.
"""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.languages import SUPPORTED_LANGUAGES

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
    data: DataSettings = DataSettings()


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
