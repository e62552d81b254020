"""The adapter hands staging the history the page shows; adequacy at every boundary of 1.3."""

import datetime
from decimal import Decimal

import pytest

from records.history import episode_history
from records.selectors import patient_detail
from staging.history import Episode as StagingEpisode
from staging.history import SeverityCategory
from tests.factories import AgentFactory, EpisodeFactory, TrialFactory, builtin_agent

from .conftest import ONSET

ASSESSED = datetime.date(2025, 2, 15)
ATRQ = "(MGH-ATRQ (COMP006) [S])"


def shown(access_of, psychiatrist, patient):
    """Return the trial rows of the patient page, by trial id."""
    detail = patient_detail(
        access=access_of(psychiatrist), patient_id=patient.pk, assessment_date=ASSESSED
    )
    return {row.trial.code: row for row in detail.trials}


@pytest.mark.parametrize(
    ("dose", "weeks", "adequate", "level", "reason"),
    [
        (
            "50",
            "6",
            True,
            3,
            f"dose 50 mg/day meets the minimum adequate 50 mg/day for sertraline {ATRQ}",
        ),
        ("50", "6", True, 3, "6 weeks at dose meets the 6-week minimum"),
        (
            "49",
            "6",
            False,
            1,
            f"dose 49 mg/day is below the minimum adequate 50 mg/day for sertraline {ATRQ}",
        ),
        ("50", "5.9", False, 2, "5.9 weeks at dose is below the 6-week minimum"),
        ("50", "3.9", False, 1, "3.9 weeks at dose is below the 6-week minimum"),
    ],
)
def test_antidepressant_adequacy_at_the_minimum_dose_and_duration(
    episode, psychiatrist, access_of, dose, weeks, adequate, level, reason
):
    TrialFactory(episode=episode, code="T1", dose_mg_per_day=Decimal(dose), weeks=Decimal(weeks))
    row = shown(access_of, psychiatrist, episode.patient)["T1"]
    assert (row.assessment.adequate, row.assessment.level) == (adequate, level)
    assert reason in row.assessment.reasons
    assert row.adequate is adequate


@pytest.mark.parametrize(
    ("level", "adequate", "reason"),
    [
        (
            Decimal("0.5"),
            True,
            "serum level 0.5 mmol/L meets the minimum adequate 0.5 mmol/L for lithium",
        ),
        (
            Decimal("0.49"),
            False,
            "serum level 0.49 mmol/L is below the minimum adequate 0.5 mmol/L for lithium",
        ),
        (None, False, "no serum lithium level recorded: adequacy is not inferred from the dose"),
    ],
)
def test_lithium_is_judged_on_the_serum_level_only(
    episode, psychiatrist, access_of, level, adequate, reason
):
    base = TrialFactory(episode=episode, code="T1")
    TrialFactory(
        episode=episode,
        code="T2",
        kind="augmentation",
        agent=builtin_agent("lithium"),
        dose_mg_per_day=Decimal(900),
        serum_level_mmol_per_l=level,
        weeks=Decimal(4),
        augments=base,
    )
    row = shown(access_of, psychiatrist, episode.patient)["T2"]
    assert row.assessment.adequate is adequate
    assert any(line.startswith(reason) for line in row.assessment.reasons)


@pytest.mark.parametrize(
    ("dose", "adequate", "verb"), [("0.025", True, "meets"), ("0.024", False, "is below")]
)
def test_liothyronine_is_dosed_in_mg(episode, psychiatrist, access_of, dose, adequate, verb):
    base = TrialFactory(episode=episode, code="T1")
    TrialFactory(
        episode=episode,
        code="T2",
        kind="augmentation",
        agent=builtin_agent("liothyronine"),
        dose_mg_per_day=Decimal(dose),
        weeks=Decimal(4),
        augments=base,
    )
    row = shown(access_of, psychiatrist, episode.patient)["T2"]
    assert row.assessment.adequate is adequate
    expected = f"dose {dose} mg/day {verb} the minimum adequate 0.025 mg/day for liothyronine"
    assert any(line.startswith(expected) for line in row.assessment.reasons)


def test_poor_adherence_and_a_missing_outcome_are_named(episode, psychiatrist, access_of):
    TrialFactory(episode=episode, code="T1", adherence="poor", percent_symptom_reduction=None)
    row = shown(access_of, psychiatrist, episode.patient)["T1"]
    assert not row.assessment.adequate
    assert "adherence poor (< 80 % of doses)" in row.assessment.reasons
    assert "outcome not recorded (data gap): not a failure (12.1)" in row.assessment.reasons


def test_override_is_shown_beside_the_computed_adequacy(episode, psychiatrist, access_of):
    TrialFactory(
        episode=episode,
        code="T1",
        weeks=Decimal(5),
        override_adequate=True,
        override_reason="Pharmacy records confirm 6 weeks.",
        override_by=psychiatrist,
        override_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
    )
    row = shown(access_of, psychiatrist, episode.patient)["T1"]
    assert row.assessment.adequate is False
    assert row.overridden
    assert row.adequate is True


def test_episodes_pass_their_trials_as_current_or_previous(patient, episode):
    earlier = EpisodeFactory(
        patient=patient, onset_date=datetime.date(2019, 1, 1), end_date=datetime.date(2020, 1, 1)
    )
    later_closed = EpisodeFactory(
        patient=patient, onset_date=datetime.date(2021, 1, 1), end_date=datetime.date(2021, 6, 1)
    )
    TrialFactory(episode=earlier, code="X1", start_date=datetime.date(2019, 2, 1))
    TrialFactory(
        episode=episode, code="P1", start_date=ONSET.replace(year=2023), in_previous_episode=True
    )
    TrialFactory(episode=episode, code="T1")

    history = episode_history(episode, assessment_date=ASSESSED)
    episodes = {trial.id: trial.episode for trial in history.trials}
    assert episodes["T1"] is StagingEpisode.CURRENT
    assert episodes["X1"] is episodes["P1"] is StagingEpisode.PREVIOUS

    TrialFactory(episode=later_closed, code="L1", start_date=datetime.date(2021, 2, 1))
    old = episode_history(earlier, assessment_date=datetime.date(2020, 1, 1))
    assert [trial.id for trial in old.trials] == ["X1"]


def test_baseline_and_context_are_passed_as_recorded(patient):
    episode = EpisodeFactory(
        patient=patient,
        baseline_severity_category="",
        baseline_scale="MADRS",
        baseline_score=Decimal(28),
        comorbid_anxiety="present",
    )
    history = episode_history(episode, assessment_date=ASSESSED)
    severity = history.baseline_severity
    assert (severity.scale, severity.score, severity.category) == ("MADRS", 28.0, None)
    assert history.comorbid_anxiety == "present"
    assert history.functional_impairment is None  # not recorded
    episode.baseline_severity_category = "severe"
    assert episode_history(episode, assessment_date=ASSESSED).baseline_severity.category is (
        SeverityCategory.SEVERE
    )


def test_catalogued_agents_pass_the_catalogue_class_and_unknown_agents_their_own(
    episode, psychiatrist, access_of
):
    TrialFactory(
        episode=episode, code="T1", agent=builtin_agent("moclobemide"), dose_mg_per_day=Decimal(300)
    )
    TrialFactory(
        episode=episode, code="T2", agent=None, agent_name="zuranolone", drug_class="GABA-A PAM"
    )
    clinic_agent = AgentFactory(clinic=episode.patient.clinic, name="gepirone")
    TrialFactory(episode=episode, code="T3", agent=clinic_agent, dose_mg_per_day=Decimal(20))

    history = episode_history(episode, assessment_date=ASSESSED)
    trials = {trial.id: trial for trial in history.trials}
    assert (trials["T1"].agent, trials["T1"].drug_class) == ("moclobemide", "RIMA")
    assert (trials["T2"].agent, trials["T2"].drug_class) == ("zuranolone", "GABA-A PAM")
    rows = shown(access_of, psychiatrist, episode.patient)
    for code, name in (("T2", "zuranolone"), ("T3", "gepirone")):
        assert not rows[code].assessment.adequate
        expected = f"{name} is not in the catalogue: no minimum adequate dose is known"
        assert expected in rows[code].assessment.reasons


def test_percent_derived_from_scores_reaches_staging(episode):
    TrialFactory(
        episode=episode,
        code="T1",
        percent_symptom_reduction=None,
        outcome_scale="HAMD17",
        outcome_baseline_score=Decimal(20),
        outcome_end_score=Decimal(10),
    )
    [trial] = episode_history(episode, assessment_date=ASSESSED).trials
    assert trial.percent_symptom_reduction == 50.0
