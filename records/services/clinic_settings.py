"""The clinic's own settings: its letterhead (name, address, logo, paper), audited.

Clinic admins change their clinic's letterhead on the settings page; platform operators
(superusers) create and change clinics in the admin. Both go through here, so both are checked
by the model's own rules (the logo's type and size limits among them) and audited.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from records.access import Permission
from records.audit import audit_event_write, created, field_changes, snapshot
from records.models import AuditAction, Clinic

from .common import authorise, validate

if TYPE_CHECKING:
    from .common import Actor

CLINIC_OBJECT = "clinic"
CLINIC_FIELDS = ("name", "address", "logo", "paper_size")
CLINIC_NOT_FOUND = "No such clinic."
OPERATORS_ONLY = "Only a platform operator (superuser) creates or changes clinics in the admin."


@dataclass(frozen=True, kw_only=True)
class LetterheadInput:
    """The letterhead: a new logo replaces the old one; `remove_logo` drops it."""

    name: str
    address: str
    paper_size: str
    logo: UploadedFile | None = None  # type: ignore[type-arg]
    remove_logo: bool = False


def _audit(acting_user: "Actor", clinic: Clinic, action: AuditAction, changes: dict) -> None:  # type: ignore[type-arg]
    audit_event_write(
        actor=acting_user,  # type: ignore[arg-type]
        action=action,
        object_type=CLINIC_OBJECT,
        object_id=clinic.pk,
        clinic_id=clinic.pk,
        changes=changes,
    )


def clinic_letterhead_update(
    *, acting_user: "Actor", clinic_id: int, data: LetterheadInput
) -> Clinic:
    """Change the clinic's letterhead (clinic admins of that clinic)."""
    with transaction.atomic():
        authorise(acting_user, clinic_id, Permission.MANAGE_CLINIC, not_found=CLINIC_NOT_FOUND)
        clinic = Clinic.objects.select_for_update().get(pk=clinic_id)
        before = snapshot(clinic, CLINIC_FIELDS)
        clinic.name = " ".join(data.name.split())
        clinic.address = data.address.strip()
        clinic.paper_size = data.paper_size
        if data.logo is not None:
            clinic.logo = data.logo
        elif data.remove_logo:
            clinic.logo = ""
        # A stored logo was checked when it was uploaded; only a new one is judged again.
        validate(clinic, {}, exclude=[] if data.logo is not None else ["logo"])
        clinic.save(update_fields=[*CLINIC_FIELDS, "updated_at"])
        changes = field_changes(before, snapshot(clinic, CLINIC_FIELDS))
        if changes:
            _audit(acting_user, clinic, AuditAction.UPDATE, changes)
    return clinic


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
            _audit(
                acting_user, clinic, AuditAction.CREATE if is_new else AuditAction.UPDATE, changes
            )
    return clinic
