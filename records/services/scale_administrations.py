"""Rating-scale scores of an episode: record, correct, delete.

Ranges, whole-number rules, the HAM-D17 16A/16B rule and totals computed from items all come
from records/scales.py, through the model's validation.
"""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from records import scales
from records.access import Permission
from records.audit import (
    audit_event,
    audit_event_write,
    audit_events_write,
    created,
    deleted,
    field_changes,
    snapshot,
)
from records.models import AuditAction, ScaleAdministration

from .changes import episode_changed
from .common import (
    Errors,
    ObjectType,
    authorise,
    check_version,
    episode_for_change,
    found,
    future_date_errors,
    lock_patient,
    today,
    validate,
)
from .episodes import EPISODE_NOT_FOUND

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .common import Actor

SCALE_NOT_FOUND = "No such rating-scale score in your clinic."
# How the errors of one score among several are named: scores[2].total.
SCORE_KEY = "scores[{index}].{field}"
# Totals are stored to two decimal places; Q-LES-Q-SF percentages are rounded to fit.
TOTAL_PLACES = Decimal("0.01")

SCALE_FIELDS = (
    "scale",
    "scale_version",
    "interview_guide",
    "administered_on",
    "total",
    "items",
    "rater",
)


@dataclass(frozen=True, kw_only=True)
class ScaleInput:
    """One administration of a scale: the total, the item values, or both."""

    scale: str
    administered_on: datetime.date
    total: Decimal | None = None
    items: Mapping[str, float | None] | None = None
    scale_version: str = ""
    interview_guide: str = ""
    rater: str = ""


def _apply(administration: ScaleAdministration, data: ScaleInput) -> None:
    administration.scale = data.scale
    administration.administered_on = data.administered_on
    administration.total = data.total
    # Anything but a mapping is kept as given, for the model to name the field.
    items = data.items
    administration.items = dict(items) if isinstance(items, Mapping) else items
    administration.scale_version = data.scale_version.strip()
    administration.interview_guide = data.interview_guide.strip()
    administration.rater = data.rater.strip()


def _validated(administration: ScaleAdministration) -> None:
    """Validate, then fill in the total the items give when none was entered."""
    errors: Errors = {}
    future_date_errors(errors, {"administered_on": administration.administered_on}, on=today())
    validate(administration, errors, exclude=["episode"])
    if administration.total is None and administration.items:
        total = scales.total_from_items(administration.code, administration.item_values).total
        if total is not None:
            administration.total = Decimal(repr(total)).quantize(TOTAL_PLACES)


def _audit(
    user: "User",
    administration: ScaleAdministration,
    action: AuditAction,
    changes: dict[str, list[str | None]],
) -> None:
    audit_event_write(
        actor=user,
        action=action,
        object_type=ObjectType.SCALE_ADMINISTRATION,
        object_id=administration.pk,
        clinic_id=administration.episode.patient.clinic_id,
        patient_id=administration.episode.patient_id,
        changes=changes,
        object_version=administration.version,
    )


def scale_record(*, acting_user: "Actor", episode_id: int, data: ScaleInput) -> ScaleAdministration:
    """Record a rating-scale score in the episode."""
    with transaction.atomic():
        user, episode = episode_for_change(
            acting_user, episode_id, Permission.EDIT_CLINICAL_DATA, not_found=EPISODE_NOT_FOUND
        )
        administration = ScaleAdministration(episode=episode, created_by=user, updated_by=user)
        _apply(administration, data)
        _validated(administration)
        administration.save()
        _audit(
            user,
            administration,
            AuditAction.CREATE,
            created(snapshot(administration, SCALE_FIELDS)),
        )
        episode_changed(episode_ids=[episode.pk], acting_user=user)
    return administration


def scales_record(
    *, acting_user: "Actor", episode_id: int, data: Sequence[ScaleInput]
) -> list[ScaleAdministration]:
    """Record several rating-scale scores of one episode at once, all or none."""
    # Each score is validated and audited as scale_record does, but the episode is restaged,
    # snapshotted and flagged once, after the last (records.services.changes).
    with transaction.atomic():
        user, episode = episode_for_change(
            acting_user, episode_id, Permission.EDIT_CLINICAL_DATA, not_found=EPISODE_NOT_FOUND
        )
        administrations: list[ScaleAdministration] = []
        errors: Errors = {}
        for index, entry in enumerate(data):
            administration = ScaleAdministration(episode=episode, created_by=user, updated_by=user)
            _apply(administration, entry)
            try:
                _validated(administration)
            except ValidationError as error:
                for field, messages in error.error_dict.items():
                    errors[SCORE_KEY.format(index=index, field=field)] = messages
            administrations.append(administration)
        if errors:
            raise ValidationError(errors)
        if not administrations:
            return []
        ScaleAdministration.objects.bulk_create(administrations)
        audit_events_write(
            [
                audit_event(
                    actor=user,
                    action=AuditAction.CREATE,
                    object_type=ObjectType.SCALE_ADMINISTRATION,
                    object_id=administration.pk,
                    clinic_id=episode.patient.clinic_id,
                    patient_id=episode.patient_id,
                    changes=created(snapshot(administration, SCALE_FIELDS)),
                    object_version=administration.version,
                )
                for administration in administrations
            ]
        )
        episode_changed(episode_ids=[episode.pk], acting_user=user)
    return administrations


def _for_edit(acting_user: "Actor", administration_id: int) -> tuple["User", ScaleAdministration]:
    queryset = ScaleAdministration.objects.select_related("episode__patient")
    administration = found(queryset, administration_id, not_found=SCALE_NOT_FOUND)
    user = authorise(
        acting_user,
        administration.episode.patient.clinic_id,
        Permission.EDIT_CLINICAL_DATA,
        not_found=SCALE_NOT_FOUND,
    ).user
    lock_patient(administration.episode.patient_id)
    return user, found(queryset, administration_id, not_found=SCALE_NOT_FOUND, lock=True)


def scale_update(
    *, acting_user: "Actor", administration_id: int, expected_version: int, data: ScaleInput
) -> ScaleAdministration:
    """Correct a rating-scale score, refusing a stale edit."""
    with transaction.atomic():
        user, administration = _for_edit(acting_user, administration_id)
        check_version(
            administration,
            expected_version=expected_version,
            object_type=ObjectType.SCALE_ADMINISTRATION,
            thing="This score",
        )
        before = snapshot(administration, SCALE_FIELDS)
        _apply(administration, data)
        _validated(administration)
        changes = field_changes(before, snapshot(administration, SCALE_FIELDS))
        if not changes:
            return administration
        administration.version += 1
        administration.updated_by = user
        administration.save(update_fields=[*SCALE_FIELDS, "version", "updated_by", "updated_at"])
        _audit(user, administration, AuditAction.UPDATE, changes)
        episode_changed(episode_ids=[administration.episode.pk], acting_user=user)
    return administration


def scale_delete(*, acting_user: "Actor", administration_id: int, expected_version: int) -> None:
    """Delete a rating-scale score entered in error, refusing a stale delete."""
    with transaction.atomic():
        user, administration = _for_edit(acting_user, administration_id)
        check_version(
            administration,
            expected_version=expected_version,
            object_type=ObjectType.SCALE_ADMINISTRATION,
            thing="This score",
        )
        changes = deleted(snapshot(administration, SCALE_FIELDS))
        _audit(user, administration, AuditAction.DELETE, changes)
        administration.delete()
        episode_changed(episode_ids=[administration.episode.pk], acting_user=user)
