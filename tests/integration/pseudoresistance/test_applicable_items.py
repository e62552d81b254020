"""Only what applies is asked (issue 17): trial-kind items, and items the records answer."""

import pytest

from pseudoresistance.checklist_data import NEUROMODULATION_KINDS, Domain
from pseudoresistance.selectors import episode_assessment
from records.demo import DEMO_CLINIC_NAME, DemoAccount
from records.models import Clinic, Episode, Patient

# Items whose gap is boilerplate: the records hold the answer, or the trial is of another kind.
BOILERPLATE = {"A14", "A15", "A17"}


@pytest.fixture
def demo_episodes(demo_clinic: list[DemoAccount]) -> dict[str, Episode]:
    clinic = Clinic.objects.get(name=DEMO_CLINIC_NAME)
    latest = {
        patient.record_number: patient.episodes.order_by("-onset_date").first()
        for patient in Patient.objects.filter(clinic=clinic).order_by("record_number")
    }
    return {record: episode for record, episode in latest.items() if episode is not None}


def test_demo_v01_has_no_boilerplate_gap(demo_episodes: dict[str, Episode]) -> None:
    episode = demo_episodes["DEMO-V01"]
    status = episode_assessment(episode).status
    assert not [gap for gap in status.data_gaps if gap.item.code in BOILERPLATE]
    # A4 stays a gap only where no reason for stopping is recorded; B3 only without psychosis.
    unrecorded = {t.code for t in episode.trials.all() if not t.reason_stopped}
    assert {gap.trial for gap in status.data_gaps if gap.item.code == "A4"} <= unrecorded
    assert ("B3" in {gap.item.code for gap in status.data_gaps}) != episode.psychotic_features
    # What is left are the gaps that matter: the case-level ones, bipolarity, psychosis, substances.
    assert {gap.item.code for gap in status.data_gaps} <= {"B1", "B3", "B9"}
    assert all(gap.high_priority for gap in status.data_gaps)
    assert status.counts_text.startswith("0 RED concerns · 3 high-priority gaps · 0 other gaps")


def test_the_records_answer_a4_and_b3(demo_episodes: dict[str, Episode]) -> None:
    episode = demo_episodes["DEMO-V01"]
    trial = episode.trials.order_by("start_date").first()
    assert trial is not None
    trial.reason_stopped = "adverse_effects"
    trial.save(update_fields=["reason_stopped"])
    episode.psychotic_features = True
    episode.save(update_fields=["psychotic_features"])
    assessment = episode_assessment(episode)
    rows = {row.code: row for row in assessment.rows_for(trial.pk).rows}
    assert rows["A4"].derived is not None
    assert rows["A14"].derived is not None
    b3 = {row.code: row for row in assessment.domain(Domain.B).rows}["B3"]
    assert b3.derived is not None
    assert b3.derived.answer == "yes"
    gaps = {(gap.item.code, gap.trial) for gap in assessment.status.data_gaps}
    assert ("A4", trial.code) not in gaps
    assert ("B3", None) not in gaps


def test_a17_is_never_asked_of_a_drug_trial(demo_episodes: dict[str, Episode]) -> None:
    asked = 0
    for episode in demo_episodes.values():
        assessment = episode_assessment(episode)
        for section in assessment.trial_sections:
            codes = {row.code for row in section.rows}
            assert ("A17" in codes) == (section.trial.kind in NEUROMODULATION_KINDS)
            asked += "A17" in codes
        assert not [
            gap
            for gap in assessment.status.data_gaps
            if gap.item.code == "A17"
            and next(s for s in assessment.trial_sections if s.trial.code == gap.trial).trial.kind
            not in NEUROMODULATION_KINDS
        ]
    assert asked, "the demo clinic holds a neuromodulation course that is asked A17"
