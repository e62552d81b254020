"""The staging page's download: the current episode's results as `manage.py stage` prints them.

An export of clinical data, so it is audited in its transaction like every other export.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from records.access import ClinicAccess
from records.audit import audit_event_write
from records.models import AuditAction
from records.selectors import patient_detail
from records.staging import UNSAFE_FILENAME_CHARACTERS, Variant, variant_params
from staging.jsonio import results_to_json
from staging.registry import stage_all

from .common import ObjectType

EXPORT_BEFORE_ONSET = "{day} is before the episode onset ({onset}): choose a later date."


@dataclass(frozen=True)
class StagingExport:
    """A download of the results in `manage.py stage`'s output format."""

    document: dict[str, dict[str, Any]]
    filename: str


def export_filename(record_number: str, day: datetime.date, variant: Variant) -> str:
    """Return the download's name: record number and date, never the patient's name."""
    safe = UNSAFE_FILENAME_CHARACTERS.sub("-", record_number).strip("-.") or "patient"
    suffix = "-strict" if variant is Variant.STRICT else ""
    return f"staging-{safe}-{day.isoformat()}{suffix}.json"


def staging_results_export(
    *,
    access: ClinicAccess,
    patient_id: int,
    variant: Variant = Variant.CLINIC,
    assessment_date: datetime.date | None = None,
) -> StagingExport | None:
    """Return the current episode's results as `manage.py stage` prints them (audited export)."""
    # None when the patient has no episode yet.
    with transaction.atomic():
        detail = patient_detail(
            access=access, patient_id=patient_id, assessment_date=assessment_date
        )
        if detail.history is None or detail.episode is None:
            return None
        onset = detail.episode.onset_date
        if detail.assessment_date < onset:
            message = EXPORT_BEFORE_ONSET.format(
                day=detail.assessment_date.isoformat(), onset=onset.isoformat()
            )
            raise ValidationError(message, code="before_onset")
        params = variant_params(detail.params, variant)
        document = results_to_json(stage_all(detail.history, params))
        audit_event_write(
            actor=access.user,
            action=AuditAction.EXPORT,
            object_type=ObjectType.EPISODE,
            object_id=detail.episode.pk,
            clinic_id=access.clinic.pk,
            patient_id=detail.patient.pk,
            object_version=detail.episode.version,
        )
    filename = export_filename(detail.patient.record_number, detail.assessment_date, variant)
    return StagingExport(document=document, filename=filename)
