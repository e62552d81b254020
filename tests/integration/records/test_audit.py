"""The audit trail is append-only, written in the same transaction as the change it records."""

import importlib
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from records.models import AuditAction, AuditEvent, TreatmentTrial
from records.selectors import patient_change_history
from records.services import TrialInput, patient_record_opened, trial_record, trial_update
from tests.factories import TrialFactory, builtin_agent
from tests.two_factor import verified_login

from .conftest import ONSET

FAIL_AUDIT_INSERTS = """
CREATE FUNCTION test_refuse_audit_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit insert refused for the test'; END; $$;
CREATE TRIGGER test_refuse_audit_insert BEFORE INSERT ON records_auditevent
    FOR EACH ROW EXECUTE FUNCTION test_refuse_audit_insert();
"""


def an_event(clinic_id: int = 1) -> AuditEvent:
    return AuditEvent.objects.create(
        action=AuditAction.VIEW,
        object_type="patient",
        object_id=1,
        patient_id=1,
        clinic_id=clinic_id,
    )


def test_audit_rows_cannot_be_updated(db):
    event = an_event()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor_username="someone else")
    event.action = AuditAction.UPDATE
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.VIEW


def test_audit_rows_cannot_be_deleted(db):
    event = an_event()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM records_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_append_only_migration_can_be_reversed_and_reapplied(db):
    migration = importlib.import_module("records.migrations.0003_audit_append_only")
    event = an_event()
    with connection.cursor() as cursor:
        cursor.execute(migration.REMOVE_APPEND_ONLY)
        AuditEvent.objects.filter(pk=event.pk).update(actor_username="changed")
        cursor.execute(migration.APPEND_ONLY)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_audit_table_has_no_foreign_keys(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "records_auditevent")
    assert not [name for name, details in constraints.items() if details["foreign_key"]]


def test_a_failed_audit_write_rolls_the_change_back(episode, psychiatrist):
    trial = TrialFactory(episode=episode, dose_mg_per_day=Decimal(100))
    with connection.cursor() as cursor:
        cursor.execute(FAIL_AUDIT_INSERTS)

    with pytest.raises(DatabaseError, match="audit insert refused"):
        trial_update(
            acting_user=psychiatrist,
            trial_id=trial.pk,
            expected_version=1,
            data=TrialInput(
                kind=trial.kind,
                start_date=trial.start_date,
                agent=trial.agent,
                dose_mg_per_day=Decimal(150),
            ),
        )
    with pytest.raises(DatabaseError, match="audit insert refused"):
        trial_record(
            acting_user=psychiatrist,
            episode_id=episode.pk,
            data=TrialInput(
                kind="antidepressant",
                start_date=ONSET,
                agent=builtin_agent("escitalopram"),
                dose_mg_per_day=Decimal(10),
            ),
        )

    trial.refresh_from_db()
    assert (trial.dose_mg_per_day, trial.version) == (Decimal(100), 1)
    assert list(TreatmentTrial.objects.all()) == [trial]


def test_change_history_lists_a_patients_changes_newest_first(
    patient, episode, psychiatrist, clinic_admin, access_of
):
    trial = TrialFactory(episode=episode)
    data = TrialInput(kind=trial.kind, start_date=trial.start_date, agent=trial.agent)
    trial_update(acting_user=psychiatrist, trial_id=trial.pk, expected_version=1, data=data)
    patient_record_opened(access=access_of(psychiatrist), patient=patient)

    # The episode is over 24 months old, so the same change also flags an impasse case.
    changes = list(patient_change_history(access=access_of(psychiatrist), patient_id=patient.pk))
    assert [(event.object_type, event.action) for event in changes] == [
        ("impasse_case", AuditAction.CREATE),
        ("trial", AuditAction.UPDATE),
    ]

    everything = patient_change_history(
        access=access_of(clinic_admin), patient_id=patient.pk, include_access=True
    )
    assert [event.action for event in everything] == [
        AuditAction.VIEW,
        AuditAction.CREATE,
        AuditAction.UPDATE,
    ]


def test_reading_who_opened_a_record_needs_the_audit_permission(patient, psychiatrist, access_of):
    with pytest.raises(PermissionDenied):
        patient_change_history(
            access=access_of(psychiatrist), patient_id=patient.pk, include_access=True
        )


def test_audit_admin_is_read_only_even_for_a_superuser(
    client, clinic, clinic_admin, django_user_model
):
    event = an_event(clinic.pk)
    root = django_user_model.objects.create_superuser("root", password="x" * 16)
    verified_login(client, clinic_admin)
    assert client.get(reverse("admin:records_auditevent_changelist")).status_code == 403
    verified_login(client, root)
    assert client.get(reverse("admin:records_auditevent_add")).status_code == 403
    page = client.get(reverse("admin:records_auditevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert page.context["has_delete_permission"] is False
    delete = reverse("admin:records_auditevent_delete", args=[event.pk])
    assert client.post(delete).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
