"""CI fails a run with a skipped test, also when an xdist worker ran it (tests/ci_skips.py).

One run only: a pytest process and its workers take seconds to start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TESTS = """
import pytest

def test_runs():
    pass

def test_skips():
    pytest.skip("a missing dependency")
"""


def run_in_ci(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(TESTS)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment["CI"] = "true"
    return subprocess.run(  # noqa: S603 - our interpreter, our arguments
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.ci_skips",
            "-p",
            "no:django",
            "-p",
            "no:cacheprovider",
            "-q",
            *arguments,
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_skip_in_an_xdist_worker_fails_the_run_in_ci(tmp_path):
    result = run_in_ci(tmp_path, "-n", "2")
    assert "1 passed, 1 skipped" in result.stdout
    assert "1 test(s) skipped; every test must run in CI" in result.stdout
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
