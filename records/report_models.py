"""Each staging model's result in one line: the result, its range and what it means.

The ranges and meanings are the specification's (docs cited per model: staging-models.md,
the project's copy of the spec), never the report's own invention; the report prints one line
per model on its first pages and leaves the explanations to the appendix.
"""

from collections.abc import Callable
from dataclasses import dataclass

from staging.result import ModelResult

NOT_APPLICABLE = "not applicable"
PROVISIONAL = "provisional weights, not for clinical use"

# staging-models.md 2: stages 0 to V, each adding a failure to the one before.
THASE_RUSH_MEANINGS = {
    "0": "no failed adequate antidepressant trial",
    "I": "adequate trials of one antidepressant class have failed",
    "II": "adequate trials of two distinct antidepressant classes have failed",
    "III": "two classes and a tricyclic have failed",
    "IV": "two classes, a tricyclic and an MAOI have failed",
    "V": "two classes, a tricyclic, an MAOI and bilateral ECT have failed",
}
# staging-models.md 6: stage 1 = two failed adequate trials of different classes, 2 = a third.
CONWAY_MEANINGS = {
    "0": "fewer than two failed adequate trials of different classes",
    "1": "failed adequate trials of two different classes (medication or psychotherapy)",
    "2": "a third failed adequate trial after two of different classes",
}
# staging-models.md 7.1: one failure = non-responder; n >= 2 failures = TRD(min(n - 1, 5)).
SOUERY_MEANINGS = {
    "none": "no failed adequate antidepressant trial",
    "nonresponder": "one failed adequate antidepressant trial",
}
SOUERY_TRD = "{n} failed adequate antidepressant trials (levels 1 to 5)"
# staging-models.md 7.2-7.5: what each yes/no definition requires.
DEFINITIONS = {
    "fda": "two different antidepressants failed at adequate dose and duration",
    "ema": "two different antidepressants (same or different class) failed adequately",
    "markowitz": "two antidepressants and an adequate evidence-based psychotherapy failed",
    "canadian": "two antidepressants failed at the minimum dose for the minimum weeks",
}
MET, NOT_MET = "met", "not met"
# staging-models.md 4: range 3-15; mild 3-6, moderate 7-10, severe 11-15.
MSM_RANGE = "range 3–15: mild 3–6, moderate 7–10, severe 11–15"
# staging-models.md 5: the reconstruction's range is 2-26 (the published range is unconfirmed).
DM_TRD_RANGE = "reconstructed range 2–26; the published range is not confirmed"
# staging-models.md 3: 1 point per failed adequate trial, 0.5 per optimisation, 3 per ECT course.
MGH_S_MEANING = "no upper limit: 1 per failed adequate trial, 0.5 per optimisation, 3 per ECT"
RESPONSE_PARTIAL = "partial response (25–49 %) on an adequate trial"
RESPONSE_MINIMAL = "minimal improvement (< 25 %) on two or more adequate trials"
RESPONSE_CHRONIC = "chronic course"
RESPONSE_NONE = "none of the partial-response, minimal-improvement or chronic patterns"


@dataclass(frozen=True)
class ModelLine:
    """One model as the summary prints it: name, result with its range, and its meaning."""

    key: str
    label: str
    result: str
    meaning: str
    caveat: str = ""


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def _thase_rush(result: ModelResult) -> tuple[str, str]:
    stage = str(result.stage)
    return f"stage {stage} of V", THASE_RUSH_MEANINGS.get(stage, "")


def _mgh_s(result: ModelResult) -> tuple[str, str]:
    return f"score {_number(result.score)}", MGH_S_MEANING


def _msm(result: ModelResult) -> tuple[str, str]:
    band = f", {result.band}" if result.band else ""
    return f"{_number(result.score)} of 15{band}", MSM_RANGE


def _dm_trd(result: ModelResult) -> tuple[str, str]:
    return f"{_number(result.score)} of 26", DM_TRD_RANGE


def _conway(result: ModelResult) -> tuple[str, str]:
    stage = str(result.stage)
    return f"stage {stage} of 2", CONWAY_MEANINGS.get(stage, "")


def _souery(result: ModelResult) -> tuple[str, str]:
    stage = str(result.stage)
    if stage.startswith("TRD"):
        level = int(stage.removeprefix("TRD"))
        failures = f"{level + 1}" if level < 5 else "6 or more"
        return f"{stage} of TRD5", SOUERY_TRD.format(n=failures)
    return stage, SOUERY_MEANINGS.get(stage, "")


def _definition(result: ModelResult) -> tuple[str, str]:
    return (MET if result.met else NOT_MET), DEFINITIONS[result.model]


def _response_profile(result: ModelResult) -> tuple[str, str]:
    found = [
        text
        for flag, text in (
            (result.prd, RESPONSE_PARTIAL),
            (result.trd_minimal_improvement, RESPONSE_MINIMAL),
            (result.chronic, RESPONSE_CHRONIC),
        )
        if flag
    ]
    return ("; ".join(found) or RESPONSE_NONE), ""


LINES: dict[str, Callable[[ModelResult], tuple[str, str]]] = {
    "thase_rush": _thase_rush,
    "mgh_s": _mgh_s,
    "msm": _msm,
    "dm_trd": _dm_trd,
    "conway": _conway,
    "fda": _definition,
    "ema": _definition,
    "markowitz": _definition,
    "souery": _souery,
    "canadian": _definition,
    "response_profile": _response_profile,
}


def model_line(result: ModelResult) -> ModelLine:
    """Return a model's result with its range and meaning (not applicable: the first reason)."""
    caveat = PROVISIONAL if result.provisional else ""
    if not result.applicable:
        reason = next(iter(result.explanation), "")
        return ModelLine(result.model, result.label, NOT_APPLICABLE, reason, caveat)
    shown, meaning = LINES[result.model](result)
    return ModelLine(result.model, result.label, shown, meaning, caveat)


def pattern_sentence(result: ModelResult | None) -> str:
    """Say whether the partial-response or minimal-improvement pattern holds (spec 1.3.7)."""
    if result is None or not result.applicable:
        return ""
    partial = "holds" if result.prd else "does not hold"
    minimal = "holds" if result.trd_minimal_improvement else "does not hold"
    return (
        f"The partial-response pattern {partial}; the pattern of minimal improvement "
        f"(< 25 %) on two or more adequate trials {minimal}."
    )
