"""What a snapshot holds, computed from an episode's assessment: no query, no Django model write.

The TRD verdict of each model is its registry entry's `reaches_trd` ("meets its TRD threshold"); the
models without one (MGH-s, MSM, DM-TRD are scores, the response profile gives labels) have none,
and a model that is not applicable has none either, so it never counts as agreeing or disagreeing.
"""

import dataclasses
import datetime
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from records import scales
from staging.adequacy import OutcomeCategory
from staging.history import Params
from staging.registry import BY_KEY, ENGINES
from staging.result import ModelResult

if TYPE_CHECKING:
    from pseudoresistance.change_assessments import ChangeAssessment

NOT_APPLICABLE = "not applicable"
NO_LABEL = "no label applies"
MET = "met"
NOT_MET = "not met"
RESPONSE_LABELS = {
    "prd": "partial response",
    "trd_minimal_improvement": "minimal improvement",
    "chronic": "chronic course",
}
VERDICT_KEYS = tuple(engine.key for engine in ENGINES if engine.reaches_trd is not None)


_ENGINE_VERSIONS = {engine.key: engine.info.version for engine in ENGINES}


def engine_versions() -> dict[str, str]:
    """Return the version of every registered engine, by model key."""
    return dict(_ENGINE_VERSIONS)


# JSON values of the parameters met so far, by their repr (which tells 6 from 6.0, as JSON does).
_PARAMS_JSON: dict[str, tuple[tuple[str, Any], ...]] = {}
_PARAMS_KEPT = 256
# The last parameters read and their values: a restage hands the same object to most episodes
# (a clinic's defaults), and the repr of twenty fields costs more than the rest of this.
_LAST_PARAMS: list[tuple[Params, tuple[tuple[str, Any], ...]]] = []


def params_json(params: Params) -> dict[str, Any]:
    """Return staging parameters as JSON values (enums as their values).

    Made once per distinct parameters: a restage meets the same ones thousands of times.
    """
    if _LAST_PARAMS and _LAST_PARAMS[0][0] is params:
        return dict(_LAST_PARAMS[0][1])
    key = repr(params)
    found = _PARAMS_JSON.get(key)
    if found is None:
        found = tuple(
            (name, value.value if isinstance(value, Enum) else value)
            for name, value in dataclasses.asdict(params).items()
        )
        if len(_PARAMS_JSON) >= _PARAMS_KEPT:
            _PARAMS_JSON.clear()
        _PARAMS_JSON[key] = found
    _LAST_PARAMS[:] = [(params, found)]
    return dict(found)


def category(key: str, result: ModelResult) -> str:
    """Return the one value the stage distribution counts for a model's result."""
    if not result.applicable:
        return NOT_APPLICABLE
    fields = BY_KEY[key].info.fields
    if "stage" in fields:
        return f"stage {result.stage}"
    if "score" in fields:
        if result.score is None:
            return NOT_APPLICABLE
        return result.band or f"{result.score:g}"
    if "met" in fields:
        return MET if result.met else NOT_MET
    labels = [label for name, label in RESPONSE_LABELS.items() if getattr(result, name)]
    return "; ".join(labels) or NO_LABEL


def reaches_threshold(key: str, result: ModelResult) -> bool | None:
    """Return whether the model's TRD threshold is met; None without a threshold or applicable."""
    verdict = BY_KEY[key].reaches_trd
    if verdict is None or not result.applicable:
        return None
    return verdict(result)


# What `category` and `reaches_threshold` read of a result, by model key: their values.
_SUMMARIES: dict[tuple[Any, ...], tuple[str, bool | None]] = {}
_SUMMARIES_KEPT = 4096


def _summary(key: str, result: ModelResult) -> tuple[str, bool | None]:
    """Return a result's category and whether it reaches the threshold, once per distinct reading.

    Restage judges eleven results per episode, and most episodes share theirs (issue 18). The
    types are in the key so that 1 and 1.0 (shown as "1" both, but apart in JSON) never meet.
    """
    stage, score = result.stage, result.score
    reading = (
        key,
        result.applicable,
        stage,
        type(stage),
        score,
        type(score),
        result.band,
        result.met,
        result.prd,
        result.trd_minimal_improvement,
        result.chronic,
    )
    found = _SUMMARIES.get(reading)
    if found is None:
        found = (category(key, result), reaches_threshold(key, result))
        if len(_SUMMARIES) >= _SUMMARIES_KEPT:
            _SUMMARIES.clear()
        _SUMMARIES[reading] = found
    return found


def result_json(key: str, result: ModelResult) -> dict[str, Any]:
    """Return what the cohort page and export keep of one model's result."""
    category_of, reaches = _summary(key, result)
    return {
        "category": category_of,
        "reaches": reaches,
        "applicable": result.applicable,
        "stage": None if result.stage is None else str(result.stage),
        "score": result.score,
        "band": result.band,
        "met": result.met,
    }


class Score(Protocol):
    """A rating-scale score as the snapshot reads it: a model instance or a compact row."""

    @property
    def pk(self) -> Any: ...
    @property
    def scale(self) -> str: ...
    @property
    def scale_version(self) -> str: ...
    @property
    def administered_on(self) -> datetime.date: ...
    @property
    def code(self) -> scales.ScaleCode: ...
    @property
    def total_value(self) -> float | None: ...
    @property
    def in_remission(self) -> bool | None: ...


def score_outcomes(administrations: Iterable[Score]) -> list[list[Any]]:
    """Return each score's date, scale, response and remission, as the patient page judges them.

    Response is the change from the episode's first score of the same scale and version, as
    `records.selectors.scale_rows` judges it; a baseline, or a change that cannot be judged, has
    a null response, and a scale without a cut-off a null remission.
    """
    ordered = sorted(administrations, key=lambda a: (a.administered_on, a.pk))
    baselines: dict[tuple[str, str], Score] = {}
    outcomes: list[list[Any]] = []
    for administration in ordered:
        total = administration.total_value
        baseline = baselines.setdefault(
            (administration.scale, administration.scale_version), administration
        )
        if total is None:
            continue
        base_total = baseline.total_value if baseline is not administration else None
        response, remission = _judged(administration, base_total, total)
        outcomes.append(
            [administration.administered_on.isoformat(), administration.scale, response, remission]
        )
    return outcomes


# A score's response and remission by scale, baseline total (None: none to judge against) and
# total: pure functions of those, judged once each (restage reads every score, issue 18).
_JUDGED: dict[tuple[str, float | None, float], tuple[bool | None, bool | None]] = {}
_JUDGED_KEPT = 4096


def _judged(
    administration: Score, base_total: float | None, total: float
) -> tuple[bool | None, bool | None]:
    """Return a score's response (None: a baseline, or not judged) and remission."""
    key = (administration.scale, base_total, total)
    found = _JUDGED.get(key)
    if found is None:
        response = None
        if base_total is not None:
            category = scales.outcome_category(administration.code, base_total, total).category
            response = None if category is None else category is OutcomeCategory.RESPONSE
        found = (response, administration.in_remission)
        if len(_JUDGED) >= _JUDGED_KEPT:
            _JUDGED.clear()
        _JUDGED[key] = found
    return found


def _codes(findings: Iterable[Any]) -> list[str]:
    """Return the item codes of findings, each once, in order."""
    return list(dict.fromkeys(finding.item.code for finding in findings))


def snapshot_values(
    assessment: "ChangeAssessment",
    administrations: Iterable[Score],
    *,
    now: datetime.datetime,
) -> dict[str, Any]:
    """Return the snapshot's field values for an episode's assessment and rating-scale scores."""
    status = assessment.status
    after: Mapping[str, ModelResult] = assessment.results_after_checklist
    return {
        "clinic_id": assessment.patient.clinic_id,
        "engine_versions": engine_versions(),
        "params": params_json(assessment.params),
        "assessment_date": assessment.assessment_date,
        "computed_at": now,
        "stale": False,
        "results": {key: result_json(key, r) for key, r in assessment.results.items()},
        "results_after_checklist": {key: _summary(key, r)[0] for key, r in after.items()},
        "status": status.status.value,
        "status_text": status.text,
        "criteria": list(assessment.criteria),
        "msm_score": assessment.msm_score,
        "concerns": _codes((*status.red_concerns, *status.contributors)),
        "data_gaps": _codes(status.data_gaps),
        "score_outcomes": score_outcomes(administrations),
    }
