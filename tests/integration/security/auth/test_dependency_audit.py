"""make check's dependency audit fails on a known vulnerability and never calls a partial audit
clean (.ci/audit_dependencies.py)."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[4] / ".ci" / "audit_dependencies.py"
spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
assert spec is not None
assert spec.loader is not None
audit_dependencies = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit_dependencies)

SKIPPED = {"name": "asgiref", "skip_reason": "Dependency not found on PyPI: asgiref (3.13.0)"}
CLEAN = {"name": "django", "version": "5.2.19", "vulns": []}
VULNERABLE = {
    "name": "pillow",
    "version": "9.0.0",
    "vulns": [{"id": "PYSEC-2022-10", "fix_versions": ["9.0.1"]}],
}


def run(*dependencies, require_complete=False):
    audit = audit_dependencies.read_report({"dependencies": list(dependencies)})
    return audit_dependencies.summary(audit, require_complete)


def test_a_known_vulnerability_fails_and_is_named():
    lines, status = run(CLEAN, VULNERABLE)
    assert status == 1
    assert lines[0] == "pillow 9.0.0: PYSEC-2022-10 (fixed in 9.0.1)"


def test_a_complete_clean_audit_passes():
    lines, status = run(CLEAN)
    assert status == 0
    assert lines == [
        "pip-audit: 0 known vulnerabilities in 1 of 1 packages audited; 0 could not be audited."
    ]


def test_packages_that_could_not_be_audited_are_counted_and_called_incomplete():
    lines, status = run(CLEAN, SKIPPED)
    assert status == 0
    assert "in 1 of 2 packages audited; 1 could not be audited." in lines[0]
    assert lines[1].startswith("INCOMPLETE AUDIT")


def test_an_incomplete_audit_fails_when_completeness_is_required():
    _, status = run(CLEAN, SKIPPED, require_complete=True)
    assert status == 1


def test_a_report_without_dependencies_is_an_error():
    with pytest.raises(ValueError, match="no list of dependencies"):
        audit_dependencies.read_report({"dependencies": None})
