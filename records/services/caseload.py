"""The caseload's own state: when a user visited it and saw a patient; the clinic's interval.

Visits and sightings are per-user state, not clinical data: no audit event (opening a record is
audited by the page that opens it). The interval between ratings is a clinic setting, audited.
"""

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from records.access import ClinicAccess, Permission
from records.audit import audit_event_write, field_changes, snapshot
from records.models import AuditAction, CaseloadVisit, Clinic, PatientSeen

from .common import authorise, validate

if TYPE_CHECKING:
    from .common import Actor

CLINIC_OBJECT = "clinic"
INTERVAL_FIELDS = ("score_interval_days",)
CLINIC_NOT_FOUND = "No such clinic."


def caseload_visit_record(*, access: ClinicAccess, new_sitting: bool) -> CaseloadVisit:
    """Record that the user opens their caseload now; a new sitting keeps the last as previous."""
    now = timezone.now()
    with transaction.atomic():
        visit, created = CaseloadVisit.objects.select_for_update().get_or_create(
            user=access.user, clinic=access.clinic, defaults={"visited_at": now}
        )
        if not created:
            if new_sitting:
                visit.previous_visit_at = visit.visited_at
            visit.visited_at = now
            visit.save(update_fields=["visited_at", "previous_visit_at"])
    return visit


def patient_seen_record(
    *, access: ClinicAccess, patient_id: int, at: datetime.datetime | None = None
) -> None:
    """Record that the user saw the patient (opened the page or dismissed its notice)."""
    # The caller has the patient from access.patients(): one upsert, no lock.
    PatientSeen.objects.bulk_create(
        [PatientSeen(user=access.user, patient_id=patient_id, seen_at=at or timezone.now())],
        update_conflicts=True,
        unique_fields=["user", "patient"],
        update_fields=["seen_at"],
    )


def clinic_score_interval_update(*, acting_user: "Actor", clinic_id: int, days: int) -> Clinic:
    """Change how many days may pass between a patient's ratings (clinic admins)."""
    with transaction.atomic():
        authorise(acting_user, clinic_id, Permission.MANAGE_CLINIC, not_found=CLINIC_NOT_FOUND)
        clinic = Clinic.objects.select_for_update().get(pk=clinic_id)
        before = snapshot(clinic, INTERVAL_FIELDS)
        clinic.score_interval_days = days
        validate(clinic, {}, exclude=["logo"])
        clinic.save(update_fields=[*INTERVAL_FIELDS, "updated_at"])
        changes = field_changes(before, snapshot(clinic, INTERVAL_FIELDS))
        if changes:
            audit_event_write(
                actor=acting_user,  # type: ignore[arg-type]
                action=AuditAction.UPDATE,
                object_type=CLINIC_OBJECT,
                object_id=clinic.pk,
                clinic_id=clinic.pk,
                changes=changes,
            )
    return clinic
