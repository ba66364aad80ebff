#!/usr/bin/env bash
# Set up Koldo on the embedded defaults (SQLite file in this folder) and run it.
# Needs the bot token: KOLDO_TELEGRAM__TOKEN in the environment or in .env (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
.venv/bin/koldo seed
exec .venv/bin/koldo run
