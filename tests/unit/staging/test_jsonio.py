"""The JSON history format: every invalid input of 12.20, the output shape, the round trip."""

import copy
import json
from typing import Any

import pytest

from staging.history import Diagnosis, NonresponseRule, Params, TrialKind
from staging.jsonio import (
    PARAMETER_FIELDS,
    TRIAL_FIELDS,
    HistoryError,
    history_to_json,
    loads,
    parse_history,
    results_to_json,
)
from staging.registry import ENGINES, stage_all
from tests.unit.staging.builders import history, trial, vignette_input, vignettes

VIGNETTE = vignette_input(vignettes()[0])


def edited(change: Any) -> dict[str, Any]:
    """Return a copy of the first vignette after `change` edits it in place."""
    data = copy.deepcopy(VIGNETTE)
    change(data)
    return data


def set_in(path: str, value: Any) -> Any:
    """Return an edit setting a dotted path (a trial by index, e.g. 'trials.0.kind')."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


def drop(path: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        del target[last]

    return change


def both(*changes: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        for each in changes:
            each(data)

    return change


INVALID = [
    pytest.param(
        set_in("patient.diagnosis", "unipolar"),
        None,
        "patient.diagnosis",
        "unknown value 'unipolar'",
        id="unknown-diagnosis",
    ),
    pytest.param(
        drop("patient.diagnosis"), None, "patient.diagnosis", "required", id="missing-diagnosis"
    ),
    pytest.param(
        set_in("trials.0.kind", "pill"), "T1", "kind", "unknown value 'pill'", id="unknown-kind"
    ),
    pytest.param(drop("trials.0.kind"), "T1", "kind", "required", id="missing-kind"),
    pytest.param(
        set_in("trials.0.adherence", "ok"),
        "T1",
        "adherence",
        "unknown value",
        id="unknown-adherence",
    ),
    pytest.param(
        set_in("trials.1.episode", "earlier"),
        "T2",
        "episode",
        "unknown value",
        id="unknown-episode",
    ),
    pytest.param(
        set_in("trials.0.electrode_placement", "left"),
        "T1",
        "electrode_placement",
        "unknown value",
        id="unknown-placement",
    ),
    pytest.param(
        set_in("trials.0.outcome", "remission"),
        "T1",
        "outcome",
        "unknown value",
        id="unknown-outcome",
    ),
    pytest.param(
        set_in("trials.0.adherence", 1),
        "T1",
        "adherence",
        "unknown value 1",
        id="enum-not-a-string",
    ),
    pytest.param(
        set_in("patient.functional_impairment", "some"),
        None,
        "patient.functional_impairment",
        "unknown value",
        id="unknown-impairment",
    ),
    pytest.param(
        set_in("patient.baseline_severity.category", "extreme"),
        None,
        "patient.baseline_severity.category",
        "unknown value",
        id="unknown-category",
    ),
    pytest.param(
        set_in("trials.0.start_date", "2024-13-01"),
        "T1",
        "start_date",
        "bad date '2024-13-01'",
        id="bad-date",
    ),
    pytest.param(
        set_in("trials.0.start_date", "2024/05/15"),
        "T1",
        "start_date",
        "bad date",
        id="slashed-date",
    ),
    pytest.param(
        set_in("trials.0.start_date", "20240515"),
        "T1",
        "start_date",
        "bad date",
        id="basic-iso-date",
    ),
    pytest.param(
        set_in("trials.0.start_date", 20240515), "T1", "start_date", "bad date", id="numeric-date"
    ),
    pytest.param(drop("trials.0.start_date"), "T1", "start_date", "required", id="missing-start"),
    pytest.param(
        set_in("patient.episode_onset_date", "1 May 2024"),
        None,
        "patient.episode_onset_date",
        "bad date",
        id="bad-onset",
    ),
    pytest.param(
        drop("patient.assessment_date"),
        None,
        "patient.assessment_date",
        "required",
        id="missing-assessment",
    ),
    pytest.param(
        set_in("patient.assessment_date", "2024-04-30"),
        None,
        "patient.assessment_date",
        "is before the episode onset",
        id="assessment-before-onset",
    ),
    pytest.param(set_in("trials.1.id", "T1"), "T1", "id", "duplicate trial id", id="duplicate-id"),
    pytest.param(
        set_in("trials.1.augments_trial", "T9"),
        "T2",
        "augments_trial",
        "names no trial of this history ('T9')",
        id="dangling-augments",
    ),
    pytest.param(
        set_in("parameters", {"nonresponse_rul": "lt50"}),
        None,
        "parameters.nonresponse_rul",
        "unknown parameter",
        id="unknown-parameter",
    ),
    pytest.param(
        set_in("parameters", {"nonresponse_rule": "lt25"}),
        None,
        "parameters.nonresponse_rule",
        "unknown value",
        id="unknown-rule",
    ),
    pytest.param(
        set_in("parameters", {"chronic_months": 11}),
        None,
        "parameters.chronic_months",
        "must be from 12 to 24",
        id="chronic-11",
    ),
    pytest.param(
        set_in("parameters", {"chronic_months": 25}),
        None,
        "parameters.chronic_months",
        "must be from 12 to 24",
        id="chronic-25",
    ),
    pytest.param(
        set_in("parameters", {"chronic_months": 12.5}),
        None,
        "parameters.chronic_months",
        "must be an integer",
        id="chronic-not-integer",
    ),
    pytest.param(
        set_in("parameters", {"canadian_min_weeks": 3.9}),
        None,
        "parameters.canadian_min_weeks",
        "must be from 4 to 6",
        id="canadian-3.9",
    ),
    pytest.param(
        set_in("parameters", {"canadian_min_weeks": 6.5}),
        None,
        "parameters.canadian_min_weeks",
        "must be from 4 to 6",
        id="canadian-6.5",
    ),
    pytest.param(
        set_in("parameters", {"trsm_order_based": "yes"}),
        None,
        "parameters.trsm_order_based",
        "must be true, false or null",
        id="parameter-not-bool",
    ),
    pytest.param(
        set_in("parameters", {"ad_min_weeks": -1}),
        None,
        "parameters.ad_min_weeks",
        "must be between 0 and inf",
        id="negative-parameter",
    ),
    pytest.param(
        set_in("parameters", {"ect_min_sessions": -1}),
        None,
        "parameters.ect_min_sessions",
        "must not be negative",
        id="negative-sessions-parameter",
    ),
    pytest.param(
        set_in("parameters", []),
        None,
        "parameters",
        "must be an object",
        id="parameters-not-object",
    ),
    pytest.param(
        both(set_in("trials.0.agent", "zuranolone"), drop("trials.0.class")),
        "T1",
        "class",
        "unknown antidepressant 'zuranolone' needs a class",
        id="unknown-antidepressant",
    ),
    pytest.param(
        set_in("trials.0.dose_mg_per_day", "100"),
        "T1",
        "dose_mg_per_day",
        "must be a number",
        id="dose-string",
    ),
    pytest.param(
        set_in("trials.0.dose_mg_per_day", True),
        "T1",
        "dose_mg_per_day",
        "must be a number",
        id="dose-bool",
    ),
    pytest.param(
        set_in("trials.0.dose_mg_per_day", -5),
        "T1",
        "dose_mg_per_day",
        "must be between 0 and inf",
        id="dose-negative",
    ),
    pytest.param(
        set_in("trials.0.weeks", float("nan")), "T1", "weeks", "must be a number", id="weeks-nan"
    ),
    pytest.param(
        set_in("trials.0.percent_symptom_reduction", 101),
        "T1",
        "percent_symptom_reduction",
        "must be between -inf and 100",
        id="percent-over-100",
    ),
    pytest.param(
        set_in("trials.0.sessions", 8.5),
        "T1",
        "sessions",
        "must be an integer",
        id="sessions-float",
    ),
    pytest.param(
        set_in("trials.0.seq", -1), "T1", "seq", "must not be negative", id="seq-negative"
    ),
    pytest.param(
        set_in("trials.0.prospective", "no"),
        "T1",
        "prospective",
        "must be true, false or null",
        id="prospective-string",
    ),
    pytest.param(set_in("trials.0.agent", 5), "T1", "agent", "must be a string", id="agent-number"),
    pytest.param(
        set_in("trials.0.id", 1), "[0]", "id", "required non-empty string", id="id-number"
    ),
    pytest.param(
        set_in("trials.0.id", ""), "[0]", "id", "required non-empty string", id="id-empty"
    ),
    pytest.param(
        set_in("trials.0", "T1"), "[0]", "", "a trial must be a JSON object", id="trial-not-object"
    ),
    pytest.param(set_in("trials", {}), None, "trials", "must be an array", id="trials-not-array"),
    pytest.param(
        set_in("patient", []), None, "patient", "must be an object", id="patient-not-object"
    ),
    pytest.param(drop("patient"), None, "patient", "required", id="missing-patient"),
    pytest.param(
        set_in("patient.baseline_severity", 20),
        None,
        "patient.baseline_severity",
        "must be an object",
        id="severity-not-object",
    ),
    pytest.param(
        set_in("patient.baseline_severity", {"scale": "BDI-II", "score": 30}),
        None,
        "patient.baseline_severity",
        "needs a category",
        id="severity-unknown-scale",
    ),
    pytest.param(
        drop("patient.baseline_severity"),
        None,
        "patient.baseline_severity",
        "needs a category",
        id="severity-missing",
    ),
]


@pytest.mark.parametrize(("change", "trial_id", "field", "message"), INVALID)
def test_invalid_input_names_index_trial_and_field(
    change: Any, trial_id: str | None, field: str, message: str
):
    data = edited(change)
    with pytest.raises(HistoryError) as raised:
        loads(json.dumps([VIGNETTE, data]))
    error = raised.value
    assert (error.index, error.trial_id, error.field) == (1, trial_id, field)
    where = ", ".join(
        part
        for part in ("history 1", trial_id and f"trial {trial_id}", field and f"field {field}")
        if part
    )
    assert str(error).startswith(f"{where}: {message}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "input: not valid JSON"),
        ("42", "history 0: a history must be a JSON object"),
        ("[1]", "history 0: a history must be a JSON object"),
    ],
)
def test_documents_that_are_not_histories(text: str, message: str):
    with pytest.raises(HistoryError, match=message):
        loads(text)


def test_unknown_extra_keys_are_ignored():
    data = edited(set_in("title", "V01"))
    data["patient"]["notes"] = "two periods of elevated mood"
    data["trials"][0]["notes"] = "stopped at week 3"
    data["trials"][0]["dose_mg_per_session"] = None
    assert parse_history(data) == parse_history(VIGNETTE)


def test_a_history_without_trials():
    hist, _ = parse_history(edited(drop("trials")))
    assert hist.trials == ()


def test_catalogued_agent_needs_no_class_and_seq_defaults_to_position():
    data = edited(drop("trials.0.class"))
    data["trials"][1].pop("seq")
    hist, _ = parse_history(data)
    assert hist.trials[0].drug_class is None
    assert hist.trials[1].seq == 2
    assert stage_all(hist, Params())["thase_rush"].stage == "II"


def test_unknown_antidepressant_with_a_class_is_accepted():
    data = edited(set_in("trials.0.agent", "zuranolone"))
    assert parse_history(data)[0].trials[0].drug_class == "SSRI"


def test_parameters_are_read():
    data = edited(
        set_in(
            "parameters",
            {
                "nonresponse_rule": "le25",
                "chronic_months": 12,
                "ad_min_weeks": 8,
                "trsm_order_based": None,
            },
        )
    )
    assert parse_history(data)[1] == Params(
        nonresponse_rule=NonresponseRule.LE25, chronic_months=12, ad_min_weeks=8
    )


def test_one_history_or_an_array():
    histories, is_array = loads(json.dumps(VIGNETTE))
    assert (len(histories), is_array) == (1, False)
    histories, is_array = loads(json.dumps([VIGNETTE, VIGNETTE]))
    assert (len(histories), is_array) == (2, True)


def test_results_have_the_output_shape_of_the_format():
    output = results_to_json(stage_all(*parse_history(VIGNETTE)))
    assert list(output) == [engine.key for engine in ENGINES]
    assert output["thase_rush"] == {
        "applicable": True,
        "stage": "II",
        "counted_trials": ["T1", "T2"],
        "explanation": output["thase_rush"]["explanation"],
        "warnings": [],
    }
    assert list(output["msm"]) == [
        "applicable",
        "score",
        "band",
        "items",
        "counted_trials",
        "explanation",
        "warnings",
    ]
    assert output["conway"]["stage"] == 1
    assert output["souery"]["stage"] == "TRD1"
    assert output["dm_trd"]["provisional"] is True
    assert output["mgh_s"]["score"] == 3.0
    assert set(output["response_profile"]) >= {"prd", "trd_minimal_improvement", "chronic"}
    assert all(isinstance(line, str) for line in output["fda"]["explanation"])
    json.dumps(output)


def test_not_applicable_results_have_null_fields():
    hist = history(trial(), diagnosis=Diagnosis.BIPOLAR)
    output = results_to_json(stage_all(hist, Params()))
    assert output["msm"]["score"] is output["msm"]["items"] is output["msm"]["band"] is None
    assert output["souery"]["chronic_resistant"] is None
    assert output["dm_trd"]["provisional"] is None


def test_history_export_round_trips():
    for vignette in vignettes():
        hist, params = parse_history(vignette_input(vignette))
        exported = history_to_json(hist, params)
        assert parse_history(json.loads(json.dumps(exported))) == (hist, params)


def test_history_export_writes_only_what_is_recorded():
    exported = history_to_json(history(trial(drug_class="SSRI", kind=TrialKind.ANTIDEPRESSANT)))
    assert "parameters" not in exported
    assert exported["trials"][0]["class"] == "SSRI"
    assert "episode" not in exported["trials"][0]
    assert exported["patient"]["baseline_severity"] == {
        "psychotic_features": False,
        "category": "moderate",
    }


@pytest.mark.parametrize(
    ("table", "name", "good", "bad"),
    [
        (PARAMETER_FIELDS, "trsm_order_based", True, "yes"),
        (PARAMETER_FIELDS, "chronic_months", 18, 18.5),
        (PARAMETER_FIELDS, "nonresponse_rule", "le25", "lt25"),
        (TRIAL_FIELDS, "agent", "sertraline", 5),
    ],
)
def test_converter_tables_validate_on_their_own(table: Any, name: str, good: Any, bad: Any):
    assert table[name](good) == good
    with pytest.raises(ValueError, match=r"^(must|unknown)"):
        table[name](bad)
