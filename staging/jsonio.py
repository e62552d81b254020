"""The JSON treatment-history format: parse and validate histories, write results and histories.

Contract: shared spec history-format.md; invalid input per staging-models.md clarification 12.20.
Unknown extra keys on a history, its patient or a trial are ignored.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar, get_type_hints

from staging.catalogue import Role, lookup_agent
from staging.history import (
    DRUG_KINDS,
    Adherence,
    BaselineSeverity,
    Diagnosis,
    Episode,
    FunctionalImpairment,
    History,
    NonresponseRule,
    Params,
    PersonalityDisorder,
    Placement,
    Presence,
    SeverityCategory,
    Trial,
    TrialKind,
    TrialOutcome,
    severity_points,
)
from staging.registry import ENGINES
from staging.result import ModelResult

E = TypeVar("E", bound=StrEnum)
DEFAULT_PARAMS = Params()
MAX_PERCENT = 100
ISO_DATE_LENGTH = 10


class HistoryError(ValueError):
    """Invalid input; the message names the history index, the trial id and the field."""

    def __init__(
        self, message: str, *, index: int | None, trial_id: str | None = None, field: str = ""
    ) -> None:
        self.index = index
        self.trial_id = trial_id
        self.field = field
        where = ["input" if index is None else f"history {index}"]
        if trial_id is not None:
            where.append(f"trial {trial_id}")
        if field:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: {message}")


class _Invalid(ValueError):
    """A value of the wrong type or range; the caller adds where it was found."""


Convert = Callable[[Any], Any]
STRING_ERROR = "must be a string"
BOOLEAN_ERROR = "must be true, false or null"


def _string(value: Any) -> str:
    if type(value) is str:
        return value
    raise _Invalid(STRING_ERROR)


def _boolean(value: Any) -> bool:
    if type(value) is bool:
        return value
    raise _Invalid(BOOLEAN_ERROR)


def _number_in(low: float, high: float) -> Convert:
    def convert(value: Any) -> float:
        if type(value) not in (int, float) or not math.isfinite(value):
            raise _Invalid("must be a number")
        if not low <= value <= high:
            raise _Invalid(f"must be between {low:g} and {high:g}")
        return value  # type: ignore[no-any-return]

    return convert


def _integer(value: Any) -> int:
    if type(value) is not int:
        raise _Invalid("must be an integer")
    if value < 0:
        raise _Invalid("must not be negative")
    return value


def _enum(enum_type: type[E]) -> Callable[[Any], E]:
    members = {member.value: member for member in enum_type}
    allowed = ", ".join(members)

    def convert(value: Any) -> E:
        member = members.get(value) if isinstance(value, str) else None
        if member is None:
            raise _Invalid(f"unknown value {value!r} (one of {allowed})")
        return member

    return convert


def _day(value: Any) -> date:
    # Strict YYYY-MM-DD: date.fromisoformat also takes other ISO 8601 forms.
    if isinstance(value, str) and len(value) == ISO_DATE_LENGTH and value[4] == value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _Invalid(f"bad date {value!r} (expected YYYY-MM-DD)")


_amount = _number_in(0, math.inf)
# Trial keys of the format; the JSON key "class" is the Trial field drug_class.
TRIAL_FIELDS: dict[str, Convert] = {
    "id": _string,
    "seq": _integer,
    "start_date": _day,
    "kind": _enum(TrialKind),
    "episode": _enum(Episode),
    "agent": _string,
    "class": _string,
    "dose_mg_per_day": _amount,
    "dose_mg_per_session": _amount,
    "serum_level_mmol_per_l": _amount,
    "weeks": _amount,
    "sessions": _integer,
    "electrode_placement": _enum(Placement),
    "therapy_type": _string,
    "therapist_trained": _boolean,
    "adherence": _enum(Adherence),
    "percent_symptom_reduction": _number_in(-math.inf, MAX_PERCENT),
    "outcome": _enum(TrialOutcome),
    "dose_optimised": _boolean,
    "duration_extended": _boolean,
    "augments_trial": _string,
    "prospective": _boolean,
}
PATIENT_FIELDS: dict[str, Convert] = {
    "diagnosis": _enum(Diagnosis),
    "episode_onset_date": _day,
    "assessment_date": _day,
    "functional_impairment": _enum(FunctionalImpairment),
    "comorbid_anxiety": _enum(Presence),
    "personality_disorder": _enum(PersonalityDisorder),
    "psychosocial_stressors": _enum(Presence),
}
SEVERITY_FIELDS: dict[str, Convert] = {
    "scale": _string,
    "score": _number_in(-math.inf, math.inf),
    "psychotic_features": _boolean,
    "category": _enum(SeverityCategory),
}
_PARAMETER_CONVERTERS: dict[object, Convert] = {
    bool: _boolean,
    int: _integer,
    float: _amount,
    NonresponseRule: _enum(NonresponseRule),
}
# 12.20: chronic_months is an integer 12-24; canadian_min_weeks lies within Rybak's 4-6 weeks.
# The types are resolved rather than read as annotation text, which compiled engines lack.
PARAMETER_FIELDS: dict[str, Convert] = {
    name: _PARAMETER_CONVERTERS[kind] for name, kind in get_type_hints(Params).items()
}
PARAMETER_RANGES: dict[str, tuple[float, float]] = {
    "chronic_months": (12, 24),
    "canadian_min_weeks": (4, 6),
}


def _convert(
    data: Mapping[str, Any],
    converters: Mapping[str, Convert],
    index: int,
    prefix: str = "",
    trial_id: str | None = None,
) -> dict[str, Any]:
    """Convert the known, non-null keys of a JSON object; ignore the others."""
    values = {}
    for key, value in data.items():
        convert = converters.get(key)
        if convert is None or value is None:
            continue
        # The two plain types are checked inline rather than by a call: parsing is on the CLI's
        # path, and most fields are strings or booleans.
        if convert is _string or convert is _boolean:
            if type(value) is (str if convert is _string else bool):
                values[key] = value
                continue
            message = STRING_ERROR if convert is _string else BOOLEAN_ERROR
            raise HistoryError(message, index=index, trial_id=trial_id, field=prefix + key)
        try:
            values[key] = convert(value)
        except _Invalid as error:
            raise HistoryError(
                str(error), index=index, trial_id=trial_id, field=prefix + key
            ) from None
    return values


def _object(value: Any, index: int, field: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise HistoryError("must be an object", index=index, field=field)


def loads(text: str) -> tuple[list[tuple[History, Params]], bool]:
    """Parse a JSON document of one history or an array; return them and whether it was an array."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise HistoryError(f"not valid JSON ({error})", index=None) from None
    if isinstance(data, list):
        return [parse_history(item, index) for index, item in enumerate(data)], True
    return [parse_history(data, 0)], False


def parse_history(data: object, index: int = 0) -> tuple[History, Params]:
    """Validate one decoded history object (history-format.md) and build its History and Params."""
    if not isinstance(data, dict):
        raise HistoryError("a history must be a JSON object", index=index)
    if data.get("patient") is None:
        raise HistoryError("required", index=index, field="patient")
    patient = _convert(
        _object(data["patient"], index, "patient"), PATIENT_FIELDS, index, "patient."
    )
    for name in ("diagnosis", "episode_onset_date", "assessment_date"):
        if name not in patient:
            raise HistoryError("required", index=index, field=f"patient.{name}")
    if patient["assessment_date"] < patient["episode_onset_date"]:
        raise HistoryError(
            "is before the episode onset", index=index, field="patient.assessment_date"
        )
    history = History(
        baseline_severity=_severity(data["patient"], index),
        trials=_trials(data.get("trials"), index),
        **patient,
    )
    return history, _params(_object(data.get("parameters"), index, "parameters"), index)


def _severity(patient: Mapping[str, Any], index: int) -> BaselineSeverity:
    field = "patient.baseline_severity"
    data = _object(patient.get("baseline_severity"), index, field)
    severity = BaselineSeverity(**_convert(data, SEVERITY_FIELDS, index, f"{field}."))
    if severity_points(severity) is None:
        # 12.18: without psychotic features, a category or a known scale with its score is needed.
        raise HistoryError(
            "needs a category, or a known scale (HAM-D17, MADRS, QIDS-SR16, PHQ-9, CGI-S) and a "
            "score, or psychotic features",
            index=index,
            field=field,
        )
    return severity


def _trials(data: Any, index: int) -> tuple[Trial, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise HistoryError("must be an array", index=index, field="trials")
    trials = tuple(_trial(item, index, position) for position, item in enumerate(data))
    seen: set[str] = set()
    for trial in trials:
        if trial.id in seen:
            raise HistoryError("duplicate trial id", index=index, trial_id=trial.id, field="id")
        seen.add(trial.id)
    for trial in trials:
        if trial.augments_trial is not None and trial.augments_trial not in seen:
            raise HistoryError(
                f"names no trial of this history ({trial.augments_trial!r})",
                index=index,
                trial_id=trial.id,
                field="augments_trial",
            )
    return trials


def _trial(data: Any, index: int, position: int) -> Trial:
    label = f"[{position}]"
    if not isinstance(data, dict):
        raise HistoryError("a trial must be a JSON object", index=index, trial_id=label)
    trial_id = data.get("id")
    if not isinstance(trial_id, str) or not trial_id:
        raise HistoryError("required non-empty string", index=index, trial_id=label, field="id")
    values = _convert(data, TRIAL_FIELDS, index, trial_id=trial_id)
    for name in ("kind", "start_date"):
        if name not in values:
            raise HistoryError("required", index=index, trial_id=trial_id, field=name)
    agent = values.get("agent")
    if values["kind"] in DRUG_KINDS and agent and "class" not in values:
        catalogued = lookup_agent(agent)
        if catalogued is None or catalogued.role is not Role.ANTIDEPRESSANT:
            raise HistoryError(
                f"unknown antidepressant {agent!r} needs a class",
                index=index,
                trial_id=trial_id,
                field="class",
            )
    values.setdefault("seq", position + 1)
    if "class" in values:
        values["drug_class"] = values.pop("class")
    return Trial(**values)


def _params(data: Mapping[str, Any], index: int) -> Params:
    for name in data:
        if name not in PARAMETER_FIELDS:
            raise HistoryError("unknown parameter", index=index, field=f"parameters.{name}")
    values = _convert(data, PARAMETER_FIELDS, index, "parameters.")
    for name, (low, high) in PARAMETER_RANGES.items():
        if name in values and not low <= values[name] <= high:
            raise HistoryError(
                f"must be from {low:g} to {high:g}", index=index, field=f"parameters.{name}"
            )
    return Params(**values)


_OUTPUT_FIELDS = tuple((engine.info.key, engine.info.fields) for engine in ENGINES)


def results_to_json(results: Mapping[str, ModelResult]) -> dict[str, dict[str, Any]]:
    """Write one history's results in the output shape of history-format.md."""
    output: dict[str, dict[str, Any]] = {}
    for key, names in _OUTPUT_FIELDS:
        result = results[key]
        model: dict[str, Any] = {"applicable": result.applicable}
        for name in names:
            value = getattr(result, name)
            # A copy, so the JSON document never shares the result's mapping.
            model[name] = dict(value) if name == "items" and value is not None else value
        model["counted_trials"] = list(result.counted_trials)
        model["explanation"] = list(result.explanation)
        model["warnings"] = list(result.warnings)
        output[key] = model
    return output


def history_to_json(history: History, params: Params = DEFAULT_PARAMS) -> dict[str, Any]:
    """Write a history (and its non-default parameters) in history-format.md, for export."""
    severity = history.baseline_severity
    patient = _without_nulls(
        diagnosis=history.diagnosis,
        episode_onset_date=history.episode_onset_date.isoformat(),
        assessment_date=history.assessment_date.isoformat(),
        baseline_severity=_without_nulls(
            scale=severity.scale,
            score=severity.score,
            psychotic_features=severity.psychotic_features,
            category=severity.category,
        ),
        functional_impairment=history.functional_impairment,
        comorbid_anxiety=history.comorbid_anxiety,
        personality_disorder=history.personality_disorder,
        psychosocial_stressors=history.psychosocial_stressors,
    )
    document: dict[str, Any] = {
        "patient": patient,
        "trials": [_trial_to_json(trial) for trial in history.trials],
    }
    changed = {
        field.name: getattr(params, field.name)
        for field in fields(Params)
        if getattr(params, field.name) != getattr(DEFAULT_PARAMS, field.name)
    }
    if changed:
        document["parameters"] = changed
    return document


def _trial_to_json(trial: Trial) -> dict[str, Any]:
    values = {field.name: getattr(trial, field.name) for field in fields(Trial)}
    values["start_date"] = trial.start_date.isoformat()
    values["class"] = values.pop("drug_class")
    return _without_nulls(**values)


def _without_nulls(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}
