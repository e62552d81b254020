"""The report's own words: referral, impression and plan, and the letter's paragraphs.

Saved with the episode in one versioned row (`ReportPreparation`); a stale edit is refused and
every change is audited with its old and new values.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from records.access import Permission
from records.audit import audit_event_write, field_changes, snapshot
from records.models import AuditAction, Episode, ReportPreparation

from .common import (
    ObjectType,
    authorise,
    check_version,
    found,
    lock_patient,
    non_field,
    validate,
)

if TYPE_CHECKING:
    from .common import Actor

EPISODE_NOT_FOUND = "No such episode in your clinic."
THING = "The report's wording"
PAGE_OUT_OF_DATE = "The page was out of date: reload it and make your change again."
PREPARATION_FIELDS = ("reason_for_referral", "referrer", "impression", "plan")
LETTER_FIELDS = (
    "letter_assessed",
    "letter_found",
    "letter_recommended",
    "letter_practice",
    "letter_safety",
    "letter_contact",
)
# The version a form carries when no wording was saved yet.
NOT_YET_SAVED = 0


@dataclass(frozen=True, kw_only=True)
class PreparationInput:
    """What the psychiatrist fills before printing the consultant summary."""

    reason_for_referral: str
    referrer: str
    impression: str
    plan: str


@dataclass(frozen=True, kw_only=True)
class LetterInput:
    """The letter to primary care, paragraph by paragraph."""

    letter_assessed: str
    letter_found: str
    letter_recommended: str
    letter_practice: str
    letter_safety: str
    letter_contact: str


def _save(
    *,
    acting_user: "Actor",
    episode_id: int,
    expected_version: int,
    values: dict[str, str],
) -> ReportPreparation:
    with transaction.atomic():
        episode = found(
            Episode.objects.select_related("patient"), episode_id, not_found=EPISODE_NOT_FOUND
        )
        patient = episode.patient
        user = authorise(
            acting_user,
            patient.clinic_id,
            Permission.EDIT_CLINICAL_DATA,
            not_found=EPISODE_NOT_FOUND,
        ).user
        lock_patient(patient.pk)
        preparation = ReportPreparation.objects.filter(episode=episode).first()
        creating = preparation is None
        if preparation is None:
            if expected_version != NOT_YET_SAVED:
                raise non_field(PAGE_OUT_OF_DATE, "stale_edit")
            preparation = ReportPreparation(episode=episode, created_by=user, updated_by=user)
        else:
            # A row saved by someone since this form was opened (version 0) is stale too.
            check_version(
                preparation,
                expected_version=expected_version,
                object_type=ObjectType.REPORT_PREPARATION,
                thing=THING,
            )
        fields = tuple(values)
        before = snapshot(preparation, fields) if not creating else dict.fromkeys(fields)
        for name, value in values.items():
            setattr(preparation, name, value.strip())
        validate(preparation, {}, exclude=["episode"])
        changes = field_changes(before, snapshot(preparation, fields))
        if not changes:
            return preparation
        if creating:
            preparation.save()
        else:
            preparation.version += 1
            preparation.updated_by = user
            preparation.save(update_fields=[*fields, "version", "updated_by", "updated_at"])
        audit_event_write(
            actor=user,
            action=AuditAction.CREATE if creating else AuditAction.UPDATE,
            object_type=ObjectType.REPORT_PREPARATION,
            object_id=preparation.pk,
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            changes=changes,
            object_version=preparation.version,
        )
    return preparation


def report_preparation_save(
    *, acting_user: "Actor", episode_id: int, expected_version: int, data: PreparationInput
) -> ReportPreparation:
    """Save the referral, impression and plan of an episode's report, refusing a stale edit."""
    values = {name: getattr(data, name) for name in PREPARATION_FIELDS}
    return _save(
        acting_user=acting_user,
        episode_id=episode_id,
        expected_version=expected_version,
        values=values,
    )


def report_letter_save(
    *, acting_user: "Actor", episode_id: int, expected_version: int, data: LetterInput
) -> ReportPreparation:
    """Save the paragraphs of an episode's letter to primary care, refusing a stale edit."""
    values = {name: getattr(data, name) for name in LETTER_FIELDS}
    return _save(
        acting_user=acting_user,
        episode_id=episode_id,
        expected_version=expected_version,
        values=values,
    )
