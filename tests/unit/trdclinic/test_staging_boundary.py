"""staging/ stays plain Python: ruff refuses a Django import there and nowhere else."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def ruff_check(filename: str, source: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - runs the project's own linter on a fixed snippet
        [sys.executable, "-m", "ruff", "check", "--stdin-filename", filename, "-"],
        cwd=ROOT,
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )


def test_django_import_in_staging_is_refused():
    result = ruff_check(
        "staging/example.py", 'from django.db import models\n\n__all__ = ["models"]\n'
    )
    assert result.returncode == 1
    assert "TID251" in result.stdout


def test_django_import_in_records_is_allowed():
    result = ruff_check(
        "records/example.py", 'from django.db import models\n\n__all__ = ["models"]\n'
    )
    assert result.returncode == 0, result.stdout
