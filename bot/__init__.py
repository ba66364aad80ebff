"""Koldo's Telegram front. Installed first, before anything imports aiogram: see lazy_models."""

from bot import lazy_models

lazy_models.install()
