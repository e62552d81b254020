"""HIPAA 164.312(b): a clinic admin reviews and exports the audit log of a patient or a user."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from records.models import AuditAction, AuditEvent, Role
from records.services import PatientInput, patient_create, patient_update
from tests.factories import PatientFactory
from tests.factories.clinic import DEFAULT_PASSWORD
from tests.two_factor import verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded_patient(clinic, psychiatrist):
    """A patient created and changed through the services, so the trail holds values."""
    data = PatientInput(
        record_number="RN-42",
        family_name="=HYPERLINK(1)",
        given_name="Ada",
        date_of_birth=datetime.date(1980, 2, 3),
    )
    patient = patient_create(acting_user=psychiatrist, clinic=clinic, data=data)
    patient_update(
        acting_user=psychiatrist,
        patient_id=patient.pk,
        expected_version=1,
        data=PatientInput(**{**data.__dict__, "given_name": "Adaeze"}),
    )
    return patient


def test_clinic_admin_finds_a_patient_by_record_number(signed_in, clinic_admin, recorded_patient):
    client = signed_in(clinic_admin)
    index = client.get(reverse("records:audit-log"))
    assert index.status_code == 200
    response = client.get(reverse("records:audit-log"), {"record_number": "RN-42"})
    assert response.url == reverse("records:audit-log-patient", args=[recorded_patient.pk])
    missing = client.get(reverse("records:audit-log"), {"record_number": "nope"})
    assert "No patient of this clinic has that record number." in missing.content.decode()


def test_patient_log_shows_changes_and_record_access(
    signed_in, clinic_admin, psychiatrist, recorded_patient
):
    signed_in(psychiatrist).get(reverse("records:patient-detail", args=[recorded_patient.pk]))
    response = signed_in(clinic_admin).get(
        reverse("records:audit-log-patient", args=[recorded_patient.pk])
    )
    assert response.status_code == 200
    actions = [(event.actor_id, event.action) for event, _ in response.context["rows"]]
    # The admin's opening of this page is recorded too (defect 5 of issue 13).
    assert actions == [
        (clinic_admin.pk, AuditAction.VIEW),
        (psychiatrist.pk, AuditAction.VIEW),
        (psychiatrist.pk, AuditAction.UPDATE),
        (psychiatrist.pk, AuditAction.CREATE),
    ]
    assert "given name Ada → Adaeze" in response.content.decode()


def test_user_log_shows_what_the_user_did_in_this_clinic_only(
    signed_in, clinic_admin, psychiatrist, recorded_patient, other_clinic
):
    elsewhere = PatientFactory(clinic=other_clinic)
    AuditEvent.objects.create(
        actor_id=psychiatrist.pk,
        actor_username=psychiatrist.username,
        clinic_id=other_clinic.pk,
        patient_id=elsewhere.pk,
        object_type="patient",
        object_id=elsewhere.pk,
        action=AuditAction.VIEW,
    )
    client = signed_in(clinic_admin)
    assert psychiatrist in client.get(reverse("records:audit-log")).context["users"]
    response = client.get(reverse("records:audit-log-user", args=[psychiatrist.pk]))
    assert response.status_code == 200
    events = [event for event, _ in response.context["rows"]]
    assert {event.clinic_id for event in events} == {recorded_patient.clinic_id}
    assert len(events) == 2


def export(client, url, password=DEFAULT_PASSWORD):
    return client.post(url, {"password": password})


def test_export_needs_the_password_and_is_itself_audited(signed_in, clinic_admin, recorded_patient):
    client = signed_in(clinic_admin)
    url = reverse("records:audit-log-patient-export", args=[recorded_patient.pk])
    assert client.get(url).status_code == 200
    refused = export(client, url, "wrong")
    assert refused.context["form"].errors["password"]
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()
    response = export(client, url)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="trdclinic-audit-patient-{recorded_patient.pk}-'
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    # The export page's opening (GET) is in the file; the export's own event is not yet.
    assert [row["action"] for row in rows] == ["view", "update", "create"]
    exported = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert (exported.actor_id, exported.object_type) == (clinic_admin.pk, "audit_log")
    assert exported.patient_id == recorded_patient.pk
    assert exported.changes == {"subject": [None, "patient"], "events": [None, "3"]}


def test_user_export_quotes_formula_cells(signed_in, clinic_admin, clinic, member):
    formula_user = member(Role.PSYCHIATRIST)
    formula_user.username = "=cmd|' /C calc'!A0"
    formula_user.save(update_fields=["username"])
    AuditEvent.objects.create(
        actor_id=formula_user.pk,
        actor_username=formula_user.username,
        clinic_id=clinic.pk,
        object_type="patient",
        object_id=1,
        action=AuditAction.VIEW,
    )
    client = signed_in(clinic_admin)
    response = export(client, reverse("records:audit-log-user-export", args=[formula_user.pk]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["actor_username"] == "'=cmd|' /C calc'!A0"
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, object_id=formula_user.pk, patient_id=None
    ).exists()


def audit_urls(patient_id, user_id):
    return [
        reverse("records:audit-log"),
        reverse("records:audit-log-patient", args=[patient_id]),
        reverse("records:audit-log-patient-export", args=[patient_id]),
        reverse("records:audit-log-user", args=[user_id]),
        reverse("records:audit-log-user-export", args=[user_id]),
    ]


@pytest.mark.parametrize("role", [Role.PSYCHIATRIST, Role.SUPERVISOR])
def test_roles_without_the_audit_permission_get_403(
    signed_in, member, psychiatrist, recorded_patient, role
):
    client = signed_in(member(role))
    for url in audit_urls(recorded_patient.pk, psychiatrist.pk):
        assert client.get(url).status_code == 403
        assert export(client, url).status_code in {403, 405}
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_admin_of_another_clinic_gets_404(
    signed_in, member, other_clinic, recorded_patient, psychiatrist
):
    client = signed_in(member(Role.CLINIC_ADMIN, in_clinic=other_clinic))
    for url in audit_urls(recorded_patient.pk, psychiatrist.pk)[1:]:
        assert client.get(url).status_code == 404
        assert export(client, url).status_code in {404, 405}
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_anonymous_is_sent_to_sign_in(client, recorded_patient, psychiatrist):
    for url in audit_urls(recorded_patient.pk, psychiatrist.pk):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_audit_rows_cannot_be_added_changed_or_deleted_in_the_admin(
    client, clinic_admin, recorded_patient, django_user_model
):
    assert (
        client_of(clinic_admin).get(reverse("admin:records_auditevent_changelist")).status_code
        == 403
    )
    verified_login(client, django_user_model.objects.create_superuser("root", password="x" * 16))
    event = AuditEvent.objects.filter(patient_id=recorded_patient.pk).first()
    listing = client.get(reverse("admin:records_auditevent_changelist"))
    assert listing.status_code == 200
    # No bulk actions at all, so no "delete selected".
    assert listing.context["action_form"] is None
    assert client.get(reverse("admin:records_auditevent_add")).status_code == 403
    change = reverse("admin:records_auditevent_change", args=[event.pk])
    assert client.post(change, {"action": "delete"}).status_code == 403
    delete = reverse("admin:records_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, action=event.action).exists()


def client_of(user):
    from django.test import Client

    other = Client()
    verified_login(other, user)
    return other
