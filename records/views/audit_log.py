"""The clinic admin's audit log: a patient's or a user's events, and their CSV export."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from records.access import Permission, clinic_access
from records.audit_log import (
    AuditSubject,
    audit_log_for_patient,
    audit_log_for_user,
    change_summary,
    clinic_account_events,
    clinic_erasures,
    clinic_users,
    patient_by_record_number,
)
from records.forms.audit_log import RecordNumberForm
from records.reauth import PasswordReentryForm
from records.services import RecordPage, patient_record_opened
from records.services.audit_log import audit_log_export

from .common import record_opened

EVENTS_PER_PAGE = 100
NO_SUCH_RECORD_NUMBER = "No patient of this clinic has that record number."
EXPORT_FILENAME = "trdclinic-audit-{kind}-{pk}-{day}.csv"


@require_GET
def audit_log_index(request: HttpRequest) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_AUDIT)
    form = RecordNumberForm(request.GET or None)
    if form.is_bound and form.is_valid():
        patient = patient_by_record_number(
            access=access, record_number=form.cleaned_data["record_number"]
        )
        if patient is not None:
            return redirect("records:audit-log-patient", patient_id=patient.pk)
        form.add_error("record_number", NO_SUCH_RECORD_NUMBER)
    erasures = [(event, change_summary(event)) for event in clinic_erasures(access=access)]
    accounts = [(event, change_summary(event)) for event in clinic_account_events(access=access)]
    context = {
        "form": form,
        "users": clinic_users(access=access),
        "erasures": erasures,
        "account_events": accounts,
    }
    return render(request, "records/audit_log_index.html", context)


def _page(request: HttpRequest, subject: AuditSubject, export_url: str) -> HttpResponse:
    page = Paginator(subject.events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(event, change_summary(event)) for event in page.object_list]
    context = {"subject": subject, "page": page, "rows": rows, "export_url": export_url}
    return render(request, "records/audit_log.html", context)


def _export(request: HttpRequest, subject: AuditSubject, kind: str, pk: int) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_AUDIT)
    # ASVS 4.3.3 / 8.1: the trail leaves trdclinic only after the admin types their password.
    posted = request.POST if request.method == "POST" else None
    form = PasswordReentryForm(posted, user=request.user, request=request)
    if not (form.is_bound and form.is_valid()):
        context = {"form": form, "subject": subject}
        return render(request, "records/audit_log_export.html", context)
    document = audit_log_export(access=access, subject=subject)
    response = HttpResponse(document, content_type="text/csv; charset=utf-8")
    filename = EXPORT_FILENAME.format(kind=kind, pk=pk, day=timezone.localdate().isoformat())
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def audit_log_patient(request: HttpRequest, patient_id: int) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_AUDIT)
    subject = audit_log_for_patient(access=access, patient_id=patient_id)
    assert subject.patient is not None
    patient_record_opened(access=access, patient=subject.patient, page=RecordPage.AUDIT_LOG)
    export_url = reverse("records:audit-log-patient-export", args=[patient_id])
    return _page(request, subject, export_url)


@require_http_methods(["GET", "POST"])
def audit_log_patient_export(request: HttpRequest, patient_id: int) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_AUDIT)
    subject = audit_log_for_patient(access=access, patient_id=patient_id)
    assert subject.patient is not None
    record_opened(request, subject.patient, RecordPage.AUDIT_LOG_EXPORT)
    return _export(request, subject, "patient", patient_id)


@require_GET
def audit_log_user(request: HttpRequest, user_id: int) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_AUDIT)
    subject = audit_log_for_user(access=access, user_id=user_id)
    return _page(request, subject, reverse("records:audit-log-user-export", args=[user_id]))


@require_http_methods(["GET", "POST"])
def audit_log_user_export(request: HttpRequest, user_id: int) -> HttpResponse:
    access = clinic_access(request, Permission.VIEW_AUDIT)
    subject = audit_log_for_user(access=access, user_id=user_id)
    return _export(request, subject, "user", user_id)
