"""JSON treatment histories: download a patient's history, upload one as a new episode."""

import json
import re
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from records.access import Permission, clinic_access, patient_for_user
from records.forms import HistoryUploadForm
from records.forms.exchange import HistoryConfirmForm
from records.reauth import PasswordReentryForm
from records.services import RecordPage
from records.services.exchange import (
    PREVIEW_INVALID,
    history_upload_sign,
    history_upload_unsign,
    patient_history_export,
    patient_history_import,
    patient_history_import_preview,
)

from .common import patient_url, record_opened

EXPORT_FILENAME = "trdclinic-history-{number}-{day}.json"
IMPORTED = "The history is imported: a new current episode (onset {onset:%d %b %Y}) and its trials."
NOT_IMPORTED = "Nothing was imported: correct the file and upload it again."
EXPORT_REFUSED = "The history could not be exported: {problem}"
WHERE_FILE = "The file"
WHERE_PATIENT = "Patient and episode"
WHERE_TRIAL = "Trial {trial}"
TRIAL_KEY = re.compile(r"^trials\[(?P<trial>[^\]]*)\](?:\.(?P<field>.+))?$")
# Record numbers are the clinic's own; only these characters go into a file name.
UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ImportProblem:
    """One import error: which trial (or the patient part), which field of the file, and why."""

    where: str
    field: str
    message: str


def _problems(error: ValidationError) -> list[ImportProblem]:
    if not hasattr(error, "error_dict"):
        return [ImportProblem(WHERE_FILE, "", message) for message in error.messages]
    problems: list[ImportProblem] = []
    for key, errors in error.error_dict.items():
        match = TRIAL_KEY.match(key)
        if match:
            where = WHERE_TRIAL.format(trial=match["trial"])
            field = match["field"] or ""
        elif key == NON_FIELD_ERRORS:
            where, field = WHERE_FILE, ""
        elif key.startswith("patient"):
            where, field = WHERE_PATIENT, key.removeprefix("patient").lstrip(".")
        else:
            where, field = WHERE_FILE, key
        problems.extend(
            ImportProblem(where, field, message) for message in ValidationError(errors).messages
        )
    return problems


def export_filename(record_number: str) -> str:
    """Return the download's name: the record number and today's date, never the name."""
    number = UNSAFE_FILENAME.sub("_", record_number).strip("._") or "patient"
    return EXPORT_FILENAME.format(number=number, day=timezone.localdate().isoformat())


@require_http_methods(["GET", "POST"])
def patient_json_export(request: HttpRequest, patient_id: int) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    patient = patient_for_user(request, patient_id, Permission.VIEW_PATIENTS)
    record_opened(request, patient, RecordPage.HISTORY_EXPORT)
    # ASVS 4.3.3 / 8.1: the record leaves the clinic only after the user types their password.
    posted = request.POST if request.method == "POST" else None
    form = PasswordReentryForm(posted, user=request.user, request=request)
    if not (form.is_bound and form.is_valid()):
        return render(request, "records/patient_export.html", {"form": form, "patient": patient})
    try:
        document = patient_history_export(access=access, patient_id=patient.pk)
    except ValidationError as error:
        messages.error(request, EXPORT_REFUSED.format(problem=" ".join(error.messages)))
        return redirect(patient_url(patient))
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{export_filename(patient.record_number)}"'
    )
    return response


@require_http_methods(["GET", "POST"])
def patient_json_import(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Upload a history, check it and show what it creates; a confirmation imports it."""
    access = clinic_access(request)
    patient = patient_for_user(request, patient_id, Permission.EDIT_CLINICAL_DATA)
    record_opened(request, patient, RecordPage.HISTORY_IMPORT)
    problems: list[ImportProblem] = []
    form = HistoryUploadForm()
    if request.method == "POST" and "upload" in request.POST:
        confirm = HistoryConfirmForm(request.POST)
        try:
            if not confirm.is_valid():
                raise ValidationError(PREVIEW_INVALID, code="preview_invalid")
            data = history_upload_unsign(
                confirm.cleaned_data["upload"], access=access, patient=patient
            )
            episode = patient_history_import(
                access=access, patient=patient, data=data, acting_user=request.user
            )
        except ValidationError as error:
            problems = _problems(error)
        else:
            messages.success(request, IMPORTED.format(onset=episode.onset_date))
            return redirect(patient_url(patient, "trials"))
        messages.error(request, NOT_IMPORTED)
    elif request.method == "POST":
        form = HistoryUploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data["file"]
            try:
                preview = patient_history_import_preview(
                    access=access, patient=patient, data=data, acting_user=request.user
                )
            except ValidationError as error:
                problems = _problems(error)
            else:
                token = history_upload_sign(data=data, access=access, patient=patient)
                context = {
                    "patient": patient,
                    "preview": preview,
                    "confirm_form": HistoryConfirmForm(initial={"upload": token}),
                }
                return render(request, "records/patient_import_preview.html", context)
        messages.error(request, NOT_IMPORTED)
    context = {"form": form, "patient": patient, "problems": problems}
    return render(request, "records/patient_import.html", context)
