"""Each model's rules and options beyond the vignettes, and the registry."""

from datetime import date
from typing import Any

import pytest

from staging import (
    canadian,
    conway,
    dm_trd,
    ema,
    fda,
    markowitz,
    mgh_s,
    msm,
    response_profile,
    souery,
    thase_rush,
)
from staging.adequacy import assess_trial, index_history
from staging.context import trial_label
from staging.history import (
    BaselineSeverity,
    Diagnosis,
    Episode,
    FunctionalImpairment,
    Params,
    PersonalityDisorder,
    Placement,
    Presence,
    Trial,
    TrialKind,
    TrialOutcome,
)
from staging.registry import ENGINES, stage_all
from staging.result import Lines, ModelResult
from tests.unit.staging.builders import history, stage, therapy, trial

ORDER = (
    "thase_rush",
    "mgh_s",
    "msm",
    "dm_trd",
    "conway",
    "fda",
    "ema",
    "markowitz",
    "souery",
    "canadian",
    "response_profile",
)
AGENTS = {
    "SSRI": ("sertraline", 50),
    "SSRI2": ("escitalopram", 10),
    "SNRI": ("venlafaxine", 150),
    "NDRI": ("bupropion", 300),
    "TCA": ("nortriptyline", 75),
    "MAOI": ("phenelzine", 45),
    "RIMA": ("moclobemide", 300),
}


def failed(code: str, n: int, **fields: Any) -> Trial:
    """A failed adequate trial of the agent standing for `code`, started n months after onset."""
    agent, dose = AGENTS[code]
    values: dict[str, Any] = {"agent": agent, "dose_mg_per_day": dose, **fields}
    return trial(f"T{n}", start_date=date(2024, 1 + n, 1), **values)


def ect(n: int, placement: Placement | None, sessions: int = 12, **fields: Any) -> Trial:
    values: dict[str, Any] = {"agent": "ECT", "dose_mg_per_day": None, "adherence": None, **fields}
    return trial(
        f"E{n}",
        kind=TrialKind.ECT,
        start_date=date(2024, 1 + n, 1),
        sessions=sessions,
        electrode_placement=placement,
        **values,
    )


def added(n: int, kind: TrialKind, agent: str, dose: float, to: str, **fields: Any) -> Trial:
    return trial(
        f"A{n}",
        kind=kind,
        agent=agent,
        dose_mg_per_day=dose,
        weeks=6,
        start_date=date(2024, 1 + n, 1),
        augments_trial=to,
        **fields,
    )


def text(result: ModelResult) -> str:
    return "\n".join(result.explanation)


def test_registry_lists_every_engine_in_display_order():
    assert tuple(engine.key for engine in ENGINES) == ORDER
    assert all(engine.info.version for engine in ENGINES)


@pytest.mark.parametrize(
    "module",
    [
        thase_rush,
        mgh_s,
        msm,
        dm_trd,
        conway,
        fda,
        ema,
        markowitz,
        souery,
        canadian,
        response_profile,
    ],
)
def test_each_module_stages_alone_as_in_stage_all(module: Any):
    hist = history(failed("SSRI", 1), failed("SNRI", 2), therapy(3))
    assert module.stage(hist, Params()) == stage_all(hist, Params())[module.INFO.key]


# Thase-Rush


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ((), "0"),
        (("SSRI",), "I"),
        (("SSRI", "SSRI2"), "I"),
        (("SSRI", "SNRI"), "II"),
        (("SSRI", "TCA"), "II"),
        (("SSRI", "SNRI", "TCA"), "III"),
        (("TCA", "SSRI", "SNRI"), "III"),
        (("SSRI", "SNRI", "TCA", "MAOI"), "IV"),
        (("SSRI", "TCA", "MAOI"), "III"),
        (("SSRI", "SNRI", "TCA", "RIMA"), "III"),
        (("TCA", "TCA", "SSRI"), "III"),
    ],
)
def test_thase_rush_set_based_reading(codes: tuple[str, ...], expected: str):
    hist = history(*(failed(code, n) for n, code in enumerate(codes, 1)))
    assert stage(hist)["thase_rush"].stage == expected


@pytest.mark.parametrize(
    ("codes", "set_based", "order_based"),
    [
        (("TCA", "SSRI", "SNRI"), "III", "II"),
        (("SSRI", "SNRI", "TCA", "MAOI"), "IV", "IV"),
        (("MAOI", "SSRI", "SNRI", "TCA"), "IV", "III"),
        (("SSRI", "SSRI2", "SNRI"), "II", "II"),
    ],
)
def test_thase_rush_order_based_reading(codes: tuple[str, ...], set_based: str, order_based: str):
    hist = history(*(failed(code, n) for n, code in enumerate(codes, 1)))
    assert stage(hist)["thase_rush"].stage == set_based
    result = stage(hist, trsm_order_based=True)["thase_rush"]
    assert result.stage == order_based
    assert "Order-based reading (trials in the order given, 12.15)" in text(result)


def test_order_based_stage_v_and_lines():
    trials = [failed(code, n) for n, code in enumerate(("SSRI", "SSRI2", "SNRI", "TCA", "MAOI"), 1)]
    hist = history(*trials, ect(7, Placement.BIFRONTAL))
    result = stage(hist, trsm_order_based=True)["thase_rush"]
    assert result.stage == "V"
    assert result.counted_trials == ("T1", "T3", "T4", "T5", "E7")
    assert "does not advance the stage in this order" in text(result)
    early = history(*trials[:2], ect(3, Placement.BITEMPORAL), *trials[2:])
    assert stage(early, trsm_order_based=True)["thase_rush"].stage == "IV"


@pytest.mark.parametrize(
    ("placement", "options", "expected"),
    [
        (Placement.BITEMPORAL, {}, "V"),
        (Placement.BIFRONTAL, {}, "V"),
        (Placement.RUL, {}, "IV"),
        (Placement.RUL, {"accept_rul_for_stage_V": True}, "V"),
        (None, {}, "IV"),
    ],
)
def test_thase_rush_stage_v_needs_failed_bilateral_ect(
    placement: Placement | None, options: dict[str, Any], expected: str
):
    trials = [failed(code, n) for n, code in enumerate(("SSRI", "SNRI", "TCA", "MAOI"), 1)]
    result = stage(history(*trials, ect(6, placement)), **options)["thase_rush"]
    assert result.stage == expected
    if placement is Placement.RUL:
        assert "where right-unilateral ECT is accepted for it" in text(result)
    if placement is None:
        assert "E6: ECT placement not recorded" in text(result)


def test_thase_rush_failed_bilateral_ect_needs_stage_iv_first():
    result = stage(history(failed("SSRI", 1), ect(2, Placement.BITEMPORAL)))["thase_rush"]
    assert result.stage == "I"
    assert "failed bilateral ECT yes" in text(result)


def test_thase_rush_ignores_augmentation_and_psychotherapy():
    hist = history(
        failed("SSRI", 1), added(2, TrialKind.AUGMENTATION, "lithium", 900, "T1"), therapy(3)
    )
    result = stage(hist)["thase_rush"]
    assert result.stage == "I"
    assert "Not counted by this model" in text(result)


# MGH-s


def test_mgh_s_strategies_score_only_on_the_base_trial_they_name():
    base = failed("SSRI", 1, dose_optimised=False)
    combination = added(2, TrialKind.COMBINATION, "mirtazapine", 30, "T1")
    on_combination = added(3, TrialKind.AUGMENTATION, "aripiprazole", 5, "A2")
    result = stage(history(base, combination, on_combination))["mgh_s"]
    assert result.score == pytest.approx(1.5)
    assert result.counted_trials == ("T1", "A2")
    assert "A combination is scored as a strategy" in text(result)


def test_mgh_s_strategies_on_an_inadequate_trial_score_nothing():
    base = failed("SSRI", 1, weeks=4)
    augment = added(2, TrialKind.AUGMENTATION, "aripiprazole", 5, "T1")
    assert stage(history(base, augment))["mgh_s"].score == 0


def test_mgh_s_scores_every_ect_course_and_two_strategies_per_trial():
    base = failed("SNRI", 1, dose_mg_per_day=150, dose_optimised=None, weeks=12)
    lithium = added(2, TrialKind.AUGMENTATION, "lithium", 900, "T1", serum_level_mmol_per_l=0.6)
    t3 = added(3, TrialKind.AUGMENTATION, "liothyronine", 0.05, "T1")
    hist = history(base, lithium, t3, ect(4, Placement.RUL), ect(5, Placement.BITEMPORAL))
    result = stage(hist)["mgh_s"]
    assert result.score == pytest.approx(1 + 0.5 + 0.5 + 0.5 + 6)
    assert "ECT course + 3" in text(result)


def test_mgh_s_ignores_previous_episode_strategies():
    base = failed("SSRI", 1, dose_optimised=False)
    augment = added(2, TrialKind.AUGMENTATION, "aripiprazole", 5, "T1", episode=Episode.PREVIOUS)
    assert stage(history(base, augment))["mgh_s"].score == 1


# MSM


@pytest.mark.parametrize(
    ("agents", "points"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3), (7, 4), (10, 4), (11, 5)]
)
def test_msm_antidepressant_levels(agents: int, points: int):
    assert msm.antidepressant_points(agents) == points


@pytest.mark.parametrize(
    ("score", "band"), [(3, "mild"), (6, "mild"), (7, "moderate"), (10, "moderate"), (11, "severe")]
)
def test_msm_bands(score: int, band: str):
    assert msm.band(score) == band


def test_msm_used_means_any_use_counts_inadequate_augmentation_and_ect():
    hist = history(
        failed("SSRI", 1),
        added(2, TrialKind.AUGMENTATION, "quetiapine", 50, "T1"),
        ect(3, Placement.RUL, sessions=4),
    )
    assert stage(hist)["msm"].items == {
        "duration": 1,
        "severity": 3,
        "antidepressants": 1,
        "augmentation": 0,
        "ect": 0,
    }
    result = stage(hist, msm_used_means_any_use=True)["msm"]
    assert (result.items or {})["augmentation"] == (result.items or {})["ect"] == 1
    assert "any use counts, adequate and failed or not" in text(result)
    assert stage(hist, msm_used_means_any_use=True)["dm_trd"].items == stage(hist)["dm_trd"].items


def test_msm_is_not_applicable_without_a_failed_antidepressant():
    result = stage(history(therapy(1), trial("X1", start_date=date(2023, 1, 1))))["msm"]
    assert (result.applicable, result.score, result.band, result.items) == (False, None, None, None)
    assert "no score is reported" in text(result)
    assert "Previous-episode trials are not counted (1.3.1): X1." in text(result)


def test_msm_and_dm_trd_without_a_severity_say_so():
    results = stage(history(failed("SSRI", 1), baseline_severity=BaselineSeverity()))
    for key in ("msm", "dm_trd"):
        assert not results[key].applicable
        assert "Baseline severity is not recorded" in text(results[key])


def test_msm_severity_line_names_the_scale():
    severity = BaselineSeverity(scale="MADRS", score=40)
    result = stage(history(failed("SSRI", 1), baseline_severity=severity))["msm"]
    assert "Severity: severe without psychosis (MADRS 40) → 4" in text(result)


# DM-TRD


def test_dm_trd_missing_patient_items_score_zero_with_a_warning():
    result = stage(history(failed("SSRI", 1)))["dm_trd"]
    assert result.provisional is True
    assert result.items is not None
    assert result.items["functional_impairment"] == 0
    assert any("Not recorded, scored 0 (12.9): functional_impairment" in w for w in result.warnings)
    assert any("provisional" in warning for warning in result.warnings)


def test_dm_trd_counts_distinct_augmentation_agents_and_failed_psychotherapies():
    hist = history(
        failed("SSRI", 1),
        added(2, TrialKind.AUGMENTATION, "lithium", 900, "T1", serum_level_mmol_per_l=0.8),
        added(3, TrialKind.AUGMENTATION, "lithium", 900, "T1", serum_level_mmol_per_l=0.8),
        therapy(4),
        therapy(5, therapy_type="IPT"),
        therapy(6, therapy_type="PST"),
        trial("D7", kind=TrialKind.DAY_TREATMENT, agent=None, percent_symptom_reduction=None),
        functional_impairment=FunctionalImpairment.SEVERE,
        comorbid_anxiety=Presence.PRESENT,
        personality_disorder=PersonalityDisorder.TRAITS,
        psychosocial_stressors=Presence.NONE,
    )
    result = stage(hist)["dm_trd"]
    assert result.items == {
        "duration": 1,
        "severity": 3,
        "functional_impairment": 3,
        "comorbid_anxiety": 1,
        "personality_disorder": 0,
        "psychosocial_stressors": 0,
        "antidepressants": 1,
        "augmentation": 1,
        "ect": 0,
        "psychotherapy": 2,
        "intensified_treatment": 1,
    }
    assert result.score == 13
    assert not any("Not recorded" in warning for warning in result.warnings)


@pytest.mark.parametrize(("minimum", "counted"), [(8, 1), (12, 1), (13, 0), (6, 2)])
def test_dm_trd_psychotherapy_minimum(minimum: int, counted: int):
    hist = history(therapy(1, sessions=12), therapy(2, sessions=7))
    result = stage(hist, dmtrd_psychotherapy_min_sessions=minimum)["dm_trd"]
    assert (result.items or {})["psychotherapy"] == counted


# Conway


def test_conway_psychotherapy_schools_distinct():
    hist = history(therapy(1), therapy(2, therapy_type="IPT"))
    assert stage(hist)["conway"].stage == 0
    assert "All psychotherapies are one class by default" in text(stage(hist)["conway"])
    result = stage(hist, conway_psychotherapy_schools_distinct=True)["conway"]
    assert result.stage == 1
    assert "Psychotherapy schools count as distinct classes (reading chosen, 12.21)" in text(result)


def test_conway_ba_and_bt_are_one_school():
    hist = history(therapy(1, therapy_type="BA"), therapy(2, therapy_type="BT"))
    assert stage(hist, conway_psychotherapy_schools_distinct=True)["conway"].stage == 0


@pytest.mark.parametrize(
    ("trials", "expected"),
    [
        ((failed("SSRI", 1), failed("SSRI2", 2), failed("SNRI", 3)), 2),
        ((failed("SSRI", 1), failed("SSRI2", 2)), 0),
        ((failed("SSRI", 1), therapy(2, sessions=8)), 1),
        ((failed("SSRI", 1), therapy(2, sessions=7)), 0),
    ],
)
def test_conway_stages(trials: tuple[Trial, ...], expected: int):
    assert stage(history(*trials))["conway"].stage == expected


# FDA, EMA, Canadian


def test_formulations_of_one_molecule_are_one_agent():
    hist = history(
        failed("SSRI", 1, agent="paroxetine", dose_mg_per_day=20),
        failed("SSRI", 2, agent="paroxetine CR", dose_mg_per_day=25),
    )
    results = stage(hist)
    assert not results["fda"].met
    assert not results["ema"].met
    assert results["souery"].stage == "TRD1"


@pytest.mark.parametrize(("weeks", "met"), [(4, True), (3.9, False)])
def test_canadian_four_week_minimum(weeks: float, met: bool):
    hist = history(failed("SSRI", 1), failed("SNRI", 2, weeks=weeks))
    results = stage(hist)
    assert results["canadian"].met is met
    assert not results["fda"].met
    if met:
        assert "adequate, failed under the 4-week minimum" in text(results["canadian"])


def test_canadian_minimum_above_the_shared_one():
    hist = history(failed("SSRI", 1, weeks=5), failed("SNRI", 2, weeks=5))
    results = stage(hist, ad_min_weeks=4, canadian_min_weeks=6)
    assert results["fda"].met
    assert not results["canadian"].met


def test_canadian_equal_minimums_reuse_the_shared_verdict():
    hist = history(failed("SSRI", 1, weeks=5), failed("SNRI", 2))
    assert not stage(hist, canadian_min_weeks=6)["canadian"].met


# Markowitz


def test_markowitz_needs_nine_sessions_with_a_trained_therapist():
    drugs = (failed("SSRI", 1), failed("SNRI", 2))
    assert stage(history(*drugs, therapy(3, sessions=9, therapist_trained=True)))["markowitz"].met
    assert not stage(history(*drugs, therapy(3, sessions=9)))["markowitz"].met
    assert not stage(history(*drugs, therapy(3, sessions=8, therapist_trained=True)))[
        "markowitz"
    ].met
    lower = stage(
        history(*drugs, therapy(3, sessions=6, therapist_trained=True)),
        markowitz_psychotherapy_min_sessions=6,
    )
    assert lower["markowitz"].met


def test_markowitz_prospective_only_leaves_out_recalled_medication():
    hist = history(
        failed("SSRI", 1, prospective=False),
        failed("SNRI", 2),
        therapy(3, therapist_trained=True, prospective=False),
    )
    default = stage(hist)["markowitz"]
    assert default.met
    assert "counted (recalled outcomes count)" in text(default)
    strict = stage(hist, markowitz_prospective_only=True)["markowitz"]
    assert not strict.met
    assert strict.counted_trials == ("T2", "P3")
    assert "excluded (recalled medication outcomes are left out)" in text(strict)
    assert any("prospective: false): T1, P3" in warning for warning in strict.warnings)


@pytest.mark.parametrize(
    ("therapy_fields", "met"),
    [
        ({"start_date": date(2024, 2, 1)}, True),
        ({"start_date": date(2024, 3, 1)}, True),
        ({"start_date": date(2024, 9, 1)}, False),
        ({"start_date": date(2024, 9, 1), "augments_trial": "T1"}, True),
        ({"start_date": date(2024, 9, 1), "weeks": None}, False),
    ],
)
def test_markowitz_require_combined(therapy_fields: dict[str, Any], met: bool):
    hist = history(
        failed("SSRI", 1, weeks=8),
        failed("SNRI", 5, weeks=6),
        therapy(8, therapist_trained=True, **therapy_fields),
    )
    assert stage(hist)["markowitz"].met
    result = stage(hist, markowitz_require_combined=True)["markowitz"]
    assert result.met is met
    assert (
        "Only psychotherapy given together with a counted antidepressant counts (reading chosen"
        in text(result)
    )


def test_markowitz_link_from_the_drug_side():
    linked = added(9, TrialKind.COMBINATION, "mirtazapine", 15, "P8")
    hist = history(
        failed("SSRI", 1),
        failed("SNRI", 2),
        therapy(8, therapist_trained=True, start_date=date(2025, 1, 1)),
        linked,
    )
    assert stage(hist, markowitz_require_combined=True)["markowitz"].met


# Souery


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "none"), (1, "nonresponder"), (2, "TRD1"), (3, "TRD2"), (6, "TRD5"), (8, "TRD5")],
)
def test_souery_counts_trials(count: int, expected: str):
    hist = history(*(failed("SSRI", n) for n in range(1, count + 1)))
    assert stage(hist)["souery"].stage == expected


@pytest.mark.parametrize(
    ("assessed", "with_strategy", "chronic"),
    [
        (date(2025, 2, 1), True, True),
        (date(2025, 1, 31), True, False),
        (date(2025, 6, 1), False, False),
    ],
)
def test_souery_chronic_resistance(assessed: date, with_strategy: bool, chronic: bool):
    strategy = [added(3, TrialKind.AUGMENTATION, "aripiprazole", 5, "T2")] if with_strategy else []
    hist = history(failed("SSRI", 1), failed("SNRI", 2), *strategy, assessment_date=assessed)
    result = stage(hist)["souery"]
    assert result.chronic_resistant is chronic
    assert f"CRD {'yes' if chronic else 'no'}" in text(result)


# Response profile


@pytest.mark.parametrize(
    ("months", "assessed", "chronic"),
    [(24, date(2026, 1, 1), False), (24, date(2026, 1, 2), True), (12, date(2025, 1, 2), True)],
)
def test_response_profile_chronic_months(months: int, assessed: date, chronic: bool):
    result = stage(history(assessment_date=assessed), chronic_months=months)["response_profile"]
    assert result.chronic is chronic
    assert (
        stage(history(assessment_date=assessed), chronic_months=months)["msm"].applicable is False
    )


def test_response_profile_counts_minimal_improvement_per_trial():
    hist = history(failed("SSRI", 1), failed("SSRI", 2, percent_symptom_reduction=30))
    result = stage(hist)["response_profile"]
    assert (result.prd, result.trd_minimal_improvement) == (True, False)
    again = stage(history(failed("SSRI", 1), failed("SSRI", 2)))["response_profile"]
    assert (again.prd, again.trd_minimal_improvement) == (False, True)


def test_response_profile_prd_holds_when_two_partial_responses_meet_fda():
    # 12.4 as of spec 1.2: FDA/EMA no longer withholds PRD.
    partial = {"percent_symptom_reduction": 30}
    hist = history(failed("SSRI", 1, **partial), failed("SNRI", 2, **partial))
    results = stage(hist)
    assert results["fda"].met is True
    assert (results["response_profile"].prd, results["response_profile"].version) == (True, "1.2")
    assert "pattern does not hold → PRD yes" in text(results["response_profile"])


def test_response_profile_prd_withheld_by_the_minimal_improvement_pattern():
    hist = history(
        failed("SSRI", 1, percent_symptom_reduction=30), failed("SNRI", 2), failed("NDRI", 3)
    )
    result = stage(hist)["response_profile"]
    assert (result.prd, result.trd_minimal_improvement) == (False, True)
    assert "pattern holds → PRD no" in text(result)


# Every model


def test_bipolar_makes_every_model_not_applicable():
    hist = history(failed("SSRI", 1), failed("SNRI", 2), diagnosis=Diagnosis.BIPOLAR)
    for key, result in stage(hist).items():
        assert not result.applicable, key
        assert result[4:14] == (None,) * 10, key
        assert result.counted_trials == ()
        assert "Bipolar disorder" in text(result)


def test_suspected_bipolarity_and_switches_warn_every_model():
    switched = failed("SSRI2", 3, outcome=TrialOutcome.SWITCH_TO_MANIA)
    hist = history(failed("SSRI", 1), switched, diagnosis=Diagnosis.MDD_BIPOLARITY_SUSPECTED)
    for result in stage(hist).values():
        assert any(warning.startswith("Bipolarity suspected") for warning in result.warnings)
        assert any("T3 ended in a switch to mania" in warning for warning in result.warnings)


def test_explanations_name_the_decisive_trials():
    hist = history(failed("SSRI", 1), failed("SNRI", 2), failed("TCA", 3))
    result = stage(hist)["thase_rush"]
    assert (
        "T3 nortriptyline 75 mg/day × 8 wk (TCA): adequate, failed — counts for stage III (TCA)"
        in (result.explanation)
    )


def test_explanation_lines_behave_as_a_sequence():
    lines = Lines(lambda first: (first, "b"), "a")
    assert (lines[0], list(lines[1:]), len(lines), list(lines)) == ("a", ["b"], 2, ["a", "b"])
    assert lines == ("a", "b")
    assert lines == ["a", "b"]
    assert lines != "ab"
    assert hash(lines) == hash(("a", "b"))
    assert repr(lines) == "('a', 'b')"


@pytest.mark.parametrize(
    ("item", "label"),
    [
        (trial(), "T1 sertraline 50 mg/day × 8 wk (SSRI)"),
        (
            trial(agent="zuranolone", dose_mg_per_day=None, weeks=None),
            "T1 zuranolone ? mg/day × ? wk (class not recorded)",
        ),
        (trial(agent=None), "T1 agent not recorded 50 mg/day × 8 wk (class not recorded)"),
        (
            added(2, TrialKind.AUGMENTATION, "lithium", 900, "T1", serum_level_mmol_per_l=0.7),
            "A2 lithium level 0.7 mmol/L × 6 wk (augmentation, added to T1)",
        ),
        (
            added(2, TrialKind.COMBINATION, "mirtazapine", 30, None),
            "A2 mirtazapine 30 mg/day × 6 wk (combination, added)",
        ),
        (therapy(3), "P3 CBT × 12 sessions"),
        (therapy(3, therapy_type=None), "P3 psychotherapy × 12 sessions"),
        (ect(4, None, sessions=10), "E4 ECT × 10 sessions, placement not recorded"),
        (ect(4, Placement.BIFRONTAL), "E4 ECT × 12 sessions, bifrontal"),
        (trial(kind=TrialKind.RTMS, sessions=30, agent=None), "T1 rTMS × 30 sessions"),
        (trial(kind=TrialKind.ESKETAMINE, sessions=None), "T1 esketamine × ? sessions"),
        (trial(kind=TrialKind.INPATIENT_ADMISSION, weeks=5), "T1 inpatient admission × 5 wk"),
    ],
)
def test_trial_labels(item: Trial, label: str):
    assessment = assess_trial(item, index_history(history(item)), Params())
    assert trial_label(item, assessment) == label
