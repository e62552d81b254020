"""Writing checked plans: patients, episodes and trials in bulk, with their audit events."""

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils import timezone

from records.audit import audit_event, audit_events_write, created, snapshot
from records.models import (
    AuditAction,
    AuditEvent,
    Episode,
    Patient,
    TreatmentTrial,
)
from records.services.common import ObjectType
from records.services.episodes import EPISODE_FIELDS
from records.services.patients import PATIENT_FIELDS
from records.services.trials import TRIAL_FIELDS

if TYPE_CHECKING:
    from django.contrib.auth.models import User


from .check import (
    _Plan,
)

WRITE_BATCH = 1_000


def _audit_event(
    user: "User",
    instance: Patient | Episode | TreatmentTrial,
    object_type: ObjectType,
    patient: Patient,
    fields: Sequence[str],
    now: datetime.datetime,
) -> AuditEvent:
    """Return the `import` audit event of a created record."""
    return audit_event(
        actor=user,
        action=AuditAction.IMPORT,
        object_type=object_type,
        object_id=instance.pk,
        clinic_id=patient.clinic_id,
        patient_id=patient.pk,
        changes=created(snapshot(instance, fields)),
        object_version=instance.version,
        at=now,
    )


def _write(plans: Sequence[_Plan], user: "User") -> None:
    """Create the new patients, episodes and trials of the plans, with their audit events."""
    Patient.objects.bulk_create([plan.patient for plan in plans if plan.new_patient])
    Episode.objects.bulk_create([plan.episode for plan in plans if plan.new_episode])
    trials = [trial for plan in plans for trial in plan.trials]
    # A trial added to another of the file is linked once that one has its id.
    links = [
        (trial, trial.augments) for trial in trials if trial.augments and not trial.augments.pk
    ]
    for trial, _ in links:
        trial.augments = None
    TreatmentTrial.objects.bulk_create(trials, batch_size=WRITE_BATCH)
    for trial, target in links:
        trial.augments = target
    TreatmentTrial.objects.bulk_update(
        [trial for trial, _ in links], ["augments"], batch_size=WRITE_BATCH
    )
    now = timezone.now()
    events: list[AuditEvent] = []
    for plan in plans:
        patient = plan.patient
        if plan.new_patient:
            events.append(
                _audit_event(user, patient, ObjectType.PATIENT, patient, PATIENT_FIELDS, now)
            )
        if plan.new_episode:
            events.append(
                _audit_event(user, plan.episode, ObjectType.EPISODE, patient, EPISODE_FIELDS, now)
            )
        events.extend(
            _audit_event(user, trial, ObjectType.TRIAL, patient, TRIAL_FIELDS, now)
            for trial in plan.trials
        )
    audit_events_write(events)
