"""Episode services: one current episode per patient, versions, field-named errors."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from records.models import AuditAction, AuditEvent, Episode
from records.services import EpisodeInput, StaleEditError, episode_create, episode_update
from tests.factories import TrialFactory

from .conftest import ONSET


def onset(**changes: object) -> EpisodeInput:
    values: dict[str, object] = {
        "onset_date": ONSET,
        "baseline_scale": "HAMD17",
        "baseline_score": Decimal(22),
        "functional_impairment": "moderate",
    }
    values.update(changes)
    return EpisodeInput(**values)  # type: ignore[arg-type]


def test_episode_create_saves_and_audits(patient, psychiatrist):
    episode = episode_create(acting_user=psychiatrist, patient_id=patient.pk, data=onset())
    assert episode.is_current
    [event] = AuditEvent.objects.filter(object_type="episode", object_id=episode.pk)
    assert event.action == AuditAction.CREATE
    assert event.changes["onset_date"] == [None, ONSET.isoformat()]
    assert event.changes["baseline_scale"] == [None, "HAM-D17"]
    assert event.changes["functional_impairment"] == [None, "Moderate"]
    assert "comorbid_anxiety" not in event.changes  # not recorded


def test_second_current_episode_is_refused(patient, psychiatrist):
    episode_create(acting_user=psychiatrist, patient_id=patient.pk, data=onset())
    with pytest.raises(ValidationError) as refused:
        episode_create(
            acting_user=psychiatrist,
            patient_id=patient.pk,
            data=onset(onset_date=ONSET.replace(year=2020)),
        )
    assert "end_date" in refused.value.message_dict
    ended = episode_create(
        acting_user=psychiatrist,
        patient_id=patient.pk,
        data=onset(onset_date=ONSET.replace(year=2020), end_date=ONSET.replace(year=2021)),
    )
    assert not ended.is_current


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end_date": ONSET - datetime.timedelta(days=1)}, "end_date"),
        ({"onset_date": timezone.localdate() + datetime.timedelta(days=1)}, "onset_date"),
        ({"baseline_score": Decimal(53)}, "baseline_score"),
        ({"baseline_score": Decimal("20.5")}, "baseline_score"),
        ({"baseline_scale": ""}, "baseline_scale"),
        ({"functional_impairment": "extreme"}, "functional_impairment"),
    ],
)
def test_bad_episode_input_names_the_field_and_writes_nothing(
    patient, psychiatrist, changes, field
):
    with pytest.raises(ValidationError) as refused:
        episode_create(acting_user=psychiatrist, patient_id=patient.pk, data=onset(**changes))
    assert field in refused.value.message_dict
    assert not Episode.objects.exists()
    assert not AuditEvent.objects.exists()


def test_onset_moved_after_a_trial_start_is_refused(episode, psychiatrist):
    TrialFactory(episode=episode, code="T1", start_date=ONSET + datetime.timedelta(days=3))
    with pytest.raises(ValidationError) as refused:
        episode_update(
            acting_user=psychiatrist,
            episode_id=episode.pk,
            expected_version=1,
            data=onset(onset_date=ONSET + datetime.timedelta(days=10)),
        )
    assert "T1 started before this onset" in refused.value.message_dict["onset_date"][0]


def test_episode_update_audits_and_refuses_a_stale_edit(episode, psychiatrist, member):
    colleague = member()
    episode_update(
        acting_user=colleague,
        episode_id=episode.pk,
        expected_version=1,
        data=onset(comorbid_anxiety="present"),
    )
    with pytest.raises(StaleEditError) as refused:
        episode_update(
            acting_user=psychiatrist,
            episode_id=episode.pk,
            expected_version=1,
            data=onset(psychotic_features=True),
        )
    assert "comorbid anxiety — → Present" in refused.value.messages[0]
    assert colleague.username in refused.value.messages[0]
    episode.refresh_from_db()
    assert (episode.psychotic_features, episode.version) == (False, 2)


def test_user_of_another_clinic_gets_404_and_other_roles_403(
    patient, episode, stranger, supervisor
):
    with pytest.raises(Http404):
        episode_create(acting_user=stranger, patient_id=patient.pk, data=onset())
    with pytest.raises(Http404):
        episode_update(
            acting_user=stranger, episode_id=episode.pk, expected_version=1, data=onset()
        )
    with pytest.raises(PermissionDenied):
        episode_update(
            acting_user=supervisor, episode_id=episode.pk, expected_version=1, data=onset()
        )
