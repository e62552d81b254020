"""The clinic's settings: one service saves every settings page's row, checked and audited.

Clinic admins change their clinic's settings on the settings pages: the letterhead, follow-up,
sign-in security and medication import live on the clinic's own row; the staging defaults and the
impasse flag rules on a one-per-clinic settings row of their own. Every page saves through
`clinic_settings_save`, so each change is authorised, validated by the model, audited old → new
in the same transaction, and refused when stale. Platform operators (superusers) create and
change clinics in the admin through `clinic_operator_save`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction

from records.access import Permission
from records.audit import (
    audit_event_write,
    changes_since,
    created,
    describe_changes,
    field_changes,
    snapshot,
)
from records.models import AuditAction, Clinic, Episode

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

CLINIC_OBJECT = "clinic"
CLINIC_FIELDS = ("name", "address", "logo", "paper_size")
CLINIC_NOT_FOUND = "No such clinic."
OPERATORS_ONLY = "Only a platform operator (superuser) creates or changes clinics in the admin."


@dataclass(frozen=True, kw_only=True)
class SettingsRow:
    """A settings page's row: the clinic's own, or a one-per-clinic model with a version.

    `restage` says whether a change can move a stage or a flag, so every episode of the clinic
    goes through the one change path; `thing` names the row in a stale-edit message.
    """

    model: type[models.Model]
    fields: tuple[str, ...]
    object_type: str
    thing: str = ""
    restage: bool = False

    @property
    def versioned(self) -> bool:
        """Return whether the row carries a version (edits by two admins are compared)."""
        return any(field.name == "version" for field in self.model._meta.fields)


LETTERHEAD = SettingsRow(model=Clinic, fields=CLINIC_FIELDS, object_type=CLINIC_OBJECT)
FOLLOW_UP = SettingsRow(model=Clinic, fields=("score_interval_days",), object_type=CLINIC_OBJECT)
SIGN_IN_SECURITY = SettingsRow(
    model=Clinic, fields=("two_factor_required",), object_type=CLINIC_OBJECT
)
MEDICATION_IMPORT = SettingsRow(
    model=Clinic, fields=("supply_gap_days",), object_type=CLINIC_OBJECT
)


def settings_row_for(row: SettingsRow, clinic: Clinic) -> models.Model:
    """Return the clinic's row of these settings; an unsaved one while on the defaults."""
    if row.model is Clinic:
        return clinic
    found = row.model._default_manager.filter(clinic=clinic).first()
    return found or row.model(clinic=clinic)


def settings_version(instance: models.Model) -> int:
    """Return the version an editor loads: 0 while the clinic is on the defaults."""
    return instance.version if instance.pk is not None else 0  # type: ignore[attr-defined]


def _check_version(row: SettingsRow, instance: models.Model, expected_version: int) -> None:
    """Refuse a stale edit, listing who changed what since the editor loaded the settings."""
    stored = settings_version(instance)
    if stored == expected_version:
        return
    events = changes_since(
        object_type=row.object_type, object_id=instance.pk, version=expected_version
    )
    labels = field_labels(row.model)
    described = [
        STALE_CHANGE.format(
            who=event.actor_username or "the system",
            when=when(event.occurred_at),
            what=describe_changes(event.changes, labels),
        )
        for event in events
    ]
    changes = " · ".join(described) or f"version {expected_version} → {stored}"
    raise StaleEditError(STALE_EDIT.format(thing=row.thing, changes=changes), events)


def clinic_settings_save(
    *,
    acting_user: "Actor",
    clinic_id: int,
    row: SettingsRow,
    values: Mapping[str, object],
    expected_version: int | None = None,
) -> models.Model:
    """Save one settings row of the clinic (clinic admins): validated, audited old → new.

    `values` holds the fields to set (a subset of the row's); a versioned row needs the version
    the editor loaded (`settings_version`), and its first change creates it, recording the
    defaults as the old values since they were in force.
    """
    with transaction.atomic():
        user = authorise(
            acting_user, clinic_id, Permission.MANAGE_CLINIC, not_found=CLINIC_NOT_FOUND
        ).user
        # The clinic's row is locked so two first changes cannot both create a settings row.
        clinic = Clinic.objects.select_for_update().get(pk=clinic_id)
        instance = settings_row_for(row, clinic)
        if row.versioned:
            _check_version(row, instance, expected_version or 0)
        before = snapshot(instance, row.fields)
        for name, value in values.items():
            if name not in row.fields:
                raise ValueError(f"{name} is not one of this page's settings")
            setattr(instance, name, value)
        # A stored file (the logo) was checked when it was uploaded; only a new one is judged.
        unchanged_files = [
            field.name
            for field in row.model._meta.fields
            if isinstance(field, models.FileField) and field.name not in values
        ]
        validate(instance, {}, exclude=unchanged_files)
        changes = field_changes(before, snapshot(instance, row.fields))
        if not changes:
            return instance
        action = _save(row, instance, user)
        audit_event_write(
            actor=user,
            action=action,
            object_type=row.object_type,
            object_id=instance.pk,
            clinic_id=clinic.pk,
            changes=changes,
            object_version=settings_version(instance) if row.versioned else None,
        )
        if row.restage:
            episode_changed(
                episode_ids=Episode.objects.filter(patient__clinic=clinic).values_list(
                    "pk", flat=True
                ),
                acting_user=user,
            )
    return instance


def _save(row: SettingsRow, instance: models.Model, user: object) -> AuditAction:
    """Create the row on its first change, else save the changed fields; return the action."""
    own = {field.name for field in row.model._meta.fields}
    if "updated_by" in own:
        instance.updated_by = user  # type: ignore[attr-defined]
    if instance.pk is None:
        if "created_by" in own:
            instance.created_by = user  # type: ignore[attr-defined]
        instance.save()
        return AuditAction.CREATE
    update = [*row.fields, *(name for name in ("updated_by", "updated_at") if name in own)]
    if row.versioned:
        instance.version += 1  # type: ignore[attr-defined]
        update.append("version")
    instance.save(update_fields=update)
    return AuditAction.UPDATE


@dataclass(frozen=True, kw_only=True)
class LetterheadInput:
    """The letterhead: a new logo replaces the old one; `remove_logo` drops it."""

    name: str
    address: str
    paper_size: str
    logo: UploadedFile | None = None  # type: ignore[type-arg]
    remove_logo: bool = False


def clinic_letterhead_update(
    *, acting_user: "Actor", clinic_id: int, data: LetterheadInput
) -> Clinic:
    """Change the clinic's letterhead (clinic admins of that clinic)."""
    values: dict[str, object] = {
        "name": " ".join(data.name.split()),
        "address": data.address.strip(),
        "paper_size": data.paper_size,
    }
    if data.logo is not None:
        values["logo"] = data.logo
    elif data.remove_logo:
        values["logo"] = ""
    saved = clinic_settings_save(
        acting_user=acting_user, clinic_id=clinic_id, row=LETTERHEAD, values=values
    )
    return cast(Clinic, saved)


def clinic_operator_save(*, acting_user: "Actor", clinic: Clinic) -> Clinic:
    """Save an operator's new clinic or change to one (the admin, superusers) and audit it."""
    with transaction.atomic():
        if not acting_user.is_superuser:
            raise PermissionDenied(OPERATORS_ONLY)
        is_new = clinic.pk is None
        before = {} if is_new else snapshot(Clinic.objects.get(pk=clinic.pk), CLINIC_FIELDS)
        clinic.save()
        after = snapshot(clinic, CLINIC_FIELDS)
        changes = created(after) if is_new else field_changes(before, after)
        if changes:
            audit_event_write(
                actor=acting_user,
                action=AuditAction.CREATE if is_new else AuditAction.UPDATE,
                object_type=CLINIC_OBJECT,
                object_id=clinic.pk,
                clinic_id=clinic.pk,
                changes=changes,
            )
    return clinic
