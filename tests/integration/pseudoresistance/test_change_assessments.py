"""Restage's compact assessment equals the pages' assessment and the single-change path (issue 18).

The change listeners (impasse flags, staging snapshots) assess episodes from `values_list` rows
(pseudoresistance/change_assessments.py); the pages from model instances
(`selectors.episode_assessment`). Over random bench histories, with later episodes, earlier
episodes' trials, own staging parameters and random stored answers, the two must agree field by
field; and a clinic restaged in batches must end with the snapshots and impasse cases that the
same clinic gets when each episode is changed on its own.
"""

import datetime
import random
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User

from bench.clinic import load_clinic, plan_clinic
from cohort.models import EpisodeSnapshot
from cohort.services import SNAPSHOT_FIELDS, snapshots_restage
from pseudoresistance.change_assessments import change_assessments_of
from pseudoresistance.models import ImpasseCase
from pseudoresistance.selectors import episode_assessment
from records.models import Clinic, Episode, TreatmentTrial
from records.services.changes import episode_changed
from tests.factories import ClinicFactory, EpisodeFactory, TrialFactory
from tests.integration.pseudoresistance.test_assessment_equivalence import _answer_at_random
from tests.unit.pseudoresistance.test_status_equivalence import assert_same_report

PATIENTS = 14


def _clinic_histories(clinic: Clinic, user: User, seed: int) -> list[Episode]:
    """Load random histories; give some patients a later episode, own parameters, answers."""
    load_clinic(plan_clinic(PATIENTS, seed), clinic, user)
    rng = random.Random(seed)
    for episode in list(Episode.objects.filter(patient__clinic=clinic).order_by("pk")):
        if rng.random() < 0.4:
            last = max(trial.start_date for trial in episode.trials.all())
            episode.end_date = last + datetime.timedelta(days=120)
            episode.save(update_fields=["end_date"])
            later = EpisodeFactory(
                patient=episode.patient,
                onset_date=episode.end_date + datetime.timedelta(days=30),
                psychotic_features=rng.random() < 0.3,
                staging_parameters={"ad_min_weeks": 8} if rng.random() < 0.5 else {},
            )
            TrialFactory(episode=later, code="T1", seq=1, reason_stopped="adverse_effects")
            TrialFactory(
                episode=later,
                code="T2",
                seq=2,
                weeks=Decimal(3),
                in_previous_episode=rng.random() < 0.5,
            )
            # A titrated course: its steps are the one JSON the compact rows decode themselves.
            TrialFactory(
                episode=later,
                code="T3",
                seq=3,
                start_date=later.onset_date + datetime.timedelta(days=14),
                end_date=later.onset_date + datetime.timedelta(days=14 + 7 * 12),
                dose_mg_per_day=None,
                weeks=None,
                dose_steps=[
                    {"dose_mg_per_day": "50"},
                    {"dose_mg_per_day": "150", "weeks": "8"},
                ],
            )
    episodes = list(Episode.objects.filter(patient__clinic=clinic).order_by("pk"))
    for episode in episodes:
        if rng.random() < 0.7:
            _answer_at_random(episode, rng, user)
    return episodes


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compact_assessment_equals_the_pages_assessment(
    clinic: Clinic, psychiatrist: User, seed: int
) -> None:
    episodes = _clinic_histories(clinic, psychiatrist, seed)
    compact = change_assessments_of([episode.pk for episode in episodes])
    assert set(compact) == {episode.pk for episode in episodes}
    for episode in episodes:
        full = episode_assessment(
            Episode.objects.select_related("patient__clinic__staging_defaults").get(pk=episode.pk)
        )
        mine = compact[episode.pk]
        assert mine.assessment_date == full.assessment_date
        assert mine.params == full.params
        assert mine.history == full.history
        assert_same_report(mine.status, full.status)
        assert mine.results == full.results
        assert mine.results_after_checklist == full.results_after_checklist
        assert mine.criteria == full.criteria
        assert mine.msm_score == full.msm_score


def _snapshots(clinic: Clinic) -> dict[tuple[str, datetime.date], dict[str, Any]]:
    fields = [name for name in SNAPSHOT_FIELDS if name not in {"clinic", "computed_at"}]
    return {
        (row.pop("episode__patient__record_number"), row.pop("episode__onset_date")): row
        for row in EpisodeSnapshot.objects.filter(clinic=clinic).values(
            "episode__patient__record_number", "episode__onset_date", *fields
        )
    }


def _cases(clinic: Clinic) -> dict[tuple[str, datetime.date], tuple[Any, ...]]:
    return {
        (case.patient.record_number, case.episode.onset_date): (
            case.state,
            case.origin,
            case.criteria,
            case.msm_score,
        )
        for case in ImpasseCase.objects.filter(patient__clinic=clinic).select_related(
            "patient", "episode"
        )
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_restage_in_batches_ends_as_changing_each_episode_alone(
    clinic: Clinic, psychiatrist: User, seed: int
) -> None:
    _clinic_histories(clinic, psychiatrist, seed)
    alone = ClinicFactory(name="Each episode alone")
    episodes = _clinic_histories(alone, psychiatrist, seed)
    assert TreatmentTrial.objects.filter(episode__patient__clinic=alone).exists()

    assert snapshots_restage(clinic=clinic, batch_size=7) == len(episodes)
    for episode in episodes:
        episode_changed(episode_ids=[episode.pk], acting_user=None)

    batched = _snapshots(clinic)
    assert len(batched) == len(episodes)
    assert batched == _snapshots(alone)
    assert _cases(clinic) == _cases(alone)
    assert _cases(clinic), "the random histories flag some episodes"
