"""The web face of the staging engines: what the staging page, the patient page's panel and the
JSON download show for a patient's current episode.

Everything is computed from the adapter's history (records/history.py) by staging/ itself:
`stage_all` for the results, `staging.compare` for why the models disagree, `history_as_of`
for the stage over time. This module only chooses the parameters (the clinic's defaults or the
strict non-response rule of staging-models.md 1.3.3) and turns results into display rows.
"""

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from staging.compare import compare
from staging.history import History, NonresponseRule, Params, Trial, history_as_of, is_current
from staging.history import trial_end as staged_trial_end
from staging.registry import BY_KEY, ENGINES, stage_all
from staging.result import ModelResult

from .access import ClinicAccess, Permission
from .charts import padded_date_range
from .history import default_params
from .models import Clinic, ClinicStagingDefaults
from .models.staging_defaults import (
    SPEC_DEFAULTS,
    parameter_label,
    parameter_value_text,
)
from .report_models import model_line
from .selectors import PatientDetail, patient_detail
from .templatetags.clinician_words import reason_html

NOT_APPLICABLE = "not applicable"
MET = "definition met"
NOT_MET = "definition not met"
NO_LABEL = "no label applies"
PROVISIONAL = "provisional weights"
# Souery's CRD: failed strategies over at least 12 months (staging-models.md 7.1).
CHRONIC_STRATEGIES = "CRD criterion (failed strategies over ≥ 12 months): {answer}"
RESPONSE_LABELS = {
    "prd": "partial-response depression (PRD)",
    "trd_minimal_improvement": "minimal improvement (< 25 %) on two or more adequate trials",
    "chronic": "chronic course",
}
YES, NO = "yes", "no"
MET_WORD, NOT_MET_WORD = "met", "not met"
NO_EPISODE = "No episode is recorded yet, so there is nothing to stage."
DATE_BEFORE_ONSET = "{day} is before the episode onset ({onset}); staged as of {used} instead."
ASSESSED = "assessed"
# Characters kept in a download's file name; the rest become "-".
UNSAFE_FILENAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


class Variant(StrEnum):
    """Which parameters a result set uses: the clinic's defaults or the strict failure rule."""

    CLINIC = "clinic"
    STRICT = "strict"


# Each model's name in full on first use (staging-models.md's section headings).
MODEL_NAMES = {
    "thase_rush": "Thase & Rush staging model (TRSM)",
    "mgh_s": "Massachusetts General Hospital staging method (MGH-s)",
    "msm": "Maudsley Staging Method (MSM)",
    "dm_trd": "Dutch Measure for quantification of Treatment Resistance in Depression (DM-TRD)",
    "conway": "Conway, George & Sackeim operational definition",
    "souery": "European staging (Souery)",
    "fda": "US Food and Drug Administration (FDA) definition",
    "ema": "European Medicines Agency (EMA) definition",
    "markowitz": "Markowitz definition (psychotherapy included)",
    "canadian": "Canadian expert consensus definition",
    "response_profile": "Response profile",
}
VARIANT_LABELS = {
    Variant.CLINIC: "Clinic defaults",
    Variant.STRICT: "Strict non-response rule (≤ 25 %)",
}


def variant_params(params: Params, variant: Variant) -> Params:
    """Return the parameters of a variant: the strict one only changes the failure rule (1.3.3)."""
    if variant is Variant.STRICT:
        return replace(params, nonresponse_rule=NonresponseRule.LE25)
    return params


@dataclass(frozen=True)
class ModelRow:
    """One model's result as the pages show it."""

    key: str
    label: str
    # The model's name spelled out, with its abbreviation: the pages' first use of it.
    name: str
    # The result with its range, and what it means (the report's words, report_models.py).
    result_text: str
    meaning: str
    version: str
    applicable: bool
    headline: str
    details: tuple[str, ...]
    items: tuple[tuple[str, int], ...]
    counted_trials: tuple[str, ...]
    # The engine's lines, written when first read: the patient page's panel never reads them.
    explanation: Sequence[str]
    # The model's own warnings; those every model carries are shown once for the page.
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class ParameterRow:
    """One parameter used, with whether it differs from the spec's default (section 1.4)."""

    name: str
    label: str
    value: str
    changed: bool


@dataclass(frozen=True)
class StagingResults:
    """Every model's result for one history and one set of parameters."""

    variant: Variant
    params: Params
    results: dict[str, ModelResult]
    rows: tuple[ModelRow, ...]
    disagreements: tuple[str, ...]
    shared_warnings: tuple[str, ...]
    parameters: tuple[ParameterRow, ...]

    @property
    def variant_label(self) -> str:
        """Return the name of the parameter set, for headings."""
        return VARIANT_LABELS[self.variant]


def _number(value: float) -> str:
    return f"{value:g}"


def _headline(result: ModelResult, names: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """Return a result's headline and the further result fields, in clinic words."""
    if not result.applicable:
        return NOT_APPLICABLE, ()
    details: list[str] = []
    if "stage" in names:
        headline = f"stage {result.stage}"
    elif "score" in names:
        headline = NOT_APPLICABLE if result.score is None else f"score {_number(result.score)}"
        if result.band is not None:
            headline = f"{headline} ({result.band})"
    elif "met" in names:
        headline = MET if result.met else NOT_MET
    else:
        labels = [label for name, label in RESPONSE_LABELS.items() if getattr(result, name)]
        headline = "; ".join(labels) or NO_LABEL
    if result.provisional:
        details.append(PROVISIONAL)
    if result.chronic_resistant is not None:
        answer = MET_WORD if result.chronic_resistant else NOT_MET_WORD
        details.append(CHRONIC_STRATEGIES.format(answer=answer))
    return headline, tuple(details)


def _kind(trial: Trial) -> str:
    return trial.kind.value.replace("_", " ")


def _trial_names(history: History) -> dict[str, str]:
    """Return each trial id with what was tried, e.g. 'T1 escitalopram'."""
    return {
        trial.id: f"{trial.id} {trial.agent or trial.therapy_type or _kind(trial)}"
        for trial in history.trials
    }


def _shared_warnings(results: Iterable[ModelResult]) -> tuple[str, ...]:
    """Return the warnings every model carries (bipolarity, recalled outcomes), in order."""
    lists = [result.warnings for result in results]
    if not lists:
        return ()
    return tuple(warning for warning in lists[0] if all(warning in other for other in lists[1:]))


def parameter_rows(params: Params) -> tuple[ParameterRow, ...]:
    """Return every parameter with its label (the settings page's) and whether it was changed."""
    rows = []
    for field in fields(Params):
        value = getattr(params, field.name)
        rows.append(
            ParameterRow(
                name=field.name,
                label=parameter_label(field.name),
                value=parameter_value_text(value),
                changed=value != getattr(SPEC_DEFAULTS, field.name),
            )
        )
    return tuple(rows)


@dataclass(frozen=True)
class OwnParameterRow:
    """One parameter an episode is staged with that differs from the clinic's default."""

    label: str
    value: str
    clinic_value: str


def parameter_differences(params: Params, clinic: Params) -> tuple[OwnParameterRow, ...]:
    """Return, in clinic words, where `params` differ from the clinic's defaults."""
    return tuple(
        OwnParameterRow(
            label=parameter_label(field.name),
            value=parameter_value_text(getattr(params, field.name)),
            clinic_value=parameter_value_text(getattr(clinic, field.name)),
        )
        for field in fields(Params)
        if getattr(params, field.name) != getattr(clinic, field.name)
    )


def own_parameter_rows(detail: PatientDetail, clinic: Clinic) -> tuple[OwnParameterRow, ...]:
    """Return where the shown episode's staging parameters differ from its clinic's defaults."""
    if detail.episode is None:
        return ()
    return parameter_differences(detail.params, default_params(clinic))


def staging_results(
    history: History, params: Params, variant: Variant = Variant.CLINIC
) -> StagingResults:
    """Stage a history with every model and say where and why the models disagree."""
    used = variant_params(params, variant)
    results = stage_all(history, used)
    shared = _shared_warnings(results.values())
    names = _trial_names(history)
    rows = []
    for engine in ENGINES:
        result = results[engine.key]
        headline, details = _headline(result, engine.info.fields)
        line = model_line(result)
        rows.append(
            ModelRow(
                key=engine.key,
                label=result.label,
                name=MODEL_NAMES.get(engine.key, result.label),
                # A yes/no definition reads better as "definition met" than "met".
                result_text=headline if "met" in engine.info.fields else line.result,
                meaning=line.meaning,
                version=result.version,
                applicable=result.applicable,
                headline=headline,
                details=details,
                items=tuple(
                    (name.replace("_", " "), points)
                    for name, points in (result.items or {}).items()
                ),
                counted_trials=tuple(names.get(code, code) for code in result.counted_trials),
                explanation=result.explanation,
                warnings=tuple(w for w in result.warnings if w not in shared),
            )
        )
    return StagingResults(
        variant=variant,
        params=used,
        results=results,
        rows=tuple(rows),
        disagreements=tuple(compare(history, used, results)),
        shared_warnings=shared,
        parameters=parameter_rows(used),
    )


# Chart encoding: ordinal stages as their rank on the registry's order, yes/no definitions as
# 0/1, scores as they are.
MET_TICKS = (NO, YES)
# The response profile gives labels, not a stage, so it has no line over time.
CHARTED_ENGINES = tuple(engine for engine in ENGINES if engine.key != "response_profile")


def _chart_value(key: str, result: ModelResult, names: tuple[str, ...]) -> float | None:
    """Return a result as a number on its model's axis; None when not applicable."""
    if not result.applicable:
        return None
    if "stage" in names:
        return float(BY_KEY[key].stages.index(str(result.stage)))
    if "score" in names:
        return result.score
    return 1.0 if result.met else 0.0


def _axis(key: str, names: tuple[str, ...]) -> dict[str, Any]:
    if "stage" in names:
        order = BY_KEY[key].stages
        return {"kind": "stage", "tickvals": list(range(len(order))), "ticktext": list(order)}
    if "score" in names:
        return {"kind": "score"}
    return {"kind": "met", "tickvals": [0, 1], "ticktext": list(MET_TICKS)}


def trial_end(trial_start: datetime.date, weeks: float | None) -> datetime.date:
    """Return when a trial ended: its start plus its weeks at dose (the start without them)."""
    return trial_start + datetime.timedelta(weeks=weeks or 0)


@dataclass(frozen=True)
class ModelSeries:
    """One model's results over time: numbers for the chart, words for the table."""

    key: str
    label: str
    values: tuple[float | None, ...]
    shown: tuple[str, ...]
    axis: dict[str, Any]


@dataclass(frozen=True)
class StageSeries:
    """Every charted model's result as of each trial's end, on shared dates."""

    dates: tuple[datetime.date, ...]
    events: tuple[str, ...]
    models: tuple[ModelSeries, ...]

    def data(self) -> dict[str, Any]:
        """Return the chart's data island (static/js/staging.js reads it)."""
        return {
            "dates": [day.isoformat() for day in self.dates],
            # A lone date would get plotly's millisecond ticks around one instant.
            "range": padded_date_range(self.dates),
            "events": list(self.events),
            "models": [
                {
                    "key": model.key,
                    "label": model.label,
                    "values": list(model.values),
                    "shown": list(model.shown),
                    **model.axis,
                }
                for model in self.models
            ],
        }


def stage_over_time(
    history: History,
    params: Params,
    *,
    recorded_ends: Mapping[str, datetime.date] | None = None,
    staged_on_assessment: Mapping[str, ModelResult] | None = None,
) -> StageSeries:
    """Return each model's stage as of the end of each current-episode trial.

    A trial's end is its recorded end date, else its start plus its weeks at dose; ends after
    the assessment date are drawn at the assessment date, which always closes the series with
    the page's own result. Each earlier point sees only what was known that day
    (`history_as_of`: weeks and sessions held by then, outcomes from the trial's end on).
    `staged_on_assessment`: the history's results with these parameters, when the caller has
    them already (the last point, not staged twice).
    """
    onset, assessed = history.episode_onset_date, history.assessment_date
    recorded = recorded_ends or {}
    ended: dict[datetime.date, list[str]] = {}
    for trial in history.trials:
        if not is_current(trial, onset):
            continue  # earlier episodes' trials change no current-episode result
        end = staged_trial_end(trial, recorded.get(trial.id))
        day = min(max(end, onset), assessed)
        ended.setdefault(day, []).append(trial.id)
    ended.setdefault(assessed, [])
    days = tuple(sorted(ended))
    staged = [
        stage_all(history_as_of(history, day, recorded), params)
        if day != assessed
        else staged_on_assessment or stage_all(history, params)
        for day in days
    ]
    models = []
    for engine in CHARTED_ENGINES:
        names = engine.info.fields
        results = [by_model[engine.key] for by_model in staged]
        models.append(
            ModelSeries(
                key=engine.key,
                label=engine.info.label,
                values=tuple(_chart_value(engine.key, result, names) for result in results),
                shown=tuple(_headline(result, names)[0] for result in results),
                axis=_axis(engine.key, names),
            )
        )
    return StageSeries(
        dates=days,
        events=tuple(", ".join(ended[day]) or ASSESSED for day in days),
        models=tuple(models),
    )


@dataclass(frozen=True)
class StagingPage:
    """The full staging page of a patient's current episode."""

    detail: PatientDetail
    variant: Variant
    results: StagingResults | None
    series: StageSeries | None
    date_error: str = ""


def _recorded_ends(detail: PatientDetail) -> dict[str, datetime.date]:
    return {row.trial.code: row.trial.end_date for row in detail.trials if row.trial.end_date}


def _checked_day(
    access: ClinicAccess, patient_id: int, day: datetime.date | None
) -> tuple[PatientDetail, str]:
    """Load the patient page as of `day`, or as of its default date when `day` precedes onset."""
    detail = patient_detail(
        access=access, patient_id=patient_id, assessment_date=day, with_scores=False
    )
    if day is None or detail.episode is None or day >= detail.episode.onset_date:
        return detail, ""
    detail = patient_detail(access=access, patient_id=patient_id, with_scores=False)
    onset = detail.episode.onset_date if detail.episode is not None else day
    message = DATE_BEFORE_ONSET.format(
        day=day.isoformat(), onset=onset.isoformat(), used=detail.assessment_date.isoformat()
    )
    return detail, message


def staging_page(
    *,
    access: ClinicAccess,
    patient_id: int,
    variant: Variant = Variant.CLINIC,
    assessment_date: datetime.date | None = None,
) -> StagingPage:
    """Return every model's result, their disagreements and the stage over time for a patient."""
    detail, date_error = _checked_day(access, patient_id, assessment_date)
    if detail.history is None:
        return StagingPage(
            detail=detail, variant=variant, results=None, series=None, date_error=date_error
        )
    results = staging_results(detail.history, detail.params, variant)
    series = stage_over_time(
        detail.history,
        results.params,
        recorded_ends=_recorded_ends(detail),
        staged_on_assessment=results.results,
    )
    return StagingPage(
        detail=detail, variant=variant, results=results, series=series, date_error=date_error
    )


@dataclass(frozen=True)
class StagingPanel:
    """The patient page's compact staging table: each model's headline result."""

    patient_id: int
    assessment_date: datetime.date
    rows: tuple[ModelRow, ...]
    disagreements: int
    message: str = ""

    def rows_html(self) -> SafeString:
        """Return the panel table's rows as its template's loop wrote them, every value escaped.

        Written in Python (issue 18): an include per model for its meaning was most of the
        panel's rendering. tests/integration/records/test_staging_panel_rows.py holds them the
        same bytes as the loop (old_staging_panel_rows.html). Edit the markup here.
        """
        parts = []
        for row in self.rows:
            muted = "" if row.applicable else ' class="text-muted"'
            # The newline the included _partials/reason.html ended with.
            meaning = (
                f'<span class="small text-muted">: {reason_html(row.meaning)}\n</span>'
                if row.meaning
                else ""
            )
            details = "".join(
                f'<span class="small text-muted"> · {escape(detail)}</span>'
                for detail in row.details
            )
            parts.append(
                f"\n        <tr{muted}>\n"
                f'          <th scope="row" class="fw-normal">{escape(row.name)}</th>\n'
                f"          <td>{escape(row.result_text)}{meaning}{details}</td>\n"
                "        </tr>\n        "
            )
        return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703


def staging_panel_for(detail: PatientDetail) -> StagingPanel:
    """Stage the patient page's history with its parameters (no queries) for the panel."""
    if detail.history is None:
        return StagingPanel(
            patient_id=detail.patient.pk,
            assessment_date=detail.assessment_date,
            rows=(),
            disagreements=0,
            message=NO_EPISODE,
        )
    results = staging_results(detail.history, detail.params)
    return StagingPanel(
        patient_id=detail.patient.pk,
        assessment_date=detail.assessment_date,
        rows=results.rows,
        disagreements=len(results.disagreements),
    )


def clinic_staging_defaults_for(access: ClinicAccess) -> ClinicStagingDefaults:
    """Return the active clinic's staging defaults for its settings page (clinic admins)."""
    access.require(Permission.MANAGE_CLINIC)
    return ClinicStagingDefaults.objects.for_clinic(access.clinic)
