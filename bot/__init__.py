"""Koldo's Telegram front. The performance patches it carries (lazy_models, lean_models,
api_session, gc_tuning) are installed by the entry point: see koldo.patches."""
