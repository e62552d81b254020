"""The legal erasure of a patient's record, confirmed by a clinic admin."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from records.access import Permission, patient_for_user
from records.forms.erasure import PatientEraseForm
from records.services import RecordPage
from records.services.erasure import patient_erase

from .common import record_opened

ERASED = "The record was erased. The audit log keeps the erasure, without the record's content."


@require_http_methods(["GET", "POST"])
def patient_erase_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for_user(request, patient_id, Permission.MANAGE_CLINIC)
    record_opened(request, patient, RecordPage.ERASURE)
    posted = request.POST if request.method == "POST" else None
    form = PatientEraseForm(posted, patient=patient, user=request.user, request=request)
    if form.is_bound and form.is_valid():
        try:
            patient_erase(
                acting_user=request.user,
                patient_id=patient.pk,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, ERASED)
            return redirect("records:audit-log")
    return render(request, "records/patient_erase.html", {"form": form, "patient": patient})
