#!/usr/bin/env bash
# Set up everything the tests need and run the whole suite (lint first).
# PostgreSQL tests run when a server answers at KOLDO_TEST_POSTGRES_URL
# (default postgresql+asyncpg://postgres@127.0.0.1:5432/test) and skip, saying why, otherwise;
# KOLDO_REQUIRE_POSTGRES=1 makes them mandatory. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
