"""FHIR R4: download a patient's record as a Bundle (password re-entry, audited)."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from records.access import Permission, clinic_access, patient_for_user
from records.reauth import PasswordReentryForm
from records.services import RecordPage
from records.services.fhir_export import EXPORT_FILENAME, patient_fhir_export

from .common import patient_url, record_opened
from .exchange import UNSAFE_FILENAME

EXPORT_REFUSED = "The record could not be exported: {problem}"


def fhir_filename(record_number: str) -> str:
    """Return the download's name: the record number and today's date, never the name."""
    number = UNSAFE_FILENAME.sub("_", record_number).strip("._") or "patient"
    return EXPORT_FILENAME.format(number=number, day=timezone.localdate().isoformat())


@require_http_methods(["GET", "POST"])
def patient_fhir_export_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Ask for the password again, then download the patient's record as a FHIR Bundle."""
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    patient = patient_for_user(request, patient_id, Permission.VIEW_PATIENTS)
    record_opened(request, patient, RecordPage.FHIR_EXPORT)
    # ASVS 4.3.3 / 8.1: the record leaves the clinic only after the user types their password.
    posted = request.POST if request.method == "POST" else None
    form = PasswordReentryForm(posted, user=request.user, request=request)
    if not (form.is_bound and form.is_valid()):
        return render(request, "records/fhir_export.html", {"form": form, "patient": patient})
    try:
        document = patient_fhir_export(access=access, patient_id=patient.pk)
    except ValidationError as error:
        messages.error(request, EXPORT_REFUSED.format(problem=" ".join(error.messages)))
        return redirect(patient_url(patient))
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False),
        content_type="application/fhir+json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{fhir_filename(patient.record_number)}"'
    )
    return response
