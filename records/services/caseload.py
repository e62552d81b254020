"""The caseload's own state: when a user visited it and saw a patient; the clinic's interval.

Visits and sightings are per-user state, not clinical data: no audit event (opening a record is
audited by the page that opens it). The interval between ratings is a clinic setting, audited.
"""

import datetime
from typing import TYPE_CHECKING, cast

from django.db import transaction
from django.utils import timezone

from records.access import ClinicAccess
from records.models import CaseloadVisit, Clinic, PatientSeen

from .clinic_settings import FOLLOW_UP, clinic_settings_save

if TYPE_CHECKING:
    from .common import Actor


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
    saved = clinic_settings_save(
        acting_user=acting_user,
        clinic_id=clinic_id,
        row=FOLLOW_UP,
        values={"score_interval_days": days},
    )
    return cast(Clinic, saved)
