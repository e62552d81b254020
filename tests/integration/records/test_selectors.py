"""Selectors: the patient page in a constant number of queries; search filters; scoping."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from records.access import ClinicAccess, access_for_user
from records.models import TreatmentTrial
from records.selectors import patient_detail, patient_search
from tests.factories import (
    EpisodeFactory,
    PatientFactory,
    ScaleAdministrationFactory,
    TrialFactory,
    builtin_agent,
)

from .conftest import ONSET

# patient, episodes, trials (with agent and override author), scale scores.
PATIENT_DETAIL_QUERIES = 4
AGENTS = ("sertraline", "escitalopram", "venlafaxine", "bupropion", "mirtazapine")


def many_trials(episode, count: int) -> None:
    """Record antidepressant trials, every third with an augmentation added to it."""
    for n in range(count):
        added = n % 3 == 2
        TrialFactory(
            episode=episode,
            code=f"T{n + 1}",
            seq=n + 1,
            kind="augmentation" if added else "antidepressant",
            agent=builtin_agent("aripiprazole" if added else AGENTS[n % len(AGENTS)]),
            dose_mg_per_day=Decimal(5 if added else 100),
            augments=TreatmentTrial.objects.get(episode=episode, seq=n) if added else None,
            start_date=ONSET + datetime.timedelta(days=n),
        )
    for n in range(min(count, 10)):
        ScaleAdministrationFactory(
            episode=episode,
            administered_on=ONSET + datetime.timedelta(days=n),
            total=Decimal(20 - n),
        )


@pytest.mark.parametrize("count", [2, 60])
def test_patient_detail_takes_the_same_queries_for_2_and_60_trials(
    episode, psychiatrist, access_of, django_assert_max_num_queries, count
):
    many_trials(episode, count)
    access = access_of(psychiatrist)
    with django_assert_max_num_queries(PATIENT_DETAIL_QUERIES):
        detail = patient_detail(access=access, patient_id=episode.patient_id)
        results = detail.staging()
        # What the page reads from each row must not query again.
        shown = [
            (
                row.trial.agent_label,
                row.trial.class_label,
                row.trial.augments,
                row.trial.override_by,
                row.trial.updated_by,
                row.trial.episode.onset_date,
                row.adequate,
                row.assessment.reasons,
            )
            for row in detail.trials
        ]
        scores = [(row.band, row.change, row.safety_alert) for row in detail.scales]
    assert len(shown) == count
    assert scores
    assert len(detail.trials) == count
    assert set(results) >= {"thase_rush", "msm", "fda"}


def test_patient_detail_shows_trials_in_date_order_with_scores_and_alerts(
    episode, psychiatrist, access_of
):
    TrialFactory(episode=episode, code="T2", seq=2, start_date=ONSET + datetime.timedelta(days=90))
    TrialFactory(episode=episode, code="T1", seq=1, start_date=ONSET + datetime.timedelta(days=10))
    ScaleAdministrationFactory(episode=episode, administered_on=ONSET, total=Decimal(24))
    ScaleAdministrationFactory(
        episode=episode, administered_on=ONSET + datetime.timedelta(days=60), total=Decimal(12)
    )
    ScaleAdministrationFactory(
        episode=episode,
        scale="PHQ9",
        administered_on=ONSET + datetime.timedelta(days=61),
        total=None,
        items={str(n): 1 for n in range(1, 10)},
    )
    ScaleAdministrationFactory(
        episode=episode, administered_on=ONSET + datetime.timedelta(days=120), total=Decimal(6)
    )

    detail = patient_detail(access=access_of(psychiatrist), patient_id=episode.patient_id)

    assert detail.episode == episode
    assert detail.assessment_date == timezone.localdate()
    assert [row.trial.code for row in detail.trials] == ["T1", "T2"]
    assert all(row.current for row in detail.trials)
    hamd = [row for row in detail.scales if row.administration.scale == "HAMD17"]
    assert [row.band for row in hamd] == ["severe", "mild", "no depression"]
    assert hamd[0].change is None
    assert hamd[1].change.percent_change == 50.0
    assert hamd[1].change.category == "response"
    assert [row.in_remission for row in hamd] == [False, False, True]
    [alert] = detail.safety_alerts
    assert alert.administration.scale == "PHQ9"
    assert "item 9" in alert.safety_alert.message


def test_patient_detail_without_an_episode_is_empty_but_shown(psychiatrist, access_of, clinic):
    patient = PatientFactory(clinic=clinic)
    detail = patient_detail(access=access_of(psychiatrist), patient_id=patient.pk)
    assert (detail.episode, detail.trials, detail.history) == (None, (), None)
    assert detail.staging() == {}


def test_ended_episode_is_staged_as_of_its_end(patient, psychiatrist, access_of):
    EpisodeFactory(patient=patient, onset_date=ONSET, end_date=ONSET + datetime.timedelta(days=200))
    detail = patient_detail(access=access_of(psychiatrist), patient_id=patient.pk)
    assert detail.assessment_date == ONSET + datetime.timedelta(days=200)


def test_patient_of_another_clinic_is_404(episode, stranger, member, other_clinic):
    access = access_for_user(stranger, other_clinic.pk)
    with pytest.raises(Http404):
        patient_detail(access=access, patient_id=episode.patient_id)


def test_role_without_view_permission_is_refused(episode, access_of, member):
    access = access_of(member())
    restricted = ClinicAccess(user=access.user, clinic=access.clinic, roles=frozenset(), clinics=())
    with pytest.raises(PermissionDenied):
        patient_detail(access=restricted, patient_id=episode.patient_id)


def test_patient_search_filters_by_psychiatrist_archive_and_an_extra_condition(
    clinic, psychiatrist, member, access_of
):
    colleague = member()
    mine = PatientFactory(clinic=clinic, psychiatrist=psychiatrist, family_name="Mine")
    theirs = PatientFactory(clinic=clinic, psychiatrist=colleague, family_name="Theirs")
    archived = PatientFactory(clinic=clinic, psychiatrist=psychiatrist, archived_at=timezone.now())
    access = access_of(psychiatrist)

    assert set(patient_search(access=access)) == {mine, theirs}
    assert list(patient_search(access=access, psychiatrist_id=psychiatrist.pk)) == [mine]
    assert archived in patient_search(access=access, include_archived=True)
    assert list(patient_search(access=access, where=Q(family_name="Theirs"))) == [theirs]
