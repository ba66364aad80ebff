"""Koldo's composition root: settings, the `koldo` command and the assembly of each process role.

Both fronts (the Telegram bot in `bot/`, a web inbox to come) and the worker import from here,
never from each other. Importing this package, like importing `core/`, does not import aiogram:
each role imports its front only when it starts.
"""
