"""The suite's own set-up (``tests/conftest.py``) works with pytest alone, as a developer runs one test."""

import subprocess
import sys
from pathlib import Path


def test_a_test_file_is_collected_without_xdist():
    # The hook that keeps the Spark files on one worker is xdist's: without xdist, pytest had refused
    # to start ("unknown hook 'pytest_xdist_make_scheduler'").
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "--collect-only", "-q", "tests/test_periods.py"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "test_periods.py::" in run.stdout
