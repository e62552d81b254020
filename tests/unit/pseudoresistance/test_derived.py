"""Pre-answers from trial data: each derived rule, read through staging's own trial verdict."""

import dataclasses
import datetime

import pytest

from pseudoresistance.checklist_data import DERIVED_RULES_BY_KEY, Answer, DerivedRuleKey
from pseudoresistance.derived import (
    Entity,
    RecordField,
    episode_pre_answers,
    stopped_for_adverse_effects,
    trial_pre_answers,
)
from staging.adequacy import assess_trial, index_history
from staging.history import (
    Adherence,
    BaselineSeverity,
    Diagnosis,
    Episode,
    History,
    Params,
    PersonalityDisorder,
    Presence,
    Trial,
    TrialKind,
    TrialOutcome,
)

ONSET = datetime.date(2026, 1, 5)
START = ONSET + datetime.timedelta(days=7)


def drug(**fields: object) -> Trial:
    """An adequate, failed sertraline trial of the current episode unless told otherwise."""
    values: dict[str, object] = {
        "id": "T1",
        "seq": 1,
        "start_date": START,
        "kind": TrialKind.ANTIDEPRESSANT,
        "episode": Episode.CURRENT,
        "agent": "sertraline",
        "drug_class": "SSRI",
        "dose_mg_per_day": 100.0,
        "weeks": 8.0,
        "adherence": Adherence.GOOD,
        "percent_symptom_reduction": 20.0,
    }
    return Trial(**{**values, **fields})  # type: ignore[arg-type]


def history(*trials: Trial, diagnosis: Diagnosis = Diagnosis.MDD) -> History:
    return History(
        diagnosis=diagnosis,
        episode_onset_date=ONSET,
        assessment_date=ONSET + datetime.timedelta(days=120),
        baseline_severity=BaselineSeverity(scale="HAM-D17", score=20),
        trials=trials,
    )


def pre_answers(trial: Trial) -> dict[str, tuple[Answer, bool]]:
    """Return {item code: (answer, proposes RED)} for one trial."""
    assessment = assess_trial(trial, index_history(history(trial)), Params())
    return {
        code: (derived.answer, derived.escalate)
        for code, derived in trial_pre_answers(trial, assessment, onset=ONSET).items()
    }


def test_adequate_failed_trial_is_pre_answered_no_for_dose_duration_adherence_and_episode() -> None:
    assert pre_answers(drug()) == {
        "A1": (Answer.NO, False),
        "A3": (Answer.NO, False),
        "A5": (Answer.NO, False),
        "A14": (Answer.NO, False),
    }


def test_dose_below_the_catalogue_minimum_answers_a1_yes_with_the_minimum() -> None:
    trial = drug(dose_mg_per_day=25.0)
    assessment = assess_trial(trial, index_history(history(trial)), Params())
    derived = trial_pre_answers(trial, assessment, onset=ONSET)["A1"]
    assert derived.answer is Answer.YES
    assert derived.rule is DerivedRuleKey.DOSE_BELOW_MINIMUM
    assert "25 mg/day is below the minimum adequate 50 mg/day for sertraline" in derived.reason


def test_dose_at_the_minimum_is_not_below_it() -> None:
    assert pre_answers(drug(dose_mg_per_day=50.0))["A1"] == (Answer.NO, False)


def test_lithium_is_judged_on_its_serum_level_not_its_dose() -> None:
    low = drug(
        kind=TrialKind.AUGMENTATION,
        agent="lithium",
        drug_class="lithium",
        dose_mg_per_day=900.0,
        serum_level_mmol_per_l=0.3,
    )
    assert pre_answers(low)["A1"] == (Answer.YES, False)
    enough = dataclasses.replace(low, serum_level_mmol_per_l=0.7)
    assert pre_answers(enough)["A1"] == (Answer.NO, False)


@pytest.mark.parametrize(
    "fields",
    [
        {"agent": "not-a-catalogued-drug", "drug_class": "other"},
        {"dose_mg_per_day": None},
        {"kind": TrialKind.PSYCHOTHERAPY, "agent": None, "therapy_type": "CBT", "sessions": 12},
    ],
    ids=["uncatalogued agent", "dose not recorded", "not a medicine"],
)
def test_dose_rule_gives_nothing_without_a_known_minimum_or_dose(fields: dict[str, object]) -> None:
    assert "A1" not in pre_answers(drug(**fields))


def test_four_to_six_weeks_is_a_short_trial_without_proposing_red() -> None:
    assert pre_answers(drug(weeks=5.0))["A3"] == (Answer.YES, False)


def test_under_four_weeks_proposes_escalating_a3_to_red() -> None:
    trial = drug(weeks=3.0)
    assessment = assess_trial(trial, index_history(history(trial)), Params())
    derived = trial_pre_answers(trial, assessment, onset=ONSET)["A3"]
    assert (derived.answer, derived.escalate) == (Answer.YES, True)
    rule = DERIVED_RULES_BY_KEY[DerivedRuleKey.DURATION_SHORT]
    assert rule.proposes_escalation_when is not None
    assert rule.proposes_escalation_when in derived.escalation_reason


def test_six_weeks_is_not_short_and_unknown_weeks_give_nothing() -> None:
    assert pre_answers(drug(weeks=6.0))["A3"] == (Answer.NO, False)
    assert "A3" not in pre_answers(drug(weeks=None))


@pytest.mark.parametrize(
    ("adherence", "expected"),
    [(Adherence.POOR, Answer.YES), (Adherence.GOOD, Answer.NO)],
)
def test_recorded_adherence_answers_a5(adherence: Adherence, expected: Answer) -> None:
    assert pre_answers(drug(adherence=adherence))["A5"] == (expected, False)


def test_unrecorded_adherence_leaves_a5_to_the_clinician() -> None:
    assert "A5" not in pre_answers(drug(adherence=None))


def test_a_previous_episode_trial_answers_a14_yes_and_a_current_one_no() -> None:
    assert pre_answers(drug(episode=Episode.PREVIOUS))["A14"] == (Answer.YES, False)
    assert pre_answers(drug())["A14"] == (Answer.NO, False)


def test_a_trial_without_an_episode_started_before_onset_is_previous() -> None:
    early = drug(episode=None, start_date=ONSET - datetime.timedelta(days=30))
    assert pre_answers(early)["A14"] == (Answer.YES, False)


def psychotherapy(sessions: int | None) -> Trial:
    return drug(
        kind=TrialKind.PSYCHOTHERAPY,
        agent=None,
        drug_class=None,
        dose_mg_per_day=None,
        therapy_type="CBT",
        sessions=sessions,
        adherence=None,
    )


def test_psychotherapy_under_eight_sessions_answers_a15_yes_otherwise_nothing() -> None:
    assert pre_answers(psychotherapy(5))["A15"] == (Answer.YES, False)
    assert "A15" not in pre_answers(psychotherapy(12))
    assert "A15" not in pre_answers(psychotherapy(None))


@pytest.mark.parametrize(
    ("kind", "short", "enough"),
    [
        (TrialKind.ECT, 4, 10),
        (TrialKind.RTMS, 10, 30),
        (TrialKind.KETAMINE, 2, 6),
    ],
)
def test_a_neuromodulation_course_below_its_minimum_answers_a17_yes(
    kind: TrialKind, short: int, enough: int
) -> None:
    def course(sessions: int) -> Trial:
        return drug(
            kind=kind,
            agent=None,
            drug_class=None,
            dose_mg_per_day=None,
            sessions=sessions,
            adherence=None,
        )

    assert pre_answers(course(short))["A17"] == (Answer.YES, False)
    assert "A17" not in pre_answers(course(enough))


def test_a17_is_not_derived_for_a_medication_trial() -> None:
    assert "A17" not in pre_answers(drug(sessions=2))


def episode_answers(*trials: Trial, diagnosis: Diagnosis = Diagnosis.MDD) -> dict[str, Answer]:
    return {
        code: derived.answer
        for code, derived in episode_pre_answers(history(*trials, diagnosis=diagnosis)).items()
    }


@pytest.mark.parametrize(
    "diagnosis", [Diagnosis.MDD_BIPOLARITY_SUSPECTED, Diagnosis.BIPOLAR], ids=str
)
def test_a_bipolar_or_suspected_diagnosis_answers_b1_yes(diagnosis: Diagnosis) -> None:
    assert episode_answers(drug(), diagnosis=diagnosis)["B1"] is Answer.YES


def test_a_switch_to_hypomania_answers_b1_yes_and_names_the_trial() -> None:
    switched = drug(outcome=TrialOutcome.SWITCH_TO_HYPOMANIA)
    derived = episode_pre_answers(history(switched))["B1"]
    assert derived.answer is Answer.YES
    assert "T1 ended in a switch to hypomania" in derived.reason


def test_mdd_without_a_switch_leaves_b1_to_the_clinician() -> None:
    assert "B1" not in episode_answers(drug())


def test_no_psychotherapy_in_the_episode_answers_e8_yes() -> None:
    assert episode_answers(drug())["E8"] is Answer.YES


def test_a_psychotherapy_of_the_episode_answers_e8_no() -> None:
    answers = episode_answers(drug(), psychotherapy(12))
    assert answers["E8"] is Answer.NO
    assert "E10" not in answers


def test_a_previous_episode_psychotherapy_does_not_count_for_this_episode() -> None:
    earlier = dataclasses.replace(psychotherapy(12), id="T9", episode=Episode.PREVIOUS)
    assert episode_answers(drug(), earlier)["E8"] is Answer.YES


def test_a_short_psychotherapy_in_the_episode_answers_e10_yes() -> None:
    assert episode_answers(psychotherapy(4))["E10"] is Answer.YES


def test_a_trial_without_a_scale_outcome_answers_f4_no() -> None:
    unmeasured = drug(id="T2", seq=2, percent_symptom_reduction=None)
    derived = episode_pre_answers(history(drug(), unmeasured))["F4"]
    assert derived.answer is Answer.NO
    assert "T2" in derived.reason
    assert "F4" not in episode_answers(drug())


def test_recorded_psychotic_features_answer_b3_yes_and_their_absence_leaves_it_open() -> None:
    psychotic = dataclasses.replace(
        history(drug()),
        baseline_severity=BaselineSeverity(scale="HAM-D17", score=20, psychotic_features=True),
    )
    assert episode_pre_answers(psychotic)["B3"].answer is Answer.YES
    assert "B3" not in episode_answers(drug())


def test_a4_follows_the_recorded_reason_for_stopping() -> None:
    adequate = drug()
    short = drug(weeks=2.0)
    params = Params()
    judged = assess_trial(adequate, index_history(history(adequate)), params)
    too_short = assess_trial(short, index_history(history(short)), params)
    assert stopped_for_adverse_effects("adverse_effects", too_short).answer is Answer.YES
    assert stopped_for_adverse_effects("adverse_effects", judged).answer is Answer.NO
    assert stopped_for_adverse_effects("ineffective", too_short).answer is Answer.NO
    assert stopped_for_adverse_effects("", too_short) is None


def test_a_trial_staging_rates_adequate_answers_a4_no_without_a_recorded_reason() -> None:
    adequate = drug()
    judged = assess_trial(adequate, index_history(history(adequate)), Params())
    derived = stopped_for_adverse_effects("", judged)
    assert derived is not None
    assert derived.answer is Answer.NO
    assert "adequate" in derived.reason


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        (PersonalityDisorder.DISORDER, Answer.YES),
        (PersonalityDisorder.TRAITS, Answer.YES),
        (PersonalityDisorder.NONE, Answer.NO),
    ],
    ids=str,
)
def test_the_recorded_personality_answers_b6(
    recorded: PersonalityDisorder, expected: Answer
) -> None:
    recorded_history = dataclasses.replace(history(drug()), personality_disorder=recorded)
    derived = episode_pre_answers(recorded_history)["B6"]
    assert derived.answer is expected
    assert derived.field == RecordField(Entity.EPISODE, "personality_disorder")
    assert "B6" not in episode_answers(drug())


@pytest.mark.parametrize(
    ("recorded", "expected"), [(Presence.PRESENT, Answer.YES), (Presence.NONE, Answer.NO)], ids=str
)
def test_recorded_psychosocial_stressors_answer_e1(recorded: Presence, expected: Answer) -> None:
    recorded_history = dataclasses.replace(history(drug()), psychosocial_stressors=recorded)
    assert episode_pre_answers(recorded_history)["E1"].answer is expected
    assert "E1" not in episode_answers(drug())


def test_each_pre_answer_names_the_record_field_it_reads() -> None:
    trial = drug(id="T3")
    assessment = assess_trial(trial, index_history(history(trial)), Params())
    fields = {
        code: derived.field
        for code, derived in trial_pre_answers(trial, assessment, onset=ONSET).items()
    }
    assert fields == {
        "A1": RecordField(Entity.TRIAL, "dose_mg_per_day", "T3"),
        "A3": RecordField(Entity.TRIAL, "weeks", "T3"),
        "A5": RecordField(Entity.TRIAL, "adherence", "T3"),
        "A14": RecordField(Entity.TRIAL, "in_previous_episode", "T3"),
    }
    switched = drug(id="T4", outcome=TrialOutcome.SWITCH_TO_MANIA)
    assert episode_pre_answers(history(drug(), switched))["B1"].field == RecordField(
        Entity.TRIAL, "outcome", "T4"
    )
    bipolar = episode_pre_answers(history(drug(), diagnosis=Diagnosis.BIPOLAR))["B1"]
    assert bipolar.field == RecordField(Entity.PATIENT, "diagnosis")
