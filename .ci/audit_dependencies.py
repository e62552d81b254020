"""Audit the lock files for known vulnerabilities, and say how much of them could be audited.

pip-audit reports "No known vulnerabilities found" even when it could audit no package at all
(an index without per-version JSON, no route to the vulnerability service). This wrapper fails
on any known vulnerability, prints how many packages were and were not audited, and calls an
incomplete audit incomplete. TRDCLINIC_AUDIT_REQUIRE_COMPLETE=1 also fails an incomplete audit
(for a CI runner that reaches PyPI and OSV).

Usage: python .ci/audit_dependencies.py requirements.lock requirements-dev.lock
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


@dataclass
class Audit:
    audited: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    vulnerabilities: list[str] = field(default_factory=list)


def read_report(report: dict[str, object]) -> Audit:
    """Return what pip-audit's JSON report says: audited, skipped and vulnerable packages."""
    audit = Audit()
    dependencies = report.get("dependencies", [])
    if not isinstance(dependencies, list):
        raise ValueError("pip-audit's report has no list of dependencies")
    for dependency in dependencies:
        name = f"{dependency['name']} {dependency.get('version', '')}".strip()
        if "skip_reason" in dependency:
            audit.skipped[name] = str(dependency["skip_reason"])
            continue
        audit.audited.append(name)
        for vulnerability in dependency.get("vulns", []):
            fixed = ", ".join(vulnerability.get("fix_versions", [])) or "no fixed version"
            audit.vulnerabilities.append(f"{name}: {vulnerability['id']} (fixed in {fixed})")
    return audit


def summary(audit: Audit, require_complete: bool) -> tuple[list[str], int]:
    """Return the lines to print and the exit status."""
    total = len(audit.audited) + len(audit.skipped)
    lines = list(audit.vulnerabilities)
    lines.append(
        f"pip-audit: {len(audit.vulnerabilities)} known vulnerabilities in "
        f"{len(audit.audited)} of {total} packages audited; "
        f"{len(audit.skipped)} could not be audited."
    )
    if audit.skipped:
        reasons = sorted(set(audit.skipped.values()))
        lines.append(f"INCOMPLETE AUDIT: not audited, e.g. {reasons[0]}")
    status = 1 if audit.vulnerabilities or (require_complete and audit.skipped) else 0
    return lines, status


def main(requirements: list[str]) -> int:
    files = [argument for name in requirements for argument in ("--requirement", name)]
    result = subprocess.run(  # noqa: S603 - our own virtualenv's pip-audit, fixed arguments
        [
            str(PIP_AUDIT),
            *files,
            "--no-deps",
            "--disable-pip",
            "--format",
            "json",
            "--progress-spinner",
            "off",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stderr.strip() or "pip-audit printed no report", file=sys.stderr)
        return 2
    lines, status = summary(
        read_report(report), os.environ.get("TRDCLINIC_AUDIT_REQUIRE_COMPLETE") == "1"
    )
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["requirements.lock", "requirements-dev.lock"]))
