"""Delivering the outbox to Telegram: pacing, retries, rendering in the reader's language."""
