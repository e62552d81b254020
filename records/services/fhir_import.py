"""Medication records imported as treatment courses: proposed, reviewed, then confirmed.

The upload is read and proposed by records/fhir/medications.py; nothing is saved until the
clinician confirms. Confirmed courses go through `trial_record`, the same change path as a typed
trial (validation, numbering, audit, restaging), and each also gets an import audit event that
names the records it came from.
"""

import base64
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from records.access import PATIENT_NOT_FOUND_MESSAGE, ClinicAccess, Permission
from records.audit import audit_events_write
from records.dose_steps import StepEntry, weeks_short_of_dates
from records.fhir.medications import Proposal, propose_courses, read_upload
from records.models import Agent, AuditAction, Episode, Patient, TreatmentTrial
from records.models.trial import InformationSource
from records.services.exchange import agents_by_name
from records.services.trials import TrialInput, trial_audit_event, trial_record

if TYPE_CHECKING:
    from records.services.common import Actor

NO_EPISODE = "Record the patient's episode first: imported courses are added to it."
PREVIEW_INVALID = (
    "This import could not be verified, so nothing was imported: upload the file again."
)
PREVIEW_EXPIRED = (
    "This check is more than an hour old, so nothing was imported: upload the file again."
)
PREVIEW_MAX_AGE_SECONDS = 60 * 60
UPLOAD_SALT = "records.fhir_import.medications"
SOURCE_TEXT = "{file}: {records}"
# Why an imported course's weeks at dose fall short of its dates: the records say so.
IMPORTED_WEEKS_REASON = (
    "Weeks at dose as the imported medication records give them (treatment lapsed during the "
    "course)."
)


@dataclass(frozen=True, kw_only=True)
class ConfirmedCourse:
    """A proposed course as the clinician accepted or edited it."""

    key: str
    agent: Agent
    kind: str
    start_date: datetime.date
    end_date: datetime.date | None
    dose_mg_per_day: Decimal | None
    weeks: Decimal | None
    adherence: str
    augments: str
    sources: tuple[str, ...]
    information_source: str = InformationSource.PHARMACY
    # A course whose dose changed: its steps, in place of one dose and its weeks.
    steps: tuple[StepEntry, ...] = ()


def current_episode(patient: Patient) -> Episode | None:
    """Return the episode imported courses join: the open one, or the latest."""
    episodes = Episode.objects.filter(patient=patient)
    return (
        episodes.filter(end_date__isnull=True).first() or episodes.order_by("-onset_date").first()
    )


def medication_upload_sign(
    *, content: bytes, name: str, access: ClinicAccess, patient: Patient
) -> str:
    """Return an upload signed for its confirmation: this user, clinic and patient, one hour."""
    data = {"name": name[:100], "content": base64.b64encode(content).decode("ascii")}
    return signing.dumps(data, salt=_salt(access, patient), compress=True)


def medication_upload_unsign(
    token: str, *, access: ClinicAccess, patient: Patient
) -> tuple[bytes, str]:
    """Return the signed upload's bytes and file name; refuse an altered, foreign or old one."""
    try:
        data = signing.loads(token, salt=_salt(access, patient), max_age=PREVIEW_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise ValidationError(PREVIEW_EXPIRED, code="preview_expired") from None
    except signing.BadSignature:
        raise ValidationError(PREVIEW_INVALID, code="preview_invalid") from None
    return base64.b64decode(data["content"]), str(data["name"])


def _salt(access: ClinicAccess, patient: Patient) -> str:
    return f"{UPLOAD_SALT}:{access.clinic.pk}:{access.user.pk}:{patient.pk}"


def medication_import_preview(
    *, access: ClinicAccess, patient: Patient, content: bytes
) -> Proposal:
    """Read an upload and propose its courses; raises ImportProblemError naming each problem."""
    if patient.clinic_id != access.clinic.pk:
        raise Http404(PATIENT_NOT_FOUND_MESSAGE)
    access.require(Permission.EDIT_CLINICAL_DATA)
    records = read_upload(content, today=timezone.localdate())
    return propose_courses(records, max_gap_days=access.clinic.supply_gap_days)


def catalogue_agent(clinic_id: int, molecule: str, name: str = "") -> Agent | None:
    """Return the catalogue entry of a proposed course: its named formulation, else the molecule."""
    agents = agents_by_name(clinic_id)
    named = agents.get(name.lower().strip())
    if named is not None and (named.molecule or named.name).lower() == molecule:
        return named
    return agents.get(molecule)


def medication_courses_import(
    *,
    acting_user: "Actor",
    patient: Patient,
    courses: Sequence[ConfirmedCourse],
    source_name: str,
) -> list[TreatmentTrial]:
    """Create the confirmed courses as trials of the current episode, all or nothing (audited)."""
    with transaction.atomic():
        episode = current_episode(patient)
        if episode is None:
            raise ValidationError(NO_EPISODE, code="no_episode")
        created: dict[str, TreatmentTrial] = {}
        for course in sorted(courses, key=lambda c: (c.start_date, c.key)):
            data = TrialInput(
                kind=course.kind,
                start_date=course.start_date,
                end_date=course.end_date,
                in_previous_episode=course.start_date < episode.onset_date,
                agent=course.agent,
                dose_mg_per_day=course.dose_mg_per_day,
                weeks=course.weeks,
                weeks_reason=(
                    IMPORTED_WEEKS_REASON
                    if weeks_short_of_dates(course.weeks, course.start_date, course.end_date)
                    else ""
                ),
                dose_steps=course.steps,
                adherence=course.adherence,
                augments=created.get(course.augments),
                information_source=course.information_source,
            )
            try:
                trial = trial_record(acting_user=acting_user, episode_id=episode.pk, data=data)
            except ValidationError as error:
                raise ValidationError({course.key: error.messages}) from None
            created[course.key] = trial
            source = SOURCE_TEXT.format(file=source_name, records=", ".join(course.sources))
            event = trial_audit_event(
                trial.created_by,
                trial,
                patient,
                AuditAction.IMPORT,
                {"source": [None, source[:2000]]},
            )
            audit_events_write([event])
    return list(created.values())
