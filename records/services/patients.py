"""Patients: create, update, and the record-access entry of opening a patient's record."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from records.access import PATIENT_NOT_FOUND_MESSAGE, ClinicAccess, Permission
from records.audit import (
    Changes,
    audit_access_events_write,
    audit_event_write,
    created,
    field_changes,
    snapshot,
)
from records.extensions import reassignment_listeners
from records.identity import RECORD_NUMBER
from records.models import AuditAction, Clinic, Diagnosis, Membership, Patient, Role, Sex

from .changes import episode_changed
from .common import (
    Errors,
    ObjectType,
    add_error,
    authorise,
    check_version,
    found,
    future_date_errors,
    today,
    validate,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .common import Actor

DUPLICATE_RECORD_NUMBER = "Another patient of this clinic already has record number {number}."
PSYCHIATRIST_NOT_IN_CLINIC = "The responsible psychiatrist must be a psychiatrist of this clinic."
# The key of a view event's `changes` naming the page that showed the record.
OPENED_PAGE = "page"


class RecordPage(StrEnum):
    """The pages and downloads besides the patient page that show a patient's record."""

    PATIENT_LIST = "patient list"
    PATIENT_EDIT = "patient details form"
    CHANGE_HISTORY = "change history"
    EPISODE_FORM = "episode form"
    TRIAL_FORM = "trial form"
    TRIAL_DELETE = "trial deletion"
    TRIAL_OVERRIDE = "adequacy override"
    SCORE_FORM = "score form"
    SCORE_DELETE = "score deletion"
    STAGING = "staging"
    STAGING_PARAMETERS = "staging parameters form"
    REPORT = "report"
    REPORT_PREPARE = "report preparation"
    LETTER = "letter to primary care"
    PATIENT_SUMMARY = "summary for the patient"
    HISTORY_EXPORT = "history export"
    HISTORY_IMPORT = "history import"
    FHIR_EXPORT = "FHIR export"
    MEDICATION_IMPORT = "medication import"
    ERASURE = "erasure"
    AUDIT_LOG = "audit log"
    AUDIT_LOG_EXPORT = "audit log export"
    CHECKLIST = "checklist"
    IMPASSE_CASE = "impasse case"
    IMPASSE_QUEUE = "impasse queue"
    COHORT_DISAGREEMENTS = "cohort disagreements"


RECORD_NUMBER_CONSTRAINT = "patient_record_number_unique_in_clinic"

PATIENT_FIELDS = (
    "record_number",
    "family_name",
    "given_name",
    "date_of_birth",
    "sex",
    "diagnosis",
    "psychiatrist",
)


@dataclass(frozen=True, kw_only=True)
class PatientInput:
    """A patient's identifying and diagnostic details, as a form or an import gives them."""

    record_number: str
    family_name: str
    given_name: str
    date_of_birth: datetime.date
    sex: str = Sex.UNKNOWN
    diagnosis: str = Diagnosis.MDD
    psychiatrist: "User | None" = None


def patient_apply(patient: Patient, data: PatientInput) -> None:
    """Copy the entered values onto the patient, trimmed (shared with the CSV import)."""
    patient.record_number = data.record_number.strip()
    patient.family_name = data.family_name.strip()
    patient.given_name = data.given_name.strip()
    patient.date_of_birth = data.date_of_birth
    patient.sex = data.sex
    patient.diagnosis = data.diagnosis
    patient.psychiatrist = data.psychiatrist


def patient_rule_errors(patient: Patient) -> Errors:
    """Return the patient's rule errors by field (shared with the CSV import)."""
    errors: Errors = {}
    future_date_errors(errors, {"date_of_birth": patient.date_of_birth}, on=today())
    duplicates = Patient.objects.filter(
        clinic_id=patient.clinic_id, record_number=patient.record_number
    ).exclude(pk=patient.pk)
    # A record number outside the allow-list is refused by the model (and NUL cannot be sent).
    if RECORD_NUMBER.fullmatch(patient.record_number) and duplicates.exists():
        message = DUPLICATE_RECORD_NUMBER.format(number=patient.record_number)
        add_error(errors, "record_number", message, "duplicate_record_number")
    psychiatrist_id = patient.psychiatrist_id
    if (
        psychiatrist_id is not None
        and not Membership.objects.filter(
            user_id=psychiatrist_id, clinic_id=patient.clinic_id, role=Role.PSYCHIATRIST
        ).exists()
    ):
        add_error(errors, "psychiatrist", PSYCHIATRIST_NOT_IN_CLINIC, "psychiatrist_not_member")
    return errors


def _save(patient: Patient, update_fields: list[str] | None = None) -> None:
    """Save, turning a record number taken concurrently into the same field error."""
    try:
        with transaction.atomic():
            patient.save(update_fields=update_fields)
    except IntegrityError as error:
        if RECORD_NUMBER_CONSTRAINT not in str(error):
            raise
        message = DUPLICATE_RECORD_NUMBER.format(number=patient.record_number)
        raise ValidationError({"record_number": message}) from None


def patient_create(*, acting_user: "Actor", clinic: Clinic, data: PatientInput) -> Patient:
    """Create a patient in the clinic."""
    with transaction.atomic():
        user = authorise(
            acting_user,
            clinic.pk,
            Permission.EDIT_CLINICAL_DATA,
            not_found=PATIENT_NOT_FOUND_MESSAGE,
        ).user
        patient = Patient(clinic=clinic, created_by=user, updated_by=user)
        patient_apply(patient, data)
        validate(patient, patient_rule_errors(patient))
        _save(patient)
        audit_event_write(
            actor=user,
            action=AuditAction.CREATE,
            object_type=ObjectType.PATIENT,
            object_id=patient.pk,
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            changes=created(snapshot(patient, PATIENT_FIELDS)),
            object_version=patient.version,
        )
    return patient


def patient_update(
    *, acting_user: "Actor", patient_id: int, expected_version: int, data: PatientInput
) -> Patient:
    """Change a patient's details, refusing a stale edit."""
    with transaction.atomic():
        patient = found(Patient.objects.all(), patient_id, not_found=PATIENT_NOT_FOUND_MESSAGE)
        user = authorise(
            acting_user,
            patient.clinic_id,
            Permission.EDIT_CLINICAL_DATA,
            not_found=PATIENT_NOT_FOUND_MESSAGE,
        ).user
        patient = found(
            Patient.objects.all(), patient_id, not_found=PATIENT_NOT_FOUND_MESSAGE, lock=True
        )
        check_version(
            patient,
            expected_version=expected_version,
            object_type=ObjectType.PATIENT,
            thing="The patient's record",
        )
        before = snapshot(patient, PATIENT_FIELDS)
        patient_apply(patient, data)
        validate(patient, patient_rule_errors(patient))
        changes = field_changes(before, snapshot(patient, PATIENT_FIELDS))
        if not changes:
            return patient
        patient.version += 1
        patient.updated_by = user
        _save(patient, [*PATIENT_FIELDS, "version", "updated_by", "updated_at"])
        audit_event_write(
            actor=user,
            action=AuditAction.UPDATE,
            object_type=ObjectType.PATIENT,
            object_id=patient.pk,
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            changes=changes,
            object_version=patient.version,
        )
        if "psychiatrist" in changes:
            for listener in reassignment_listeners():
                listener(patient, user)
        # The diagnosis and archiving change what the patient's episodes stage and flag.
        episode_changed(episode_ids=patient.episodes.values_list("pk", flat=True), acting_user=user)
    return patient


def patient_records_opened(
    *, access: ClinicAccess, patients: Iterable[Patient], page: str | None = None
) -> None:
    """Log that a page showed the user these patients' records (the record-access log).

    Every page or download that shows a patient's identifiable data calls this (through
    `patient_record_opened` for one patient): one event per patient, in one INSERT that commits
    on its own. `page` names what was shown; the patient page itself records none.
    The caller has already loaded the patients through `access`.
    """
    patients = list({patient.pk: patient for patient in patients}.values())
    if any(patient.clinic_id != access.clinic.pk for patient in patients):
        raise Http404(PATIENT_NOT_FOUND_MESSAGE)
    access.require(Permission.VIEW_PATIENTS)
    changes: Changes = {OPENED_PAGE: [None, page]} if page else {}
    if len(patients) == 1:
        audit_event_write(
            actor=access.user,
            action=AuditAction.VIEW,
            object_type=ObjectType.PATIENT,
            object_id=patients[0].pk,
            clinic_id=access.clinic.pk,
            patient_id=patients[0].pk,
            changes=changes,
        )
        return
    audit_access_events_write(
        actor=access.user,
        action=AuditAction.VIEW,
        object_type=ObjectType.PATIENT,
        clinic_id=access.clinic.pk,
        patient_ids=[patient.pk for patient in patients],
        changes=changes,
    )


def patient_record_opened(
    *, access: ClinicAccess, patient: Patient, page: str | None = None
) -> None:
    """Log that the user opened one patient's record (or a page of it)."""
    patient_records_opened(access=access, patients=[patient], page=page)
