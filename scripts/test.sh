#!/usr/bin/env bash
# Set up everything the tests need and run the whole suite (lint first), then the end-to-end
# tests (marker e2e) a second time on SQLite with the performance patches off
# (KOLDO_PERFORMANCE__PATCHES=false, see koldo/patches.py), so that a patch that changes what
# Koldo does shows up as a difference between the two runs.
# PostgreSQL tests run when a server answers at KOLDO_TEST_POSTGRES_URL, the server's maintenance
# database (default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres), each run in a
# database of its own that it creates and drops; they skip, saying why, when no server answers,
# and KOLDO_REQUIRE_POSTGRES=1 makes them mandatory. Extra arguments go to both pytest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
echo "The end-to-end tests again, with the performance patches off (SQLite):"
status=0
KOLDO_PERFORMANCE__PATCHES=false .venv/bin/python -m pytest -m "e2e and not postgres" "$@" \
    || status=$?
# 5: none of the tests asked for is an end-to-end test.
if [ "$status" -eq 5 ]; then status=0; fi
exit "$status"
