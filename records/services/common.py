"""What every records service shares: who may act, stale edits, dates, collected field errors."""

import datetime
from collections.abc import Collection, Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from records.access import NOT_ALLOWED_MESSAGE, ClinicAccess, Permission, access_for_user
from records.audit import changes_since, describe_changes
from records.history_rows import any_of
from records.models import (
    AuditEvent,
    Episode,
    Membership,
    Patient,
    ReportPreparation,
    ScaleAdministration,
    TreatmentTrial,
)
from records.statements import Statement

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    Actor = User | AnonymousUser

FUTURE_DATE = "This date is in the future."
STALE_EDIT = (
    "{thing} was changed by someone else after you opened it, so nothing was saved. "
    "Changes since: {changes}. Review them and make your change again."
)
STALE_CHANGE = "{who} on {when}: {what}"

Errors = dict[str, list[ValidationError]]
M = TypeVar("M", bound=models.Model)


class ObjectType(StrEnum):
    """What an audit event is about."""

    PATIENT = "patient"
    EPISODE = "episode"
    SCALE_ADMINISTRATION = "scale_administration"
    TRIAL = "trial"
    AGENT = "agent"
    REPORT_PREPARATION = "report_preparation"


class StaleEditError(ValidationError):
    """A stale edit: the record changed since the editor loaded it; nothing was saved.

    `events` holds the audit events of the changes made since, oldest first.
    """

    def __init__(self, message: str, events: list[AuditEvent]) -> None:
        super().__init__(message, code="stale_edit")
        self.events = events


# The acting user's memberships as `access_for_user` reads them (with each clinic and its
# staging defaults, in Membership's order), compiled once: every service starts here.
_MEMBERSHIPS = Statement(
    lambda ids: Membership.objects.filter(any_of("user_id", ids)).select_related(
        "clinic__staging_defaults"
    )
)


def authorise(
    user: "Actor", clinic_id: int, *permissions: Permission, not_found: str
) -> ClinicAccess:
    """Return the user's access in the clinic: 404 outside it, 403 without one of `permissions`."""
    # Read again in the service's transaction, whatever the request read before.
    memberships = _MEMBERSHIPS.rows([user.pk]) if user.is_authenticated else None
    access = access_for_user(user, clinic_id, memberships)
    if access is None or access.clinic.pk != clinic_id:
        raise Http404(not_found)
    if not any(access.can(permission) for permission in permissions):
        raise PermissionDenied(NOT_ALLOWED_MESSAGE.format(clinic=access.clinic.name))
    return access


def found(queryset: "QuerySet[M]", pk: int, *, not_found: str, lock: bool = False) -> M:
    """Return the object, locked for this transaction when asked; 404 when there is none."""
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    instance = queryset.filter(pk=pk).first()
    if instance is None:
        raise Http404(not_found)
    return instance


def found_by(statement: "Statement[M]", pk: int, *, not_found: str) -> M:
    """Return the row a statement over ids reads for `pk` (records/statements.py); else 404."""
    rows = statement.rows([pk])
    if not rows:
        raise Http404(not_found)
    return rows[0]


_LOCK_PATIENTS = Statement(
    lambda ids: (
        Patient.objects.select_for_update().filter(any_of("pk", ids)).values_list("pk", flat=True)
    )
)


def lock_patient(patient_id: int) -> None:
    """Lock the patient's row: every write under one patient takes this lock first, in order."""
    _LOCK_PATIENTS.rows([patient_id])


_EPISODE_FOR_CHANGE = Statement(
    lambda ids: Episode.objects.select_related("patient__clinic", "patient__psychiatrist").filter(
        any_of("pk", ids)
    )
)


def episode_for_change(
    acting_user: "Actor", episode_id: int, *permissions: Permission, not_found: str
) -> tuple["User", Episode]:
    """Return the user allowed (any of `permissions`) to change the episode, and the episode.

    The episode comes with its patient, clinic and psychiatrist; the patient is locked, so the
    changes to one patient's records are made one after another.
    """
    episode = found_by(_EPISODE_FOR_CHANGE, episode_id, not_found=not_found)
    user = authorise(acting_user, episode.patient.clinic_id, *permissions, not_found=not_found).user
    lock_patient(episode.patient_id)
    return user, episode


def when(moment: datetime.datetime) -> str:
    """Return a moment as the clinic reads it in messages (local time, to the minute)."""
    return timezone.localtime(moment).strftime("%d %b %Y %H:%M")


def today() -> datetime.date:
    """Return today's date in the clinic's time zone."""
    return timezone.localdate()


def add_error(errors: Errors, field: str, message: str, code: str) -> None:
    """Add one field error to the collected errors."""
    errors.setdefault(field, []).append(ValidationError(message, code=code))


def future_date_errors(
    errors: Errors, dates: Mapping[str, datetime.date | None], *, on: datetime.date
) -> None:
    """Add an error for each date after `on` (today)."""
    for field, value in dates.items():
        if value is not None and value > on:
            add_error(errors, field, FUTURE_DATE, "future_date")


# Who made a change: the signed-in user the service was given, set by the service itself.
# Validating those keys would read the user again, twice per record (the database's foreign
# keys still guard them).
CHANGED_BY = ("created_by", "updated_by")


def model_errors_added(
    instance: models.Model,
    errors: Errors,
    exclude: Iterable[str] = (),
    found: Collection[str] = (),
) -> Errors:
    """Add the model's own validation errors to the service's rule errors, and return them.

    `found` names foreign keys whose rows the service has just read in its transaction: their
    existence is not read again, while the constraints naming them are still validated, as in
    `Model.full_clean` (fields its own checks faulted are left out of the constraints).
    """
    excluded = [*exclude, *CHANGED_BY]
    if not found:
        try:
            instance.full_clean(exclude=excluded)
        except ValidationError as error:
            _merged(errors, error)
        return errors
    own: Errors = {}
    try:
        instance.full_clean(exclude=[*excluded, *found], validate_constraints=False)
    except ValidationError as error:
        _merged(own, error)
    faulted = [name for name in own if name != NON_FIELD_ERRORS]
    try:
        instance.validate_constraints(exclude={*excluded, *faulted})
    except ValidationError as error:
        _merged(own, error)
    for field, messages in own.items():
        errors.setdefault(field, []).extend(messages)
    return errors


def _merged(errors: Errors, error: ValidationError) -> None:
    for field, messages in error.error_dict.items():
        errors.setdefault(field, []).extend(messages)


def validate(
    instance: models.Model,
    errors: Errors,
    exclude: Iterable[str] = (),
    found: Collection[str] = (),
) -> None:
    """Run the model's own validation and raise it together with the service's field errors.

    `found`: foreign keys whose rows the service read in its transaction (model_errors_added).
    """
    # A field the service already faulted is not validated twice (no duplicate messages).
    if model_errors_added(instance, errors, exclude=[*exclude, *errors], found=found):
        raise ValidationError(errors)


def field_labels(model: type[models.Model]) -> dict[str, str]:
    """Return each field's verbose name, for clinic text."""
    return {
        field.name: str(field.verbose_name)
        for field in model._meta.get_fields()
        if hasattr(field, "verbose_name")
    }


def check_version(
    instance: "Patient | Episode | ScaleAdministration | TreatmentTrial | ReportPreparation",
    *,
    expected_version: int,
    object_type: ObjectType,
    thing: str,
) -> None:
    """Refuse a stale edit, listing who changed what since `expected_version` (from the audit)."""
    stored = instance.version
    if stored == expected_version:
        return
    events = changes_since(object_type=object_type, object_id=instance.pk, version=expected_version)
    labels = field_labels(type(instance))
    described = [
        STALE_CHANGE.format(
            who=event.actor_username or "the system",
            when=when(event.occurred_at),
            what=describe_changes(event.changes, labels) or event.get_action_display().lower(),
        )
        for event in events
    ]
    changes = " · ".join(described) or f"version {expected_version} → {stored}"
    raise StaleEditError(STALE_EDIT.format(thing=thing, changes=changes), events)


def non_field(message: str, code: str) -> ValidationError:
    """Return an error about the record as a whole."""
    return ValidationError({NON_FIELD_ERRORS: [ValidationError(message, code=code)]})
