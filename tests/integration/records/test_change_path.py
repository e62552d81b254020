"""records' one change path tells the listeners every episode of the patients, locked first."""

import threading

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction

from records import extensions
from records.extensions import EpisodeChange
from records.models import Clinic, Episode, Patient
from records.services.changes import episode_changed
from tests.factories import EpisodeFactory, PatientFactory


def _later(episode: Episode) -> Episode:
    """Close the episode and give its patient a later one."""
    episode.end_date = episode.onset_date.replace(year=episode.onset_date.year + 1)
    episode.save(update_fields=["end_date"])
    return EpisodeFactory(
        patient=episode.patient, onset_date=episode.end_date.replace(year=episode.end_date.year + 1)
    )


def _told(monkeypatch: pytest.MonkeyPatch) -> list[EpisodeChange]:
    """Make a list of the changes told to the listeners the only listener."""
    told: list[EpisodeChange] = []
    monkeypatch.setattr(extensions, "_episode_change_listeners", [told.append])
    return told


def test_a_change_tells_every_episode_of_its_patients_with_the_patients(
    clinic: Clinic, episode: Episode, psychiatrist: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = _later(episode)
    other = EpisodeFactory(patient=PatientFactory(clinic=clinic))
    untouched = EpisodeFactory(patient=PatientFactory(clinic=clinic))
    told = _told(monkeypatch)

    ids = episode_changed(episode_ids=[later.pk, other.pk, later.pk], acting_user=psychiatrist)

    [change] = told
    patients = sorted([episode.patient_id, other.patient_id])
    expected = tuple(
        Episode.objects.filter(patient_id__in=patients)
        .order_by("patient_id", "pk")
        .values_list("pk", flat=True)
    )
    assert ids == change.episode_ids == expected
    assert set(expected) == {episode.pk, later.pk, other.pk}
    assert untouched.pk not in expected
    assert change.patient_ids == tuple(patients)
    assert change.acting_user == psychiatrist


def test_a_change_of_no_episode_tells_no_listener(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    told = _told(monkeypatch)
    assert episode_changed(episode_ids=[], acting_user=None) == ()
    assert episode_changed(episode_ids=[0], acting_user=None) == ()
    assert told == []


# Transactional, as the other such tests: the rows they restore afterwards are the migrated ones.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("reference_data")
def test_the_patients_are_locked_before_any_listener_runs(
    clinic: Clinic, episode: Episode, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A scheduled restage: no service locked the patient before the change path.
    other = PatientFactory(clinic=clinic)
    lockable: dict[int, bool] = {}

    def try_locks() -> None:
        for patient_id in (episode.patient_id, other.pk):
            try:
                with transaction.atomic():
                    list(Patient.objects.select_for_update(nowait=True).filter(pk=patient_id))
                lockable[patient_id] = True
            except DatabaseError:
                lockable[patient_id] = False
        connection.close()

    def listener(change: EpisodeChange) -> None:
        thread = threading.Thread(target=try_locks)
        thread.start()
        thread.join()

    monkeypatch.setattr(extensions, "_episode_change_listeners", [listener])
    with transaction.atomic():
        episode_changed(episode_ids=[episode.pk], acting_user=None)
    assert lockable == {episode.patient_id: False, other.pk: True}
