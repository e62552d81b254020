"""Legal erasure: a patient's record removed for good, leaving an audit event without content.

Patients are archived, not deleted. Erasure is the exception a law or a court demands (the
right to erasure, a record created for the wrong person): a clinic admin confirms it with their
password and a reason category. Everything clinical about the patient goes: episodes, trials,
scores, checklist reviews, impasse cases and reviews, and the values in the patient's earlier
audit events. Those events stay as a skeleton (who did what kind of thing, when: HIPAA
164.312(b)); the trigger of migration 0007 allows exactly that blanking, for this patient only,
inside this transaction. One final event records the erasure: a hash of the record number, who,
when, the reason category and how many rows went.
"""

import hashlib
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction

from records.access import PATIENT_NOT_FOUND_MESSAGE, Permission
from records.audit import audit_event_write
from records.extensions import erasure_listeners
from records.models import (
    AuditAction,
    AuditEvent,
    Episode,
    Patient,
    ReportPreparation,
    ScaleAdministration,
    TreatmentTrial,
)

from .common import ObjectType, authorise, found

if TYPE_CHECKING:
    from .common import Actor

ERASURE_SETTING = "trdclinic.erasure_patient"
REASON_REQUIRED = "Choose why the record is erased."


class ErasureReason(models.TextChoices):
    """Why a record is erased; a category only, so no free text brings clinical content back."""

    DATA_SUBJECT_REQUEST = "data_subject_request", "The patient's request to erase their data"
    LEGAL_ORDER = "legal_order", "A court or regulator's order"
    WRONG_PERSON = "wrong_person", "Record created for the wrong person or in error"


def record_number_hash(clinic_id: int, record_number: str) -> str:
    """Return the SHA-256 of clinic and record number, so "was it erased?" stays answerable."""
    return hashlib.sha256(f"{clinic_id}:{record_number}".encode()).hexdigest()


def _blank_audit_values(patient_id: int) -> int:
    """Empty `changes` of the patient's audit events (the trigger allows only this, only here)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [ERASURE_SETTING, str(patient_id)])
        blanked = (
            AuditEvent.objects.filter(patient_id=patient_id).exclude(changes={}).update(changes={})
        )
        cursor.execute("SELECT set_config(%s, '', true)", [ERASURE_SETTING])
    return blanked


def patient_erase(*, acting_user: "Actor", patient_id: int, reason: str) -> AuditEvent:
    """Erase the patient's record and the values of its audit trail; return the erasure event."""
    if reason not in ErasureReason.values:
        raise ValidationError({"reason": REASON_REQUIRED}, code="reason_required")
    reason_label = ErasureReason(reason).label
    with transaction.atomic():
        patient = found(Patient.objects.all(), patient_id, not_found=PATIENT_NOT_FOUND_MESSAGE)
        user = authorise(
            acting_user,
            patient.clinic_id,
            Permission.MANAGE_CLINIC,
            not_found=PATIENT_NOT_FOUND_MESSAGE,
        ).user
        patient = found(
            Patient.objects.all(), patient_id, not_found=PATIENT_NOT_FOUND_MESSAGE, lock=True
        )
        episodes = Episode.objects.filter(patient=patient)
        trials = TreatmentTrial.objects.filter(episode__patient=patient)
        # What the apps built on records hold about the patient goes first (records.extensions);
        # with the episodes gone there is nothing left to restage, so no change is told.
        preparations = ReportPreparation.objects.filter(episode__patient=patient)
        counts: dict[str, int] = {}
        for listener in erasure_listeners():
            counts.update(listener(patient))
        counts.update(
            {
                "trials": trials.count(),
                "scores": ScaleAdministration.objects.filter(episode__patient=patient).count(),
                "report_preparations": preparations.count(),
                "episodes": episodes.count(),
            }
        )
        # Augmentations point at the trial they add to; unhook them so no order is needed.
        trials.exclude(augments=None).update(augments=None)
        trials.delete()
        ScaleAdministration.objects.filter(episode__patient=patient).delete()
        preparations.delete()
        episodes.delete()
        clinic_id, number = patient.clinic_id, patient.record_number
        patient.delete()
        counts["audit_events_blanked"] = _blank_audit_values(patient_id)
        changes: dict[str, list[str | None]] = {
            "record_number_sha256": [None, record_number_hash(clinic_id, number)],
            "erasure_reason": [None, reason_label],
        }
        changes.update({f"erased_{name}": [None, str(count)] for name, count in counts.items()})
        return audit_event_write(
            actor=user,
            action=AuditAction.DELETE,
            object_type=ObjectType.PATIENT,
            object_id=patient_id,
            clinic_id=clinic_id,
            patient_id=patient_id,
            changes=changes,
        )
