"""The clinic admin's audit log: a patient's or a user's events, on screen and exported as CSV.

HIPAA 164.312(b) (audit controls) and ASVS 7.1.3, 8.3.x: a clinic admin reviews who did what to
a patient's record and what a user did in the clinic; the export itself is audited.
"""

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from records.access import PATIENT_NOT_FOUND_MESSAGE, ClinicAccess, Permission
from records.audit import audit_event_write, describe_changes
from records.models import AuditAction, AuditEvent, Patient
from records.services.accounts import ACCOUNT_OBJECT, MEMBERSHIP_OBJECT
from records.services.clinic_settings import CLINIC_OBJECT
from records.services.common import ObjectType
from records.services.staging_defaults import OBJECT_TYPE as STAGING_DEFAULTS_OBJECT
from records.spreadsheet import spreadsheet_text

USER_NOT_FOUND = "No such user in your clinic."
AUDIT_LOG_OBJECT = "audit_log"
PATIENT_OBJECT = "patient"
CSV_COLUMNS = (
    "occurred_at",
    "actor_username",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "object_version",
    "changes",
)


@dataclass(frozen=True)
class AuditSubject:
    """Whose log it is: a patient of the clinic or one of its users."""

    events: QuerySet[AuditEvent]
    patient: Patient | None = None
    user: User | None = None


def _events(access: ClinicAccess) -> QuerySet[AuditEvent]:
    access.require(Permission.VIEW_AUDIT)
    return AuditEvent.objects.filter(clinic_id=access.clinic.pk).order_by("-occurred_at", "-id")


def audit_log_for_patient(*, access: ClinicAccess, patient_id: int) -> AuditSubject:
    """Return every event about one of the clinic's patients (changes and access), newest first."""
    patient = Patient.objects.filter(pk=patient_id, clinic=access.clinic).first()
    if patient is None:
        raise Http404(PATIENT_NOT_FOUND_MESSAGE)
    return AuditSubject(events=_events(access).filter(patient_id=patient.pk), patient=patient)


def clinic_users(*, access: ClinicAccess) -> QuerySet[User]:
    """Return the users who hold a role in the clinic, by user name."""
    access.require(Permission.VIEW_AUDIT)
    return User.objects.filter(memberships__clinic=access.clinic).distinct().order_by("username")


def audit_log_for_user(*, access: ClinicAccess, user_id: int) -> AuditSubject:
    """Return every event one of the clinic's users caused in the clinic, newest first."""
    user = clinic_users(access=access).filter(pk=user_id).first()
    if user is None:
        raise Http404(USER_NOT_FOUND)
    return AuditSubject(events=_events(access).filter(actor_id=user.pk), user=user)


def clinic_erasures(*, access: ClinicAccess) -> QuerySet[AuditEvent]:
    """Return the clinic's erasure events (patients are never deleted otherwise), newest first."""
    return _events(access).filter(object_type=PATIENT_OBJECT, action=AuditAction.DELETE)


# Events about the clinic's people and settings rather than a patient (issue 13).
ACCOUNT_OBJECTS = (
    ACCOUNT_OBJECT,
    MEMBERSHIP_OBJECT,
    CLINIC_OBJECT,
    ObjectType.AGENT,
    STAGING_DEFAULTS_OBJECT,
)
RECENT_ACCOUNT_EVENTS = 50


def clinic_account_events(*, access: ClinicAccess) -> QuerySet[AuditEvent]:
    """Return the latest changes to the clinic's people and settings, newest first."""
    return _events(access).filter(object_type__in=ACCOUNT_OBJECTS)[:RECENT_ACCOUNT_EVENTS]


def patient_by_record_number(*, access: ClinicAccess, record_number: str) -> Patient | None:
    """Return the clinic's patient with this record number, if any."""
    access.require(Permission.VIEW_AUDIT)
    return Patient.objects.filter(clinic=access.clinic, record_number=record_number.strip()).first()


def change_summary(event: AuditEvent) -> str:
    """Return an event's values as one line: 'dose 100 → 150; adherence — → Good'."""
    changes = event.changes if isinstance(event.changes, dict) else {}
    pairs = {
        name: value if isinstance(value, list) and len(value) == 2 else [None, value]
        for name, value in changes.items()
    }
    return describe_changes(pairs, {})


def _cell(value: object) -> str:
    return spreadsheet_text("" if value is None else str(value))


def audit_log_csv(events: Iterable[AuditEvent]) -> str:
    """Return the events as CSV, one row per event, the values as JSON."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for event in events:
        writer.writerow(
            _cell(value)
            for value in (
                timezone.localtime(event.occurred_at).isoformat(timespec="seconds"),
                event.actor_username,
                event.actor_id,
                event.action,
                event.object_type,
                event.object_id,
                event.patient_id,
                event.object_version,
                json.dumps(event.changes, sort_keys=True, ensure_ascii=False),
            )
        )
    return out.getvalue()


def audit_log_export(*, access: ClinicAccess, subject: AuditSubject) -> str:
    """Return the subject's events as CSV and record the export in the audit trail."""
    access.require(Permission.VIEW_AUDIT)
    if subject.patient is not None:
        kind, object_id, patient_id = "patient", subject.patient.pk, subject.patient.pk
    elif subject.user is not None:
        kind, object_id, patient_id = "user", subject.user.pk, None
    else:
        raise ValueError("An audit log export names a patient or a user.")
    with transaction.atomic():
        events = list(subject.events)
        audit_event_write(
            actor=access.user,
            action=AuditAction.EXPORT,
            object_type=AUDIT_LOG_OBJECT,
            object_id=object_id,
            clinic_id=access.clinic.pk,
            patient_id=patient_id,
            changes={"subject": [None, kind], "events": [None, str(len(events))]},
        )
    return audit_log_csv(events)
