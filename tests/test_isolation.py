"""Two test runs on one PostgreSQL server at once never meet (tests/conftest.py gives each run a
database of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.postgres
def test_two_runs_at_once_each_have_a_database_of_their_own(postgres_ready: str) -> None:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/one_run_alone.py",
    ]
    env = {**os.environ, "KOLDO_REQUIRE_POSTGRES": "1"}
    runs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=180)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output
        assert "1 passed" in output, output
