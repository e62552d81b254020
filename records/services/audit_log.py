"""The audit log's export: a patient's or a user's events as CSV, the export itself audited.

HIPAA 164.312(b) (audit controls); the events are read by records.audit_log's selectors.
"""

import csv
import io
import json
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from records.access import ClinicAccess, Permission
from records.audit import audit_event_write
from records.audit_log import AuditSubject
from records.models import AuditAction, AuditEvent
from records.spreadsheet import spreadsheet_text

AUDIT_LOG_OBJECT = "audit_log"
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
