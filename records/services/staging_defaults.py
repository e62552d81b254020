"""A clinic's default staging parameters: changed by clinic admins only, every change audited."""

from typing import TYPE_CHECKING

from django.db import transaction

from records.access import Permission
from records.audit import (
    audit_event_write,
    changes_since,
    describe_changes,
    field_changes,
    snapshot,
)
from records.models import AuditAction, Clinic, ClinicStagingDefaults, Episode
from records.models.staging_defaults import PARAMETER_NAMES
from staging.history import Params

from .changes import episode_changed
from .common import (
    STALE_CHANGE,
    STALE_EDIT,
    StaleEditError,
    authorise,
    field_labels,
    validate,
    when,
)

if TYPE_CHECKING:
    from .common import Actor

CLINIC_NOT_FOUND = "No such clinic."
STAGING_DEFAULTS_THING = "The clinic's staging defaults"
# What audit events about these settings are about (records' ObjectType lists clinical records).
OBJECT_TYPE = "staging_defaults"


def loaded_version(defaults: ClinicStagingDefaults) -> int:
    """Return the version an editor loads: 0 while the clinic is on the spec's defaults."""
    return defaults.version if defaults.pk is not None else 0


def _check_version(defaults: ClinicStagingDefaults, expected_version: int) -> None:
    """Refuse a stale edit, listing who changed what since the editor loaded the settings."""
    stored = loaded_version(defaults)
    if stored == expected_version:
        return
    events = changes_since(object_type=OBJECT_TYPE, object_id=defaults.pk, version=expected_version)
    labels = field_labels(ClinicStagingDefaults)
    described = [
        STALE_CHANGE.format(
            who=event.actor_username or "the system",
            when=when(event.occurred_at),
            what=describe_changes(event.changes, labels),
        )
        for event in events
    ]
    changes = " · ".join(described) or f"version {expected_version} → {stored}"
    raise StaleEditError(STALE_EDIT.format(thing=STAGING_DEFAULTS_THING, changes=changes), events)


def clinic_staging_defaults_validate(*, clinic_id: int, data: Params) -> None:
    """Raise the field errors these parameters would get, without saving (for forms)."""
    defaults = ClinicStagingDefaults(clinic_id=clinic_id)
    defaults.apply(data)
    validate(defaults, {}, exclude=["clinic"])


def clinic_staging_defaults_update(
    *, acting_user: "Actor", clinic_id: int, data: Params, expected_version: int
) -> ClinicStagingDefaults:
    """Set the clinic's default staging parameters (clinic admins); audited old → new."""
    # `expected_version` is the version the editor loaded (`loaded_version`); the clinic's
    # row is created by its first change.
    with transaction.atomic():
        user = authorise(
            acting_user, clinic_id, Permission.MANAGE_CLINIC, not_found=CLINIC_NOT_FOUND
        ).user
        # The clinic's row is locked so two first changes cannot both create the settings.
        clinic = Clinic.objects.select_for_update().get(pk=clinic_id)
        defaults = ClinicStagingDefaults.objects.filter(clinic=clinic).first() or (
            ClinicStagingDefaults(clinic=clinic, created_by=user)
        )
        _check_version(defaults, expected_version)
        before = snapshot(defaults, PARAMETER_NAMES)
        defaults.apply(data)
        validate(defaults, {})
        changes = field_changes(before, snapshot(defaults, PARAMETER_NAMES))
        if not changes:
            return defaults
        defaults.updated_by = user
        if defaults.pk is None:
            action = AuditAction.CREATE
            defaults.save()
        else:
            action = AuditAction.UPDATE
            defaults.version += 1
            defaults.save(update_fields=[*PARAMETER_NAMES, "version", "updated_by", "updated_at"])
        # A first change records the spec's defaults as the old values: they were in force.
        audit_event_write(
            actor=user,
            action=action,
            object_type=OBJECT_TYPE,
            object_id=defaults.pk,
            clinic_id=clinic.pk,
            changes=changes,
            object_version=defaults.version,
        )
        episode_changed(
            episode_ids=Episode.objects.filter(patient__clinic=clinic).values_list("pk", flat=True),
            acting_user=user,
        )
    return defaults
