"""The apps depend one way (docs/adr/0007): lint-imports keeps the tree, and fails on a breach.

Each breach is planted in a copy of the apps' sources, so the tree itself is never touched.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("trdclinic", "cohort", "pseudoresistance", "records", "staging", "bench")
LINT_IMPORTS = Path(shutil.which("lint-imports") or ROOT / ".venv" / "bin" / "lint-imports")


def lint_imports(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the project's own layering check on its own sources
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def copy_of_the_apps(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("*.pyc", "__pycache__", "*.so", "*.json", "*.txt"),
        )
    return tmp_path


def test_the_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "named"),
    [
        # A lazy import inside a function counts as much as one at the top.
        (
            "records/services/upward.py",
            "def listen():\n    from pseudoresistance.services import impasse_flags_refresh\n",
            "records.services.upward -> pseudoresistance.services",
        ),
        ("pseudoresistance/upward.py", "import cohort.services\n", "pseudoresistance.upward"),
        ("staging/upward.py", "from records import history\n", "staging.upward -> records"),
        ("records/bench_use.py", "from bench import web\n", "records.bench_use -> bench"),
        ("staging/orm.py", "from django.db import models\n", "staging.orm -> django"),
        # The checklist modules compiled with the engines stay Django-free (docs/adr/0004).
        (
            "pseudoresistance/derived.py",
            "from django.utils import timezone\n",
            "pseudoresistance.derived -> django",
        ),
    ],
)
def test_an_upward_import_breaks_the_check(
    copy_of_the_apps: Path, module: str, source: str, named: str
) -> None:
    (copy_of_the_apps / module).write_text(source)
    result = lint_imports(copy_of_the_apps)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout
    assert named in result.stdout
