"""Per-trial adequacy at every boundary of spec 1.3 and 8.x (inclusive minimums)."""

from typing import Any

import pytest

from staging.adequacy import (
    OutcomeCategory,
    TrialAssessment,
    assess_trial,
    index_history,
    is_nonresponse,
    outcome_category,
)
from staging.history import (
    Adherence,
    BaselineSeverity,
    History,
    NonresponseRule,
    Params,
    Placement,
    SeverityCategory,
    Trial,
    TrialKind,
    TrialOutcome,
)
from tests.unit.staging.builders import history, trial

ATRQ = "(MGH-ATRQ (COMP006) [S])"


def assess(
    target: Trial, *others: Trial, hist: History | None = None, **options: Any
) -> TrialAssessment:
    """Assess `target` within a history of it and the others, default parameters."""
    params = Params(**options.pop("params", {}))
    context = hist or history(target, *others)
    return assess_trial(target, index_history(context), params, **options)


def augmentation(agent: str, **fields: Any) -> Trial:
    values: dict[str, Any] = {"weeks": 6, **fields}
    return trial("G1", kind=TrialKind.AUGMENTATION, agent=agent, augments_trial="T1", **values)


def session_trial(kind: TrialKind, sessions: int | None, **fields: Any) -> Trial:
    values: dict[str, Any] = {"agent": None, "dose_mg_per_day": None, "adherence": None, **fields}
    return trial("S1", kind=kind, sessions=sessions, **values)


@pytest.mark.parametrize(
    ("dose", "weeks", "adequate", "level", "reason"),
    [
        (
            50,
            6,
            True,
            3,
            f"dose 50 mg/day meets the minimum adequate 50 mg/day for sertraline {ATRQ}",
        ),
        (50, 6, True, 3, "6 weeks at dose meets the 6-week minimum"),
        (
            49,
            6,
            False,
            1,
            f"dose 49 mg/day is below the minimum adequate 50 mg/day for sertraline {ATRQ}",
        ),
        (50, 5.9, False, 2, "5.9 weeks at dose is below the 6-week minimum"),
        (50, 4, False, 2, "4 weeks at dose is below the 6-week minimum"),
        (50, 3.9, False, 1, "3.9 weeks at dose is below the 6-week minimum"),
        (50, 0, False, 0, "0 weeks at dose is below the 6-week minimum"),
    ],
)
def test_antidepressant_dose_and_weeks_are_inclusive(
    dose: float, weeks: float, adequate: bool, level: int, reason: str
):
    result = assess(trial(dose_mg_per_day=dose, weeks=weeks))
    assert (result.adequate, result.level) == (adequate, level)
    assert reason in result.reasons


@pytest.mark.parametrize(
    ("adherence", "reason"),
    [(Adherence.POOR, "adherence poor (< 80 % of doses)"), (None, "adherence not recorded")],
)
def test_antidepressant_needs_good_adherence(adherence: Adherence | None, reason: str):
    result = assess(trial(adherence=adherence))
    assert (result.adequate, result.level) == (False, 2)
    assert reason in result.reasons
    assert result.summary == f"not adequate: {reason}"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"dose_mg_per_day": None}, "dose not recorded"),
        ({"weeks": None}, "weeks at dose not recorded"),
        ({"agent": None}, "agent not recorded"),
    ],
)
def test_missing_values_make_a_trial_inadequate(fields: dict[str, Any], reason: str):
    result = assess(trial(**fields))
    assert not result.adequate
    assert reason in result.reasons


@pytest.mark.parametrize(
    ("percent", "rule", "outcome", "failed"),
    [
        (24.9, NonresponseRule.LT50, OutcomeCategory.NON_RESPONSE, True),
        (25, NonresponseRule.LT50, OutcomeCategory.PARTIAL_RESPONSE, True),
        (49.9, NonresponseRule.LT50, OutcomeCategory.PARTIAL_RESPONSE, True),
        (50, NonresponseRule.LT50, OutcomeCategory.RESPONSE, False),
        (25, NonresponseRule.LE25, OutcomeCategory.PARTIAL_RESPONSE, True),
        (25.1, NonresponseRule.LE25, OutcomeCategory.PARTIAL_RESPONSE, False),
        (-10, NonresponseRule.LE25, OutcomeCategory.NON_RESPONSE, True),
        (None, NonresponseRule.LT50, OutcomeCategory.NOT_RECORDED, False),
    ],
)
def test_outcome_and_failure(
    percent: float | None, rule: NonresponseRule, outcome: OutcomeCategory, failed: bool
):
    result = assess(trial(percent_symptom_reduction=percent), params={"nonresponse_rule": rule})
    assert (result.outcome, result.failed) == (outcome, failed)
    assert outcome_category(percent) is outcome
    assert is_nonresponse(percent, rule) is failed


def test_exactly_fifty_percent_is_a_response_not_a_failure():
    result = assess(trial(percent_symptom_reduction=50))
    assert result.adequate
    assert not result.adequate_failure
    assert result.summary == "adequate, response (≥ 50 %): not a failure"


def test_missing_outcome_is_a_data_gap_not_a_failure():
    result = assess(trial(percent_symptom_reduction=None))
    assert result.adequate
    assert not result.failed
    assert "outcome not recorded (data gap): not a failure (12.1)" in result.reasons


@pytest.mark.parametrize(
    ("serum", "adequate", "reason"),
    [
        (0.5, True, "serum level 0.5 mmol/L meets the minimum adequate 0.5 mmol/L for lithium"),
        (
            0.49,
            False,
            "serum level 0.49 mmol/L is below the minimum adequate 0.5 mmol/L for lithium",
        ),
        (None, False, "no serum lithium level recorded: adequacy is not inferred from the dose"),
    ],
)
def test_lithium_is_judged_on_the_serum_level_only(
    serum: float | None, adequate: bool, reason: str
):
    result = assess(
        augmentation("lithium", dose_mg_per_day=1200, serum_level_mmol_per_l=serum), trial()
    )
    assert result.adequate is adequate
    assert any(line.startswith(reason) for line in result.reasons)


@pytest.mark.parametrize(("dose", "adequate"), [(0.025, True), (0.024, False)])
def test_liothyronine_minimum_is_25_micrograms(dose: float, adequate: bool):
    result = assess(augmentation("liothyronine", dose_mg_per_day=dose), trial())
    assert result.adequate is adequate
    verb = "meets" if adequate else "is below"
    assert any(
        line.startswith(f"dose {dose} mg/day {verb} the minimum adequate 0.025 mg/day")
        for line in result.reasons
    )


@pytest.mark.parametrize(
    ("weeks", "adequate", "level"), [(6, True, 3), (5, False, 2), (3, False, 1)]
)
def test_olanzapine_needs_six_weeks_whatever_aug_min_weeks(weeks: int, adequate: bool, level: int):
    result = assess(augmentation("olanzapine", dose_mg_per_day=6, weeks=weeks), trial())
    assert (result.adequate, result.level) == (adequate, level)


@pytest.mark.parametrize(("dose", "adequate"), [(5, True), (4, False)])
def test_aripiprazole_augmentation_minimum(dose: float, adequate: bool):
    assert assess(augmentation("aripiprazole", dose_mg_per_day=dose), trial()).adequate is adequate


@pytest.mark.parametrize(
    ("kind", "agent", "reason"),
    [
        (
            TrialKind.AUGMENTATION,
            "bupropion",
            "bupropion is an antidepressant: record it as a combination",
        ),
        (
            TrialKind.ANTIDEPRESSANT,
            "lithium",
            "lithium is an augmenter: record it as an augmentation",
        ),
        (TrialKind.AUGMENTATION, "pramipexole", "pramipexole is not in the catalogue"),
    ],
)
def test_agents_outside_their_role_are_never_adequate(kind: TrialKind, agent: str, reason: str):
    result = assess(trial(kind=kind, agent=agent, dose_mg_per_day=300), trial("T2"))
    assert not result.adequate
    assert result.level == 1
    assert any(line.startswith(reason) for line in result.reasons)


def test_unknown_antidepressant_is_never_adequate():
    result = assess(trial(agent="zuranolone", drug_class="GABA-A PAM", dose_mg_per_day=50))
    assert (result.adequate, result.level, result.agent) == (False, 1, None)
    assert "zuranolone is not in the catalogue: no minimum adequate dose is known" in result.reasons


def test_unknown_agent_without_exposure_is_level_zero():
    assert assess(trial(agent="zuranolone", weeks=0)).level == 0


@pytest.mark.parametrize(
    ("agent", "dose", "adequate", "molecule"),
    [
        ("paroxetine CR", 25, True, "paroxetine"),
        ("paroxetine CR", 24, False, "paroxetine"),
        ("Paroxetine  cr", 25, True, "paroxetine"),
        ("venlafaxine XR", 150, True, "venlafaxine"),
        ("paroxetine", 20, True, "paroxetine"),
    ],
)
def test_formulations_count_as_their_molecule(
    agent: str, dose: float, adequate: bool, molecule: str
):
    result = assess(trial(agent=agent, dose_mg_per_day=dose))
    assert result.adequate is adequate
    assert result.agent is not None
    assert result.agent.molecule == molecule


def test_moclobemide_stays_rima_whatever_the_input_class():
    result = assess(trial(agent="moclobemide", drug_class="MAOI", dose_mg_per_day=300))
    assert result.agent is not None
    assert result.agent.drug_class == "RIMA"


def test_switch_to_hypomania_ends_the_trial_without_adequacy_or_failure():
    result = assess(trial(outcome=TrialOutcome.SWITCH_TO_HYPOMANIA, percent_symptom_reduction=0))
    assert (result.adequate, result.failed, result.level) == (False, False, 2)
    assert "ended by a switch to hypomania: not a failure (12.8)" in result.reasons


@pytest.mark.parametrize(
    ("fields", "level", "reason"),
    [
        (
            {"dose_mg_per_day": 100, "dose_optimised": None},
            4,
            "dose optimised (≥ 1.5 × minimum) (level 4)",
        ),
        ({"dose_mg_per_day": 74, "dose_optimised": None}, 3, None),
        (
            {"dose_mg_per_day": 75, "dose_optimised": None},
            4,
            "dose optimised (≥ 1.5 × minimum) (level 4)",
        ),
        ({"dose_mg_per_day": 100, "dose_optimised": False}, 3, None),
        ({"dose_optimised": True}, 4, "dose optimised (≥ 1.5 × minimum) (level 4)"),
        ({"weeks": 12}, 4, "duration extended (≥ 12 weeks) (level 4)"),
        ({"weeks": 11.9}, 3, None),
        ({"duration_extended": True, "weeks": 8}, 4, "duration extended (≥ 12 weeks) (level 4)"),
        (
            {"dose_optimised": True, "weeks": 12},
            4,
            "dose optimised (≥ 1.5 × minimum) and duration extended (≥ 12 weeks) (level 4)",
        ),
    ],
)
def test_level_four_needs_optimised_dose_or_duration(
    fields: dict[str, Any], level: int, reason: str | None
):
    result = assess(trial(**fields))
    assert result.level == level
    if reason:
        assert reason in result.reasons


@pytest.mark.parametrize(
    ("added", "level"),
    [
        (augmentation("aripiprazole", dose_mg_per_day=5), 5),
        (augmentation("aripiprazole", dose_mg_per_day=2), 4),
        (
            trial(
                "C1",
                kind=TrialKind.COMBINATION,
                agent="mirtazapine",
                dose_mg_per_day=15,
                augments_trial="T1",
            ),
            5,
        ),
        (
            trial(
                "C1",
                kind=TrialKind.COMBINATION,
                agent="mirtazapine",
                dose_mg_per_day=7.5,
                augments_trial="T1",
            ),
            4,
        ),
        (trial("C1", kind=TrialKind.COMBINATION, agent="zuranolone", augments_trial="T1"), 4),
    ],
)
def test_level_five_needs_an_adequate_augmentation_or_combination(added: Trial, level: int):
    base = trial(dose_optimised=True)
    assert assess(base, added).level == level


def test_a_combination_naming_itself_does_not_recurse():
    looped = trial("C1", kind=TrialKind.COMBINATION, dose_optimised=True, augments_trial="C1")
    assert assess(looped).level == 5


PSYCHOTIC = BaselineSeverity(category=SeverityCategory.SEVERE, psychotic_features=True)


@pytest.mark.parametrize(
    ("added", "adequate", "level"),
    [
        ((), False, 2),
        ((augmentation("quetiapine", dose_mg_per_day=150),), True, 3),
        ((augmentation("quetiapine", dose_mg_per_day=100),), False, 2),
        ((augmentation("lithium", serum_level_mmol_per_l=0.8),), False, 2),
    ],
)
def test_psychotic_depression_can_require_an_antipsychotic(
    added: tuple[Trial, ...], adequate: bool, level: int
):
    base = trial()
    hist = history(base, *added, baseline_severity=PSYCHOTIC)
    strict = assess(base, hist=hist, params={"psychotic_requires_antipsychotic": True})
    assert (strict.adequate, strict.level) == (adequate, level)
    assert assess(base, hist=hist).adequate


def test_psychotic_rule_reads_a_combination_s_base_trial():
    base = trial()
    combination = trial("C1", kind=TrialKind.COMBINATION, agent="mirtazapine", augments_trial="T1")
    quetiapine = augmentation("quetiapine", dose_mg_per_day=300)
    hist = history(base, combination, quetiapine, baseline_severity=PSYCHOTIC)
    result = assess(combination, hist=hist, params={"psychotic_requires_antipsychotic": True})
    assert result.adequate


@pytest.mark.parametrize(
    ("kind", "sessions", "fields", "options", "adequate", "level"),
    [
        (TrialKind.ECT, 7, {}, {}, True, 3),
        (TrialKind.ECT, 6, {"electrode_placement": Placement.BITEMPORAL}, {}, False, 1),
        (TrialKind.ECT, 0, {}, {}, False, 0),
        (TrialKind.ECT, None, {}, {}, False, 1),
        (TrialKind.PSYCHOTHERAPY, 8, {"therapy_type": "CBT"}, {}, True, 3),
        (TrialKind.PSYCHOTHERAPY, 7, {"therapy_type": "CBT"}, {}, False, 1),
        (TrialKind.PSYCHOTHERAPY, 12, {"therapy_type": "supportive"}, {}, False, 2),
        (TrialKind.PSYCHOTHERAPY, 12, {"agent": "ba"}, {}, True, 3),
        (TrialKind.PSYCHOTHERAPY, 12, {}, {}, False, 2),
        (
            TrialKind.PSYCHOTHERAPY,
            9,
            {"therapy_type": "IPT", "therapist_trained": True},
            {"min_sessions": 9, "trained_therapist_required": True},
            True,
            3,
        ),
        (
            TrialKind.PSYCHOTHERAPY,
            9,
            {"therapy_type": "IPT"},
            {"min_sessions": 9, "trained_therapist_required": True},
            False,
            2,
        ),
        (
            TrialKind.PSYCHOTHERAPY,
            8,
            {"therapy_type": "IPT", "therapist_trained": True},
            {"min_sessions": 9, "trained_therapist_required": True},
            False,
            1,
        ),
        (TrialKind.RTMS, 20, {}, {}, True, 3),
        (TrialKind.RTMS, 19, {}, {}, False, 1),
        (TrialKind.ESKETAMINE, 8, {"dose_mg_per_session": 56, "weeks": 4}, {}, True, 3),
        (TrialKind.ESKETAMINE, 8, {"dose_mg_per_session": 28, "weeks": 4}, {}, False, 2),
        (TrialKind.ESKETAMINE, 8, {"weeks": 4}, {}, False, 2),
        (TrialKind.ESKETAMINE, 8, {"dose_mg_per_session": 84, "weeks": 3}, {}, False, 2),
        (TrialKind.KETAMINE, 4, {}, {}, True, 3),
        (TrialKind.KETAMINE, 3, {}, {}, False, 1),
    ],
)
def test_session_based_treatments_count_attended_sessions(
    kind: TrialKind,
    sessions: int | None,
    fields: dict[str, Any],
    options: dict[str, Any],
    adequate: bool,
    level: int,
):
    result = assess(session_trial(kind, sessions, **fields), **options)
    assert (result.adequate, result.level) == (adequate, level)
    silent = assess(session_trial(kind, sessions, **fields), explain=False, **options)
    assert (silent.adequate, silent.level, silent.reasons) == (adequate, level, ())


def test_sessions_not_adherence_decide_psychotherapy():
    result = assess(
        session_trial(TrialKind.PSYCHOTHERAPY, 8, therapy_type="CBT", adherence=Adherence.POOR)
    )
    assert result.adequate


def test_ect_reasons_name_the_placement():
    assert (
        "placement RUL"
        in assess(session_trial(TrialKind.ECT, 12, electrode_placement=Placement.RUL)).reasons
    )
    assert "placement not recorded" in assess(session_trial(TrialKind.ECT, 12)).reasons
    assert (
        "the 0.5 mg/kg dose is not checked: rated on infusions only"
        in assess(session_trial(TrialKind.KETAMINE, 4)).reasons
    )


def test_markowitz_standard_names_the_therapist():
    result = assess(
        session_trial(TrialKind.PSYCHOTHERAPY, 12, therapy_type="CBT", therapist_trained=True),
        trained_therapist_required=True,
    )
    assert "trained therapist" in result.reasons


@pytest.mark.parametrize("kind", [TrialKind.INPATIENT_ADMISSION, TrialKind.DAY_TREATMENT])
def test_intensified_treatment_is_not_rated(kind: TrialKind):
    result = assess(trial(kind=kind, agent=None, percent_symptom_reduction=None))
    assert (result.adequate, result.level) == (False, 0)
    assert result.summary == "not adequate: adequacy is not rated for intensified treatment"


def test_canadian_minimum_weeks_override():
    short = trial(weeks=4)
    assert not assess(short).adequate
    assert assess(short, min_weeks=4).adequate


def test_explain_false_gives_the_same_verdict_without_text():
    full = assess(trial(dose_optimised=True))
    silent = assess(trial(dose_optimised=True), explain=False)
    assert full[:5] == silent[:5]
    assert (silent.reasons, silent.summary) == ((), "adequate, failed")
    inadequate = assess(trial(weeks=2), explain=False)
    assert (inadequate.adequate, inadequate.reasons, inadequate.summary) == (False, (), "")
