"""Write the audit trail: append-only events, in the transaction of the change they record.

Values are kept as display strings (a choice's label, a date in ISO form, "yes"/"no"), so the
trail stays readable when codes, labels or related records change later; null means "not
recorded". Logs get the event type and ids only, never the values.
"""

import datetime
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, Unpack

from django.db import models
from django.utils import timezone

from .models import AuditAction, AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

Changes = dict[str, list[str | None]]
# Events per INSERT on bulk paths (CSV import, a change to many episodes).
AUDIT_BATCH = 1_000


def display_value(value: object) -> str | None:
    """Return a value as the audit trail shows it."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, str | None]:
    """Return the display values of an instance's fields (choices as labels, relations as text)."""
    values: dict[str, str | None] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        value = getattr(instance, name)
        if getattr(field, "choices", None) and value not in (None, ""):
            value = getattr(instance, f"get_{name}_display")()
        values[name] = display_value(value)
    return values


def field_changes(before: Mapping[str, str | None], after: Mapping[str, str | None]) -> Changes:
    """Return {field: [old, new]} for the fields whose display value changed."""
    return {
        name: [before.get(name), after.get(name)]
        for name in after
        if before.get(name) != after.get(name)
    }


def created(values: Mapping[str, str | None]) -> Changes:
    """Return the changes of a new record: every recorded field from nothing to its value."""
    return {name: [None, value] for name, value in values.items() if value is not None}


def deleted(values: Mapping[str, str | None]) -> Changes:
    """Return the changes of a deleted record: every recorded field from its value to nothing."""
    return {name: [value, None] for name, value in values.items() if value is not None}


class AuditFields(TypedDict):
    """What an audit event says: who did what to which record, in which clinic."""

    actor: "User | None"
    action: AuditAction
    object_type: str
    object_id: int | None
    clinic_id: int | None
    patient_id: NotRequired[int | None]
    changes: NotRequired[Changes | None]
    object_version: NotRequired[int | None]


def audit_event(
    *, at: datetime.datetime | None = None, **fields: Unpack[AuditFields]
) -> AuditEvent:
    """Return one audit event, not yet written (`audit_events_write` writes many at once)."""
    actor = fields["actor"]
    return AuditEvent(
        occurred_at=at or timezone.now(),
        actor_id=None if actor is None else actor.pk,
        actor_username="" if actor is None else actor.get_username(),
        clinic_id=fields["clinic_id"],
        patient_id=fields.get("patient_id"),
        object_type=fields["object_type"],
        object_id=fields["object_id"],
        action=fields["action"],
        changes=fields.get("changes") or {},
        object_version=fields.get("object_version"),
    )


def audit_event_write(**fields: Unpack[AuditFields]) -> AuditEvent:
    """Append one audit event; call inside the transaction of the change it records."""
    event = audit_event(**fields)
    audit_events_write([event])
    return event


def audit_events_write(events: Sequence[AuditEvent]) -> None:
    """Append many audit events in a few statements (bulk paths); inside their change."""
    AuditEvent.objects.bulk_create(events, batch_size=AUDIT_BATCH)
    logger.debug("audit %d events", len(events))


def audit_access_events_write(
    *,
    actor: "User | None",
    action: AuditAction,
    object_type: str,
    clinic_id: int,
    patient_ids: Iterable[int],
    changes: Changes | None = None,
) -> list[AuditEvent]:
    """Append one event per patient, all at once: patients a list or an export showed."""
    now = timezone.now()
    events = [
        audit_event(
            at=now,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=patient_id,
            clinic_id=clinic_id,
            patient_id=patient_id,
            changes=changes,
        )
        for patient_id in patient_ids
    ]
    if events:
        audit_events_write(events)
    return events


def changes_since(*, object_type: str, object_id: int, version: int) -> list[AuditEvent]:
    """Return the audit events that took a record past `version`, oldest first."""
    return list(
        AuditEvent.objects.filter(
            object_type=object_type, object_id=object_id, object_version__gt=version
        ).order_by("occurred_at", "id")
    )


def describe_changes(changes: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """Return a change set as clinic text: 'dose (mg/day) 100 → 150; adherence — → Good'."""
    parts = []
    for name, (old, new) in changes.items():
        label = labels.get(name, name.replace("_", " "))
        parts.append(
            f"{label} {old if old is not None else '—'} → {new if new is not None else '—'}"
        )
    return "; ".join(parts)
