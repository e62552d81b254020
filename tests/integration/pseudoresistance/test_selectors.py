"""Selectors: the episode assessment, the queue's order and filters, the badge, the panel."""

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from pseudoresistance.models import ImpasseCase
from pseudoresistance.selectors import (
    episode_assessment,
    impasse_queue,
    impasse_queue_count,
    patient_impasse_panel,
    patients_with_active_impasse_case,
    result_summary,
)
from pseudoresistance.services import AnswerInput, checklist_answers_record
from pseudoresistance.states import CaseState
from records.access import ClinicAccess
from records.models import Clinic, Episode, Patient, TreatmentTrial
from records.selectors import patient_search
from staging.result import ModelResult
from tests.factories import (
    EpisodeFactory,
    ImpasseCaseFactory,
    PatientFactory,
    ScaleAdministrationFactory,
)

pytestmark = pytest.mark.django_db


def test_a_red_concern_removes_the_trial_from_the_counts_after_the_checklist(
    episode: Episode, psychiatrist: User, failed_trial: Callable[..., TreatmentTrial]
) -> None:
    first = failed_trial()
    failed_trial("venlafaxine", 150)
    checklist_answers_record(
        acting_user=psychiatrist,
        episode_id=episode.pk,
        answers=[AnswerInput(item_code="A5", trial_id=first.pk, answer="yes")],
    )
    assessment = episode_assessment(episode)
    assert (assessment.failures_as_recorded, assessment.failures_after_checklist) == (2, 1)
    [exclusion] = assessment.exclusions
    assert exclusion.trial == first
    assert exclusion.reasons[0].startswith("A5 (answered)")
    fda = next(row for row in assessment.staging_rows if row.key == "fda")
    assert (fda.as_recorded, fda.after_checklist, fda.changed) == ("met", "not met", True)
    assert first.code in fda.counted_as_recorded
    assert first.code not in fda.counted_after_checklist


def test_the_assessment_reads_in_a_fixed_number_of_queries(
    episode: Episode,
    failed_trial: Callable[..., TreatmentTrial],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    failed_trial()
    with django_assert_max_num_queries(5) as few:  # type: ignore[attr-defined]
        episode_assessment(episode)
    for number, agent in enumerate(["citalopram", "escitalopram", "venlafaxine", "duloxetine"]):
        failed_trial(agent, 200, code=f"X{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):  # type: ignore[attr-defined]
        episode_assessment(episode)


def test_not_yet_tried_lists_the_classes_without_an_adequate_trial(
    episode: Episode, failed_trial: Callable[..., TreatmentTrial]
) -> None:
    failed_trial()
    numbers = {row.number for g in episode_assessment(episode).not_yet_tried for row in g.rows}
    assert 3 in numbers  # switch between classes
    assert 13 in numbers  # ECT
    failed_trial("venlafaxine", 150)
    numbers = {row.number for g in episode_assessment(episode).not_yet_tried for row in g.rows}
    assert 3 not in numbers


def test_result_summary_describes_each_kind_of_result() -> None:
    assert result_summary(ModelResult("m", "M", "1", False)) == "not applicable"
    assert result_summary(ModelResult("m", "M", "1", True, met=True)) == "met"
    assert result_summary(ModelResult("m", "M", "1", True, score=8, band="moderate")) == (
        "score 8 (moderate)"
    )
    assert result_summary(ModelResult("m", "M", "1", True, stage="II")) == "stage II"


def queued(clinic: Clinic, *, days: int, msm: int | None, **patient: object) -> ImpasseCase:
    episode = EpisodeFactory(patient=PatientFactory(clinic=clinic, **patient))
    waiting = timezone.now() - datetime.timedelta(days=days)
    return ImpasseCaseFactory(episode=episode, msm_score=msm, flagged_at=waiting)


def test_the_queue_puts_safety_alerts_first_then_severity_then_the_longest_wait(
    clinic: Clinic, supervisor: User, access_of: Callable[[User], ClinicAccess]
) -> None:
    mild_long = queued(clinic, days=10, msm=5)
    severe_recent = queued(clinic, days=2, msm=9)
    alert = queued(clinic, days=1, msm=None)
    severe_older = queued(clinic, days=5, msm=9)
    ScaleAdministrationFactory(episode=alert.episode, scale="HAMD17", items={"3": 2})
    settled = queued(clinic, days=30, msm=4)
    ScaleAdministrationFactory(
        episode=settled.episode,
        scale="HAMD17",
        items={"3": 2},
        administered_on=datetime.date(2025, 1, 1),
    )
    ScaleAdministrationFactory(
        episode=settled.episode,
        scale="HAMD17",
        items={"3": 0},
        administered_on=datetime.date(2025, 2, 1),
    )
    rows = impasse_queue(access=access_of(supervisor))
    assert [row.case for row in rows] == [alert, severe_older, severe_recent, mild_long, settled]
    assert rows[0].safety_alerts
    assert not rows[-1].safety_alerts
    assert [row.days_waiting for row in rows][1:4] == [5, 2, 10]


def test_the_queue_filters_by_psychiatrist_and_state(
    clinic: Clinic,
    supervisor: User,
    psychiatrist: User,
    access_of: Callable[[User], ClinicAccess],
) -> None:
    mine = queued(clinic, days=1, msm=None, psychiatrist=psychiatrist)
    queued(clinic, days=1, msm=None)
    reviewed = queued(clinic, days=3, msm=None, psychiatrist=psychiatrist)
    reviewed.state = CaseState.REVIEWED
    reviewed.save(update_fields=["state"])
    access = access_of(supervisor)
    assert [r.case for r in impasse_queue(access=access, psychiatrist_id=psychiatrist.pk)] == [mine]
    assert [r.case for r in impasse_queue(access=access, state="reviewed")] == [reviewed]
    assert len(impasse_queue(access=access)) == 2


def test_the_queue_holds_only_the_active_clinics_cases(
    clinic: Clinic,
    other_clinic: Clinic,
    supervisor: User,
    access_of: Callable[[User], ClinicAccess],
) -> None:
    queued(other_clinic, days=1, msm=None)
    assert impasse_queue(access=access_of(supervisor)) == []
    assert impasse_queue_count(access=access_of(supervisor)) == 0


def test_the_queue_is_for_reviewers_only(
    psychiatrist: User, access_of: Callable[[User], ClinicAccess]
) -> None:
    with pytest.raises(PermissionDenied):
        impasse_queue(access=access_of(psychiatrist))


def test_the_badge_counts_open_cases_in_one_query(
    clinic: Clinic,
    supervisor: User,
    psychiatrist: User,
    access_of: Callable[[User], ClinicAccess],
    django_assert_num_queries: Callable[..., object],
) -> None:
    queued(clinic, days=1, msm=None)
    under_review = queued(clinic, days=1, msm=None)
    under_review.state = CaseState.UNDER_REVIEW
    under_review.save(update_fields=["state"])
    access = access_of(supervisor)
    with django_assert_num_queries(1):  # type: ignore[attr-defined]
        assert impasse_queue_count(access=access) == 1
    assert impasse_queue_count(access=access_of(psychiatrist)) == 0


def test_the_patient_panel_shows_the_current_episode_and_the_latest_review(
    patient: Patient,
    episode: Episode,
    psychiatrist: User,
    access_of: Callable[[User], ClinicAccess],
) -> None:
    EpisodeFactory(
        patient=patient,
        onset_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2020, 6, 1),
    )
    panel = patient_impasse_panel(access=access_of(psychiatrist), patient_id=patient.pk)
    assert panel.episode == episode
    assert panel.assessment is not None
    assert panel.cases is not None
    assert panel.cases.case is None


def test_the_patient_panel_without_an_episode_is_empty(
    patient: Patient, psychiatrist: User, access_of: Callable[[User], ClinicAccess]
) -> None:
    panel = patient_impasse_panel(access=access_of(psychiatrist), patient_id=patient.pk)
    assert (panel.episode, panel.assessment) == (None, None)


def test_the_patient_panel_of_another_clinic_is_not_found(
    other_clinic: Clinic, psychiatrist: User, access_of: Callable[[User], ClinicAccess]
) -> None:
    elsewhere = PatientFactory(clinic=other_clinic)
    with pytest.raises(Http404):
        patient_impasse_panel(access=access_of(psychiatrist), patient_id=elsewhere.pk)


def test_patient_search_narrows_to_patients_with_a_case_in_progress(
    clinic: Clinic, psychiatrist: User, access_of: Callable[[User], ClinicAccess]
) -> None:
    flagged = queued(clinic, days=1, msm=None)
    closed = queued(clinic, days=1, msm=None)
    closed.state = CaseState.CLOSED
    closed.save(update_fields=["state"])
    earlier = EpisodeFactory(
        patient=flagged.patient,
        onset_date=datetime.date(2019, 1, 1),
        end_date=datetime.date(2019, 9, 1),
    )
    ImpasseCaseFactory(episode=earlier)
    found = patient_search(
        access=access_of(psychiatrist), where=patients_with_active_impasse_case()
    )
    assert list(found) == [flagged.patient]


def test_a_trial_marked_dose_optimised_marks_dose_optimisation_tried(
    episode: Episode, failed_trial: Callable[..., TreatmentTrial]
) -> None:
    failed_trial(dose=50, dose_optimised=False)
    numbers = {row.number for g in episode_assessment(episode).not_yet_tried for row in g.rows}
    assert 1 in numbers
    failed_trial("citalopram", 40, dose_optimised=True, weeks=Decimal(10))
    numbers = {row.number for g in episode_assessment(episode).not_yet_tried for row in g.rows}
    assert 1 not in numbers


def test_days_waiting_count_from_when_the_case_opened(
    clinic: Clinic, supervisor: User, access_of: Callable[[User], ClinicAccess]
) -> None:
    case = queued(clinic, days=12, msm=None)
    case.waiting_since = timezone.now()
    case.save(update_fields=["waiting_since"])
    [row] = impasse_queue(access=access_of(supervisor))
    assert row.days_waiting == 12


def test_the_queue_shows_every_open_safety_alert(
    clinic: Clinic, supervisor: User, access_of: Callable[[User], ClinicAccess]
) -> None:
    case = queued(clinic, days=1, msm=None)
    ScaleAdministrationFactory(episode=case.episode, scale="HAMD17", items={"3": 2})
    ScaleAdministrationFactory(episode=case.episode, scale="PHQ9", items={"9": 2})
    [row] = impasse_queue(access=access_of(supervisor))
    assert len(row.safety_alerts) == 2
