"""`manage.py stage FILE.json` runs as the README shows it, from a shell with no trdclinic
variables set: production mode, no secret, no database (issue 18)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The example of docs/history-json.md, cut to one trial.
HISTORY = {
    "patient": {
        "diagnosis": "MDD",
        "episode_onset_date": "2024-09-01",
        "assessment_date": "2025-02-01",
        "baseline_severity": {
            "scale": "HAM-D17",
            "score": 19,
            "psychotic_features": False,
            "category": "moderate",
        },
        "functional_impairment": "mild",
        "psychosocial_stressors": "present",
    },
    "trials": [
        {
            "id": "T1",
            "seq": 1,
            "episode": "current",
            "start_date": "2024-09-15",
            "kind": "antidepressant",
            "agent": "sertraline",
            "class": "SSRI",
            "dose_mg_per_day": 150,
            "weeks": 8,
            "adherence": "good",
            "percent_symptom_reduction": 20,
        }
    ],
}


def fresh_shell_environment() -> dict[str, str]:
    """The environment less every trdclinic and Django variable: production mode, no secret."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TRDCLINIC_", "DJANGO_", "DATABASE_URL"))
    }


def test_stage_runs_in_production_mode_without_a_secret_or_a_database(tmp_path):
    document = tmp_path / "history.json"
    document.write_text(json.dumps(HISTORY))
    result = subprocess.run(  # noqa: S603 - our interpreter, our manage.py
        [sys.executable, "manage.py", "stage", str(document)],
        cwd=ROOT,
        env=fresh_shell_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "thase_rush" in json.loads(result.stdout)
