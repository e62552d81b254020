"""Patient services: created and changed with an audit trail, duplicates named, access logged."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from records.models import AuditAction, AuditEvent, Diagnosis, Patient, Sex
from records.services import (
    PatientInput,
    StaleEditError,
    patient_create,
    patient_record_opened,
    patient_update,
)
from tests.factories import PatientFactory


def details(**changes: object) -> PatientInput:
    values: dict[str, object] = {
        "record_number": "RN-100",
        "family_name": "Okoye",
        "given_name": "Ada",
        "date_of_birth": datetime.date(1985, 2, 3),
        "sex": Sex.FEMALE,
        "diagnosis": Diagnosis.MDD,
    }
    values.update(changes)
    return PatientInput(**values)  # type: ignore[arg-type]


def test_patient_create_saves_and_audits(clinic, psychiatrist):
    patient = patient_create(
        acting_user=psychiatrist, clinic=clinic, data=details(psychiatrist=psychiatrist)
    )
    assert Patient.objects.get(pk=patient.pk).record_number == "RN-100"
    [event] = AuditEvent.objects.filter(object_type="patient", object_id=patient.pk)
    assert (event.action, event.actor_username) == (AuditAction.CREATE, psychiatrist.username)
    assert event.changes["diagnosis"] == [None, "Major depressive disorder"]
    assert event.changes["psychiatrist"] == [None, psychiatrist.username]


def test_duplicate_record_number_is_a_field_error_not_an_integrity_error(clinic, psychiatrist):
    PatientFactory(clinic=clinic, record_number="RN-100")
    with pytest.raises(ValidationError) as refused:
        patient_create(acting_user=psychiatrist, clinic=clinic, data=details())
    assert refused.value.message_dict["record_number"] == [
        "Another patient of this clinic already has record number RN-100."
    ]
    assert Patient.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_the_same_record_number_may_exist_in_another_clinic(clinic, other_clinic, psychiatrist):
    PatientFactory(clinic=other_clinic, record_number="RN-100")
    patient_create(acting_user=psychiatrist, clinic=clinic, data=details())
    assert Patient.objects.filter(record_number="RN-100").count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date_of_birth": timezone.localdate() + datetime.timedelta(days=1)}, "date_of_birth"),
        ({"record_number": ""}, "record_number"),
        ({"diagnosis": "depression"}, "diagnosis"),
    ],
)
def test_bad_patient_input_names_the_field(clinic, psychiatrist, changes, field):
    with pytest.raises(ValidationError) as refused:
        patient_create(acting_user=psychiatrist, clinic=clinic, data=details(**changes))
    assert field in refused.value.message_dict
    assert not Patient.objects.exists()


def test_responsible_psychiatrist_must_be_a_psychiatrist_of_the_clinic(
    clinic, psychiatrist, stranger, supervisor
):
    for outsider in (stranger, supervisor):
        with pytest.raises(ValidationError) as refused:
            patient_create(
                acting_user=psychiatrist, clinic=clinic, data=details(psychiatrist=outsider)
            )
        assert "psychiatrist" in refused.value.message_dict


def test_patient_update_audits_old_and_new_and_refuses_a_stale_edit(clinic, psychiatrist):
    patient = patient_create(acting_user=psychiatrist, clinic=clinic, data=details())
    patient_update(
        acting_user=psychiatrist,
        patient_id=patient.pk,
        expected_version=1,
        data=details(diagnosis=Diagnosis.MDD_BIPOLARITY_SUSPECTED),
    )
    event = AuditEvent.objects.filter(object_id=patient.pk, object_type="patient").latest("id")
    assert event.changes == {
        "diagnosis": ["Major depressive disorder", "MDD, bipolarity suspected"]
    }
    with pytest.raises(StaleEditError, match="diagnosis Major depressive disorder"):
        patient_update(
            acting_user=psychiatrist,
            patient_id=patient.pk,
            expected_version=1,
            data=details(family_name="Changed"),
        )
    assert Patient.objects.get(pk=patient.pk).family_name == "Okoye"


def test_opening_a_record_is_logged_as_a_view(patient, supervisor, access_of):
    patient_record_opened(access=access_of(supervisor), patient=patient)
    [event] = AuditEvent.objects.filter(action=AuditAction.VIEW)
    assert (event.patient_id, event.actor_id, event.changes) == (patient.pk, supervisor.pk, {})


def test_user_of_another_clinic_gets_404(patient, stranger, access_of):
    with pytest.raises(Http404):
        patient_record_opened(access=access_of(stranger), patient=patient)
    with pytest.raises(Http404):
        patient_update(
            acting_user=stranger, patient_id=patient.pk, expected_version=1, data=details()
        )
    assert not AuditEvent.objects.exists()


def test_role_without_the_edit_permission_gets_permission_denied(clinic, patient, clinic_admin):
    with pytest.raises(PermissionDenied):
        patient_create(acting_user=clinic_admin, clinic=clinic, data=details())
    with pytest.raises(PermissionDenied):
        patient_update(
            acting_user=clinic_admin, patient_id=patient.pk, expected_version=1, data=details()
        )
    assert Patient.objects.count() == 1
