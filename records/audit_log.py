"""Selectors of the clinic admin's audit log: a patient's or a user's events, read only.

HIPAA 164.312(b) (audit controls) and ASVS 7.1.3, 8.3.x: a clinic admin reviews who did what to
a patient's record and what a user did in the clinic; the audited CSV export is a service
(records/services/audit_log.py).
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404

from records.access import PATIENT_NOT_FOUND_MESSAGE, ClinicAccess, Permission
from records.audit import describe_changes
from records.models import AuditAction, AuditEvent, Patient
from records.services.accounts import ACCOUNT_OBJECT, MEMBERSHIP_OBJECT
from records.services.clinic_settings import CLINIC_OBJECT
from records.services.common import ObjectType
from records.services.staging_defaults import OBJECT_TYPE as STAGING_DEFAULTS_OBJECT

USER_NOT_FOUND = "No such user in your clinic."
PATIENT_OBJECT = "patient"


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
