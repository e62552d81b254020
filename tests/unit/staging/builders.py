"""Small builders for staging tests: a valid history with only what a test cares about."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from importlib import resources
from typing import Any

from staging.history import (
    Adherence,
    BaselineSeverity,
    Diagnosis,
    History,
    Params,
    SeverityCategory,
    Trial,
    TrialKind,
)
from staging.registry import stage_all
from staging.result import ModelResult

ONSET = date(2024, 1, 1)
ASSESSED = date(2025, 1, 1)


def trial(trial_id: str = "T1", **fields: Any) -> Trial:
    """Return a trial: by default an adequate, failed sertraline trial of the current episode."""
    defaults: dict[str, Any] = {
        "seq": int(trial_id[1:]) if trial_id[1:].isdigit() else 1,
        "start_date": date(2024, 2, 1),
        "kind": TrialKind.ANTIDEPRESSANT,
        "agent": "sertraline",
        "dose_mg_per_day": 50,
        "weeks": 8,
        "adherence": Adherence.GOOD,
        "percent_symptom_reduction": 10,
    }
    return Trial(id=trial_id, **{**defaults, **fields})


def therapy(n: int, sessions: int = 12, therapy_type: str | None = "CBT", **fields: Any) -> Trial:
    """Return psychotherapy trial P<n>, started n months after onset: by default CBT, failed."""
    values: dict[str, Any] = {
        "agent": None,
        "dose_mg_per_day": None,
        "adherence": None,
        "start_date": date(2024, 1 + n, 1),
        "weeks": sessions,
        **fields,
    }
    return trial(
        f"P{n}",
        kind=TrialKind.PSYCHOTHERAPY,
        sessions=sessions,
        therapy_type=therapy_type,
        **values,
    )


def history(*trials: Trial, **fields: Any) -> History:
    """Return an MDD history (moderate, onset 2024-01-01, assessed 2025-01-01) with the trials."""
    base = History(
        diagnosis=Diagnosis.MDD,
        episode_onset_date=ONSET,
        assessment_date=ASSESSED,
        baseline_severity=BaselineSeverity(category=SeverityCategory.MODERATE),
        trials=trials,
    )
    return replace(base, **fields)


def stage(hist: History, **params: Any) -> dict[str, ModelResult]:
    """Stage a history with every model under the given parameters."""
    return stage_all(hist, Params(**params))


def vignettes() -> list[dict[str, Any]]:
    """Return the worked examples shipped with the package (staging/vignettes.json)."""
    text = resources.files("staging").joinpath("vignettes.json").read_text(encoding="utf-8")
    data: list[dict[str, Any]] = json.loads(text)["vignettes"]
    return data


def vignette_input(vignette: dict[str, Any]) -> dict[str, Any]:
    """Return the history object of a vignette (history-format.md)."""
    return {key: vignette[key] for key in ("patient", "trials", "parameters") if key in vignette}
