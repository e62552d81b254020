"""Legal erasure: a clinic admin erases a patient with password and reason; the audit trail keeps
a skeleton and one erasure event without clinical content; every other change stays refused."""

import datetime
import hashlib
import json

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.http import Http404
from django.urls import reverse

from pseudoresistance.models import ImpasseCase, ImpasseReview, StatusConfirmation
from pseudoresistance.selectors import episode_assessment
from pseudoresistance.services import (
    checklist_status_confirm,
    impasse_case_flag,
    impasse_review_start,
)
from records.models import (
    AuditAction,
    AuditEvent,
    Episode,
    Patient,
    Role,
    ScaleAdministration,
    TreatmentTrial,
)
from records.services import EpisodeInput, PatientInput, episode_create, patient_create
from records.services.erasure import ERASURE_SETTING, ErasureReason, patient_erase
from tests.factories import ScaleAdministrationFactory, TrialFactory, recent_onset
from tests.factories.clinic import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

NAME = "Zebedee-Quartermaine"
BLANK = "UPDATE records_auditevent SET changes = '{}'::jsonb WHERE id = %s"


@pytest.fixture
def full_record(clinic, psychiatrist, supervisor):
    """A patient with every kind of row erasure removes, written through the services."""
    patient = patient_create(
        acting_user=psychiatrist,
        clinic=clinic,
        data=PatientInput(
            record_number="ER-77",
            family_name=NAME,
            given_name="Ida",
            date_of_birth=datetime.date(1970, 1, 2),
        ),
    )
    episode = episode_create(
        acting_user=psychiatrist,
        patient_id=patient.pk,
        # Recent, so no criterion flags it before the clinician does.
        data=EpisodeInput(onset_date=recent_onset()),
    )
    first = TrialFactory(episode=episode)
    TrialFactory(episode=episode, kind="augmentation", augments=first)
    ScaleAdministrationFactory(episode=episode)
    case = impasse_case_flag(
        acting_user=psychiatrist, episode_id=episode.pk, reason=f"{NAME} has not remitted"
    )
    impasse_review_start(acting_user=supervisor, case_id=case.pk)
    status = episode_assessment(episode).status.text
    checklist_status_confirm(acting_user=psychiatrist, episode_id=episode.pk, status_text=status)
    return patient


def content(events) -> str:
    return json.dumps([event.changes for event in events])


def test_erasure_removes_every_clinical_row_and_the_values_in_the_trail(
    clinic, clinic_admin, full_record
):
    patient_id = full_record.pk
    assert NAME in content(AuditEvent.objects.filter(patient_id=patient_id))
    events_before = AuditEvent.objects.filter(patient_id=patient_id).count()
    erasure = patient_erase(
        acting_user=clinic_admin,
        patient_id=patient_id,
        reason=ErasureReason.DATA_SUBJECT_REQUEST,
    )
    assert not Patient.objects.filter(pk=patient_id).exists()
    assert not Episode.objects.filter(patient_id=patient_id).exists()
    assert not TreatmentTrial.objects.filter(episode__patient_id=patient_id).exists()
    assert not ScaleAdministration.objects.filter(episode__patient_id=patient_id).exists()
    assert not ImpasseCase.objects.filter(patient_id=patient_id).exists()
    assert not ImpasseReview.objects.exists()
    assert not StatusConfirmation.objects.exists()
    trail = AuditEvent.objects.filter(patient_id=patient_id).exclude(pk=erasure.pk)
    # The skeleton stays (who, when, what kind of act); the values are gone.
    assert trail.count() == events_before
    assert all(event.changes == {} for event in trail)
    assert NAME not in content(AuditEvent.objects.all())
    assert "ER-77" not in content(AuditEvent.objects.all())
    assert (erasure.action, erasure.object_type, erasure.actor_id) == (
        AuditAction.DELETE,
        "patient",
        clinic_admin.pk,
    )
    expected_hash = hashlib.sha256(f"{clinic.pk}:ER-77".encode()).hexdigest()
    assert erasure.changes["record_number_sha256"] == [None, expected_hash]
    assert erasure.changes["erasure_reason"] == [None, ErasureReason.DATA_SUBJECT_REQUEST.label]
    assert erasure.changes["erased_trials"] == [None, "2"]
    assert erasure.changes["erased_episodes"] == [None, "1"]
    assert erasure.changes["erased_impasse_cases"] == [None, "1"]
    assert erasure.changes["erased_impasse_reviews"] == [None, "1"]
    assert erasure.changes["erased_audit_events_blanked"] == [None, str(events_before)]


def test_erasure_leaves_other_patients_and_their_trail_alone(
    clinic, psychiatrist, clinic_admin, full_record
):
    other = patient_create(
        acting_user=psychiatrist,
        clinic=clinic,
        data=PatientInput(
            record_number="KEEP-1",
            family_name="Keeper",
            given_name="Kim",
            date_of_birth=datetime.date(1981, 3, 4),
        ),
    )
    patient_erase(
        acting_user=clinic_admin, patient_id=full_record.pk, reason=ErasureReason.LEGAL_ORDER
    )
    assert Patient.objects.filter(pk=other.pk).exists()
    assert "Keeper" in content(AuditEvent.objects.filter(patient_id=other.pk))


@pytest.mark.parametrize("role", [Role.PSYCHIATRIST, Role.SUPERVISOR])
def test_only_a_clinic_admin_may_erase(member, full_record, role):
    with pytest.raises(Exception, match="does not allow"):
        patient_erase(
            acting_user=member(role),
            patient_id=full_record.pk,
            reason=ErasureReason.WRONG_PERSON,
        )
    assert Patient.objects.filter(pk=full_record.pk).exists()


def test_an_admin_of_another_clinic_gets_404(member, other_clinic, full_record):
    with pytest.raises(Http404):
        patient_erase(
            acting_user=member(Role.CLINIC_ADMIN, in_clinic=other_clinic),
            patient_id=full_record.pk,
            reason=ErasureReason.WRONG_PERSON,
        )


def test_the_setting_does_not_outlive_the_erasure(clinic_admin, full_record):
    patient_erase(
        acting_user=clinic_admin, patient_id=full_record.pk, reason=ErasureReason.LEGAL_ORDER
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [ERASURE_SETTING])
        assert cursor.fetchone()[0] in (None, "")


def raw(sql: str, params: list[object]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def while_erasing(patient_id: object, sql: str, pk: int) -> None:
    """Run one statement in a transaction that holds the erasure setting for a patient."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [ERASURE_SETTING, str(patient_id)])
        cursor.execute(sql, [pk])


def test_without_the_setting_audit_rows_cannot_be_updated_or_deleted(full_record):
    event = AuditEvent.objects.filter(patient_id=full_record.pk).first()
    for sql in (
        "UPDATE records_auditevent SET changes = '{}'::jsonb WHERE id = %s",
        "UPDATE records_auditevent SET actor_username = 'someone' WHERE id = %s",
        "DELETE FROM records_auditevent WHERE id = %s",
    ):
        with pytest.raises(IntegrityError, match="append-only"):
            raw(sql, [event.pk])


def test_during_an_erasure_only_blanking_that_patients_values_is_allowed(
    clinic, psychiatrist, full_record
):
    other = patient_create(
        acting_user=psychiatrist,
        clinic=clinic,
        data=PatientInput(
            record_number="KEEP-2",
            family_name="Other",
            given_name="Olu",
            date_of_birth=datetime.date(1990, 5, 6),
        ),
    )
    own = AuditEvent.objects.filter(patient_id=full_record.pk).first()
    theirs = AuditEvent.objects.filter(patient_id=other.pk).first()
    refused = [
        # another patient's events
        ("UPDATE records_auditevent SET changes = '{}'::jsonb WHERE id = %s", theirs.pk),
        # anything but blanking the values
        ("UPDATE records_auditevent SET actor_username = 'x' WHERE id = %s", own.pk),
        ("UPDATE records_auditevent SET changes = '{\"a\": 1}'::jsonb WHERE id = %s", own.pk),
        (
            "UPDATE records_auditevent SET changes = '{}'::jsonb, occurred_at = now() "
            "WHERE id = %s",
            own.pk,
        ),
        # deletion, ever
        ("DELETE FROM records_auditevent WHERE id = %s", own.pk),
    ]
    for sql, pk in refused:
        with pytest.raises(DatabaseError, match="append-only"):
            while_erasing(full_record.pk, sql, pk)
    while_erasing(full_record.pk, BLANK, own.pk)
    own.refresh_from_db()
    assert own.changes == {}


def test_a_malformed_setting_blanks_nothing(full_record):
    own = AuditEvent.objects.filter(patient_id=full_record.pk).first()
    with pytest.raises(DatabaseError, match="append-only"):
        while_erasing(f"{full_record.pk} OR 1=1", BLANK, own.pk)


def erase_url(patient):
    return reverse("records:patient-erase", args=[patient.pk])


def test_the_confirmation_page_erases_with_record_number_reason_and_password(
    signed_in, clinic_admin, full_record
):
    client = signed_in(clinic_admin)
    page = client.get(erase_url(full_record))
    assert page.status_code == 200
    assert set(page.context["form"].fields) == {"record_number", "reason", "password"}
    data = {"record_number": "ER-77", "reason": ErasureReason.WRONG_PERSON}
    for wrong in (
        {**data, "record_number": "ER-78", "password": DEFAULT_PASSWORD},
        {**data, "reason": "", "password": DEFAULT_PASSWORD},
        {**data, "password": "wrong"},
    ):
        response = client.post(erase_url(full_record), wrong)
        assert response.status_code == 200
        assert response.context["form"].errors
        assert Patient.objects.filter(pk=full_record.pk).exists()
    response = client.post(
        erase_url(full_record), {**data, "password": DEFAULT_PASSWORD}, follow=True
    )
    assert response.redirect_chain == [(reverse("records:audit-log"), 302)]
    assert not Patient.objects.filter(pk=full_record.pk).exists()
    # The audit log's front page lists the erasure, without the record's content.
    [(event, summary)] = response.context["erasures"]
    assert event.actor_id == clinic_admin.pk
    assert "Record created for the wrong person or in error" in summary
    assert "ER-77" not in response.content.decode()


@pytest.mark.parametrize("role", [Role.PSYCHIATRIST, Role.SUPERVISOR])
def test_the_confirmation_page_refuses_other_roles(signed_in, member, full_record, role):
    client = signed_in(member(role))
    assert client.get(erase_url(full_record)).status_code == 403
    response = client.post(
        erase_url(full_record),
        {"record_number": "ER-77", "reason": "legal_order", "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 403
    assert Patient.objects.filter(pk=full_record.pk).exists()


def test_the_confirmation_page_of_another_clinic_is_404(
    signed_in, member, other_clinic, full_record
):
    client = signed_in(member(Role.CLINIC_ADMIN, in_clinic=other_clinic))
    assert client.get(erase_url(full_record)).status_code == 404
    assert client.post(erase_url(full_record), {}).status_code == 404
