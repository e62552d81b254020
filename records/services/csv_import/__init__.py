"""CSV import of treatment histories for many patients: one row per trial, all or nothing.

The format is described for clinic staff in docs/csv-import.md. Every row is read and checked
before anything is written, by the same rules as the forms and the JSON import: the services'
`trial_rule_errors`, `episode_rule_errors` and patient rules, and the models' field validation and
`clean()`. A file with any problem imports nothing, and every problem is reported at once as
"row N, column X: message" (rows numbered as a spreadsheet shows them: the header is row 1).
Three steps, one module each: `read` (the upload, its text and cells, no query), `check` (one plan
per patient against the records) and `write` (bulk inserts with their audit events); the import
then ends in records' one change path, so flags and snapshots follow as after a form entry.

What differs from the one-record services is how, never what, is checked, so that 5,000 rows
import within 10 seconds (a query costs about 1 ms through the ORM here):
- the uniqueness checks (a trial id once per patient, a sequence number once per episode, a
  record number once per clinic, one current episode per patient) are made once for the whole
  file, with the services' messages, instead of one query per row: the rules are called without
  the values those queries need;
- the models' check constraints are left to PostgreSQL at insert: evaluating them from Python
  costs about 20 queries per trial, and each is mirrored by a field validator or `clean()`,
  which do run;
- rows are written with `bulk_create`, and the audit trail gets one `import` event per created
  patient, episode and trial with the content of the services' `create` events, so each record's
  history (and the stale-edit messages built from it) reads the same as for a form entry.

A record number is looked up in the active clinic only: a number that another clinic uses names
a new patient here, as record numbers are each clinic's own and another clinic's patients are
never revealed.
"""

import base64
import logging
import zlib
from typing import TYPE_CHECKING

from django.core import signing
from django.db import IntegrityError, transaction

from records.access import PATIENT_NOT_FOUND_MESSAGE, Permission
from records.models import Clinic
from records.services.changes import episode_changed
from records.services.common import authorise

from .check import ImportSummary, PatientSummary, _check
from .read import (
    COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    NEW_PATIENT_COLUMNS,
    REQUIRED_COLUMNS,
    CsvImportError,
    Problem,
    check_upload,
)
from .write import _write

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from records.services.common import Actor

__all__ = [
    "COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "NEW_PATIENT_COLUMNS",
    "PREVIEW_INVALID",
    "REQUIRED_COLUMNS",
    "CsvImportError",
    "ImportSummary",
    "PatientSummary",
    "Problem",
    "check_upload",
    "csv_import",
    "csv_import_preview",
    "sign_upload",
    "unsign_upload",
]
logger = logging.getLogger(__name__)
# A preview can be confirmed for an hour; after that the file is uploaded again.
PREVIEW_MAX_AGE_SECONDS = 60 * 60
SIGNING_SALT = "records.csv_import.upload"
# What someone else can create between the check and the insert (new patients are not locked).
CONCURRENT_CONSTRAINTS = (
    "patient_record_number_unique_in_clinic",
    "episode_one_current_per_patient",
    "trial_code_unique_in_episode",
    "trial_seq_unique_in_episode",
)
CHANGED_MEANWHILE = (
    "Someone else added or changed one of these patients while the file was being imported, "
    "so nothing was imported. Upload the file again to see why."
)
PREVIEW_INVALID = (
    "This import could not be verified, so nothing was imported: upload the file again."
)
PREVIEW_EXPIRED = (
    "This preview is more than an hour old, so nothing was imported: upload the file again."
)


def _acting(acting_user: "Actor", clinic: Clinic) -> "User":
    return authorise(
        acting_user, clinic.pk, Permission.EDIT_CLINICAL_DATA, not_found=PATIENT_NOT_FOUND_MESSAGE
    ).user


def csv_import_preview(*, acting_user: "Actor", clinic: Clinic, data: bytes) -> ImportSummary:
    """Check a CSV file of trial histories and return what importing it would create."""
    user = _acting(acting_user, clinic)
    plans, problems = _check(data, clinic=clinic, user=user, lock=False)
    if problems:
        raise CsvImportError(problems)
    return ImportSummary(patients=tuple(plan.summary() for plan in plans))


def csv_import(*, acting_user: "Actor", clinic: Clinic, data: bytes) -> ImportSummary:
    """Import every row of a CSV file of trial histories in one transaction, or nothing."""
    try:
        with transaction.atomic():
            user = _acting(acting_user, clinic)
            plans, problems = _check(data, clinic=clinic, user=user, lock=True)
            if problems:
                raise CsvImportError(problems)
            _write(plans, user)
            episode_changed(episode_ids=[plan.episode.pk for plan in plans], acting_user=user)
    except IntegrityError as error:
        if not any(name in str(error) for name in CONCURRENT_CONSTRAINTS):
            raise
        logger.warning("csv import refused: concurrent change in clinic %s", clinic.pk)
        raise CsvImportError([Problem(CHANGED_MEANWHILE)]) from None
    summary = ImportSummary(patients=tuple(plan.summary() for plan in plans))
    logger.info(
        "csv import: clinic %s, user %s, %d patients (%d new), %d trials",
        clinic.pk,
        user.pk,
        len(summary.patients),
        summary.new_patients,
        summary.trials,
    )
    return summary


def sign_upload(*, data: bytes, clinic_id: int, user_id: int) -> str:
    """Return the file signed for its confirmation: by this user, in this clinic, unaltered."""
    packed = base64.urlsafe_b64encode(zlib.compress(data)).decode("ascii")
    signer = signing.TimestampSigner(salt=SIGNING_SALT)
    return signer.sign(f"{clinic_id}.{user_id}.{packed}")


def unsign_upload(token: str, *, clinic_id: int, user_id: int) -> bytes:
    """Return the file of a signed confirmation; refuse an altered, foreign or expired one."""
    signer = signing.TimestampSigner(salt=SIGNING_SALT)
    try:
        value = signer.unsign(token, max_age=PREVIEW_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise CsvImportError([Problem(PREVIEW_EXPIRED)]) from None
    except signing.BadSignature:
        raise CsvImportError([Problem(PREVIEW_INVALID)]) from None
    clinic, user, packed = value.split(".", 2)
    if (clinic, user) != (str(clinic_id), str(user_id)):
        raise CsvImportError([Problem(PREVIEW_INVALID)])
    return zlib.decompress(base64.urlsafe_b64decode(packed))
