"""The patient's second-opinion report: the HTML page and its PDF download."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from records.access import Permission, clinic_access, patient_for_user
from records.report import patient_report, patient_report_pdf
from records.services import RecordPage, patient_record_opened


@require_GET
def patient_report_page(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Show the report with interactive charts and a link to its PDF."""
    patient = patient_for_user(request, patient_id, Permission.VIEW_PATIENTS)
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    report = patient_report(access=access, patient_id=patient.pk)
    patient_record_opened(access=access, patient=patient, page=RecordPage.REPORT)
    context = {"report": report, "patient": report.patient, "figures": report.figure_data()}
    return render(request, "records/report.html", context)


@require_GET
def patient_report_pdf_download(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Send the report as a PDF (an audited export)."""
    patient = patient_for_user(request, patient_id, Permission.VIEW_PATIENTS)
    access = clinic_access(request, Permission.VIEW_PATIENTS)
    pdf = patient_report_pdf(access=access, patient_id=patient.pk)
    response = HttpResponse(pdf.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename}"'
    return response
